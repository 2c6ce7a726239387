"""The engine's kernels: per-level plans and the array operations that evaluate them.

Private to :mod:`chokepoint.engine`, which holds the public API and the semantics.
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_array

from .compile import (
    _BASE_COUNTRY, _BASE_FACILITY, _BASE_ONE, _BASE_SUPPLIED, _IN_ANY, _IN_NONE, CompiledGraph, exact_row_sums,
)
from .fixpoint import settled_columns, slow_columns, solve_engine_columns
from .settle import MAX_ITERATIONS, TOLERANCE, warn_not_settled

try:  # the raw kernel behind scipy's ``csr @ dense``: no checks, writes into our buffer
    from scipy.sparse._sparsetools import csr_matvecs as _csr_matvecs
except Exception:  # pragma: no cover - scipy moved it; csr_product_into falls back to the public operator
    _csr_matvecs = None


def csr_product_into(ptr, indices, data, dense: np.ndarray, out: np.ndarray) -> None:
    """``out = csr(data, indices, ptr) @ dense``, the one place that uses scipy's private kernel.

    The private ``csr_matvecs`` writes straight into ``out`` (no temporary, no checks); when scipy
    no longer has it, or the buffers are not C-contiguous, the public ``csr_array @`` does the same.
    """
    rows, width = len(ptr) - 1, dense.shape[1]
    if _csr_matvecs is not None and dense.flags.c_contiguous and out.flags.c_contiguous:
        out.fill(0.0)
        _csr_matvecs(rows, dense.shape[0], width, ptr, indices, data, dense.ravel(), out.reshape(-1))
        return
    out[...] = csr_array((data, indices, ptr), shape=(rows, dense.shape[0])) @ dense

#: A node is short when its availability is below ``1 - SHORT``.
SHORT = 1e-12


@dataclass
class _Scenarios:
    """Forced zeros (cut countries, knocked-out nodes) as (row, column) pairs sorted by row."""

    count: int
    rows: np.ndarray
    cols: np.ndarray

    def take(self, start: int, stop: int) -> "_Scenarios":
        keep = (self.cols >= start) & (self.cols < stop)
        return _Scenarios(stop - start, self.rows[keep], self.cols[keep] - start)


_HUB = 64  # nodes with more inputs than this are reduced one by one
_BLOCK_BYTES = 256 << 10

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

    def __init__(self, cg, A, spare, shares, dtype, exact, remainder_lost=False):
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
            self.shares = None
        if remainder_lost:  # the pessimistic bound: no unattributed supply survives
            # a supplied item's remainder is 0 whatever its shares sum to, and an item with no
            # suppliers listed keeps all of it (1): the shares' sums are not needed
            supplied = np.diff(cg.sup_ptr) > 0
            kept = np.where(supplied, 0.0, 1.0 if shares is not None else self.remainder).astype(dtype)
            self.remainder = kept if self.shares is None else np.repeat(kept[:, None], shares.shape[1], axis=1)
        elif shares is not None and shares.ndim == 1:
            self.remainder = _remainder(cg, shares[:, None])[:, 0].astype(dtype)
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
        rem[rows] = np.maximum(0.0, 1.0 - _row_sums(shares, cg.sup_ptr[rows], counts[rows]))
    return rem


def _evaluate_chunk(cg, plan: _Plan, zeros: _Scenarios, spare, shares, dtype, exact, workspace=None,
                    remainder_lost=False) -> np.ndarray:
    n, S = cg.n_nodes, zeros.count
    if workspace is not None and workspace.shape[1] == S:
        A = workspace
    elif workspace is not None and workspace.shape[1] > S:
        A = np.ndarray((n, S), dtype=dtype, buffer=workspace)  # a C-contiguous view of the front
    else:
        A = np.empty((n, S), dtype=dtype)
    zr, zc = zeros.rows, zeros.cols
    first_level = 0
    if shares is None and not remainder_lost and not np.ndim(spare) and n:
        # levels below the first forced zero are the same in every column: copy them
        first_level = int(cg.level[zr[0]]) if len(zr) else cg.n_levels
        if first_level > 0:
            base = _baseline(cg, plan, float(spare), dtype, exact)
            upto = int(cg.level_ptr[first_level])
            A[:upto] = base[:upto, None]
    ctx = _Context(cg, A, spare, shares, dtype, exact, remainder_lost)
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
    ptr = (cg.sup_ptr[start:stop + 1] - e0).astype(cg.sup_src.dtype)
    csr_product_into(ptr, cg.sup_src[e0:e1], ctx.sup_data[e0:e1], A, out)
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
    previous = np.full(S, np.nan)
    unsettled: list = []

    def exactly(cols):  # a step too small to trust (loop gain near 1): solved, see engine.fixpoint
        unsettled.extend(solve_engine_columns(
            ctx, block, cols, X, base, (ext_s + ext_c) if len(sup_rows) else None,
            rem if len(sup_rows) else None, ext_all, ext_any, fz_rows, fz_cols))

    for iteration in range(MAX_ITERATIONS):
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
        stop = active & (change <= TOLERANCE)
        solve = (stop & ~settled_columns(change, previous, TOLERANCE)) | \
            (active & ~stop & slow_columns(iteration, change, previous))
        if solve.any():
            exactly(np.flatnonzero(solve))
        active &= ~(stop | solve)
        previous = change
        if not active.any():
            break
        all_active = bool(active.all())
    else:
        exactly(np.flatnonzero(active))
    if unsettled:
        warn_not_settled([ctx.cg.ids[r] for r in range(c0, c1)], float(change[unsettled].max()))


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




# ---------------------------------------------------------------------------------------------
# many scenarios under many share draws: only the (row, scenario) pairs a cut can reach
#
# Under share draws every column has its own shares, so nothing is shared between columns but
# the rows no cut reaches: those are the same in every scenario of a draw. They are computed once
# per draw (the draw's baseline, one column per draw), and each scenario only computes the rows
# its cut reaches (its "pairs"), reading the baseline where a source is not reached. The draws
# are the inner, contiguous axis: a pair's value for D draws is one row of D values, computed by
# the same operations, in the same order, as the dense engine's column for that (scenario, draw)
# (the same gathers, products, Fast2Sum steps, remainder, cap; min and max are exact), so every
# value is the dense engine's to the last bit.


@dataclass
class _PairTerms:
    """Weighted terms (or inputs) of some pairs, in processing order (by number of terms, desc)."""

    pairs: np.ndarray   # pair numbers (rows of the pair matrix)
    deg: np.ndarray     # terms per pair, descending
    first: np.ndarray   # position of each pair's first term in ``src``/``eid``
    src: np.ndarray     # row of Z each term reads (a baseline row, or n + a pair)
    eid: np.ndarray | None = None   # supply edge of each term (its share)
    rem: np.ndarray | None = None   # each pair's row (for its remainder)
    contiguous: bool = False        # ``pairs`` is a run of consecutive numbers


@dataclass
class _PairGroup:
    base: int
    inputs: int
    pairs: np.ndarray               # the group's pairs
    country: np.ndarray | None      # facilities: Z row of the country's value, per pair
    terms: _PairTerms | None
    ins: _PairTerms | None


@dataclass
class _PairCycle:
    """A level's cycle block for the scenarios that reach it, as a small dense system."""

    block: _Cycles           # renumbered: the external rows first, then the block's rows
    ext_rows: np.ndarray     # the rows outside the block that it reads
    ext: np.ndarray          # (external rows x scenarios) Z rows to gather
    out: np.ndarray          # (block rows x scenarios) pairs to write
    rem_rows: np.ndarray     # the block's rows (for their remainders)
    zr: np.ndarray           # forced zeros in the block: local row, scenario
    zc: np.ndarray
    ids: list


