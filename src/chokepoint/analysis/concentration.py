"""Concentration of each supplied item and the 65% target test.

Facilities roll up to their country. Shares are point values (midpoints of ranges, normalised
when a published table sums past 1); the low and high ends travel beside them so that a range
that straddles the threshold is reported as undetermined, not silently passed or failed.

:func:`concentration` and :func:`target` read the graph's supplies as columns
(:func:`supply_table`: one row per supplies edge, grouped by item and country with array
operations), not edge by edge; the sums are exact (as ``math.fsum``) as before.
"""

from __future__ import annotations

import math
import weakref
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..model import DEFAULT_THRESHOLD, Graph
from ..model.graph import gc_paused
from ..errors import InputError


EPS = 1e-9

CONCENTRATION_COLUMNS = ["id", "label", "kind", "stage", "critical_mineral", "top_country", "top_share",
                         "top_share_low", "top_share_high", "top3_share", "hhi", "share_unknown",
                         "shares_sum", "suppliers", "bases"]
TARGET_COLUMNS = ["id", "label", "stage", "top_country", "top_share", "top_share_low", "top_share_high",
                  "hhi", "status", "margin", "capacity_needed", "share_unknown", "unknown_max", "why", "bases",
                  "facts", "evidence"]


def country_shares(graph: Graph, item: str) -> dict[str, tuple[float, float, float]]:
    """Per-country (point, low, high) shares of an item as the sources state them, facilities
    rolled up to their country. Never rescaled: when the shares sum past 1 (published tables
    round), only the propagation rescales them, and :func:`concentration` reports the sum."""
    parts: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for s in graph.supplies.get(item, ()):
        share = s.edge.share
        parts[s.country].append((share.point, share.low, share.high))
    return {c: tuple(min(1.0, math.fsum(v[i] for v in values)) for i in range(3)) for c, values in parts.items()}


def published_sum(graph: Graph, item: str) -> float:
    """The sum of an item's shares as written (point values)."""
    return math.fsum(s.edge.share.point for s in graph.supplies.get(item, ()))


def unknown_max(graph: Graph, item: str) -> float:
    """The most one unnamed country could supply: the remainder left at the low ends of the
    named shares, bounded by the node's ``unknown_max_share`` when the source gives one
    (USGS lists the leading producers, so no unnamed one is larger than the smallest listed)."""
    remainder = max(0.0, 1.0 - math.fsum(s.edge.share.low for s in graph.supplies.get(item, ())))
    bound = graph.nodes[item].unknown_max_share
    return remainder if bound is None else min(remainder, bound)


SUPPLY_COLUMNS = ["item", "supplier", "country", "point", "low", "high", "level", "basis", "fact", "estimated"]

_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def supply_table(graph: Graph) -> pd.DataFrame:
    """Every supplies edge as a row (``SUPPLY_COLUMNS``), in the order of ``graph.supplies``: items in
    document order, each item's suppliers by share (descending), then supplier id. ``country`` is
    the supplier's country (itself, or a facility's); ``point``/``low``/``high`` the share as written
    (not normalised); ``estimated`` whether the share is an estimate (:func:`~.evidence.is_estimate`).
    Read from the graph's columns, once per graph (do not modify it)."""
    table = _TABLES.get(graph)
    if table is None:
        table = _TABLES[graph] = _supply_table(graph)
    return table


def _supply_table(graph: Graph) -> pd.DataFrame:
    nodes, edges = graph.columns.nodes, graph.columns.edges
    ids = nodes["id"].to_numpy(dtype=object)
    kind = nodes["kind"].to_numpy(dtype=object)
    country = np.where(kind == "country", ids, np.where(kind == "facility", nodes["country"].to_numpy(dtype=object),
                                                        None))
    e = edges[edges["type"].to_numpy(dtype=object) == "supplies"]
    index = pd.Index(ids)
    item = index.get_indexer(e["to"])
    supplier = index.get_indexer(e["from"])
    low = e["share_low"].to_numpy(dtype=np.float64)
    high = e["share_high"].to_numpy(dtype=np.float64)
    point = (low + high) / 2
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[np.argsort(ids, kind="stable")] = np.arange(len(ids))
    order = np.lexsort((id_rank[supplier], -point, item))
    level = e["share_level"].to_numpy(dtype=object)
    estimated = e["estimated"].to_numpy(dtype=bool) | pd.notna(level) | (low != high)
    table = pd.DataFrame({
        "item": ids[item], "supplier": ids[supplier], "country": country[supplier], "point": point, "low": low,
        "high": high, "level": level, "basis": e["basis"].to_numpy(dtype=object),
        "fact": e["fact"].to_numpy(dtype=object), "estimated": estimated,
    }, columns=SUPPLY_COLUMNS).iloc[order].reset_index(drop=True)
    table.attrs["item_position"] = item[order]
    return table


