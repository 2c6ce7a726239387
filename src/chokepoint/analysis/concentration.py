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


EPS = 1e-9

CONCENTRATION_COLUMNS = ["id", "label", "kind", "stage", "critical_mineral", "top_country", "top_share",
                         "top_share_low", "top_share_high", "top3_share", "hhi", "share_unknown",
                         "suppliers", "bases"]
TARGET_COLUMNS = ["id", "label", "stage", "top_country", "top_share", "top_share_low", "top_share_high",
                  "hhi", "status", "margin", "capacity_needed", "share_unknown", "bases", "facts"]


def country_shares(graph: Graph, item: str) -> dict[str, tuple[float, float, float]]:
    """Per-country (point, low, high) shares of an item, facilities rolled up to their country."""
    supplies = graph.supplies.get(item, ())
    total = math.fsum(s.edge.share.point for s in supplies)
    scale = 1.0 / total if total > 1.0 else 1.0
    parts: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for s in supplies:
        parts[s.country].append((s.share, s.edge.share.low * scale, s.edge.share.high * scale))
    return {c: tuple(min(1.0, math.fsum(v[i] for v in values)) for i in range(3)) for c, values in parts.items()}


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
            "share_unknown": graph.unknown_share(item),
            "suppliers": len(supplies),
            "bases": "; ".join(sorted({s.edge.basis for s in supplies if s.edge.basis})),
        })
    frame = pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)
    return frame.sort_values(["hhi", "id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def target(graph: Graph, *, threshold: float = DEFAULT_THRESHOLD, all_items: bool = False) -> pd.DataFrame:
    """The target test per material and stage: no more than ``threshold`` from one country.

    ``pass`` when every country's share (the high end, for a range) is at most the threshold,
    ``fail`` when some country's share is above it even at its low end, ``undetermined`` when a
    range straddles it.
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
        if max(hi for _, _, hi in ranges) <= threshold + EPS:
            status = "pass"
        elif max(lo for _, lo, _ in ranges) > threshold + EPS:
            status = "fail"
        else:
            status = "undetermined"
        facts = sorted({s.edge.fact for s in graph.supplies[item] if s.edge.fact})
        rows.append({
            "id": item, "label": c.label, "stage": c.stage, "top_country": c.top_country,
            "top_share": top, "top_share_low": low, "top_share_high": high, "hhi": float(c.hhi),
            "status": status, "margin": threshold - top,
            "capacity_needed": max(0.0, top / threshold - 1.0) if top > threshold + EPS else 0.0,
            "share_unknown": float(c.share_unknown), "bases": c.bases, "facts": ", ".join(facts),
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    order = {"fail": 0, "undetermined": 1, "pass": 2, "no data": 3}
    frame["_o"] = frame["status"].map(order)
    frame = frame.sort_values(["_o", "top_share", "id"], ascending=[True, False, True], kind="mergesort")
    return frame.drop(columns="_o").reset_index(drop=True)