@dataclass
class _PairLevel:
    groups: list
    zeros: np.ndarray        # pairs forced to zero (acyclic rows of the level)
    cycle: _PairCycle | None


@dataclass
class _PairPlan:
    n: int
    n_pairs: int
    n_scen: int
    levels: list
    out: np.ndarray          # (rows kept x scenarios) Z rows of the result
    base: list = field(default_factory=list)  # per level, the baseline's groups (every row, "pair" row - n)


def _sources_matrix(cg: CompiledGraph) -> csr_array:
    """(n x n) 0/1: each row's suppliers, inputs and country."""
    n = cg.n_nodes
    fac = np.flatnonzero(cg.country >= 0)
    dst = np.concatenate([np.repeat(np.arange(n), np.diff(cg.sup_ptr)), np.repeat(np.arange(n), np.diff(cg.in_ptr)), fac])
    src = np.concatenate([cg.sup_src.astype(np.int64), cg.in_src.astype(np.int64), cg.country[fac].astype(np.int64)])
    return csr_array((np.ones(len(src), dtype=np.float32), (dst, src)), shape=(n, n))


def _reached(cg: CompiledGraph, zeros: _Scenarios) -> np.ndarray:
    """(n x scenarios) bool: the rows a scenario's forced zeros can change (themselves included);
    a cycle block is reached whole."""
    n, S = cg.n_nodes, zeros.count
    reach = np.zeros((n, S), dtype=bool)
    reach[zeros.rows, zeros.cols] = True
    if not len(zeros.rows):
        return reach
    M = _sources_matrix(cg)
    first = int(cg.level[zeros.rows.min()])
    for level in range(first, cg.n_levels):
        start, cyc, stop = int(cg.level_ptr[level]), int(cg.cyclic_ptr[level]), int(cg.level_ptr[level + 1])
        for a, b in ((start, cyc), (cyc, stop)):
            if b > a:
                reach[a:b] |= (M[a:b, :stop] @ reach[:stop].astype(np.float32)) > 0
                if a == cyc:  # the cycle block: a scenario that reaches any of it reaches all of it
                    reach[a:b, reach[a:b].any(axis=0)] = True
    return reach


