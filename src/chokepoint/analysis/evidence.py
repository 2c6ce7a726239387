"""How sure a result is: the evidence grade of the shares it rests on, and the bounds the data allow.

A result is ``reported`` when every share along the chain that explains it is a figure a source
states, and ``estimated`` when any of them is a level word, a range or an edge marked
``estimated: true``; the estimated edges are its ``assumptions``.

Bounds come from two extra evaluations on the engine (availability is monotone in every share):
- low: every item's unattributed remainder counts as lost with the cut countries (the unknown
  suppliers may be them) and every share sits at its low end;
- high: the remainder survives and every share sits at its low end, so the cut countries lose as
  little as the sources allow (an item keeps ``1 - sum(low share x loss)``).
The point value (midpoints, remainder surviving) lies between them.
"""

from __future__ import annotations

import numpy as np

from ..engine import CompiledGraph, evaluate
from ..model import Edge, Graph

REPORTED, ESTIMATED = "reported", "estimated"


def is_estimate(edge: Edge) -> bool:
    """A share the sources do not state as a number: a level word, a range, or marked estimated."""
    return bool(edge.estimated or (edge.share is not None and (edge.share.level or edge.share.is_range)))


def path_assumptions(graph: Graph, path) -> list[dict]:
    """The estimated supply edges along a chain (supplier -> item steps), with their fact ids."""
    found = []
    edges = graph.edge_index
    for a, b in zip(path, path[1:]):
        edge = edges.get((a, b))
        if edge is not None and edge.type == "supplies" and is_estimate(edge):
            found.append({"from": a, "to": b, "share": str(edge.share), "fact": edge.fact or "",
                          "note": edge.note or ""})
    return found


def grade(assumptions) -> str:
    return ESTIMATED if assumptions else REPORTED


def bounds(compiled: CompiledGraph, cuts, *, spare_capacity=0.0, rows=None, point=None):
    """(low, high) availability matrices for ``cuts`` (see the module docstring), clamped around ``point``."""
    shares = compiled.sup_low
    low = evaluate(compiled, cuts, spare_capacity=spare_capacity, shares=shares, remainder_lost=True, rows=rows)
    high = evaluate(compiled, cuts, spare_capacity=spare_capacity, shares=shares, rows=rows)
    if point is not None:  # a point rescaled past its written low end (shares summing past 1) stays inside
        low, high = np.minimum(low, point), np.maximum(high, point)
    return low, high