def _exact_sums(values: np.ndarray, starts: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """``math.fsum`` of each run ``values[start:start + size]``: a run of one or two is its sum as
    is (one rounding), a longer one is summed by ``math.fsum``."""
    sums = np.add.reduceat(values, starts) if len(starts) else np.zeros(0)
    for g in np.flatnonzero(sizes > 2).tolist():
        sums[g] = math.fsum(values[starts[g]:starts[g] + sizes[g]].tolist())
    return sums


@dataclass
class _Groups:
    """The supplies of each item by country, from :func:`supply_table`: per item (in document
    order) its edges ``table[edge_ptr[i]:edge_ptr[i + 1]]`` and its countries, ranked by point share
    (descending) then country, ``countries[country_ptr[i]:country_ptr[i + 1]]`` with their
    (point, low, high) shares, each ``min(1, exact sum)``."""

    items: list
    edge_ptr: list
    country_ptr: list
    countries: list
    point: list
    low: list
    high: list


def _groups(graph: Graph) -> _Groups:
    table = supply_table(graph)
    position = table.attrs["item_position"]
    n = len(table)
    codes, names = pd.factorize(table["country"].to_numpy(dtype=object), sort=True)
    order = np.lexsort((codes, position))
    gi, gc = position[order], codes[order]
    new = np.r_[True, (gi[1:] != gi[:-1]) | (gc[1:] != gc[:-1])] if n else np.zeros(0, dtype=bool)
    starts = np.flatnonzero(new)
    sizes = np.diff(np.r_[starts, n])
    sums = [np.minimum(1.0, _exact_sums(table[c].to_numpy(dtype=np.float64)[order], starts, sizes))
            for c in ("point", "low", "high")]
    g_item, g_country = gi[starts], gc[starts]
    rank = np.lexsort((g_country, -sums[0], g_item))
    item_starts = np.flatnonzero(np.r_[True, position[1:] != position[:-1]]) if n else np.zeros(0, dtype=np.int64)
    items = table["item"].to_numpy(dtype=object)[item_starts].tolist()
    g_ranked = g_item[rank]
    country_ptr = np.searchsorted(g_ranked, position[item_starts]).tolist() + [len(rank)]
    names = np.asarray(names, dtype=object)
    return _Groups(items, item_starts.tolist() + [n], country_ptr, names[g_country[rank]].tolist(),
                   sums[0][rank].tolist(), sums[1][rank].tolist(), sums[2][rank].tolist())


def _concentration_rows(graph: Graph, g: _Groups) -> list[tuple]:
    """One tuple per item with suppliers (``_ROW`` fields), in document order."""
    table = supply_table(graph)
    points = table["point"].tolist()
    basis = table["basis"].tolist()
    rows = []
    for i, item in enumerate(g.items):
        c0, c1 = g.country_ptr[i], g.country_ptr[i + 1]
        e0, e1 = g.edge_ptr[i], g.edge_ptr[i + 1]
        ranked = g.point[c0:c1]
        published = math.fsum(points[e0:e1])
        rows.append((item, g.countries[c0], ranked[0], g.low[c0], g.high[c0], math.fsum(ranked[:3]),
                     math.fsum((100.0 * v) ** 2 for v in ranked), max(0.0, 1.0 - published), published, e1 - e0,
                     "; ".join(sorted({b for b in basis[e0:e1] if b}))))
    return rows


_ROW = ["id", "top_country", "top_share", "top_share_low", "top_share_high", "top3_share", "hhi", "share_unknown",
        "shares_sum", "suppliers", "bases"]


def concentration(graph: Graph) -> pd.DataFrame:
    """Concentration of every item that has suppliers: top country, top-3, HHI (0-10,000), unknown share."""
    with gc_paused():
        return _concentration(graph)


def _concentration(graph: Graph) -> pd.DataFrame:
    frame = pd.DataFrame(_concentration_rows(graph, _groups(graph)), columns=_ROW)
    nodes = graph.columns.nodes.set_index("id")
    ids = frame["id"]
    info = nodes.loc[ids] if len(frame) else nodes.iloc[:0]
    frame.insert(1, "label", [graph.label(i) for i in ids.tolist()])
    frame.insert(2, "kind", info["kind"].tolist())
    frame.insert(3, "stage", [s if isinstance(s, str) and s else "" for s in info["stage"].tolist()])
    frame.insert(4, "critical_mineral", info["critical_mineral"].to_numpy(dtype=bool))
    frame = frame[CONCENTRATION_COLUMNS]
    return frame.sort_values(["hhi", "id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def target(graph: Graph, *, threshold: float = DEFAULT_THRESHOLD, all_items: bool = False) -> pd.DataFrame:
    """The target test per material and stage: no more than ``threshold`` from one country.

    ``pass`` when every country's share (the high end, for a range) is at most the threshold and
    no unnamed country could pass it; ``fail`` when some country's share is above it even at its
    low end; ``undetermined`` when a range straddles it, or when the named shares pass but the
    unattributed remainder could be one unnamed country's above the threshold (by default the
    whole remainder could be; a node's ``unknown_max_share`` bounds it). ``why`` says which.
    Shares are as the sources state them (see :func:`country_shares`).
    ``capacity_needed`` is the new capacity outside the top country needed to comply, as a
    fraction of today's total: ``top / threshold - 1`` (0 when passing). Critical minerals only,
    unless ``all_items``. A tested node without suppliers has status ``no data``.
    """
    if not 0.0 < threshold <= 1.0:
        raise InputError(f"threshold {threshold:g} must be in (0, 1]")
    with gc_paused():
        return _target(graph, threshold, all_items)


def _target(graph: Graph, threshold: float, all_items: bool) -> pd.DataFrame:
    table = supply_table(graph)
    g = _groups(graph)
    at = {item: i for i, item in enumerate(g.items)}
    conc = _concentration_rows(graph, g)
    lows, facts = table["low"].tolist(), table["fact"].tolist()
    countries, estimated = table["country"].tolist(), table["estimated"].tolist()
    nodes = graph.columns.nodes
    bound = dict(zip(nodes["id"].tolist(), nodes["unknown_max_share"].tolist()))
    kind = dict(zip(nodes["id"].tolist(), nodes["kind"].tolist()))
    stage = dict(zip(nodes["id"].tolist(), nodes["stage"].tolist()))
    critical = set(nodes["id"][nodes["critical_mineral"].to_numpy(dtype=bool)].tolist())
    rows = []
    for item in graph.items:
        if not all_items and item not in critical:
            continue
        i = at.get(item)
        if i is None:
            if all_items and kind[item] != "material":
                continue
            rows.append({"id": item, "label": graph.label(item), "stage": stage[item] or "", "status": "no data",
                         "facts": ""})
            continue
        _, top_country, top, low, high, _, hhi, share_unknown, total, _, bases = conc[i]
        # every country's range counts: a runner-up whose range reaches past the line leaves the
        # result open even when the top country (by midpoint) is below it
        c0, c1 = g.country_ptr[i], g.country_ptr[i + 1]
        e0, e1 = g.edge_ptr[i], g.edge_ptr[i + 1]
        remainder = max(0.0, 1.0 - math.fsum(lows[e0:e1]))
        limit = bound[item]
        unnamed = remainder if limit is None or limit != limit else min(remainder, limit)
        why = ""
        if max(g.low[c0:c1]) > threshold + EPS:
            status = "fail"
        elif max(g.high[c0:c1]) > threshold + EPS:
            status, why = "undetermined", "a range straddles the threshold"
        elif unnamed > threshold + EPS:
            status, why = "undetermined", f"{100 * unnamed:.0f}% unattributed could be one country's"
        else:
            status = "pass"
        if total > 1.0 + 1e-9:
            why = "; ".join(filter(None, [why, f"shares sum to {100 * total:.1f}% as published (rescaled only "
                                               "in propagation)"]))
        fact_ids = sorted({f for f in facts[e0:e1] if f})
        # a fail rests on the failing country's own shares; a pass or an open result on all of them
        failing = {g.countries[j] for j in range(c0, c1) if g.low[j] > threshold + EPS}
        rested = any(estimated[e] for e in range(e0, e1) if not failing or countries[e] in failing)
        rows.append({
            "id": item, "label": graph.label(item), "stage": stage[item] or "", "top_country": top_country,
            "top_share": top, "top_share_low": low, "top_share_high": high, "hhi": hhi,
            "status": status, "margin": threshold - top,
            # an open result whose point passes needs data, not capacity: no figure rather than a 0
            "capacity_needed": (max(0.0, top / threshold - 1.0) if top > threshold + EPS else
                                float("nan") if status == "undetermined" else 0.0),
            "share_unknown": share_unknown, "unknown_max": unnamed, "why": why, "bases": bases,
            "facts": ", ".join(fact_ids), "evidence": "estimated" if rested else "reported",
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    order = {"fail": 0, "undetermined": 1, "pass": 2, "no data": 3}
    frame["_o"] = frame["status"].map(order)
    frame = frame.sort_values(["_o", "top_share", "id"], ascending=[True, False, True], kind="mergesort")
    return frame.drop(columns="_o").reset_index(drop=True)
