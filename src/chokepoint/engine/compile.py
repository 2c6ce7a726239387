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
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import connected_components

try:  # scipy's counting sort (COO -> CSR): stable, O(n); without it, numpy's stable argsort
    from scipy.sparse._sparsetools import coo_tocsr as _coo_tocsr
except ImportError:  # pragma: no cover - a scipy without it
    _coo_tocsr = None

from ..model.graph import gc_paused
from ..model.traversal import peel
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
    order: np.ndarray = field(default=None, repr=False)  # int64 position of each row's node in the given ids

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
        state.pop("index", None)  # caches: rebuilt on demand
        state.pop("id_array", None)
        return state

    @cached_property
    def id_rank(self) -> np.ndarray:
        """Each row's place in the sorted ids (int64): ties broken by id over arrays."""
        return id_ranks(self.ids)

    @cached_property
    def id_array(self) -> np.ndarray:
        """The ids as an object array (ids of many rows at once)."""
        return np.asarray(self.ids, dtype=object)

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
    kind = _codes(nodes["kind"], KIND_CODES, np.int8)
    needs_any = nodes["needs"].to_numpy(dtype=object) == "any"
    country = np.full(n, -1, dtype=np.int64)
    facility = np.flatnonzero(kind == FACILITY)
    if len(facility):
        country[facility] = _rows_of(ids, kind, nodes["country"].to_numpy(dtype=object)[facility])
    stockpile = np.nan_to_num(nodes["stockpile_months"].to_numpy(dtype=np.float64), nan=0.0)
    src, dst = columns.ends
    supplies = edges["type"].to_numpy(dtype=object) == "supplies"
    etype = np.where(supplies, SUPPLIES, REQUIRES).astype(np.int8)
    low = np.nan_to_num(edges["share_low"].to_numpy(dtype=np.float64), nan=0.0)
    high = np.nan_to_num(edges["share_high"].to_numpy(dtype=np.float64), nan=0.0)
    rank = id_ranks(ids)  # each node's place in id order: ties between equal shares
    sup = np.flatnonzero(supplies)
    sup = sup[_supply_order(dst[sup], (low[sup] + high[sup]) / 2, rank[src[sup]], n)]
    order = np.concatenate([sup, np.flatnonzero(~supplies)])
    return compile_arrays(
        ids=ids, kind=kind, edge_src=src[order], edge_dst=dst[order], edge_type=etype[order],
        share_low=low[order], share_high=high[order], country=country, needs_any=needs_any, stockpile=stockpile,
        name=graph.name, edge_rows=order, id_rank=rank,
    )


def id_ranks(ids) -> np.ndarray:
    """Each id's place in sorted (Python string) order, as int64: ties between ids broken in arrays."""
    rank = np.empty(len(ids), dtype=np.int64)
    rank[np.argsort(np.asarray(ids, dtype=object), kind="stable")] = np.arange(len(ids))
    return rank


def _codes(column, codes: dict, dtype) -> np.ndarray:
    """A text column as integer codes by ``codes`` (each distinct value looked up once)."""
    found, uniques = pd.factorize(np.asarray(column, dtype=object), use_na_sentinel=False)
    return np.array([codes[u] for u in uniques.tolist()], dtype=dtype)[found]


def _rows_of(ids, kind, values) -> np.ndarray:
    """The row of each of ``values`` (facilities' countries) among ``ids`` (unique), -1 where it is
    none of them: each distinct value looked up once, among the country nodes first."""
    found, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    countries = np.flatnonzero(kind == COUNTRY)
    index = dict(zip(np.asarray(ids, dtype=object)[countries].tolist(), countries.tolist()))
    uniques = uniques.tolist()
    rows = [index.get(u, -1) for u in uniques]
    others = [i for i, row in enumerate(rows) if row < 0]
    if others:  # not a country node: any node of that id
        where = pd.Index(ids).get_indexer([uniques[i] for i in others])
        for i, row in zip(others, where.tolist()):
            rows[i] = row
    return np.array(rows + [-1], dtype=np.int64)[found]


def _bits(count: int) -> int:
    return max(int(count), 1).bit_length()


