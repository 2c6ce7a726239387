"""Where each node sits in a drawing: stage columns, suppliers left and products right.

Shared by the exports (Gephi reads ``x``/``y``) and the figures, so both look the same.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from ..model import Graph
from ..model.schema import KINDS as KIND_ORDER


def layered_layout(graph: Graph) -> dict[str, tuple[int, float]]:
    """Column and vertical position (0 top .. 1 bottom) of every node, suppliers left, products right.

    Columns go by kind (countries, facilities, materials, components, products); an item that
    requires another of its own kind sits in a column further right (longest chain, cycles
    condensed). Within a column nodes are ordered by the mean position of their neighbours
    (a few barycentre sweeps, ties by id), so that edges cross little. Deterministic.
    """
    g = graph
    depth: dict[str, int] = {}
    for kind in KIND_ORDER:
        members = [n for n, node in g.nodes.items() if node.kind == kind]
        sub = nx.DiGraph()
        sub.add_nodes_from(members)
        sub.add_edges_from((e.from_, e.to) for e in g.document.edges
                           if e.type == "requires" and e.from_ in sub and e.to in sub)
        cond = nx.condensation(sub)
        level = {}
        for comp in nx.topological_sort(cond):
            level[comp] = max((level[p] + 1 for p in cond.predecessors(comp)), default=0)
        for member, comp in cond.graph["mapping"].items():
            depth[member] = level[comp]
    slots = {slot: i for i, slot in enumerate(sorted({(KIND_ORDER.index(g.nodes[n].kind), depth[n]) for n in g.nodes}))}
    column = {n: slots[(KIND_ORDER.index(g.nodes[n].kind), depth[n])] for n in g.nodes}  # linear, not per column
    by_col: dict[int, list[str]] = defaultdict(list)
    for n in sorted(g.nodes):
        by_col[column[n]].append(n)
    preds = {n: [] for n in g.nodes}
    succs = {n: [] for n in g.nodes}
    for e in g.document.edges:
        preds[e.to].append(e.from_)
        succs[e.from_].append(e.to)
    rank = {n: i / max(1, len(ns) - 1) for ns in by_col.values() for i, n in enumerate(ns)}
    cols = sorted(by_col)
    for sweep in range(6):
        order, neighbours = (cols, preds) if sweep % 2 == 0 else (cols[::-1], succs)
        for col in order:
            def key(n, _nb=neighbours):
                near = [rank[m] for m in _nb[n] if column[m] != col]
                return (sum(near) / len(near) if near else rank[n], n)
            by_col[col].sort(key=key)
            count = len(by_col[col])
            for i, n in enumerate(by_col[col]):
                rank[n] = i / max(1, count - 1)
    return {n: (col, (i + 0.5) / len(ns)) for col, ns in by_col.items() for i, n in enumerate(ns)}


def escape_mathtext(text: str) -> str:
    """User text for a matplotlib figure, drawn literally: ``$...$`` is mathtext to matplotlib (and
    an unbalanced or invalid formula in a label stops the whole figure), so every ``$`` is escaped.
    (Equivalently, draw with ``matplotlib.rc_context({"text.parse_math": False})``.)"""
    return str(text).replace("$", r"\$")
