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
from ..model.schema import ITEM_KINDS
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


@dataclass(frozen=True, eq=False)
class SupplyTable:
    """Every supplies edge of a graph as arrays, in the order of ``graph.supplies``: items in
    document order, each item's suppliers by share (descending), then supplier id.

    ``item``/``supplier``/``country`` are ids (``country``: the supplier's country, itself or a
    facility's); ``position`` the item's position among the graph's nodes; ``point``/``low``/
    ``high`` the share as written (not normalised); ``level``, ``basis``, ``fact`` as written
    (None where not given); ``estimated`` whether the share is an estimate
    (:func:`~.evidence.is_estimate`). ``starts`` are the first edge of each item, with the total at
    the end."""

    item: np.ndarray
    supplier: np.ndarray
    country: np.ndarray
    position: np.ndarray
    point: np.ndarray
    low: np.ndarray
    high: np.ndarray
    level: np.ndarray
    basis: np.ndarray
    fact: np.ndarray
    estimated: np.ndarray
    starts: np.ndarray

    def __len__(self) -> int:
        return len(self.item)

    @property
    def items(self) -> np.ndarray:
        """The items with suppliers, in document order."""
        return self.item[self.starts[:-1]]


_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def supply_table(graph: Graph) -> SupplyTable:
    """The graph's supplies edges as arrays (:class:`SupplyTable`), read from its columns once per
    graph (do not modify them)."""
    table = _TABLES.get(graph)
    if table is None:
        with gc_paused():
            table = _TABLES[graph] = _supply_table(graph)
    return table


def _objects(column) -> np.ndarray:
    """A text column as an object array, None where missing."""
    values = column.to_numpy(dtype=object)
    missing = pd.isna(values)
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values


def _supply_table(graph: Graph) -> SupplyTable:
    nodes, edges = graph.columns.nodes, graph.columns.edges
    ids = nodes["id"].tolist()
    at = {ident: i for i, ident in enumerate(ids)}
    ids_a = np.array(ids, dtype=object)
    kind = nodes["kind"].to_numpy(dtype=object)
    country = np.where(kind == "country", ids_a, np.where(kind == "facility", _objects(nodes["country"]), None))
    e = edges[edges["type"].to_numpy(dtype=object) == "supplies"]
    item = np.fromiter((at[x] for x in e["to"].tolist()), dtype=np.int64, count=len(e))
    supplier = np.fromiter((at[x] for x in e["from"].tolist()), dtype=np.int64, count=len(e))
    low = e["share_low"].to_numpy(dtype=np.float64)
    high = e["share_high"].to_numpy(dtype=np.float64)
    point = (low + high) / 2
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[sorted(range(len(ids)), key=ids.__getitem__)] = np.arange(len(ids))
    order = np.lexsort((id_rank[supplier], -point, item))
    level = _objects(e["share_level"])
    estimated = e["estimated"].to_numpy(dtype=bool) | (level != None) | (low != high)  # noqa: E711
    position = item[order]
    starts = np.r_[np.flatnonzero(np.r_[True, position[1:] != position[:-1]]) if len(order) else [], len(order)]
    return SupplyTable(ids_a[position], ids_a[supplier[order]], country[supplier[order]], position, point[order],
                       low[order], high[order], level[order], _objects(e["basis"])[order], _objects(e["fact"])[order],
                       estimated[order], starts.astype(np.int64))


def _exact_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """``math.fsum`` of each run ``values[starts[i]:starts[i + 1]]`` (``starts`` ends with the
    total; no run is empty): a run of one or two is its sum as is (one rounding), a longer one is
    summed by ``math.fsum``."""
    sums = np.add.reduceat(values, starts[:-1]) if len(starts) > 1 else np.zeros(0)
    long = np.flatnonzero(np.diff(starts) > 2)
    if len(long):
        listed = values.tolist()
        bounds = starts.tolist()
        sums[long] = [math.fsum(listed[bounds[g]:bounds[g + 1]]) for g in long.tolist()]
    return sums


