"""The per-node columns an export carries: concentration, target status, chokepoint scores, and
availability under one cutoff. Plain values by node id, for :func:`chokepoint.formats.exchange.to_export_digraph`.
"""

from __future__ import annotations

import math
from collections import defaultdict

from ..model import Graph
from .chokepoints import find_chokepoints
from .concentration import concentration, target
from .scenarios import cutoff


def node_columns(g: Graph, *, with_cutoff=(), blocs=(), analysis: bool = True) -> tuple[dict[str, dict], dict | None]:
    """(node id -> columns, the cutoff scenario or None)."""
    extra: dict[str, dict] = defaultdict(dict)
    if analysis:
        _analysis(g, extra)
    scenario = None
    if with_cutoff or blocs:
        scenario = _cutoff(g, with_cutoff, blocs, extra)
    return extra, scenario


def _num(value) -> float:
    return round(float(value), 6) + 0.0


def _analysis(g: Graph, extra) -> None:
    for row in concentration(g).itertuples(index=False):
        extra[row.id].update(top_country=row.top_country, top_share=_num(row.top_share), hhi=_num(row.hhi),
                             share_unknown=_num(row.share_unknown))
    for row in target(g, all_items=True).itertuples(index=False):
        extra[row.id]["target_status"] = row.status
        if row.status != "no data":
            extra[row.id]["evidence"] = row.evidence
    for row in find_chokepoints(g).itertuples(index=False):
        values = {"chokepoint_score": _num(row.score), "knockout_loss": _num(row.knockout_loss),
                  "exposure": _num(row.exposure), "products_hit": int(row.products_hit)}
        if row.worst_country:
            values["worst_country"] = row.worst_country
        extra[row.id].update(values)


def _cutoff(g: Graph, countries, blocs, extra) -> dict:
    result = cutoff(g, countries=tuple(countries), blocs=tuple(blocs))
    for row in result.nodes.itertuples(index=False):
        values = {"availability": _num(row.availability), "availability_low": _num(row.availability_low),
                  "availability_high": _num(row.availability_high), "loss": _num(1.0 - row.availability),
                  "loss_low": _num(1.0 - row.availability_high), "loss_high": _num(1.0 - row.availability_low)}
        if row.months_to_shortage == row.months_to_shortage and math.isfinite(row.months_to_shortage):
            values["months_to_shortage"] = _num(row.months_to_shortage)
        extra[row.id].update(values)
    return {"countries": list(result.countries), "blocs": list(result.blocs)}
