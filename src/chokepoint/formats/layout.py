"""Where each node sits in a drawing: stage columns, suppliers left and products right.

Shared by the exports (Gephi reads ``x``/``y``) and the figures, so both look the same. Computed
over arrays (the node and edge columns of the graph): a million edges take well under a second.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..model import Graph
from ..model.schema import KINDS as KIND_ORDER
from ..model.traversal import peel

#: Barycentre sweeps (alternately left to right over the inputs, right to left over the users).
SWEEPS = 6


@dataclass(frozen=True)
class Layout:
    """Stage columns of the nodes, in the order of ``ids`` (the graph's node order).

    ``column``: the stage column of each node (0 = leftmost); ``position``: its vertical place
    (0 top .. 1 bottom, ``(i + 0.5) / count`` for the ``i``-th of the ``count`` nodes of its
    column); ``height``: the number of nodes in the fullest column.
    """

    ids: list
    column: np.ndarray
    position: np.ndarray
    height: int

    def to_dict(self) -> dict[str, tuple[int, float]]:
        """Node id -> (column, position): the columns in the order their first node (by id) comes,
        each top to bottom."""
        ids, column, position = self.ids, self.column, self.position
        by_id = sorted(range(len(ids)), key=ids.__getitem__)
        first = {}
        for i in by_id:  # the order the columns are met in when the ids are read in sorted order
            first.setdefault(int(column[i]), len(first))
        order = np.lexsort((position, np.fromiter((first[c] for c in column.tolist()), dtype=np.int64,
                                                 count=len(ids))))
        cols, pos = column[order].tolist(), position[order].tolist()
        return {ids[i]: (c, p) for i, c, p in zip(order.tolist(), cols, pos)}


def layered_layout(graph: Graph) -> dict[str, tuple[int, float]]:
    """Column and vertical position (0 top .. 1 bottom) of every node, suppliers left, products right.

    Columns go by kind (countries, facilities, materials, components, products); an item that
    requires another of its own kind sits in a column further right (longest chain, cycles
    condensed). Within a column nodes are ordered by the mean position of their neighbours
    (a few barycentre sweeps, ties by id), so that edges cross little. Deterministic.
    """
    return graph_layout(graph).to_dict()


def graph_layout(graph: Graph) -> Layout:
    """:func:`layered_layout` as arrays over the graph's nodes (see :class:`Layout`)."""
    nodes, edges = graph.columns.nodes, graph.columns.edges
    ids = nodes["id"].tolist()
    src, dst = graph.columns.ends  # node rows, found once when the graph was checked
    code = {kind: i for i, kind in enumerate(KIND_ORDER)}
    kind = np.fromiter(map(code.__getitem__, nodes["kind"].tolist()), dtype=np.int64, count=len(ids))
    requires = edges["type"].to_numpy(dtype=object) == "requires"
    return layout_arrays(ids, kind, src, dst, requires)


def layout_arrays(ids: list, kind: np.ndarray, src: np.ndarray, dst: np.ndarray, requires: np.ndarray) -> Layout:
    """The layout from arrays: node ids, kind codes (the index in ``KINDS``), every edge's ends as
    node rows in the document's order, and which edges are ``requires``."""
    n = len(ids)
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    depth = _depths(n, kind, src, dst, np.asarray(requires, dtype=bool))
    slot = kind * (int(depth.max(initial=0)) + 1) + depth
    column = np.unique(slot, return_inverse=True)[1].reshape(-1).astype(np.int64)  # linear, not per column
    by_id = np.empty(n, dtype=np.int64)
    by_id[sorted(range(n), key=ids.__getitem__)] = np.arange(n)  # ties by id, as Python compares text
    order = np.lexsort((by_id, column))  # every column's nodes by id
    counts = np.bincount(column, minlength=int(column.max(initial=-1)) + 1)
    starts = np.r_[0, np.cumsum(counts)]
    members = [order[starts[c]:starts[c + 1]] for c in range(len(counts))]
    rank = np.empty(n, dtype=np.float64)
    for group in members:
        rank[group] = np.arange(len(group)) / max(1, len(group) - 1)
    local = np.empty(n, dtype=np.int64)
    for group in members:
        local[group] = np.arange(len(group))
    inputs = _neighbours(column, dst, src, len(counts))  # per column: (member, input) over edges in document order
    users = _neighbours(column, src, dst, len(counts))
    inputs = [(local[own], other) for own, other in inputs]  # each edge's member as its place in the column
    users = [(local[own], other) for own, other in users]
    cols = list(range(len(counts)))
    for sweep in range(SWEEPS):
        order_cols, near = (cols, inputs) if sweep % 2 == 0 else (cols[::-1], users)
        for col in order_cols:
            group = members[col]  # kept in id order: the sort below starts from it
            at, other = near[col]
            key = rank[group].copy()
            if len(at):
                total, count = _python_sums(rank[other], at, len(group))
                has = count > 0
                key[has] = total[has] / count[has]
            new = group[np.argsort(key, kind="stable")]  # ties by id: the group is in id order
            rank[new] = np.arange(len(new)) / max(1, len(new) - 1)
    position = np.empty(n, dtype=np.float64)
    for group in members:
        ordered = group[np.argsort(rank[group], kind="stable")]
        position[ordered] = (np.arange(len(ordered)) + 0.5) / len(ordered)
    height = max(1, int(counts.max(initial=1)))
    return Layout(ids, column, position, height)


def _depths(n: int, kind, src, dst, requires) -> np.ndarray:
    """The longest chain of ``requires`` edges among nodes of one kind that ends at each node,
    cycles condensed (a strongly connected set counts as one step)."""
    inner = requires & (kind[src] == kind[dst])
    a, b = src[inner], dst[inner]
    depth = np.zeros(n, dtype=np.int64)
    if not len(a):
        return depth
    matrix = csr_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    count, label = connected_components(matrix, directed=True, connection="strong")
    label = label.astype(np.int64)
    ca, cb = label[a], label[b]
    between = ca != cb
    ca, cb = ca[between], cb[between]
    pairs = _distinct(ca * count + cb)  # the condensation's edges, once each
    ca, cb = pairs // count, pairs % count
    indegree = np.bincount(cb, minlength=count)
    order = np.argsort(ca, kind="stable")
    ptr = np.r_[0, np.cumsum(np.bincount(ca, minlength=count))]
    targets = cb[order]
    level = np.zeros(count, dtype=np.int64)
    # Kahn's algorithm in rounds: a component's round is its longest chain
    peel(ptr, targets, indegree, np.flatnonzero(indegree == 0), level)
    return level[label]


def _distinct(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted (``np.unique`` by a sort: numpy 2's hashing one is much slower here)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def _neighbours(column, own_end, other_end, columns: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each column: (node, neighbour) of the edges whose ``own_end`` is in it and whose other end
    is in another column, in the document's order."""
    cross = column[own_end] != column[other_end]
    own, other = own_end[cross], other_end[cross]
    keys = column[own]
    if columns <= np.iinfo(np.int16).max:  # a stable sort of 16-bit keys is a radix sort: same order, faster
        keys = keys.astype(np.int16)
    order = np.argsort(keys, kind="stable")
    own, other = own[order], other[order]
    bounds = np.r_[0, np.cumsum(np.bincount(column[own], minlength=columns))]
    return [(own[bounds[c]:bounds[c + 1]], other[bounds[c]:bounds[c + 1]]) for c in range(columns)]


def _python_sums(values: np.ndarray, groups: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """(sum, count) of ``values`` per group, each sum exactly as Python's ``sum()`` of the group's
    values in order gives it: left to right before Python 3.12, compensated (Neumaier) since."""
    count = np.bincount(groups, minlength=size)
    if sys.version_info < (3, 12):
        return np.bincount(groups, weights=values, minlength=size), count
    return neumaier_sums(values, groups, size), count


def neumaier_sums(values: np.ndarray, groups: np.ndarray, size: int) -> np.ndarray:
    """Python 3.12's ``sum()`` of floats per group (values in order within each group): the first
    value, then each next one added with Neumaier's compensation, which is added at the end when it
    is non-zero and finite. Vectorised over the groups, one step per position in a group."""
    order = np.argsort(groups, kind="stable")
    values, groups = values[order], groups[order]
    count = np.bincount(groups, minlength=size)
    start = np.r_[0, np.cumsum(count)[:-1]]
    total = np.zeros(size, dtype=np.float64)
    comp = np.zeros(size, dtype=np.float64)
    has = np.flatnonzero(count > 0)
    total[has] = values[start[has]]
    by_size = has[np.argsort(-count[has], kind="stable")]  # the groups still going are a prefix
    sizes = count[by_size]
    for k in range(1, int(sizes[0]) if len(sizes) else 0):
        active = by_size[:int(np.searchsorted(-sizes, -k, side="left"))]
        x = values[start[active] + k]
        f = total[active]
        t = f + x
        comp[active] += np.where(np.abs(f) >= np.abs(x), (f - t) + x, (x - t) + f)
        total[active] = t
    fix = (comp != 0) & np.isfinite(comp)
    total[fix] += comp[fix]
    return total


def escape_mathtext(text: str) -> str:
    """User text for a matplotlib figure, drawn literally: ``$...$`` is mathtext to matplotlib (and
    an unbalanced or invalid formula in a label stops the whole figure), so every ``$`` is escaped.
    (Equivalently, draw with ``matplotlib.rc_context({"text.parse_math": False})``.)"""
    return str(text).replace("$", r"\$")