@dataclass
class _Groups:
    """The supplies of each item by country (:func:`supply_table`'s items, in order): the item's
    countries ranked by point share (descending) then country, ``countries[ptr[i]:ptr[i + 1]]``,
    with their (point, low, high) shares, each ``min(1, exact sum)``; ``edge_group`` is each edge's
    group (position in that ranked order)."""

    ptr: np.ndarray
    countries: np.ndarray
    point: np.ndarray
    low: np.ndarray
    high: np.ndarray
    edge_group: np.ndarray


def _groups(table: SupplyTable) -> _Groups:
    n = len(table)
    codes, names = pd.factorize(table.country, sort=True)
    order = np.lexsort((codes, table.position))
    gi, gc = table.position[order], codes[order]
    new = np.r_[True, (gi[1:] != gi[:-1]) | (gc[1:] != gc[:-1])] if n else np.zeros(0, dtype=bool)
    starts = np.r_[np.flatnonzero(new), n].astype(np.int64)
    sums = [np.minimum(1.0, _exact_sums(x[order], starts)) for x in (table.point, table.low, table.high)]
    g_item, g_country = gi[starts[:-1]], gc[starts[:-1]]
    rank = np.lexsort((g_country, -sums[0], g_item))
    ranked_item = g_item[rank]
    ptr = np.searchsorted(ranked_item, table.position[table.starts[:-1]]).tolist() + [len(rank)]
    group_of = np.empty(n, dtype=np.int64)  # each edge's group, in the ranked order
    where = np.empty(len(rank), dtype=np.int64)
    where[rank] = np.arange(len(rank))
    group_of[order] = np.repeat(where, np.diff(starts))
    names = np.asarray(names, dtype=object)
    return _Groups(np.asarray(ptr, dtype=np.int64), names[g_country[rank]], sums[0][rank], sums[1][rank],
                   sums[2][rank], group_of)


def _concentration_columns(table: SupplyTable, g: _Groups) -> dict:
    """The concentration of each item with suppliers (:func:`supply_table`'s items, in order)."""
    first = g.ptr[:-1]
    count = np.diff(g.ptr)
    # the first three countries of each item (fewer where it has fewer)
    k3 = np.minimum(count, 3)
    take3 = np.repeat(first, k3) + np.arange(int(k3.sum())) - np.repeat(np.cumsum(k3) - k3, k3)
    runs3 = np.r_[0, np.cumsum(k3)].astype(np.int64)
    squares = np.array([(100.0 * v) ** 2 for v in g.point.tolist()], dtype=np.float64)
    published = _exact_sums(table.point, table.starts)
    bases = [""] * len(first)
    given = np.flatnonzero(table.basis != None)  # noqa: E711
    if len(given):
        found: dict = {}
        item_of = np.repeat(np.arange(len(first)), np.diff(table.starts))
        for i, b in zip(item_of[given].tolist(), table.basis[given].tolist()):
            if b:
                found.setdefault(i, set()).add(b)
        for i, names in found.items():
            bases[i] = "; ".join(sorted(names))
    return {
        "id": table.items.tolist(), "top_country": g.countries[first].tolist(), "top_share": g.point[first],
        "top_share_low": g.low[first], "top_share_high": g.high[first],
        "top3_share": _exact_sums(g.point[take3], runs3) if len(first) else np.zeros(0),
        "hhi": _exact_sums(squares, g.ptr) if len(first) else np.zeros(0),
        "share_unknown": np.maximum(0.0, 1.0 - published), "shares_sum": published,
        "suppliers": np.diff(table.starts), "bases": bases,
    }


def concentration(graph: Graph) -> pd.DataFrame:
    """Concentration of every item that has suppliers: top country, top-3, HHI (0-10,000), unknown share."""
    with gc_paused():
        return _concentration(graph)


