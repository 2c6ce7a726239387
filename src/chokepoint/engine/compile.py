"""Compiling a graph into arrays for the engine (:mod:`chokepoint.engine`).

:func:`compile_graph` turns a :class:`~chokepoint.graph.Graph` (or, for graphs too large to hold
as pydantic objects, plain node and edge arrays: :func:`compile_arrays`, :func:`compile_tables`)
into a frozen :class:`CompiledGraph`: int32 indices, CSR lists of suppliers (point shares and the
unknown remainder) and of inputs per node, node kinds, ``needs`` flags, facility -> country, and
the nodes renumbered in topological levels over the strongly connected components, so that a
level is a contiguous block of rows and a cycle is iterated as a block.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from functools import cached_property
from itertools import repeat
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

from ..model.graph import gc_paused
from ..model.schema import KINDS

KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}
COUNTRY, FACILITY, MATERIAL, COMPONENT, PRODUCT = range(5)
SUPPLIES, REQUIRES = 0, 1

# group codes inside a level: what the node's base value is, then how its inputs combine
_BASE_COUNTRY, _BASE_FACILITY, _BASE_SUPPLIED, _BASE_ONE = range(4)
_IN_NONE, _IN_ALL, _IN_ANY = range(3)



@dataclass(frozen=True, eq=False)
class CompiledGraph:
    """A graph compiled to arrays, nodes renumbered by topological level.

    Row ``i`` of every per-node array is the node ``ids[i]``. Levels: rows ``level_ptr[l]:level_ptr[l + 1]``, of which rows from
    ``cyclic_ptr[l]`` on belong to cycles (strongly connected components of more than one node)
    and are iterated together.
    """

    name: str
    ids: tuple
    kind: np.ndarray            # int8 codes, see KINDS
    needs_any: np.ndarray       # bool
    country: np.ndarray         # int32: a facility's country row, -1 otherwise
    stockpile: np.ndarray       # float64 months of cover (0 when none)
    sup_ptr: np.ndarray         # int64 (n + 1): suppliers of row i are sup_src[sup_ptr[i]:sup_ptr[i + 1]]
    sup_src: np.ndarray         # int32
    sup_share: np.ndarray       # float64 point shares (normalised when an item's sum passes 1)
    sup_low: np.ndarray         # float64 low end of each share as written (not normalised)
    sup_high: np.ndarray        # float64 high end
    remainder: np.ndarray       # float64 unknown remainder of each supplied item (1 elsewhere)
    in_ptr: np.ndarray          # int64 (n + 1): inputs of row i are in_src[in_ptr[i]:in_ptr[i + 1]]
    in_src: np.ndarray          # int32
    level: np.ndarray           # int32 topological level of each row
    level_ptr: np.ndarray       # int64 (levels + 1)
    cyclic_ptr: np.ndarray      # int64 (levels)
    products: np.ndarray        # int32 rows of the products (document order)
    country_codes: tuple        # countries that supply something, sorted
    country_rows: np.ndarray    # int32 rows of those countries
    group_ptr: np.ndarray = field(repr=False)   # int64 boundaries of same-kind groups inside levels
    group_code: np.ndarray = field(repr=False)  # int8 base * 3 + inputs code of each group
    sup_edge: np.ndarray = field(default=None, repr=False)  # int64 row of each supply slot in the graph's edge table

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return len(self.sup_src) + len(self.in_src)

    @property
    def n_levels(self) -> int:
        return len(self.level_ptr) - 1

    @property
    def has_cycles(self) -> bool:
        return bool(np.any(self.cyclic_ptr < self.level_ptr[1:]))

    def __repr__(self) -> str:
        return (f"<CompiledGraph {self.name!r}: {self.n_nodes:,} nodes, {len(self.sup_src):,} supplies, "
                f"{len(self.in_src):,} requires, {self.n_levels} levels>")

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("index", None)  # a cache: rebuilt on demand
        return state

    @cached_property
    def index(self) -> dict:
        """Node id -> row."""
        return {ident: row for row, ident in enumerate(self.ids)}

    def rows(self, ids: Iterable) -> np.ndarray:
        """Rows of the given node ids (or rows, passed through); unknown ids raise ``KeyError``."""
        index = self.index
        return np.fromiter((i if isinstance(i, (int, np.integer)) else index[i] for i in ids), dtype=np.int64)

    def supply_keys(self) -> list[tuple[str, str]]:
        """(supplier id, item id) of each supply edge, in the order of ``sup_src``."""
        owner = np.repeat(np.arange(self.n_nodes), np.diff(self.sup_ptr))
        return [(self.ids[s], self.ids[o]) for s, o in zip(self.sup_src.tolist(), owner.tolist())]

    def to_dict(self, column: np.ndarray) -> dict:
        """One column of :func:`evaluate` (all rows) as {node id: value}."""
        return dict(zip(self.ids, np.asarray(column).tolist()))

    def shares_from(self, overrides: dict) -> np.ndarray:
        """A share vector in edge order from {(supplier, item): share} (Scenario.shares)."""
        return np.array([overrides[key] for key in self.supply_keys()], dtype=np.float64)


# ---------------------------------------------------------------------------------------------
# compiling


_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def compile_graph(graph) -> CompiledGraph:
    """Compile a :class:`~chokepoint.graph.Graph` (cached per graph object)."""
    try:
        return _CACHE[graph]
    except (KeyError, TypeError):
        pass
    with gc_paused():
        compiled = _compile_graph(graph)
    try:
        _CACHE[graph] = compiled
    except TypeError:  # pragma: no cover - not weak-referenceable
        pass
    return compiled


def _compile_graph(graph) -> CompiledGraph:
    """From the graph's columns, with no loop over nodes or edges in Python.

    Suppliers are put in the reference's order (:attr:`Graph.supplies`: by item, then share
    descending, then supplier id), so that sums run in the same order and results are bit-identical
    to the node-by-node reference."""
    columns = graph.columns
    nodes, edges = columns.nodes, columns.edges
    ids = nodes["id"].tolist()
    n = len(ids)
    index = dict(zip(ids, range(n)))
    kind = np.fromiter(map(KIND_CODES.__getitem__, nodes["kind"].tolist()), dtype=np.int8, count=n)
    needs_any = nodes["needs"].to_numpy(dtype=object) == "any"
    country = np.full(n, -1, dtype=np.int64)
    facility = np.flatnonzero(kind == FACILITY)
    if len(facility):
        located = nodes["country"].to_numpy(dtype=object)[facility].tolist()
        country[facility] = np.fromiter(map(index.get, located, repeat(-1)), dtype=np.int64, count=len(facility))
    stockpile = np.nan_to_num(nodes["stockpile_months"].to_numpy(dtype=np.float64), nan=0.0)
    src, dst = columns.ends
    etype = np.where(edges["type"].to_numpy(dtype=object) == "supplies", SUPPLIES, REQUIRES).astype(np.int8)
    low = np.nan_to_num(edges["share_low"].to_numpy(dtype=np.float64), nan=0.0)
    high = np.nan_to_num(edges["share_high"].to_numpy(dtype=np.float64), nan=0.0)
    rank = np.empty(n, dtype=np.int64)  # each node's place in id order: ties between equal shares
    rank[np.argsort(np.asarray(ids, dtype=object), kind="stable")] = np.arange(n)
    supplies = etype == SUPPLIES
    order = np.lexsort((rank[src], -np.where(supplies, (low + high) / 2, 0.0), dst, ~supplies))
    return compile_arrays(
        ids=ids, kind=kind, edge_src=src[order], edge_dst=dst[order], edge_type=etype[order],
        share_low=low[order], share_high=high[order], country=country, needs_any=needs_any, stockpile=stockpile,
        name=graph.name, edge_rows=order,
    )


def compile_tables(nodes, edges, *, name: str = "") -> CompiledGraph:
    """Compile straight from tables (pandas DataFrames or dicts of columns), no pydantic objects.

    ``nodes``: ``id``, ``kind``, optional ``country`` (facilities), ``needs`` ("all"/"any"),
    ``stockpile_months``. ``edges``: ``from``, ``to``, ``type`` ("supplies"/"requires"), and for
    supplies either ``share`` (a number) or ``share_low`` and ``share_high``. The tables are
    trusted (validate small graphs with :func:`chokepoint.load_graph`).
    """
    nodes = pd.DataFrame(nodes) if not isinstance(nodes, pd.DataFrame) else nodes
    edges = pd.DataFrame(edges) if not isinstance(edges, pd.DataFrame) else edges
    ids = pd.Index(nodes["id"].astype(str))
    if not ids.is_unique:
        raise ValueError("node ids must be unique")
    kind = nodes["kind"].map(KIND_CODES)
    if kind.isna().any():
        raise ValueError(f"unknown node kind: {nodes['kind'][kind.isna()].iloc[0]!r}")
    n = len(ids)
    country = np.full(n, -1, dtype=np.int64)
    if "country" in nodes:
        where = nodes["country"].notna().to_numpy() & (kind.to_numpy() == FACILITY)
        country[where] = ids.get_indexer(nodes["country"][where].astype(str))
    needs_any = (nodes["needs"].to_numpy() == "any") if "needs" in nodes else np.zeros(n, dtype=bool)
    stockpile = (nodes["stockpile_months"].fillna(0.0).to_numpy(dtype=np.float64) if "stockpile_months" in nodes
                 else np.zeros(n))
    src = ids.get_indexer(edges["from"].astype(str))
    dst = ids.get_indexer(edges["to"].astype(str))
    if (src < 0).any() or (dst < 0).any():
        bad = edges[(src < 0) | (dst < 0)].iloc[0]
        raise ValueError(f"edge {bad['from']} -> {bad['to']}: unknown node")
    etype = np.where(edges["type"].to_numpy() == "supplies", SUPPLIES, REQUIRES).astype(np.int8)
    if "share_low" in edges:
        low = edges["share_low"].fillna(0.0).to_numpy(dtype=np.float64)
        high = edges["share_high"].fillna(0.0).to_numpy(dtype=np.float64)
    else:
        low = high = edges["share"].fillna(0.0).to_numpy(dtype=np.float64) if "share" in edges else np.zeros(len(src))
    return compile_arrays(ids=list(ids), kind=kind.to_numpy(dtype=np.int8), edge_src=src, edge_dst=dst,
                          edge_type=etype, share_low=low, share_high=high, country=country, needs_any=needs_any,
                          stockpile=stockpile, name=name)


def compile_arrays(*, ids: Sequence[str], kind, edge_src, edge_dst, edge_type, share_low=None, share_high=None,
                   country=None, needs_any=None, stockpile=None, name: str = "", products=None, countries=None,
                   supply_share=None, remainder=None, edge_rows=None) -> CompiledGraph:
    """Compile from integer arrays: the fast path for generated and imported graphs.

    Parameters
    ----------
    ids
        Node ids, one per node (document order).
    kind
        Node kind codes (:data:`KIND_CODES`).
    edge_src, edge_dst, edge_type
        Edges as node positions; ``edge_type`` 0 for supplies (supplier -> item), 1 for requires
        (input -> consumer).
    share_low, share_high
        Each supplies edge's share range (equal for a point); ignored for requires edges.
    country
        Each facility's country position (-1 for other nodes).
    needs_any, stockpile
        ``needs: any`` flags and months of stockpile.
    products, countries
        Product positions and supplying country codes; derived when omitted.
    supply_share, remainder
        Normalised point shares (per edge) and unknown remainder (per node) computed elsewhere;
        derived when omitted.
    edge_rows
        Each given edge's row in the caller's own edge table (``sup_edge`` maps supply slots back
        to it); the position in the given arrays when omitted.
    """
    n = len(ids)
    kind = np.asarray(kind, dtype=np.int8)
    src = np.asarray(edge_src, dtype=np.int64)
    dst = np.asarray(edge_dst, dtype=np.int64)
    etype = np.asarray(edge_type, dtype=np.int8)
    m = len(src)
    low = np.zeros(m) if share_low is None else np.asarray(share_low, dtype=np.float64)
    high = low if share_high is None else np.asarray(share_high, dtype=np.float64)
    country = np.full(n, -1, dtype=np.int64) if country is None else np.asarray(country, dtype=np.int64)
    needs_any = np.zeros(n, dtype=bool) if needs_any is None else np.asarray(needs_any, dtype=bool)
    stockpile = np.zeros(n) if stockpile is None else np.asarray(stockpile, dtype=np.float64)
    is_sup = etype == SUPPLIES

    # shares: point = midpoint; scaled down per item when the points sum past 1
    if supply_share is None:
        point = (low + high) / 2
        total = _item_sums(point, dst, is_sup, n)
        scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
        share = np.where(is_sup, point * scale[dst], 0.0)
    else:
        share = np.asarray(supply_share, dtype=np.float64)

    # dependencies: supplies, requires, and a facility's country
    fac = np.flatnonzero(country >= 0)
    dep_src = np.concatenate([src, country[fac]])
    dep_dst = np.concatenate([dst, fac])
    level_of, scc, cyclic = _levels(n, dep_src, dep_dst)

    # order rows: level, then cyclic part last, then group (base, inputs), more inputs first
    has_sup = np.bincount(dst[is_sup], minlength=n) > 0
    indeg = np.bincount(dst[~is_sup], minlength=n)
    base = np.full(n, _BASE_ONE, dtype=np.int8)
    base[has_sup] = _BASE_SUPPLIED
    base[kind == FACILITY] = _BASE_FACILITY
    base[kind == COUNTRY] = _BASE_COUNTRY
    inputs = np.where(indeg == 0, _IN_NONE, np.where(needs_any, _IN_ANY, _IN_ALL)).astype(np.int8)
    code = (base * 3 + inputs).astype(np.int8)
    perm = np.lexsort((np.arange(n), -indeg, code, cyclic, level_of))
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)

    lv = level_of[perm]
    n_levels = int(lv.max()) + 1 if n else 0
    level_ptr = np.searchsorted(lv, np.arange(n_levels + 1)).astype(np.int64)
    cyc = cyclic[perm]
    cyclic_ptr = np.array([level_ptr[i] + np.count_nonzero(~cyc[level_ptr[i]:level_ptr[i + 1]])
                           for i in range(n_levels)], dtype=np.int64)
    # groups: maximal runs of the same (level, cyclic part, code)
    key = (lv.astype(np.int64) * 2 + cyc) * 16 + code[perm]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if n else np.zeros(0, dtype=np.int64)
    group_ptr = np.r_[starts, n].astype(np.int64)
    group_code = code[perm][starts].astype(np.int8)

    # CSR of suppliers (stable: keeps the given order within an item) and of inputs (by source)
    s_idx = np.flatnonzero(is_sup)
    s_dst = inv[dst[s_idx]]
    order = np.argsort(s_dst, kind="stable")
    s_idx = s_idx[order]
    sup_ptr = np.r_[0, np.cumsum(np.bincount(s_dst, minlength=n))].astype(np.int64)
    sup_src = inv[src[s_idx]].astype(np.int32)
    r_idx = np.flatnonzero(~is_sup)
    r_dst = inv[dst[r_idx]]
    r_src = inv[src[r_idx]]
    order = np.lexsort((r_src, r_dst))
    in_ptr = np.r_[0, np.cumsum(np.bincount(r_dst, minlength=n))].astype(np.int64)
    in_src = r_src[order].astype(np.int32)

    if remainder is None:
        sums = np.zeros(n)
        counts = np.diff(sup_ptr)
        nonempty = np.flatnonzero(counts > 0)
        if len(nonempty):
            sums[nonempty] = exact_row_sums(share[s_idx], sup_ptr[nonempty], counts[nonempty])
        rem = np.where(counts > 0, np.maximum(0.0, 1.0 - sums), 1.0)
    else:
        rem = np.asarray(remainder, dtype=np.float64)[perm]

    kind_p = kind[perm]
    if products is None:
        prod = np.flatnonzero(kind == PRODUCT)
        if not len(prod):
            used = np.zeros(n, dtype=bool)
            used[src[~is_sup]] = True
            prod = np.flatnonzero((kind >= MATERIAL) & ~used)
        products = prod
    products = inv[np.asarray(products, dtype=np.int64)].astype(np.int32)
    ids_p = tuple(ids[i] for i in perm.tolist())
    if countries is None:
        sup_rows = src[s_idx]
        owners = np.where(kind[sup_rows] == COUNTRY, sup_rows, country[sup_rows])
        found = np.unique(np.concatenate([owners[owners >= 0], country[fac]]))
        countries = sorted(ids[i] for i in found.tolist())
    countries = tuple(countries)
    index = {ids[i]: inv[i] for i in np.flatnonzero(kind == COUNTRY).tolist()}
    country_rows = np.array([index[c] for c in countries], dtype=np.int32)
    country_p = country[perm]
    country_p = np.where(country_p >= 0, inv[np.maximum(country_p, 0)], -1).astype(np.int32)
    return CompiledGraph(
        name=name, ids=ids_p, kind=kind_p, needs_any=needs_any[perm], country=country_p,
        stockpile=stockpile[perm], sup_ptr=sup_ptr, sup_src=sup_src, sup_share=share[s_idx].astype(np.float64),
        sup_low=low[s_idx], sup_high=high[s_idx], remainder=rem, in_ptr=in_ptr, in_src=in_src,
        level=lv.astype(np.int32), level_ptr=level_ptr, cyclic_ptr=cyclic_ptr,
        products=products, country_codes=countries, country_rows=country_rows,
        group_ptr=group_ptr, group_code=group_code,
        sup_edge=(s_idx if edge_rows is None else np.asarray(edge_rows, dtype=np.int64)[s_idx]),
    )


def _item_sums(values, dst, mask, n) -> np.ndarray:
    """Exact (correctly rounded) sum of ``values[mask]`` per ``dst`` node."""
    idx = np.flatnonzero(mask)
    order = idx[np.argsort(dst[idx], kind="stable")]
    counts = np.bincount(dst[order], minlength=n)
    ptr = np.r_[0, np.cumsum(counts)]
    out = np.zeros(n)
    rows = np.flatnonzero(counts > 0)
    if len(rows):
        out[rows] = exact_row_sums(values[order], ptr[rows], counts[rows])
    return out


def _levels(n: int, src: np.ndarray, dst: np.ndarray):
    """Topological level (longest path over the SCC condensation), SCC id and cyclic flag per node."""
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    adj = csr_array((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    n_comp, comp = connected_components(adj, directed=True, connection="strong")
    comp = comp.astype(np.int64)
    size = np.bincount(comp, minlength=n_comp)
    cyclic = size[comp] > 1
    cyclic[src[src == dst]] = True
    cs, cd = comp[src], comp[dst]
    keep = cs != cd
    cs, cd = cs[keep], cd[keep]
    indeg = np.bincount(cd, minlength=n_comp)
    order = np.argsort(cs, kind="stable")
    targets = cd[order]
    ptr = np.r_[0, np.cumsum(np.bincount(cs, minlength=n_comp))]
    level = np.zeros(n_comp, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        counts = ptr[frontier + 1] - ptr[frontier]
        total = int(counts.sum())
        if not total:
            break
        offsets = np.repeat(ptr[frontier] - np.cumsum(counts) + counts, counts) + np.arange(total)
        hit, times = np.unique(targets[offsets], return_counts=True)
        indeg[hit] -= times
        frontier = hit[indeg[hit] == 0]
        depth += 1
    return level[comp], comp, cyclic


def _two_sum(s, c, x, t, z) -> None:
    """``s + c += x`` keeping the rounding error of every addition in ``c`` (Knuth's TwoSum).

    ``x`` is overwritten; ``t`` and ``z`` are scratch of the same shape.
    """
    np.add(s, x, out=t)
    np.subtract(t, s, out=z)        # the part of x that went in
    np.subtract(x, z, out=x)        # x's error
    np.subtract(t, z, out=z)        # the part of s that stayed
    np.subtract(s, z, out=z)        # s's error
    np.add(z, x, out=z)
    np.add(c, z, out=c)
    np.copyto(s, t)


def exact_row_sums(values: np.ndarray, first: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """Correctly rounded sums of ``values[first[i]:first[i] + deg[i]]`` (rows of a 1-D or 2-D array)."""
    single = values.ndim == 1
    v = values[:, None] if single else values
    order = np.argsort(-deg, kind="stable")
    first_o, deg_o = first[order], deg[order]
    s = np.zeros((len(deg), v.shape[1]))
    c = np.zeros_like(s)
    for k in range(int(deg_o[0]) if len(deg_o) else 0):
        m = int(np.count_nonzero(deg_o > k))
        x = v[first_o[:m] + k].astype(np.float64)
        _two_sum(s[:m], c[:m], x, np.empty_like(x), np.empty_like(x))
    total = np.empty_like(s)
    total[order] = s + c
    return total[:, 0] if single else total
