"""The compiled propagation engine: many scenarios at once on arrays.

:func:`compile_graph` turns a :class:`~chokepoint.graph.Graph` (or, for graphs too large to hold
as pydantic objects, plain node and edge arrays: :func:`compile_arrays`, :func:`compile_tables`)
into a frozen :class:`CompiledGraph`: int32 indices, CSR lists of suppliers (point shares and the
unknown remainder) and of inputs per node, node kinds, ``needs`` flags, facility -> country, and
the nodes renumbered in topological levels over the strongly connected components, so that a
level is a contiguous block of rows and a cycle is iterated as a block.

:func:`evaluate` pushes a matrix of scenarios (one column each) through the levels: a
share-weighted sparse product for suppliers, a minimum (``needs: all``) or maximum
(``needs: any``) over inputs, spare capacity element-wise, cycles iterated from full availability
down to the largest fixed point, column by column to a tolerance. Scenario columns are evaluated
in chunks that bound memory. The semantics are those of :mod:`chokepoint.propagate`, the
reference, which the tests hold the engine to (1e-9). In float64 each item's surviving shares
are summed exactly (TwoSum, rounded once, as the reference's ``math.fsum``), so that results are
the reference's to the last bit on acyclic graphs and an item that loses nothing is exactly 1;
``exact=False`` trades that for one sparse product per level (within a few ulps), and
``dtype=np.float32`` halves the memory traffic (within 1e-6).

Every column is computed independently of the others (a cycle stops iterating per column), so a
result does not depend on how the scenarios were chunked or spread over workers.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterable, Sequence

import numpy as np

try:  # the raw kernel behind scipy's ``csr @ dense``: no checks, writes into our buffer
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except Exception:  # pragma: no cover - scipy moved it; fall back to the public operator
    _csr_matvecs = None

KINDS = ("country", "facility", "material", "component", "product")
KIND_CODES = {kind: code for code, kind in enumerate(KINDS)}
COUNTRY, FACILITY, MATERIAL, COMPONENT, PRODUCT = range(5)
SUPPLIES, REQUIRES = 0, 1

#: Cycles stop iterating (per scenario column) when no value changes by more than this.
from .propagate import MAX_ITERATIONS, TOLERANCE  # one bound for both implementations
#: A node is short when its availability is below ``1 - SHORT``.
SHORT = 1e-12
#: Default working memory for the availability matrix of one chunk of scenarios.
DEFAULT_MEMORY = 128 << 20
#: ... but at least this many columns per chunk while they fit in MAX_MEMORY.
MIN_COLUMNS = 32
MAX_MEMORY = 1 << 30

# group codes inside a level: what the node's base value is, then how its inputs combine
_BASE_COUNTRY, _BASE_FACILITY, _BASE_SUPPLIED, _BASE_ONE = range(4)
_IN_NONE, _IN_ALL, _IN_ANY = range(3)
_HUB = 64  # nodes with more inputs than this are reduced one by one
_BLOCK_BYTES = 256 << 10


@dataclass(frozen=True, eq=False)
class CompiledGraph:
    """A graph compiled to arrays, nodes renumbered by topological level.

    Row ``i`` of every per-node array is the node ``ids[i]``; ``original[i]`` is its position in
    the source document. Levels: rows ``level_ptr[l]:level_ptr[l + 1]``, of which rows from
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
    scc: np.ndarray             # int32 strongly connected component of each row
    products: np.ndarray        # int32 rows of the products (document order)
    country_codes: tuple        # countries that supply something, sorted
    country_rows: np.ndarray    # int32 rows of those countries
    original: np.ndarray        # int64 document position of each row
    group_ptr: np.ndarray = field(repr=False)   # int64 boundaries of same-kind groups inside levels
    group_code: np.ndarray = field(repr=False)  # int8 base * 3 + inputs code of each group

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
    compiled = _compile_graph(graph)
    try:
        _CACHE[graph] = compiled
    except TypeError:  # pragma: no cover - not weak-referenceable
        pass
    return compiled


def _compile_graph(graph) -> CompiledGraph:
    nodes = graph.document.nodes
    ids = [node.id for node in nodes]
    index = {ident: i for i, ident in enumerate(ids)}
    n = len(ids)
    kind = np.array([KIND_CODES[node.kind] for node in nodes], dtype=np.int8)
    needs_any = np.array([node.needs == "any" for node in nodes], dtype=bool)
    country = np.array([index.get(node.country, -1) if node.kind == "facility" else -1 for node in nodes],
                       dtype=np.int64)
    stockpile = np.array([node.stockpile_months or 0.0 for node in nodes], dtype=np.float64)
    src, dst, etype, share, low, high = [], [], [], [], [], []
    remainder = np.ones(n, dtype=np.float64)
    # suppliers in the reference's order (graph.supplies), so that sums run in the same order
    for item, supplies in graph.supplies.items():
        to = index[item]
        remainder[to] = graph.unknown_share(item)
        for s in supplies:
            src.append(index[s.supplier])
            dst.append(to)
            etype.append(SUPPLIES)
            share.append(s.share)
            low.append(s.edge.share.low)
            high.append(s.edge.share.high)
    for item, inputs in graph.inputs.items():
        to = index[item]
        for i in inputs:
            src.append(index[i])
            dst.append(to)
            etype.append(REQUIRES)
            share.append(0.0)
            low.append(0.0)
            high.append(0.0)
    products = np.array([index[p] for p in graph.products], dtype=np.int64)
    return compile_arrays(
        ids=ids, kind=kind, edge_src=np.array(src, dtype=np.int64), edge_dst=np.array(dst, dtype=np.int64),
        edge_type=np.array(etype, dtype=np.int8), share_low=np.array(low), share_high=np.array(high),
        country=country, needs_any=needs_any, stockpile=stockpile, name=graph.name, products=products,
        countries=graph.countries, supply_share=np.array(share), remainder=remainder,
    )