def _concentration(graph: Graph) -> pd.DataFrame:
    table = supply_table(graph)
    columns = _concentration_columns(table, _groups(table))
    nodes = graph.columns.nodes
    at = table.position[table.starts[:-1]]
    labels = graph.labels
    columns["label"] = [labels[i] for i in columns["id"]]
    columns["kind"] = nodes["kind"].to_numpy(dtype=object)[at].tolist()
    columns["stage"] = [s if isinstance(s, str) and s else "" for s in _objects(nodes["stage"])[at].tolist()]
    columns["critical_mineral"] = nodes["critical_mineral"].to_numpy(dtype=bool)[at]
    frame = pd.DataFrame(columns, columns=CONCENTRATION_COLUMNS)
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
    g = _groups(table)
    conc = _concentration_columns(table, g)
    n_items = len(conc["id"])
    line = threshold + EPS
    # every country's range counts: a runner-up whose range reaches past the line leaves the
    # result open even when the top country (by midpoint) is below it
    firsts = g.ptr[:-1]
    max_low = np.maximum.reduceat(g.low, firsts) if n_items else np.zeros(0)
    max_high = np.maximum.reduceat(g.high, firsts) if n_items else np.zeros(0)
    remainder = np.maximum(0.0, 1.0 - _exact_sums(table.low, table.starts))
    # a fail rests on the failing country's own shares; a pass or an open result on all of them
    failing = g.low > line
    item_of = np.repeat(np.arange(n_items), np.diff(table.starts))
    any_failing = max_low > line
    counts = table.estimated & (~any_failing[item_of] | failing[g.edge_group])
    estimated = np.bincount(item_of[counts], minlength=n_items) > 0
    facts = [""] * n_items
    given = np.flatnonzero(table.fact != None)  # noqa: E711
    if len(given):
        found: dict = {}
        for i, f in zip(item_of[given].tolist(), table.fact[given].tolist()):
            if f:
                found.setdefault(i, set()).add(f)
        for i, names in found.items():
            facts[i] = ", ".join(sorted(names))
    nodes = graph.columns.nodes
    ids = nodes["id"].tolist()
    kind = nodes["kind"].tolist()
    stage = _objects(nodes["stage"]).tolist()
    bound = nodes["unknown_max_share"].tolist()
    critical = nodes["critical_mineral"].tolist()
    at = dict(zip(table.items.tolist(), range(n_items)))
    labels = graph.labels
    values = {name: (col.tolist() if isinstance(col, np.ndarray) else col) for name, col in conc.items()}
    max_low, max_high, remainder = max_low.tolist(), max_high.tolist(), remainder.tolist()
    estimated = estimated.tolist()
    rows = []
    for position, item in enumerate(ids):
        if kind[position] not in ITEM_KINDS or (not all_items and not critical[position]):
            continue
        i = at.get(item)
        if i is None:
            if all_items and kind[position] != "material":
                continue
            rows.append({"id": item, "label": labels[item], "stage": stage[position] or "", "status": "no data",
                         "facts": ""})
            continue
        top = values["top_share"][i]
        limit = bound[position]
        unnamed = remainder[i] if limit is None or limit != limit else min(remainder[i], limit)
        why = ""
        if max_low[i] > line:
            status = "fail"
        elif max_high[i] > line:
            status, why = "undetermined", "a range straddles the threshold"
        elif unnamed > line:
            status, why = "undetermined", f"{100 * unnamed:.0f}% unattributed could be one country's"
        else:
            status = "pass"
        total = values["shares_sum"][i]
        if total > 1.0 + 1e-9:
            why = "; ".join(filter(None, [why, f"shares sum to {100 * total:.1f}% as published (rescaled only "
                                               "in propagation)"]))
        rows.append({
            "id": item, "label": labels[item], "stage": stage[position] or "", "top_country": values["top_country"][i],
            "top_share": top, "top_share_low": values["top_share_low"][i],
            "top_share_high": values["top_share_high"][i], "hhi": values["hhi"][i],
            "status": status, "margin": threshold - top,
            # an open result whose point passes needs data, not capacity: no figure rather than a 0
            "capacity_needed": (max(0.0, top / threshold - 1.0) if top > line else
                                float("nan") if status == "undetermined" else 0.0),
            "share_unknown": values["share_unknown"][i], "unknown_max": unnamed, "why": why,
            "bases": values["bases"][i], "facts": facts[i], "evidence": "estimated" if estimated[i] else "reported",
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    order = {"fail": 0, "undetermined": 1, "pass": 2, "no data": 3}
    frame["_o"] = frame["status"].map(order)
    frame = frame.sort_values(["_o", "top_share", "id"], ascending=[True, False, True], kind="mergesort")
    return frame.drop(columns="_o").reset_index(drop=True)