def _supply_order(item, point, rank, n: int) -> np.ndarray:
    """The order of supply edges by item, then point share descending, then supplier rank: what
    ``np.lexsort((rank, -point, item))`` gives, by one sort of a combined integer key when it fits
    in 63 bits (each share by the place of its value among the distinct values, largest first)."""
    if not len(item):
        return np.zeros(0, dtype=np.int64)
    codes, values = pd.factorize(point + 0.0)  # + 0.0: -0.0 is 0.0, as in a sort
    order = np.argsort(-values, kind="stable")
    place = np.empty(len(values), dtype=np.int64)
    place[order] = np.arange(len(values))
    place = place[codes]
    width_place, width_rank = _bits(len(values)), _bits(n)
    if _bits(n) + width_place + width_rank > 63:
        return np.lexsort((rank, place, item))
    key = (item.astype(np.int64) << (width_place + width_rank)) | (place << width_rank) | rank
    order = np.argsort(key)
    ordered = key[order]
    if np.any(ordered[1:] == ordered[:-1]):  # the same edge twice: keep the given order, as lexsort does
        order = np.argsort(key, kind="stable")
    return order


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
                   supply_share=None, remainder=None, edge_rows=None, id_rank=None) -> CompiledGraph:
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
    id_rank
        Each id's place in sorted order (:func:`id_ranks`), when the caller has it: kept as the
        compiled graph's ``id_rank`` (else made on first use).
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

    # dependencies: supplies, requires, and a facility's country
    fac = np.flatnonzero(country >= 0)
    dep_src = np.concatenate([src, country[fac]])
    dep_dst = np.concatenate([dst, fac])
    level_of, cyclic = _levels(n, dep_src, dep_dst)

    # order rows: level, then cyclic part last, then group (base, inputs), more inputs first
    sup_count = np.bincount(dst[is_sup], minlength=n)
    indeg = np.bincount(dst[~is_sup], minlength=n)
    base = np.full(n, _BASE_ONE, dtype=np.int8)
    base[sup_count > 0] = _BASE_SUPPLIED
    base[kind == FACILITY] = _BASE_FACILITY
    base[kind == COUNTRY] = _BASE_COUNTRY
    inputs = np.where(indeg == 0, _IN_NONE, np.where(needs_any, _IN_ANY, _IN_ALL)).astype(np.int8)
    code = (base * 3 + inputs).astype(np.int8)
    perm = _row_order(level_of, cyclic, code, indeg)
    inv = np.empty(n, dtype=np.int64)
    inv[perm] = np.arange(n)

    lv = level_of[perm]
    n_levels = int(lv.max()) + 1 if n else 0
    level_ptr = np.searchsorted(lv, np.arange(n_levels + 1)).astype(np.int64)
    cyc = cyclic[perm]
    # within a level the rows on no cycle come first
    cyclic_ptr = (level_ptr[:-1] + np.bincount(lv[~cyc], minlength=n_levels)[:n_levels]).astype(np.int64)
    # groups: maximal runs of the same (level, cyclic part, code)
    key = (lv.astype(np.int64) * 2 + cyc) * 16 + code[perm]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if n else np.zeros(0, dtype=np.int64)
    group_ptr = np.r_[starts, n].astype(np.int64)
    group_code = code[perm][starts].astype(np.int8)

    # CSR of suppliers (stable: keeps the given order within an item) and of inputs (by source)
    s_idx = np.flatnonzero(is_sup)
    sup_ptr, order = _csr(inv[dst[s_idx]], np.arange(len(s_idx)), n, ordered=False)
    s_idx = s_idx[order]
    counts = np.diff(sup_ptr)
    sup_src = inv[src[s_idx]].astype(np.int32)
    r_idx = np.flatnonzero(~is_sup)
    in_ptr, in_src = _csr(inv[dst[r_idx]], inv[src[r_idx]], n)
    in_src = in_src.astype(np.int32)

    # shares: point = midpoint; scaled down per item when the points sum past 1 (exact sums, each
    # item's shares in the given order); the remainder is what the (scaled) shares leave
    nonempty = np.flatnonzero(counts > 0)
    if supply_share is None:
        point = (low[s_idx] + high[s_idx]) / 2
        total = np.zeros(n)
        if len(nonempty):
            total[nonempty] = exact_row_sums(point, sup_ptr[nonempty], counts[nonempty])
        scaled = np.flatnonzero(total > 1.0)
        if len(scaled):
            point = point * np.repeat(np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0), counts)
        sup_share = point
        sums = total
        if len(scaled):
            sums = total.copy()
            sums[scaled] = exact_row_sums(sup_share, sup_ptr[scaled], counts[scaled])
    else:
        sup_share = np.asarray(supply_share, dtype=np.float64)[s_idx]
        sums = np.zeros(n)
        if len(nonempty) and remainder is None:
            sums[nonempty] = exact_row_sums(sup_share, sup_ptr[nonempty], counts[nonempty])
    if remainder is None:
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
    ids_p = tuple(np.asarray(ids, dtype=object)[perm].tolist())
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
    compiled = CompiledGraph(
        name=name, ids=ids_p, kind=kind_p, needs_any=needs_any[perm], country=country_p,
        stockpile=stockpile[perm], sup_ptr=sup_ptr, sup_src=sup_src, sup_share=sup_share.astype(np.float64),
        sup_low=low[s_idx], sup_high=high[s_idx], remainder=rem, in_ptr=in_ptr, in_src=in_src,
        level=lv.astype(np.int32), level_ptr=level_ptr, cyclic_ptr=cyclic_ptr,
        products=products, country_codes=countries, country_rows=country_rows,
        group_ptr=group_ptr, group_code=group_code,
        sup_edge=(s_idx if edge_rows is None else np.asarray(edge_rows, dtype=np.int64)[s_idx]), order=perm,
    )
    if id_rank is not None:
        compiled.__dict__["id_rank"] = np.asarray(id_rank, dtype=np.int64)[perm]
    return compiled