def compile_tables(nodes, edges, *, name: str = "") -> CompiledGraph:
    """Compile straight from tables (pandas DataFrames or dicts of columns), no pydantic objects.

    ``nodes``: ``id``, ``kind``, optional ``country`` (facilities), ``needs`` ("all"/"any"),
    ``stockpile_months``. ``edges``: ``from``, ``to``, ``type`` ("supplies"/"requires"), and for
    supplies either ``share`` (a number) or ``share_low`` and ``share_high``. The tables are
    trusted (validate small graphs with :func:`chokepoint.load_graph`).
    """
    import pandas as pd

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
                   supply_share=None, remainder=None) -> CompiledGraph:
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
        Normalised point shares (per edge) and unknown remainder (per node) computed elsewhere
        (the graph path passes the reference's own figures); derived when omitted.
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
            sums[nonempty] = _exact_row_sums(share[s_idx], sup_ptr[nonempty], counts[nonempty])
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
        level=lv.astype(np.int32), level_ptr=level_ptr, cyclic_ptr=cyclic_ptr, scc=scc[perm].astype(np.int32),
        products=products, country_codes=countries, country_rows=country_rows, original=perm.astype(np.int64),
        group_ptr=group_ptr, group_code=group_code,
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
        out[rows] = _exact_row_sums(values[order], ptr[rows], counts[rows])
    return out


def _levels(n: int, src: np.ndarray, dst: np.ndarray):
    """Topological level (longest path over the SCC condensation), SCC id and cyclic flag per node."""
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import connected_components

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


# ---------------------------------------------------------------------------------------------
# evaluating


@dataclass
class _Scenarios:
    """Forced zeros (cut countries, knocked-out nodes) as (row, column) pairs sorted by row."""

    count: int
    rows: np.ndarray
    cols: np.ndarray

    def take(self, start: int, stop: int) -> "_Scenarios":
        keep = (self.cols >= start) & (self.cols < stop)
        return _Scenarios(stop - start, self.rows[keep], self.cols[keep] - start)


def scenario_matrix(compiled: CompiledGraph, cuts=None, knockout=None, count: int | None = None) -> _Scenarios:
    """Forced zeros for a list of cuts (country ids or rows) and knockouts (node ids or rows).

    Ids that are not nodes of the graph are ignored (a country absent from the graph cuts nothing).
    """
    lists = [x for x in (cuts, knockout) if x is not None]
    if count is None:
        count = len(lists[0]) if lists else 1
    rows, cols = [], []
    index = compiled.index
    for spec in lists:
        if len(spec) != count:
            raise ValueError(f"{len(spec)} scenario entries for {count} scenarios")
        for col, entry in enumerate(spec):
            if entry is None:
                continue
            if isinstance(entry, (str, int, np.integer)):
                entry = (entry,)
            for ident in entry:
                row = int(ident) if isinstance(ident, (int, np.integer)) else index.get(ident)
                if row is not None:
                    rows.append(row)
                    cols.append(col)
    rows_a = np.array(rows, dtype=np.int64)
    cols_a = np.array(cols, dtype=np.int64)
    order = np.lexsort((cols_a, rows_a))
    return _Scenarios(count, rows_a[order], cols_a[order])


def default_chunk(compiled: CompiledGraph, count: int, *, memory: int = DEFAULT_MEMORY, itemsize: int = 8) -> int:
    """Scenario columns per chunk so the availability matrix stays within ``memory`` bytes.

    On large graphs, where that leaves few columns, up to :data:`MIN_COLUMNS` columns are taken
    as long as they fit in :data:`MAX_MEMORY` (narrow chunks gather rows too short to be fast).
    """
    per_column = max(1, compiled.n_nodes) * itemsize * 1.25
    columns = max(memory // per_column, min(MIN_COLUMNS, MAX_MEMORY // per_column))
    return int(max(1, min(count, columns)))


def evaluate(compiled: CompiledGraph, cuts=None, *, knockout=None, spare_capacity=0.0, shares=None,
             rows=None, chunk: int | None = None, dtype=np.float64, exact: bool | None = None,
             months: bool = False, memory: int = DEFAULT_MEMORY, threads: int = 1, progress=None,
             count: int | None = None, on_chunk=None):
    """Availability of every node (or of ``rows``) under many scenarios: a (rows x scenarios) matrix.

    Parameters
    ----------
    compiled
        From :func:`compile_graph` / :func:`compile_arrays`.
    cuts
        One entry per scenario: the countries cut off (ids or rows; blocs already expanded).
    knockout
        One entry per scenario: nodes removed entirely (ids or rows).
    spare_capacity
        ``r``: surviving suppliers grow by ``r`` of their share (scalar, or one per scenario).
    shares
        Override of the point shares (Monte Carlo draws), in the order of ``compiled.sup_src``:
        one vector for all scenarios, a (supply edges x scenarios) matrix, or a callable
        ``(start, stop) -> matrix`` giving the columns of scenarios ``start:stop`` (so that Monte
        Carlo draws are made chunk by chunk). The remainder is then ``max(0, 1 - sum)`` per item,
        as in the reference.
    rows
        Rows (or ids) to return; all rows when omitted.
    chunk, memory
        Scenario columns evaluated at once; by default as many as fit in ``memory`` bytes.
    dtype
        ``np.float64`` (default; agrees with the reference) or ``np.float32`` (faster, ~1e-6).
    exact
        Sum each item's surviving shares exactly (compensated, then rounded once, as the
        reference's ``math.fsum``), so that an item that loses nothing is exactly 1. Default: on
        for float64. Off: one sparse product per level (faster; within a few ulps).
    months
        Also return months until shortage (NaN where none), as :func:`shortage_months`.
    threads
        Chunks evaluated in parallel threads (the kernels release the GIL).
    progress
        Called with the number of scenarios done after each chunk.
    count
        Number of scenarios when neither ``cuts`` nor ``knockout`` is given.
    on_chunk
        ``on_chunk(start, stop, values)`` receives each chunk's (rows x chunk) values instead of
        a full result being kept (reductions over many scenarios in bounded memory); ``evaluate``
        then returns ``None``. With ``threads`` the chunks may arrive out of order.
    """
    if isinstance(cuts, _Scenarios):
        zeros = cuts
    else:
        zeros = scenario_matrix(compiled, cuts, knockout, count)
    total = zeros.count
    dtype = np.dtype(dtype).type
    if exact is None:
        exact = dtype == np.float64
    share_block = None
    if callable(shares):
        share_block, shares = shares, None
    if shares is not None:
        shares = np.asarray(shares, dtype=np.float64)
        if shares.ndim == 2 and shares.shape[1] != total:
            raise ValueError(f"shares has {shares.shape[1]} columns for {total} scenarios")
        if shares.shape[0] != len(compiled.sup_src):
            raise ValueError(f"shares has {shares.shape[0]} rows for {len(compiled.sup_src)} supply edges")
    spare = np.asarray(spare_capacity, dtype=np.float64)
    if spare.ndim and spare.shape[0] != total:
        raise ValueError(f"{spare.shape[0]} spare capacities for {total} scenarios")
    out_rows = None if rows is None else compiled.rows(rows)
    n_out = compiled.n_nodes if out_rows is None else len(out_rows)
    itemsize = np.dtype(dtype).itemsize
    if chunk is None:
        chunk = default_chunk(compiled, total, memory=memory, itemsize=itemsize)
        if threads > 1 and total > 1:
            chunk = max(1, min(chunk, -(-total // threads)))
    chunk = max(1, int(chunk))
    n_chunks = -(-total // chunk) if total else 0
    chunk = -(-total // n_chunks) if n_chunks else chunk  # equal chunks
    bounds = [(s, min(total, s + chunk)) for s in range(0, total, chunk)]
    if on_chunk is not None and months:
        raise ValueError("on_chunk does not combine with months")
    result = np.empty((n_out, total), dtype=dtype) if on_chunk is None else None
    result_months = np.empty((n_out, total), dtype=np.float64) if months else None
    lock = threading.Lock()
    plan = _plan(compiled)
    local = threading.local()  # one workspace per thread, reused from chunk to chunk

    def run(bound):
        start, stop = bound
        workspace = getattr(local, "workspace", None)
        if workspace is None or workspace.shape[1] < stop - start:
            workspace = local.workspace = np.empty((compiled.n_nodes, stop - start), dtype=dtype)
        sh = None
        if shares is not None:
            sh = shares if shares.ndim == 1 else shares[:, start:stop]
        elif share_block is not None:
            sh = np.asarray(share_block(start, stop), dtype=np.float64)
            if sh.shape != (len(compiled.sup_src), stop - start):
                raise ValueError(f"shares block of shape {sh.shape}, expected {(len(compiled.sup_src), stop - start)}")
        sp = spare if not spare.ndim else spare[start:stop]
        sub = zeros.take(start, stop)
        avail = _evaluate_chunk(compiled, plan, sub, sp, sh, dtype, exact, workspace)
        if on_chunk is not None:
            with lock:
                on_chunk(start, stop, avail if out_rows is None else avail[out_rows])
            return stop - start
        result[:, start:stop] = avail if out_rows is None else avail[out_rows]
        if months:
            tm = _months_chunk(compiled, plan, sub, avail)
            result_months[:, start:stop] = tm if out_rows is None else tm[out_rows]
        return stop - start

    done = 0
    if threads > 1 and len(bounds) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads) as pool:
            for size in pool.map(run, bounds):
                done += size
                if progress is not None:
                    progress(done)
    else:
        for bound in bounds:
            done += run(bound)
            if progress is not None:
                progress(done)
    if months:
        return result, result_months
    return result


def evaluate_scenarios(compiled: CompiledGraph, scenarios, **options):
    """:func:`evaluate` for a list of :class:`chokepoint.propagate.Scenario` objects."""
    scenarios = list(scenarios)
    cuts = [sorted(s.countries) for s in scenarios]
    knock = [sorted(s.knockout) for s in scenarios]
    spare = np.array([s.spare_capacity for s in scenarios], dtype=np.float64)
    shares = None
    if any(s.shares is not None for s in scenarios):
        columns = [compiled.shares_from(s.shares) if s.shares is not None else compiled.sup_share for s in scenarios]
        shares = np.stack(columns, axis=1) if columns else None
    return evaluate(compiled, cuts, knockout=knock, spare_capacity=spare, shares=shares, **options)


# ---------------------------------------------------------------------------------------------
# plan: per group, the slices the kernels need (built once per compiled graph)


@dataclass
class _Terms:
    """Weighted terms of some rows, each row's terms consecutive, rows by number of terms (desc)."""

    rows: np.ndarray    # target rows (local to the block being computed), in processing order
    deg: np.ndarray     # terms per row, descending
    first: np.ndarray   # position of each row's first term in ``src``/``eid``
    src: np.ndarray     # row of A each term reads
    eid: np.ndarray     # supply edge of each term (for its share)

    @classmethod
    def build(cls, rows, deg, first, src, eid) -> "_Terms":
        order = np.argsort(-np.asarray(deg), kind="stable")
        return cls(np.asarray(rows)[order], np.asarray(deg)[order], np.asarray(first)[order], src, eid)


@dataclass
class _Group:
    start: int
    stop: int
    base: int
    inputs: int
    degree: np.ndarray | None = None   # inputs per row (descending)
    hubs: int = 0                      # leading rows with more than _HUB inputs
    terms: _Terms | None = None        # suppliers, for exact sums


@dataclass
class _Cycles:
    """The cyclic rows of a level as a small local system: edges split into internal and external."""

    start: int
    stop: int
    country: np.ndarray          # country rows of the block's facilities
    fac_rows: np.ndarray         # local facility rows
    sup_rows: np.ndarray         # local rows with suppliers
    ext_terms: _Terms            # supplier terms from outside the block
    int_terms: _Terms            # supplier terms from inside it
    ext_all: tuple               # (local dst, src row) inputs of ``all`` rows from outside the block
    int_all: tuple               # (local dst, src row) from inside
    ext_any: tuple
    int_any: tuple
    any_rows: np.ndarray         # bool per local row


@dataclass
class _Level:
    start: int
    cyclic: int
    stop: int
    acyclic_groups: list
    block: _Cycles | None = None


@dataclass
class _Plan:
    levels: list
    baselines: dict = field(default_factory=dict)


_PLANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_PLAN_LOCK = threading.Lock()


def _plan(compiled: CompiledGraph) -> _Plan:
    with _PLAN_LOCK:
        plan = _PLANS.get(compiled)
        if plan is None:
            plan = _PLANS[compiled] = _build_plan(compiled)
        return plan


def _build_plan(cg: CompiledGraph) -> _Plan:
    groups = []
    for g in range(len(cg.group_code)):
        start, stop = int(cg.group_ptr[g]), int(cg.group_ptr[g + 1])
        code = int(cg.group_code[g])
        group = _Group(start, stop, code // 3, code % 3)
        if group.inputs != _IN_NONE:
            group.degree = np.diff(cg.in_ptr[start:stop + 1])
            group.hubs = int(np.count_nonzero(group.degree > _HUB))
        if group.base == _BASE_SUPPLIED:
            e0, e1 = int(cg.sup_ptr[start]), int(cg.sup_ptr[stop])
            group.terms = _Terms.build(np.arange(stop - start), np.diff(cg.sup_ptr[start:stop + 1]),
                                       cg.sup_ptr[start:stop] - e0, cg.sup_src[e0:e1], np.arange(e0, e1))
        groups.append(group)
    levels = []
    gi = 0
    for lv in range(cg.n_levels):
        start, cyc, stop = int(cg.level_ptr[lv]), int(cg.cyclic_ptr[lv]), int(cg.level_ptr[lv + 1])
        acyclic = []
        while gi < len(groups) and groups[gi].start < stop:
            if groups[gi].start < cyc:
                acyclic.append(groups[gi])
            gi += 1
        levels.append(_Level(start, cyc, stop, acyclic, _cycle_block(cg, cyc, stop) if cyc < stop else None))
    return _Plan(levels)


def _local_terms(local_dst, src, eid, k_rows) -> _Terms:
    order = np.argsort(local_dst, kind="stable")
    local_dst, src, eid = local_dst[order], src[order], eid[order]
    deg = np.bincount(local_dst, minlength=k_rows)
    first = np.r_[0, np.cumsum(deg)[:-1]] if k_rows else np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(deg > 0)
    return _Terms.build(rows, deg[rows], first[rows], src, eid)


def _cycle_block(cg: CompiledGraph, c0: int, c1: int) -> _Cycles:
    K = c1 - c0
    fac = np.flatnonzero(cg.country[c0:c1] >= 0)
    counts = np.diff(cg.sup_ptr[c0:c1 + 1])
    eid = np.arange(cg.sup_ptr[c0], cg.sup_ptr[c1], dtype=np.int64)
    dst = np.repeat(np.arange(K), counts)
    src = cg.sup_src[eid].astype(np.int64)
    inside = (src >= c0) & (src < c1)
    icounts = np.diff(cg.in_ptr[c0:c1 + 1])
    idst = np.repeat(np.arange(K), icounts)
    isrc = cg.in_src[cg.in_ptr[c0]:cg.in_ptr[c1]].astype(np.int64)
    iinside = (isrc >= c0) & (isrc < c1)
    any_rows = cg.needs_any[c0:c1] & (icounts > 0)
    is_any = any_rows[idst]

    def pick(mask):
        return idst[mask], isrc[mask]

    return _Cycles(
        c0, c1, cg.country[c0:c1][fac].astype(np.int64), fac, np.flatnonzero(counts > 0),
        _local_terms(dst[~inside], src[~inside], eid[~inside], K), _local_terms(dst[inside], src[inside], eid[inside], K),
        pick(~iinside & ~is_any), pick(iinside & ~is_any), pick(~iinside & is_any), pick(iinside & is_any), any_rows,
    )


# ---------------------------------------------------------------------------------------------
# kernels


class _Context:
    """What the kernels share for one chunk: the matrix, options and scratch buffers."""

    def __init__(self, cg, A, spare, shares, dtype, exact):
        self.cg, self.A, self.dtype, self.exact = cg, A, dtype, exact
        self.S = A.shape[1]
        self.spare = spare
        self.scalar_spare = not np.ndim(spare)
        self.no_spare = self.scalar_spare and float(spare) == 0.0
        self.shares = shares
        self.sup_data = cg.sup_share.astype(dtype) if dtype != np.float64 else cg.sup_share
        self.remainder = cg.remainder.astype(dtype) if dtype != np.float64 else cg.remainder
        if shares is not None and shares.ndim == 1:
            self.sup_data = shares.astype(dtype)
            self.remainder = _remainder(cg, shares[:, None])[:, 0].astype(dtype)
            self.shares = None
        elif shares is not None:
            self.remainder = _remainder(cg, shares)
        block = max(16, _BLOCK_BYTES // max(1, self.S * np.dtype(dtype).itemsize))
        self.block = block
        shape = (block, self.S)
        self.buffer = np.empty(shape, dtype=dtype)
        self.scratch = np.empty(shape, dtype=dtype)
        if exact:
            self.sum_s, self.sum_c = np.empty(shape, dtype=dtype), np.empty(shape, dtype=dtype)
            self.sum_t, self.sum_z = np.empty(shape, dtype=dtype), np.empty(shape, dtype=dtype)

    def weights(self, eid):
        """The shares of edges ``eid``: a column (fixed shares) or a matrix (one per scenario)."""
        if self.shares is None:
            return self.sup_data[eid][:, None]
        return self.shares[eid]

    def grow(self, out):
        """Spare capacity, then the cap at 1: ``min(1, surviving * (1 + r))``."""
        if not self.no_spare:
            out *= (1.0 + float(self.spare)) if self.scalar_spare else (1.0 + self.spare)
        np.minimum(out, 1.0, out=out)


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


def _fast_two_sum(s, c, x, t, z) -> None:
    """``s + c += x`` for non-negative ``s`` and ``x`` (Dekker's Fast2Sum on max and min).

    ``x`` may be a broadcastable column; ``t`` and ``z`` are scratch shaped like ``s``.
    """
    np.maximum(s, x, out=t)
    np.minimum(s, x, out=z)
    np.add(t, z, out=s)
    np.subtract(s, t, out=t)        # the part of the smaller that went in
    np.subtract(z, t, out=z)        # its rounding error (exact)
    np.add(c, z, out=c)


def _remainder(cg: CompiledGraph, shares: np.ndarray) -> np.ndarray:
    """Unknown remainder per node and column for overriding shares: ``max(0, 1 - fsum(shares))``."""
    n = cg.n_nodes
    rem = np.ones((n, shares.shape[1]), dtype=np.float64)
    counts = np.diff(cg.sup_ptr)
    rows = np.flatnonzero(counts > 0)
    if len(rows):
        rem[rows] = np.maximum(0.0, 1.0 - _exact_row_sums(shares, cg.sup_ptr[rows], counts[rows]))
    return rem


def _exact_row_sums(values: np.ndarray, first: np.ndarray, deg: np.ndarray) -> np.ndarray:
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


def _evaluate_chunk(cg, plan: _Plan, zeros: _Scenarios, spare, shares, dtype, exact, workspace=None) -> np.ndarray:
    n, S = cg.n_nodes, zeros.count
    if workspace is not None and workspace.shape[1] == S:
        A = workspace
    elif workspace is not None and workspace.shape[1] > S:
        A = np.ndarray((n, S), dtype=dtype, buffer=workspace)  # a C-contiguous view of the front
    else:
        A = np.empty((n, S), dtype=dtype)
    zr, zc = zeros.rows, zeros.cols
    first_level = 0
    if shares is None and not np.ndim(spare) and n:
        # levels below the first forced zero are the same in every column: copy them
        first_level = int(cg.level[zr[0]]) if len(zr) else cg.n_levels
        if first_level > 0:
            base = _baseline(cg, plan, float(spare), dtype, exact)
            upto = int(cg.level_ptr[first_level])
            A[:upto] = base[:upto, None]
    ctx = _Context(cg, A, spare, shares, dtype, exact)
    for level in plan.levels[first_level:]:
        for group in level.acyclic_groups:
            _group_values(ctx, group, A[group.start:group.stop])
        lo, hi = np.searchsorted(zr, [level.start, level.cyclic])
        if hi > lo:
            A[zr[lo:hi], zc[lo:hi]] = 0.0
        if level.block is not None:
            _iterate_cycles(ctx, level.block, zr, zc)
    return A


def _baseline(cg, plan: _Plan, spare: float, dtype, exact) -> np.ndarray:
    """Availability with nothing cut (one column), cached per options."""
    key = (spare, np.dtype(dtype).str, exact)
    base = plan.baselines.get(key)
    if base is None:
        none = _Scenarios(1, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        A = np.empty((cg.n_nodes, 1), dtype=dtype)
        ctx = _Context(cg, A, np.float64(spare), None, dtype, exact)
        for level in plan.levels:
            for group in level.acyclic_groups:
                _group_values(ctx, group, A[group.start:group.stop])
            if level.block is not None:
                _iterate_cycles(ctx, level.block, none.rows, none.cols)
        base = plan.baselines[key] = A[:, 0].copy()
    return base


def _group_values(ctx: _Context, group: _Group, out: np.ndarray) -> None:
    """Fill ``out`` (the group's rows) from the rows already computed."""
    cg, A = ctx.cg, ctx.A
    start, stop = group.start, group.stop
    if group.base == _BASE_COUNTRY:
        out.fill(1.0)
    elif group.base == _BASE_FACILITY:
        np.take(A, cg.country[start:stop], axis=0, out=out, mode="clip")
    elif group.base == _BASE_SUPPLIED:
        if ctx.exact or ctx.shares is not None:
            _supplied_terms(ctx, group.terms, out, ctx.remainder[start:stop])
        else:
            _supplied_csr(ctx, start, stop, out)
    elif group.inputs == _IN_NONE:
        out.fill(1.0)
    if group.inputs != _IN_NONE:
        _combine_inputs(ctx, group, out, replace=group.base == _BASE_ONE)


def _supplied_csr(ctx: _Context, start: int, stop: int, out: np.ndarray) -> None:
    """Surviving supply of rows [start, stop): one sparse product, summed in edge order."""
    cg, A = ctx.cg, ctx.A
    e0, e1 = int(cg.sup_ptr[start]), int(cg.sup_ptr[stop])
    out.fill(0.0)
    ptr = (cg.sup_ptr[start:stop + 1] - e0).astype(cg.sup_src.dtype)
    if _csr_matvecs is not None and A.flags.c_contiguous and out.flags.c_contiguous:
        _csr_matvecs(stop - start, A.shape[0], ctx.S, ptr, cg.sup_src[e0:e1], ctx.sup_data[e0:e1],
                     A.ravel(), out.reshape(-1))
    else:  # pragma: no cover
        from scipy.sparse import csr_array

        matrix = csr_array((ctx.sup_data[e0:e1], cg.sup_src[e0:e1], ptr), shape=(stop - start, A.shape[0]))
        out[...] = matrix @ A
    out += ctx.remainder[start:stop, None]
    ctx.grow(out)


def _supplied_terms(ctx: _Context, terms: _Terms, out: np.ndarray, remainder: np.ndarray) -> None:
    """Surviving supply, ``min(1, (sum of share * availability + remainder) * (1 + r))``.

    Exact mode sums with TwoSum (the result is the correctly rounded sum, as ``math.fsum``);
    otherwise in edge order. Rows are processed in blocks, by number of suppliers (descending),
    so that the k-th supplier of every row that has one is one gather.
    """
    A, B = ctx.A, ctx.block
    n_rows = len(terms.rows)
    exact = ctx.exact
    for b0 in range(0, n_rows, B):
        b1 = min(n_rows, b0 + B)
        size = b1 - b0
        deg = terms.deg[b0:b1]
        first = terms.first[b0:b1]
        rows = terms.rows[b0:b1]
        s = ctx.sum_s[:size] if exact else ctx.scratch[:size]
        lowest = int(deg[-1])
        for k in range(int(deg[0])):
            m = size if k < lowest else int(np.searchsorted(-deg, -k, side="left"))
            e = first[:m] + k
            if k == 0:
                np.take(A, terms.src[e], axis=0, out=s[:m], mode="clip")
                s[:m] *= ctx.weights(terms.eid[e])
                if exact:
                    ctx.sum_c[:size] = 0.0
                if m < size:
                    s[m:size] = 0.0
                continue
            x = ctx.buffer[:m]
            np.take(A, terms.src[e], axis=0, out=x, mode="clip")
            x *= ctx.weights(terms.eid[e])
            if exact:
                _fast_two_sum(s[:m], ctx.sum_c[:m], x, ctx.sum_t[:m], ctx.sum_z[:m])
            else:
                s[:m] += x
        rem = remainder[rows]
        rem = rem[:, None] if rem.ndim == 1 else rem
        if exact:
            _fast_two_sum(s, ctx.sum_c[:size], rem, ctx.sum_t[:size], ctx.sum_z[:size])
            s += ctx.sum_c[:size]
        else:
            s += rem
        ctx.grow(s)
        out[rows] = s


def _combine_inputs(ctx: _Context, group: _Group, out: np.ndarray, *, replace: bool) -> None:
    """``out = min(out, combined inputs)`` (``replace``: ``out = combined inputs``).

    Inputs combine by min (``needs: all``) or max (``needs: any``). Rows are sorted by their
    number of inputs, descending, so that step ``k`` (the k-th input of every row that has more
    than ``k``) works on a prefix of a block of rows.
    """
    cg, A = ctx.cg, ctx.A
    any_ = group.inputs == _IN_ANY
    op = np.maximum if any_ else np.minimum
    direct = replace or not any_  # min of min folds straight into out; max needs a scratch first
    start = group.start
    deg = group.degree
    ptr = cg.in_ptr
    src = cg.in_src
    buf = ctx.buffer
    B = ctx.block
    # hubs: many inputs each, reduced one node at a time in blocks of inputs
    for r in range(group.hubs):
        e0, e1 = int(ptr[start + r]), int(ptr[start + r + 1])
        acc = None
        for b in range(e0, e1, B):
            part = buf[:min(B, e1 - b)]
            np.take(A, src[b:min(e1, b + B)], axis=0, out=part, mode="clip")
            value = op.reduce(part, axis=0)
            acc = value if acc is None else op(acc, value, out=acc)
        if replace:
            out[r] = acc
        else:
            np.minimum(out[r], acc, out=out[r])
    n_rows = len(deg)
    for b0 in range(group.hubs, n_rows, B):
        b1 = min(n_rows, b0 + B)
        block_deg = deg[b0:b1]
        first = ptr[start + b0:start + b1]
        kmax = int(block_deg[0])
        lowest = int(block_deg[-1])
        target = out[b0:b1] if direct else ctx.scratch[:b1 - b0]
        k0 = 0
        if not direct or replace:
            np.take(A, src[first], axis=0, out=target, mode="clip")
            k0 = 1
        for k in range(k0, kmax):
            m = b1 - b0 if k < lowest else int(np.searchsorted(-block_deg, -k, side="left"))
            part = buf[:m]
            np.take(A, src[first[:m] + k], axis=0, out=part, mode="clip")
            op(target[:m], part, out=target[:m])
        if not direct:
            np.minimum(out[b0:b1], target, out=out[b0:b1])


def _add_terms_rows(ctx: _Context, terms: _Terms, s, c, exact: bool) -> None:
    """Add weighted terms into rows of ``s`` (+ error ``c``) by fancy indexing (small blocks)."""
    A = ctx.A
    n_rows = len(terms.rows)
    for k in range(int(terms.deg[0]) if n_rows else 0):
        m = int(np.count_nonzero(terms.deg > k))
        e = terms.first[:m] + k
        rows = terms.rows[:m]
        x = A[terms.src[e]] * ctx.weights(terms.eid[e])
        if exact:
            a = s[rows]
            t = a + x
            z = t - a
            c[rows] += (a - (t - z)) + (x - z)
            s[rows] = t
        else:
            s[rows] += x


def _iterate_cycles(ctx: _Context, block: _Cycles, zr, zc) -> None:
    """Cyclic rows of a level: from full availability down to the largest fixed point, per column.

    What comes from outside the block (lower levels) is gathered once; each iteration only
    touches the block's own edges. A column stops when no value in it changes by more than
    :data:`TOLERANCE`, independently of the other columns.
    """
    A, S, dtype = ctx.A, ctx.S, ctx.dtype
    c0, c1 = block.start, block.stop
    K = c1 - c0
    lo, hi = np.searchsorted(zr, [c0, c1])
    fz_rows, fz_cols = zr[lo:hi] - c0, zc[lo:hi]
    exact = ctx.exact

    base = np.ones((K, S), dtype=dtype)
    if len(block.fac_rows):
        base[block.fac_rows] = A[block.country]
    sup_rows = block.sup_rows
    if len(sup_rows):
        ext_s = np.zeros((K, S), dtype=dtype)
        ext_c = np.zeros((K, S), dtype=dtype)
        _add_terms_rows(ctx, block.ext_terms, ext_s, ext_c, exact)
        rem = ctx.remainder[c0:c1]
        rem = np.broadcast_to(rem[:, None] if rem.ndim == 1 else rem, (K, S))[sup_rows]
    ext_all = np.ones((K, S), dtype=dtype)
    if len(block.ext_all[0]):
        np.minimum.at(ext_all, block.ext_all[0], A[block.ext_all[1]])
    ext_any = np.zeros((K, S), dtype=dtype)
    if len(block.ext_any[0]):
        np.maximum.at(ext_any, block.ext_any[0], A[block.ext_any[1]])
    any_rows = block.any_rows
    has_any = bool(any_rows.any())

    X = A[c0:c1]
    X[...] = 1.0
    active = np.ones(S, dtype=bool)
    all_active = True
    for _ in range(MAX_ITERATIONS):
        b = base.copy()
        if len(sup_rows):
            s, c = ext_s.copy(), ext_c.copy()
            _add_terms_rows(ctx, block.int_terms, s, c, exact)
            a = s[sup_rows]
            if exact:
                t = a + rem
                z = t - a
                value = t + (c[sup_rows] + ((a - (t - z)) + (rem - z)))
            else:
                value = a + rem
            ctx.grow(value)
            b[sup_rows] = value
        comb = ext_all.copy()
        if len(block.int_all[0]):
            np.minimum.at(comb, block.int_all[0], A[block.int_all[1]])
        if has_any:
            alt = ext_any.copy()
            if len(block.int_any[0]):
                np.maximum.at(alt, block.int_any[0], A[block.int_any[1]])
            comb[any_rows] = alt[any_rows]
        new = np.minimum(b, comb, out=b)
        if len(fz_rows):
            new[fz_rows, fz_cols] = 0.0
        change = np.abs(new - X).max(axis=0)
        if all_active:
            X[...] = new
        else:
            cols = np.flatnonzero(active)
            X[:, cols] = new[:, cols]
        active &= ~(change <= TOLERANCE)
        if not active.any():
            break
        all_active = bool(active.all())
    else:
        from .propagate import warn_not_settled

        warn_not_settled([ctx.cg.ids[r] for r in range(c0, c1)], float(change[active].max()))


# ---------------------------------------------------------------------------------------------
# months to shortage


def _months_chunk(cg: CompiledGraph, plan, zeros: _Scenarios, avail: np.ndarray) -> np.ndarray:
    """Months until each node's shortage starts (NaN where it is not short), as the reference.

    ``T = cause + stockpile`` for short nodes, ``inf`` otherwise; the cause is 0 for a cut or
    knocked-out node, else the earliest of its country's, its suppliers' and its inputs' (``all``:
    the first short input; ``any``: the last, and only when all are short). Cycles iterate from
    ``inf`` down until nothing changes.
    """
    n, S = avail.shape
    short = avail < 1.0 - SHORT
    T = np.full((n, S), np.inf)
    forced = np.zeros((n, S), dtype=bool)
    forced[zeros.rows, zeros.cols] = True
    for level in plan.levels:
        if level.cyclic > level.start:
            _months_rows(cg, T, short, forced, level.start, level.cyclic)
        if level.cyclic < level.stop:
            for _ in range(level.stop - level.cyclic + 2):
                before = T[level.cyclic:level.stop].copy()
                _months_rows(cg, T, short, forced, level.cyclic, level.stop)
                if np.array_equal(before, T[level.cyclic:level.stop]):
                    break
    T[~short] = np.nan
    T[np.isinf(T)] = np.nan
    return T


def _months_rows(cg: CompiledGraph, T, short, forced, r0: int, r1: int) -> None:
    S = T.shape[1]
    cause = np.full((r1 - r0, S), np.inf)
    fac = cg.country[r0:r1]
    has = fac >= 0
    if has.any():
        cause[has] = T[fac[has]]
    _segment_reduce(cg.sup_ptr, cg.sup_src, T, r0, r1, cause, np.minimum, None)
    any_rows = cg.needs_any[r0:r1]
    _segment_reduce(cg.in_ptr, cg.in_src, T, r0, r1, cause, np.minimum, ~any_rows)
    if any_rows.any():
        last = np.full((r1 - r0, S), -np.inf)
        _segment_reduce(cg.in_ptr, cg.in_src, T, r0, r1, last, np.maximum, any_rows)
        last[~any_rows | (np.diff(cg.in_ptr[r0:r1 + 1]) == 0)] = np.inf
        np.minimum(cause, last, out=cause)
    cause[forced[r0:r1]] = 0.0
    value = cause + cg.stockpile[r0:r1, None]
    np.minimum(T[r0:r1], np.where(short[r0:r1], value, np.inf), out=T[r0:r1])


def _segment_reduce(ptr, src, M, r0, r1, out, op, mask) -> None:
    """``out[i] = op(out[i], M[src[j]])`` over the segment of each row i in [r0, r1) (where mask)."""
    deg = np.diff(ptr[r0:r1 + 1])
    if mask is not None:
        deg = np.where(mask, deg, 0)
    base = ptr[r0:r1]
    for k in range(int(deg.max()) if len(deg) else 0):
        sel = np.flatnonzero(deg > k)
        out[sel] = op(out[sel], M[src[base[sel] + k]])


def shortage_months(compiled: CompiledGraph, avail: np.ndarray, cuts=None, *, knockout=None) -> np.ndarray:
    """Months to shortage for a full availability matrix from :func:`evaluate` (NaN: none)."""
    zeros = cuts if isinstance(cuts, _Scenarios) else scenario_matrix(compiled, cuts, knockout, avail.shape[1])
    return _months_chunk(compiled, _plan(compiled), zeros, np.asarray(avail, dtype=np.float64))