def _pair_terms(ptr, src, rows, scen, z_of, with_eid: bool, pairs) -> _PairTerms:
    deg = (ptr[rows + 1] - ptr[rows]).astype(np.int64)
    order = np.argsort(-deg, kind="stable")
    rows, scen, deg, pairs = rows[order], scen[order], deg[order], pairs[order]
    first = np.r_[0, np.cumsum(deg)[:-1]].astype(np.int64) if len(deg) else np.zeros(0, dtype=np.int64)
    total = int(deg.sum())
    e = np.repeat(ptr[rows] - first, deg) + np.arange(total, dtype=np.int64)
    z = z_of(src[e].astype(np.int64), np.repeat(scen, deg))
    # int32 where the numbers fit: the terms are the plan's bulk (several per pair)
    if len(z) and int(z.max()) < _INT32:
        z = z.astype(np.int32)
    if with_eid and len(e) and int(e.max()) < _INT32:
        e = e.astype(np.int32)
    contiguous = bool(len(pairs)) and bool(np.all(np.diff(pairs) == 1))
    return _PairTerms(pairs, deg, first, z, e if with_eid else None, rows, contiguous)


_INT32 = np.iinfo(np.int32).max


def _build_pair_plan(cg: CompiledGraph, plan: _Plan, zeros: _Scenarios, out_rows: np.ndarray) -> _PairPlan:
    n, S = cg.n_nodes, zeros.count
    reach = _reached(cg, zeros)
    prow, pscen = np.nonzero(reach)  # row-major: pairs by row, then scenario
    prow, pscen = prow.astype(np.int64), pscen.astype(np.int64)
    pair_id = np.full((n, S), -1, dtype=np.int32 if n + len(prow) < _INT32 else np.int64)
    pair_id[prow, pscen] = np.arange(len(prow))
    del reach

    def z_of(rows, scen):
        p = pair_id[rows, scen]
        return np.where(p >= 0, n + p, rows)

    def same(rows, scen):
        return rows

    base = []
    for level in plan.levels:  # the baseline (nothing cut) by the same kernels: every row, in place
        groups = []
        for group in level.acyclic_groups:
            rows = np.arange(group.start, group.stop, dtype=np.int64)
            scen = np.zeros(len(rows), dtype=np.int64)
            country = terms = ins = None
            if group.base == _BASE_FACILITY:
                country = cg.country[rows].astype(np.int64)
            elif group.base == _BASE_SUPPLIED:
                terms = _pair_terms(cg.sup_ptr, cg.sup_src, rows, scen, same, True, rows - n)
            if group.inputs != _IN_NONE:
                ins = _pair_terms(cg.in_ptr, cg.in_src, rows, scen, same, False, rows - n)
            groups.append(_PairGroup(group.base, group.inputs, rows - n, country, terms, ins))
        base.append(groups)

    levels = []
    for level in plan.levels:
        groups = []
        for group in level.acyclic_groups:
            p0, p1 = np.searchsorted(prow, [group.start, group.stop])
            if p1 == p0:
                continue
            rows, scen, pairs = prow[p0:p1], pscen[p0:p1], np.arange(p0, p1, dtype=np.int64)
            country = terms = ins = None
            if group.base == _BASE_FACILITY:
                country = z_of(cg.country[rows].astype(np.int64), scen)
            elif group.base == _BASE_SUPPLIED:
                terms = _pair_terms(cg.sup_ptr, cg.sup_src, rows, scen, z_of, True, pairs)
            if group.inputs != _IN_NONE:
                ins = _pair_terms(cg.in_ptr, cg.in_src, rows, scen, z_of, False, pairs)
            groups.append(_PairGroup(group.base, group.inputs, pairs, country, terms, ins))
        lo, hi = np.searchsorted(zeros.rows, [level.start, level.cyclic])
        forced = pair_id[zeros.rows[lo:hi], zeros.cols[lo:hi]]
        cycle = None
        if level.block is not None:
            cycle = _pair_cycle(cg, level.block, pair_id, z_of, zeros)
        levels.append(_PairLevel(groups, forced, cycle))
    out = z_of(np.repeat(out_rows, S), np.tile(np.arange(S, dtype=np.int64), len(out_rows))).reshape(len(out_rows), S)
    return _PairPlan(n, len(prow), S, levels, out, base)