def _row_order(level, cyclic, code, indeg) -> np.ndarray:
    """The rows by level, then the cyclic part last, then group code, then more inputs first, then
    position: what ``np.lexsort((np.arange(n), -indeg, code, cyclic, level))`` gives, by one stable
    sort of a combined key when it fits in 63 bits."""
    n = len(level)
    if not n:
        return np.zeros(0, dtype=np.int64)
    most = int(indeg.max())
    width = _bits(most)
    if _bits(int(level.max())) + 1 + 4 + width > 63:
        return np.lexsort((np.arange(n), -indeg, code, cyclic, level))
    key = (((level.astype(np.int64) << 1 | cyclic) << 4 | code) << width) | (most - indeg)
    return np.argsort(key, kind="stable")


def _levels(n: int, src: np.ndarray, dst: np.ndarray):
    """Topological level (longest path over the SCC condensation) and cyclic flag per node.

    The levels are peeled from the sources (Kahn's algorithm over the nodes): in a graph without
    cycles that is all. Otherwise the nodes left over are those on a cycle or downstream of one;
    their strongly connected components are found among them only, and the peeling goes on over
    those components, each starting one past the deepest peeled node that feeds it."""
    level = np.zeros(n, dtype=np.int64)
    cyclic = np.zeros(n, dtype=bool)
    if n == 0:
        return level, cyclic
    ptr, targets = _csr(src, dst, n, ordered=False)
    indeg = np.bincount(targets, minlength=n)
    if peel(ptr, targets, indeg, np.flatnonzero(indeg == 0), level) == n:
        return level, cyclic
    rest = np.flatnonzero(indeg > 0)  # not peeled: on a cycle or downstream of one
    local = np.full(n, -1, dtype=np.int64)
    local[rest] = np.arange(len(rest))
    inside = (local[src] >= 0) & (local[dst] >= 0)
    s_in, d_in = local[src[inside]], local[dst[inside]]
    adj = csr_array((np.ones(len(s_in), dtype=np.int8), (s_in, d_in)), shape=(len(rest), len(rest)))
    n_comp, comp = connected_components(adj, directed=True, connection="strong")
    comp = comp.astype(np.int64)
    size = np.bincount(comp, minlength=n_comp)
    cyclic[rest] = size[comp] > 1
    cyclic[src[src == dst]] = True
    start = np.zeros(n_comp, dtype=np.int64)
    entering = (local[src] < 0) & (local[dst] >= 0)
    np.maximum.at(start, comp[local[dst[entering]]], level[src[entering]] + 1)
    cs, cd = comp[s_in], comp[d_in]
    keep = cs != cd
    c_ptr, c_targets = _csr(cs[keep], cd[keep], n_comp, ordered=False)
    c_indeg = np.bincount(c_targets, minlength=n_comp)
    peel(c_ptr, c_targets, c_indeg, np.flatnonzero(c_indeg == 0), start, longest=True)
    level[rest] = start[comp]
    return level, cyclic


def _csr(src, dst, n, *, ordered: bool = True):
    """(ptr, targets): ``dst`` grouped by ``src`` (``n`` groups), each group in ascending order
    (what ``dst[np.lexsort((dst, src))]`` gives, with ``ptr`` the group bounds), or with
    ``ordered=False`` in the given order (what a stable sort by ``src`` gives). Counting sorts."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if len(src) <= 1 << 12 or _coo_tocsr is None:
        order = np.lexsort((dst, src)) if ordered else np.argsort(src, kind="stable")
        return np.r_[0, np.cumsum(np.bincount(src, minlength=n))].astype(np.int64), dst[order]
    if ordered:  # by target first, then (stably) by source: sorted within each group
        _, by_dst = _counting_sort(dst, np.arange(len(dst), dtype=np.int64), int(dst.max()) + 1)
        src, dst = src[by_dst], dst[by_dst]
    return _counting_sort(src, dst, n)


def _counting_sort(keys, values, n):
    """(ptr, values grouped by key, in the given order within a key): scipy's C counting sort."""
    ptr = np.empty(n + 1, dtype=np.int64)
    out = np.empty(len(values), dtype=np.int64)
    data = np.empty(len(values), dtype=np.int8)
    _coo_tocsr(n, 1, len(keys), keys, values, np.zeros(len(keys), dtype=np.int8), ptr, out, data)
    return ptr, out


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
