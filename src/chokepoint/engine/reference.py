"""Availability propagation under a scenario: the reference implementation of DESIGN.md.

Availability is a fraction in [0, 1]:

- a country: 0 if cut off, else 1; a facility: its country's availability, min with its inputs;
- an item's supplied fraction: the shares of its available suppliers plus the unknown remainder;
  with spare capacity ``r`` every surviving supplier (the unnamed remainder included) may grow by
  ``r`` of its share, capped at 1; an item with no suppliers listed is limited only by its inputs;
- an item with inputs: ``min(supplied, combined inputs)``, combined by min (``needs: all``) or
  max (``needs: any``);
- cycles reach the largest fixed point: start from full availability and iterate down; when the
  steps become too small to trust before the values settle (a loop gain near 1), the cycle is
  solved exactly (:mod:`chokepoint.engine.fixpoint`).

Stockpiles: a node with ``stockpile_months`` M whose shortage is caused at time t runs short at
t + M, at the computed shortfall. An ``all`` node runs short when its first short input does, an
``any`` node when its last alternative does, an item when its first lost supplier does.

This module works node by node on the :class:`~chokepoint.model.Graph`. It is the test oracle:
the engine (:func:`chokepoint.engine.evaluate`) evaluates many scenarios at once on compiled
arrays and is held to this module's results; nothing else in the package computes with it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from ..model import Graph
from .fixpoint import BlockSystem, is_settled, is_slow, largest_fixed_point
from .settle import MAX_ITERATIONS, TOLERANCE, warn_not_settled

@dataclass(frozen=True)
class Scenario:
    """Countries cut off (alpha-2 codes, blocs already expanded), nodes knocked out, options."""

    countries: frozenset[str] = frozenset()
    knockout: frozenset[str] = frozenset()
    spare_capacity: float = 0.0
    shares: dict | None = field(default=None, compare=False, hash=False)
    """Optional override of point shares: {(supplier, item): share} (Monte Carlo draws)."""


def evaluation_order(graph: Graph) -> list[list[str]]:
    """Strongly connected components of the supply graph in topological order."""
    return [list(component) for component in graph.evaluation_order]


def _update(graph: Graph, node_id: str, avail: dict[str, float], scenario: Scenario) -> float:
    if node_id in scenario.knockout:
        return 0.0
    node = graph.nodes[node_id]
    if node.kind == "country":
        return 0.0 if node_id in scenario.countries else 1.0
    if node.kind == "facility":
        value = avail.get(node.country, 0.0 if node.country in scenario.countries else 1.0)
    else:
        supplies = graph.supplies.get(node_id)
        if supplies:
            if scenario.shares is None:
                shares = [(s.supplier, s.share) for s in supplies]
                remainder = graph.unknown_share(node_id)
            else:
                shares = [(s.supplier, scenario.shares[(s.supplier, node_id)]) for s in supplies]
                remainder = max(0.0, 1.0 - math.fsum(share for _, share in shares))
            surviving = math.fsum([*(share * avail[supplier] for supplier, share in shares), remainder])
            value = min(1.0, surviving * (1.0 + scenario.spare_capacity))
        else:
            value = 1.0
    inputs = graph.inputs.get(node_id)
    if inputs:
        values = [avail[i] for i in inputs]
        combined = max(values) if node.needs == "any" else min(values)
        value = min(value, combined)
    return min(1.0, max(0.0, value))


def propagate(graph: Graph, scenario: Scenario, order: list[list[str]] | None = None) -> dict[str, float]:
    """Availability of every node under ``scenario`` (the largest fixed point)."""
    order = order if order is not None else evaluation_order(graph)
    avail: dict[str, float] = {}
    for component in order:
        for node_id in component:
            avail[node_id] = 1.0
        if len(component) == 1 and component[0] not in graph.inputs.get(component[0], ()):
            avail[component[0]] = _update(graph, component[0], avail, scenario)
            continue
        previous = None
        for iteration in range(MAX_ITERATIONS):
            change = 0.0
            for node_id in component:
                new = _update(graph, node_id, avail, scenario)
                change = max(change, abs(new - avail[node_id]))
                avail[node_id] = new
            if change <= TOLERANCE and is_settled(change, previous, TOLERANCE):
                break
            if change <= TOLERANCE or is_slow(iteration, change, previous):
                _solve_exactly(graph, component, avail, scenario, change)  # a loop gain near 1
                break
            previous = change
        else:
            _solve_exactly(graph, component, avail, scenario, change)
    return avail


def _solve_exactly(graph: Graph, component: list[str], avail: dict[str, float], scenario: Scenario,
                   change: float) -> None:
    """Replace the component's values by its largest fixed point (see :mod:`chokepoint.engine.fixpoint`),
    or warn that they are upper bounds when it cannot be solved."""
    solved = largest_fixed_point(block_system(graph, component, avail, scenario),
                                 np.array([avail[n] for n in component]))
    if solved is None:
        warn_not_settled(component, change)
        return
    for node_id, value in zip(component, solved.tolist()):
        avail[node_id] = value


def block_system(graph: Graph, component: list[str], avail: dict[str, float], scenario: Scenario) -> BlockSystem:
    """The equations of a cycle under ``scenario``, everything outside it taken from ``avail``."""
    local = {node_id: i for i, node_id in enumerate(component)}
    upper = np.ones(len(component))
    sup_rows, sup_const, t_row, t_src, t_coef = [], [], [], [], []
    all_dst, all_src, any_rows, any_outside, any_dst, any_src = [], [], [], [], [], []
    gain = 1.0 + scenario.spare_capacity
    for i, node_id in enumerate(component):
        if node_id in scenario.knockout:
            upper[i] = 0.0
            continue
        node = graph.nodes[node_id]
        if node.kind == "facility":
            upper[i] = avail.get(node.country, 0.0 if node.country in scenario.countries else 1.0)
        supplies = graph.supplies.get(node_id) if node.kind not in ("country", "facility") else None
        if supplies:
            if scenario.shares is None:
                shares = [(s.supplier, s.share) for s in supplies]
                remainder = graph.unknown_share(node_id)
            else:
                shares = [(s.supplier, scenario.shares[(s.supplier, node_id)]) for s in supplies]
                remainder = max(0.0, 1.0 - math.fsum(share for _, share in shares))
            outside = math.fsum([*(share * avail[s] for s, share in shares if s not in local), remainder])
            sup_rows.append(i)
            sup_const.append(gain * outside)
            for s, share in shares:
                if s in local:
                    t_row.append(i)
                    t_src.append(local[s])
                    t_coef.append(gain * share)
        inputs = graph.inputs.get(node_id)
        if inputs:
            inside = [local[j] for j in inputs if j in local]
            outside_values = [avail[j] for j in inputs if j not in local]
            if node.needs == "any":
                any_rows.append(i)
                any_outside.append(max(outside_values, default=0.0))
                any_dst += [i] * len(inside)
                any_src += inside
            else:
                if outside_values:
                    upper[i] = min(upper[i], min(outside_values))
                all_dst += [i] * len(inside)
                all_src += inside
    ints = lambda values: np.array(values, dtype=np.int64)  # noqa: E731
    return BlockSystem(upper=upper, sup_rows=ints(sup_rows), sup_const=np.array(sup_const, dtype=np.float64),
                       term_row=ints(t_row), term_src=ints(t_src), term_coef=np.array(t_coef, dtype=np.float64),
                       all_dst=ints(all_dst), all_src=ints(all_src), any_rows=ints(any_rows),
                       any_outside=np.array(any_outside, dtype=np.float64), any_dst=ints(any_dst),
                       any_src=ints(any_src))


def shortage_months(graph: Graph, avail: dict[str, float], scenario: Scenario) -> dict[str, float | None]:
    """Months until each short node's shortage starts (``None`` for nodes that are not short).

    A cut country or knocked-out node is short at month 0; stockpiles delay their holder's
    shortage. Computed as the least fixed point from "never", so cycles terminate.
    """
    short = {n for n, a in avail.items() if a < 1.0 - 1e-12}
    start = {n: math.inf for n in avail}
    for _ in range(len(avail) + 1):
        changed = False
        for node_id in avail:
            if node_id not in short:
                continue
            node = graph.nodes[node_id]
            if node_id in scenario.knockout or (node.kind == "country" and node_id in scenario.countries):
                cause = 0.0
            else:
                causes = []
                if node.kind == "facility" and node.country in short:
                    causes.append(start[node.country])
                for supply in graph.supplies.get(node_id, ()):
                    if supply.supplier in short:
                        causes.append(start[supply.supplier])
                inputs = [i for i in graph.inputs.get(node_id, ()) if i in short]
                if inputs:
                    times = [start[i] for i in inputs]
                    all_short = len(inputs) == len(graph.inputs[node_id])
                    if node.needs == "any":
                        if all_short:
                            causes.append(max(times))
                    else:
                        causes.append(min(times))
                cause = min(causes) if causes else math.inf
            new = cause + (node.stockpile_months or 0.0)
            if new < start[node_id]:
                start[node_id] = new
                changed = True
        if not changed:
            break
    return {n: (None if n not in short or math.isinf(start[n]) else start[n]) for n in avail}