def _pair_cycle(cg, block: _Cycles, pair_id, z_of, zeros: _Scenarios) -> _PairCycle | None:
    c0, c1 = block.start, block.stop
    scen = np.flatnonzero((pair_id[c0:c1] >= 0).any(axis=0))
    if not len(scen):
        return None
    K = c1 - c0
    ext_rows = np.unique(np.concatenate([
        np.asarray(block.country, dtype=np.int64), np.asarray(block.ext_terms.src, dtype=np.int64),
        np.asarray(block.ext_all[1], dtype=np.int64), np.asarray(block.ext_any[1], dtype=np.int64)]))
    R = len(ext_rows)

    def outside(rows):
        return np.searchsorted(ext_rows, np.asarray(rows, dtype=np.int64))

    def inside(rows):
        return np.asarray(rows, dtype=np.int64) - c0 + R

    local = _Cycles(
        R, R + K, outside(block.country), block.fac_rows, block.sup_rows,
        _Terms(block.ext_terms.rows, block.ext_terms.deg, block.ext_terms.first, outside(block.ext_terms.src),
               block.ext_terms.eid),
        _Terms(block.int_terms.rows, block.int_terms.deg, block.int_terms.first, inside(block.int_terms.src),
               block.int_terms.eid),
        (block.ext_all[0], outside(block.ext_all[1])), (block.int_all[0], inside(block.int_all[1])),
        (block.ext_any[0], outside(block.ext_any[1])), (block.int_any[0], inside(block.int_any[1])),
        block.any_rows,
    )
    ext = z_of(np.repeat(ext_rows, len(scen)), np.tile(scen, R)).reshape(R, len(scen))
    out = pair_id[c0:c1][:, scen]
    lo, hi = np.searchsorted(zeros.rows, [c0, c1])
    where = np.searchsorted(scen, zeros.cols[lo:hi])
    return _PairCycle(local, ext_rows, ext, out, np.arange(c0, c1), zeros.rows[lo:hi] - c0, where, [cg.ids[r] for r in range(c0, c1)])


class _DrawContext(_Context):
    """A cycle block's context under draws: columns (scenario, draw), each with its draw's shares."""

    def __init__(self, A, spare, draw_shares, draws, remainder, ids):
        self.cg = type("_Ids", (), {"ids": ids})()
        self.A, self.dtype, self.exact = A, np.float64, True
        self.S = A.shape[1]
        self.spare = spare
        self.scalar_spare = True
        self.no_spare = float(spare) == 0.0
        self.draw_shares, self.draws = draw_shares, draws  # column j is draw ``draws[j]``
        self.shares = draw_shares  # not None: per-column weights
        self.remainder = remainder

    def weights(self, eid):
        return self.draw_shares[eid][:, self.draws]


