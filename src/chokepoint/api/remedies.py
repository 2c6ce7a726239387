"""Remedies: how long a cutoff hurts (``timeline``) and the cheapest plan against it (``plan``, a linear programme)."""

from __future__ import annotations

from ..remedies import PlanResult, TimelineResult, plan as _plan, timeline as _timeline, write_plan
from .graphs import as_graph

__all__ = ["PlanResult", "TimelineResult", "plan", "timeline"]


def timeline(graph, *, countries=(), blocs=(), duration: float, stockpile: dict | None = None,
             ramp: float | None = None, ramp_share: float | None = None, spare_capacity: float = 0.0,
             step: float = 0.1) -> TimelineResult:
    """How long a cutoff hurts, month by month: see :func:`chokepoint.remedies.timeline.timeline`."""
    return _timeline(as_graph(graph), countries=countries, blocs=blocs, duration=duration, stockpile=stockpile,
                     ramp=ramp, ramp_share=ramp_share, spare_capacity=spare_capacity, step=step)


def plan(graph, *, target: float | None = None, keep: float | None = None, against="single", allies=None,
         duration: float = 12.0, costs=None, budget: float | None = None, products=None, all_items: bool = False,
         max_stockpile: float | None = None, write=None, force: bool = False) -> PlanResult:
    """The cheapest new capacity and stockpiles that meet the target and survive the cutoffs, as a
    linear programme (see :func:`chokepoint.remedies.plan.plan`); with ``write``, the graph with the
    plan applied is written there too."""
    g = as_graph(graph)
    result = _plan(g, target=target, keep=keep, against=against, allies=allies, duration=duration, costs=costs,
                   budget=budget, products=products, all_items=all_items, max_stockpile=max_stockpile)
    if write is not None:
        write_plan(g, result, write, force=force)
    return result
