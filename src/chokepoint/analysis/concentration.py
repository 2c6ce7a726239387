"""Concentration of each supplied item and the 65% target test.

Facilities roll up to their country. Shares are point values (midpoints of ranges, normalised
when a published table sums past 1); the low and high ends travel beside them so that a range
that straddles the threshold is reported as undetermined, not silently passed or failed.
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd

from ..model import DEFAULT_THRESHOLD, Graph
from ..errors import InputError
from .evidence import is_estimate


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


def concentration(graph: Graph) -> pd.DataFrame:
    """Concentration of every item that has suppliers: top country, top-3, HHI (0-10,000), unknown share."""
    rows = []
    for item in graph.items:
        supplies = graph.supplies.get(item)
        if not supplies:
            continue
        shares = country_shares(graph, item)
        ranked = sorted(shares.items(), key=lambda kv: (-kv[1][0], kv[0]))
        top_country, (top, top_low, top_high) = ranked[0]
        node = graph.nodes[item]
        rows.append({
            "id": item, "label": graph.label(item), "kind": node.kind, "stage": node.stage or "",
            "critical_mineral": node.critical_mineral,
            "top_country": top_country, "top_share": top, "top_share_low": top_low, "top_share_high": top_high,
            "top3_share": math.fsum(v[0] for _, v in ranked[:3]),
            "hhi": math.fsum((100.0 * v[0]) ** 2 for _, v in ranked),
            "share_unknown": max(0.0, 1.0 - published_sum(graph, item)),
            "shares_sum": published_sum(graph, item),
            "suppliers": len(supplies),
            "bases": "; ".join(sorted({s.edge.basis for s in supplies if s.edge.basis})),
        })
    frame = pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)
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
    conc = concentration(graph).set_index("id")
    rows = []
    for item in graph.items:
        node = graph.nodes[item]
        if not all_items and not node.critical_mineral:
            continue
        if item not in conc.index:
            if all_items and node.kind != "material" and item not in graph.supplies:
                continue
            rows.append({"id": item, "label": graph.label(item), "stage": node.stage or "", "status": "no data",
                         "facts": ""})
            continue
        c = conc.loc[item]
        top, low, high = float(c.top_share), float(c.top_share_low), float(c.top_share_high)
        # every country's range counts: a runner-up whose range reaches past the line leaves the
        # result open even when the top country (by midpoint) is below it
        ranges = country_shares(graph, item).values()
        unnamed = unknown_max(graph, item)
        why = ""
        if max(lo for _, lo, _ in ranges) > threshold + EPS:
            status = "fail"
        elif max(hi for _, _, hi in ranges) > threshold + EPS:
            status, why = "undetermined", "a range straddles the threshold"
        elif unnamed > threshold + EPS:
            status, why = "undetermined", f"{100 * unnamed:.0f}% unattributed could be one country's"
        else:
            status = "pass"
        total = float(c.shares_sum)
        if total > 1.0 + 1e-9:
            why = "; ".join(filter(None, [why, f"shares sum to {100 * total:.1f}% as published (rescaled only "
                                               "in propagation)"]))
        facts = sorted({s.edge.fact for s in graph.supplies[item] if s.edge.fact})
        # a fail rests on the failing country's own shares; a pass or an open result on all of them
        failing = {country for country, (_, lo, _) in country_shares(graph, item).items() if lo > threshold + EPS}
        estimated = any(is_estimate(s.edge) for s in graph.supplies[item] if not failing or s.country in failing)
        rows.append({
            "id": item, "label": c.label, "stage": c.stage, "top_country": c.top_country,
            "top_share": top, "top_share_low": low, "top_share_high": high, "hhi": float(c.hhi),
            "status": status, "margin": threshold - top,
            # an open result whose point passes needs data, not capacity: no figure rather than a 0
            "capacity_needed": (max(0.0, top / threshold - 1.0) if top > threshold + EPS else
                                float("nan") if status == "undetermined" else 0.0),
            "share_unknown": float(c.share_unknown), "unknown_max": unnamed, "why": why, "bases": c.bases,
            "facts": ", ".join(facts), "evidence": "estimated" if estimated else "reported",
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    order = {"fail": 0, "undetermined": 1, "pass": 2, "no data": 3}
    frame["_o"] = frame["status"].map(order)
    frame = frame.sort_values(["_o", "top_share", "id"], ascending=[True, False, True], kind="mergesort")
    return frame.drop(columns="_o").reset_index(drop=True)