_PAIR_BLOCK_BYTES = 256 << 10


def _evaluate_pairs(cg: CompiledGraph, plan: _Plan, pp: _PairPlan, shares: np.ndarray, spare: float,
                    work: np.ndarray | None = None) -> np.ndarray:
    """(rows kept x scenarios x draws) under the draws ``shares`` (supply edges x draws).
    ``work``: a float64 buffer of at least (rows + pairs) x draws values to compute in (reused
    from call to call: no fresh pages each time)."""
    n, D = cg.n_nodes, shares.shape[1]
    size = (n + pp.n_pairs) * D
    if work is not None and work.dtype == np.float64 and work.size >= size and work.flags.c_contiguous:
        Z = work.reshape(-1)[:size].reshape(n + pp.n_pairs, D)
    else:
        Z = np.empty((n + pp.n_pairs, D))
    base = Z[:n]
    none = _Scenarios(D, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
    ctx = _Context(cg, base, np.float64(spare), shares, np.float64, True)
    rem = ctx.remainder
    B = max(16, _PAIR_BLOCK_BYTES // max(1, 8 * D))
    buf = [np.empty((B, D)) for _ in range(6)]
    gain = 1.0 + float(spare)
    jit = _compiled_pair_kernels() if USE_JIT else None
    for level, groups in zip(plan.levels, pp.base):  # the draws' baselines (nothing cut)
        _pair_groups(Z, n, groups, shares, rem, buf, B, spare, gain, jit)
        if level.block is not None:
            _iterate_cycles(ctx, level.block, none.rows, none.cols)
    for level in pp.levels:
        _pair_groups(Z, n, level.groups, shares, rem, buf, B, spare, gain, jit)
        if len(level.zeros):
            Z[n + level.zeros] = 0.0
        if level.cycle is not None:
            _pair_cycle_values(Z, n, level.cycle, shares, rem, spare)
    return Z[pp.out]


def _pair_groups(Z, n, groups, shares, rem, buf, B, spare: float, gain: float, jit) -> None:
    """As :func:`_group_values`, for pairs: each group's pairs from the rows and pairs below."""
    for g in groups:
        if g.base == _BASE_COUNTRY or (g.base == _BASE_ONE and g.inputs == _IN_NONE):
            Z[n + g.pairs] = 1.0
        elif g.base == _BASE_FACILITY:
            Z[n + g.pairs] = Z[g.country]
        elif g.base == _BASE_SUPPLIED:
            t = g.terms
            if jit is not None:
                jit[0](Z, n, shares, rem, t.pairs, t.deg, t.first, t.src, t.eid, t.rem, spare != 0.0, gain)
            else:
                _pair_supplied(Z, n, shares, rem, t, buf, B, spare != 0.0, gain)
        if g.inputs != _IN_NONE:
            t = g.ins
            if jit is not None:
                jit[1](Z, n, t.pairs, t.deg, t.first, t.src, g.inputs == _IN_ANY, g.base == _BASE_ONE)
            else:
                _pair_inputs(Z, n, t, buf, B, g.inputs == _IN_ANY, g.base == _BASE_ONE)


def _pair_supplied(Z, n, W, rem, terms: _PairTerms, buf, B, spare: bool, gain: float) -> None:
    """As :func:`_supplied_terms` in exact mode, for pairs: ``min(1, (fsum(share * value) + remainder) * gain)``."""
    s_, c_, t_, z_, x_, w_ = buf
    P = len(terms.pairs)
    for b0 in range(0, P, B):
        b1 = min(P, b0 + B)
        size = b1 - b0
        deg, first = terms.deg[b0:b1], terms.first[b0:b1]
        s, c = s_[:size], c_[:size]
        top, lowest = int(deg[0]), int(deg[-1])
        if top == 0:
            s[:] = 0.0
        for k in range(top):
            m = size if k < lowest else int(np.searchsorted(-deg, -k, side="left"))
            e = first[:m] + k
            w = np.take(W, terms.eid[e], axis=0, out=w_[:m])
            if k == 0:
                np.take(Z, terms.src[e], axis=0, out=s[:m])
                s[:m] *= w
                c[:] = 0.0
                if m < size:
                    s[m:] = 0.0
                continue
            x = np.take(Z, terms.src[e], axis=0, out=x_[:m])
            x *= w
            _fast_two_sum(s[:m], c[:m], x, t_[:m], z_[:m])
        r = np.take(rem, terms.rem[b0:b1], axis=0, out=x_[:size])
        _fast_two_sum(s, c, r, t_[:size], z_[:size])
        s += c
        if spare:
            s *= gain
        np.minimum(s, 1.0, out=s)
        Z[n + terms.pairs[b0:b1]] = s


def _pair_inputs(Z, n, ins: _PairTerms, buf, B, any_: bool, replace: bool) -> None:
    """As :func:`_combine_inputs`, for pairs: min (``all``) or max (``any``) of the inputs, then
    ``min`` with the base (``replace``: the inputs alone)."""
    op = np.maximum if any_ else np.minimum
    acc_, x_ = buf[0], buf[4]
    P = len(ins.pairs)
    for b0 in range(0, P, B):
        b1 = min(P, b0 + B)
        size = b1 - b0
        deg, first = ins.deg[b0:b1], ins.first[b0:b1]
        acc = np.take(Z, ins.src[first], axis=0, out=acc_[:size])
        lowest = int(deg[-1])
        for k in range(1, int(deg[0])):
            m = size if k < lowest else int(np.searchsorted(-deg, -k, side="left"))
            x = np.take(Z, ins.src[first[:m] + k], axis=0, out=x_[:m])
            op(acc[:m], x, out=acc[:m])
        if ins.contiguous:  # the pairs in their own order: a slice, no gather and scatter
            dst = Z[n + int(ins.pairs[b0]):n + int(ins.pairs[b0]) + size]
            if replace:
                dst[...] = acc
            else:
                np.minimum(dst, acc, out=dst)
            continue
        dst = n + ins.pairs[b0:b1]
        Z[dst] = acc if replace else np.minimum(Z[dst], acc)


def _pair_cycle_values(Z, n, cyc: _PairCycle, W, rem, spare: float) -> None:
    """A cycle block for the scenarios that reach it: the dense iteration on a small matrix whose
    columns are (scenario, draw), the external values gathered from the pairs and baselines.

    A column whose every value read from outside the block is its draw's baseline's (and with no
    forced zero in the block) iterates exactly as the baseline did: it takes the baseline's values.
    """
    R, Sc = cyc.ext.shape
    D = Z.shape[1]
    ext = Z[cyc.ext]                                             # (external rows, scenarios, draws)
    differs = (ext != Z[cyc.ext_rows][:, None, :]).any(axis=0)  # (scenarios, draws)
    if len(cyc.zc):
        differs[cyc.zc] = True
    Z[n + cyc.out] = Z[cyc.rem_rows][:, None, :]
    js, ds = np.nonzero(differs)
    if not len(js):
        return
    K = len(cyc.rem_rows)
    A = np.empty((R + K, len(js)))
    A[:R] = ext[:, js, ds]
    remainder = np.zeros((R + K, len(js)))
    remainder[R:] = rem[cyc.rem_rows][:, ds]
    ctx = _DrawContext(A, np.float64(spare), W, ds, remainder, cyc.ids)
    zr = zc = np.zeros(0, dtype=np.int64)
    if len(cyc.zc):
        col_of = np.full((Sc, D), -1, dtype=np.int64)
        col_of[js, ds] = np.arange(len(js))
        cols = col_of[cyc.zc]                                    # (zeros, draws): all in ``differs``
        zr = np.repeat(cyc.zr + R, D)
        zc = cols.reshape(-1)
    _iterate_cycles(ctx, cyc.block, zr, zc)
    Z[n + cyc.out[:, js], ds[None, :]] = A[R:]


# ---------------------------------------------------------------------------------------------
# the pair kernels compiled (numba, optional): the same operations, fused over a pair's terms
#
# The loops below do, value by value, exactly what the numpy kernels above do array by array
# (products, Fast2Sum on max and min, the remainder, the cap; min and max for inputs) in the
# same order, so the results are the same to the last bit (no fast-math: no reassociation, no
# fused multiply-add, and no product feeds an addition directly). They keep a pair's running
# sums in registers instead of passing over arrays of pairs once per operation.

#: Use the compiled pair kernels when numba is installed (``pip install 'chokepoint[fast]'``).
USE_JIT = True
_JIT: list = []
_JIT_LOCK = threading.Lock()


def _py_pair_supplied(Z, n, W, rem, pairs, deg, first, src, eid, remrow, spare, gain):
    D = Z.shape[1]
    s = np.empty(D)
    c = np.empty(D)
    for i in range(len(pairs)):
        f = first[i]
        dg = deg[i]
        if dg == 0:
            for d in range(D):
                s[d] = 0.0
                c[d] = 0.0
        else:
            z = src[f]
            e = eid[f]
            for d in range(D):
                s[d] = Z[z, d] * W[e, d]
                c[d] = 0.0
            for k in range(1, dg):
                z = src[f + k]
                e = eid[f + k]
                for d in range(D):
                    x = Z[z, d] * W[e, d]
                    a = s[d]
                    t = a if a >= x else x
                    y = x if a >= x else a
                    a = t + y
                    t = a - t
                    c[d] += y - t
                    s[d] = a
        r = remrow[i]
        p = n + pairs[i]
        for d in range(D):
            x = rem[r, d]
            a = s[d]
            t = a if a >= x else x
            y = x if a >= x else a
            a = t + y
            t = a - t
            v = a + (c[d] + (y - t))
            if spare:
                v = v * gain
            Z[p, d] = v if v < 1.0 else 1.0


def _py_pair_inputs(Z, n, pairs, deg, first, src, any_, replace):
    D = Z.shape[1]
    acc = np.empty(D)
    for i in range(len(pairs)):
        f = first[i]
        row = Z[src[f]]
        for d in range(D):
            acc[d] = row[d]
        for k in range(1, deg[i]):
            row = Z[src[f + k]]
            if any_:
                for d in range(D):
                    acc[d] = max(acc[d], row[d])
            else:
                for d in range(D):
                    acc[d] = min(acc[d], row[d])
        out = Z[n + pairs[i]]
        if replace:
            for d in range(D):
                out[d] = acc[d]
        else:
            for d in range(D):
                out[d] = min(acc[d], out[d])


def _py_row_sums(v, first, deg, out):
    D = v.shape[1]
    s = np.empty(D)
    c = np.empty(D)
    for i in range(len(first)):
        f = first[i]
        for d in range(D):
            s[d] = 0.0
            c[d] = 0.0
        for k in range(deg[i]):
            row = v[f + k]
            for d in range(D):
                x = row[d]
                a = s[d]
                t = a + x
                z = t - a
                x = x - z
                z = t - z
                z = a - z
                c[d] = c[d] + (z + x)
                s[d] = t
        for d in range(D):
            out[i, d] = s[d] + c[d]


#: Fewer columns than this are summed by numpy (importing numba and loading its cache costs ~0.5-1 s).
JIT_MIN_COLUMNS = 16


def _row_sums(values: np.ndarray, first: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """:func:`~chokepoint.engine.compile.exact_row_sums` of a 2-D array (the same TwoSum steps in the
    same order: the same bits), compiled when numba is installed and there are enough columns (draws)
    to pay for loading the compiled code: a single cutoff's few columns stay in numpy."""
    jit = _compiled_pair_kernels() if (USE_JIT and values.ndim == 2 and values.dtype == np.float64
                                       and values.shape[1] >= JIT_MIN_COLUMNS) else None
    if jit is None or not len(first):
        return exact_row_sums(values, first, deg)
    out = np.empty((len(first), values.shape[1]))
    jit[2](np.ascontiguousarray(values), np.asarray(first, dtype=np.int64), np.asarray(deg, dtype=np.int64), out)
    return out


def _compiled_pair_kernels():
    """The pair kernels compiled with numba (once per process), or None without numba."""
    with _JIT_LOCK:
        if not _JIT:
            try:
                import numba  # optional: the compiled pair kernels (chokepoint[fast])
            except ImportError:
                _JIT.append(None)
            else:
                jit = numba.njit(cache=True, nogil=True, boundscheck=False)
                _JIT.append((jit(_py_pair_supplied), jit(_py_pair_inputs), jit(_py_row_sums)))
        return _JIT[0]
