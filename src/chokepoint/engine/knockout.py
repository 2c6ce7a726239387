"""Knockouts at scale: each node removed in turn, evaluated only where it changes anything.

A knockout only changes the nodes downstream of the knocked-out node. :func:`knockout_batches`
propagates each knockout's *changes* level by level, as sparse (row, knockout) pairs: a pair is
recomputed only when one of the row's suppliers, inputs or country changed under that knockout.
A changed value is pushed along the row's out-edges to the term it fills in each reader, so
that a pair is computed from the baseline with those terms replaced (no look-ups). A row whose
value comes out bit-for-bit equal to the baseline stops the propagation there.

The arithmetic of each pair is the engine's, operation for operation (the same exact sums of
surviving shares, in the same order, the same min and max over inputs), and a cycle block that
a knockout reaches is iterated by the engine's own kernel on the knockouts that reach it, so
that every value is the one :func:`~chokepoint.engine.evaluate` gives for that knockout alone,
to the last bit (the tests hold it to that). Several share vectors (the point shares and the
low and high ends) travel together: one propagation, a value per vector on each pair.

A pair's value is ``min(own part, inputs combined)``: the own part is 1, a facility's country or
the supplied sum; the inputs combine by min (``needs: all``) or max (``needs: any``). A part that
no pushed change reaches is the baseline's, computed once. A reached supplied sum is folded term
by term as the kernel does (the compensated sum depends on the order). A min over inputs needs
no fold: a knockout only lowers what it reaches, so the min with some inputs replaced is the min
of the baseline's and the pushed values (checked on each pair: where a pushed value is above its
baseline it is folded); likewise a max stays the baseline's while an input at it is not replaced.

The cost is the sum of the knockouts' downstream regions, not knockouts x nodes: on a generated
1M-edge graph, 200,000 knockouts under three share vectors in about ten seconds rather than
600,000 full scenarios.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import breadth_first_order

from .compile import _BASE_COUNTRY, _BASE_FACILITY, _BASE_SUPPLIED, _IN_ALL, _IN_ANY, CompiledGraph
from .evaluate import evaluate
from .kernels import _Context, _fast_two_sum, _iterate_cycles, _plan, _remainder

#: Knockouts propagated together (bounds the memory of the changed pairs).
BATCH = 16384
#: Slot of a facility's country (the one term of a facility's base); a knockout's own record.
_COUNTRY_SLOT = -1
_FORCED_SLOT = -2
#: Compute every pair part by part and every combination of inputs term by term (no shortcut):
#: the tests set it to hold the shortcuts to the folds.
FOLD_ALL = False


def _dependencies(cg: CompiledGraph):
    """Every (source row, reader row, slot) a reader reads: its suppliers, inputs and country."""
    n = cg.n_nodes
    n_sup = len(cg.sup_src)
    own_s = np.repeat(np.arange(n, dtype=np.int64), np.diff(cg.sup_ptr))
    own_i = np.repeat(np.arange(n, dtype=np.int64), np.diff(cg.in_ptr))
    fac = np.flatnonzero(cg.country >= 0)
    src = np.concatenate([cg.sup_src.astype(np.int64), cg.in_src.astype(np.int64), cg.country[fac].astype(np.int64)])
    dst = np.concatenate([own_s, own_i, fac])
    slot = np.concatenate([np.arange(n_sup, dtype=np.int64), n_sup + np.arange(len(cg.in_src), dtype=np.int64),
                           np.full(len(fac), _COUNTRY_SLOT, dtype=np.int64)])
    return src, dst, slot


def _upstream(cg: CompiledGraph, rows) -> np.ndarray:
    """Mask of the rows some of ``rows`` read, directly or not (and ``rows`` themselves): the only
    rows whose values can change theirs."""
    n = cg.n_nodes
    src, dst, _ = _dependencies(cg)
    reverse = csr_array((np.ones(len(src) + len(rows), dtype=np.int8),
                         (np.r_[dst, np.full(len(rows), n)], np.r_[src, rows])), shape=(n + 1, n + 1))
    found = breadth_first_order(reverse, n, directed=True, return_predecessors=False)
    mask = np.zeros(n + 1, dtype=bool)
    mask[found] = True
    return mask[:n]


def _children(cg: CompiledGraph, useful=None):
    """CSR of the readers of each row, with the term each reads it into: a supply edge's
    position in ``sup_src``, ``n_sup +`` a requires edge's position in ``in_src``, or
    :data:`_COUNTRY_SLOT` for a facility reading its country. ``useful``: a mask of the readers
    kept (the others are not sent anything)."""
    n = cg.n_nodes
    src, dst, slot = _dependencies(cg)
    if useful is not None:
        keep = useful[dst]
        src, dst, slot = src[keep], dst[keep], slot[keep]
    order = np.argsort(src, kind="stable")
    ptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))].astype(np.int64)
    return ptr, dst[order].astype(np.int32), slot[order].astype(np.int32)


def _expand(ptr, targets, slots, rows, cols, vals):
    """The records a set of changed (row, column, value) sends to its readers:
    (reader, column, value, slot)."""
    counts = ptr[rows + 1] - ptr[rows]
    total = int(counts.sum())
    if not total:
        empty = np.zeros(0, dtype=np.int32)
        return empty, empty, np.zeros((0,) + vals.shape[1:]), empty
    offsets = np.repeat(ptr[rows] - np.cumsum(counts) + counts, counts) + np.arange(total)
    return targets[offsets], np.repeat(cols, counts), np.repeat(vals, counts, axis=0), slots[offsets]


def _bucket(pending, levels, *arrays) -> None:
    """Append records to the pending list of their level."""
    counts = np.bincount(levels, minlength=len(pending))
    present = np.flatnonzero(counts)
    if len(present) == 1:
        pending[int(present[0])].append(arrays)
        return
    order = np.argsort(levels.astype(np.int16), kind="stable")  # a radix sort
    ends = np.cumsum(counts)
    for lv in present.tolist():
        pick = order[ends[lv] - counts[lv]:ends[lv]]
        pending[lv].append(tuple(np.take(a, pick, axis=0) for a in arrays))


def _sort_keys(key: np.ndarray, key_bits: int):
    """``key`` sorted, and the stable order that sorts it. Where the key and its position fit in
    63 bits, they are packed into one integer and sorted by value (several times faster than an
    argsort)."""
    n = len(key)
    index_bits = max(1, int(n).bit_length())
    if key_bits + index_bits <= 63:
        packed = (key << index_bits) | np.arange(n, dtype=np.int64)
        packed.sort()
        return packed >> index_bits, packed & ((1 << index_bits) - 1)
    order = np.argsort(key, kind="stable")
    return key[order], order


class _Changed:
    """Changed values (one column per share vector) as sorted keys ``row << shift | column``, for
    the cycle blocks' look-ups; rows are appended level by level, so keys stay sorted by
    appending. Only rows that some cycle block reads are kept (``keep``: a mask over rows)."""

    def __init__(self, shift: int, baseline: np.ndarray, keep: np.ndarray):
        self.shift = shift
        self.baseline = baseline
        self.keep = keep
        self.keys = np.zeros(0, dtype=np.int64)
        self.vals = np.zeros((0, baseline.shape[1]), dtype=np.float64)
        self._parts: list = []

    def add(self, rows, keys, vals) -> None:
        pick = self.keep[rows]
        if pick.any():
            self._parts.append((keys[pick], vals[pick]))

    def get(self, rows, cols) -> np.ndarray:
        """Values of (row, column) pairs: the changed value, else the baseline (pairs x vectors)."""
        if self._parts:
            self.keys = np.concatenate([self.keys] + [k for k, _ in self._parts])
            self.vals = np.concatenate([self.vals] + [v for _, v in self._parts])
            self._parts = []
        out = self.baseline[rows]
        if len(self.keys) and len(rows):
            q = (rows.astype(np.int64) << self.shift) | cols
            at = np.searchsorted(self.keys, q)
            at_c = np.minimum(at, len(self.keys) - 1)
            hit = self.keys[at_c] == q
            out[hit] = self.vals[at_c[hit]]
        return out


def _small(values: np.ndarray) -> np.ndarray:
    """Small integers as int16 where they fit, so that a stable argsort is a radix sort."""
    if len(values) and -32768 < values.min() and values.max() < 32767:
        return values.astype(np.int16)
    return values


def _terms(ptr, src, rows, pair, term, value, base_all, op):
    """Fold each pair's terms in order, step by step over pairs sorted by their number of terms:
    ``op(acc, term)`` from the first term, a term's value its pushed change or the baseline
    ``base_all[src[e]]`` (with ``src=None``, ``base_all[e]``: terms already weighted).

    ``pair``/``term``/``value``: the pushed changes (pair position, term number, value: one per
    share vector). Returns the accumulator in the pairs' order (pairs x vectors), the order of the
    pairs by number of terms and each pair's rank in it; ``op`` is called as ``op(acc[:m], x)``.
    """
    first = ptr[rows]
    deg = ptr[rows + 1] - first
    order = np.argsort(_small(-deg), kind="stable")
    rank = np.empty(len(rows), dtype=np.int64)
    rank[order] = np.arange(len(rows))
    first_o, deg_o = first[order], deg[order]
    by_step = np.argsort(_small(term), kind="stable")
    step_ends = np.cumsum(np.bincount(term, minlength=int(deg_o[0]) if len(deg_o) else 0))
    acc = None
    neg = -deg_o
    for k in range(int(deg_o[0]) if len(deg_o) else 0):
        m = int(np.searchsorted(neg, -k, side="left"))
        e = first_o[:m] + k
        x = np.take(base_all, e if src is None else src[e], axis=0)
        pick = by_step[(step_ends[k - 1] if k else 0):step_ends[k]]
        x[rank[pair[pick]]] = value[pick]
        if acc is None:
            acc = x
        else:
            op(acc[:m], x)
    out = np.empty((len(rows), base_all.shape[1]))
    out[order] = acc
    return out, order, rank


def _supplied(cg, rows, pair, term, value, weighted, remainder) -> np.ndarray:
    """``min(1, surviving shares + remainder)`` summed as the kernel's exact mode (Fast2Sum in
    supplier order, the remainder last, the error added once). ``weighted``: each supply edge's
    term (share x availability) with nothing knocked out; ``value``: the pushed terms, weighted."""
    shape = (len(rows), weighted.shape[1])
    err = np.zeros(shape)
    t_buf, z_buf = np.empty(shape), np.empty(shape)

    def add(acc, x):
        m = len(acc)
        _fast_two_sum(acc, err[:m], x, t_buf[:m], z_buf[:m])

    s_out, order, _ = _terms(cg.sup_ptr, None, rows, pair, term, value, weighted, add)
    # err is in sorted order: bring the sums to it, finish, and back
    s = s_out[order]
    _fast_two_sum(s, err, remainder[rows[order]], t_buf, z_buf)
    s += err
    np.minimum(s, 1.0, out=s)
    out = np.empty_like(s)
    out[order] = s
    return out


class _Parts:
    """Each row's baseline parts, one column per share vector: its own part (``own``: 1, a
    facility's country, the supplied sum), its inputs combined (``comb``: their min, or for
    ``needs: any`` their max; 1 without inputs) and, for ``needs: any``, how many inputs are at
    that max (``at_max``); and each supply edge's term (``weighted``). A row's value is
    ``min(own, comb)``, as the kernels compute it (a row with neither has own part 1)."""

    def __init__(self, cg, codes, base_all, sup_data, remainder):
        n, V = cg.n_nodes, base_all.shape[1]
        base, inputs = codes // 3, codes % 3
        none = np.zeros(0, dtype=np.int64)
        empty = np.zeros((0, V))
        self.any_row = inputs == _IN_ANY
        self.weighted = base_all[cg.sup_src] * sup_data
        self.own = np.ones((n, V))
        rows = np.flatnonzero(base == _BASE_FACILITY)
        self.own[rows] = base_all[np.clip(cg.country[rows], 0, n - 1)]  # as the kernels' np.take(mode="clip")
        rows = np.flatnonzero(base == _BASE_SUPPLIED)
        if len(rows):
            self.own[rows] = _supplied(cg, rows, none, none, empty, self.weighted, remainder)
        self.comb = np.ones((n, V))
        self.at_max = np.zeros((n, V), dtype=np.int64)
        for code, op in ((_IN_ALL, np.minimum), (_IN_ANY, np.maximum)):
            rows = np.flatnonzero(inputs == code)
            if not len(rows):
                continue
            self.comb[rows] = _terms(cg.in_ptr, cg.in_src, rows, none, none, empty, base_all,
                                     lambda a, x: op(a, x, out=a))[0]
            if code == _IN_ANY:
                counts = cg.in_ptr[rows + 1] - cg.in_ptr[rows]
                owner = np.repeat(rows, counts)
                e = np.repeat(cg.in_ptr[rows] - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
                at = base_all[cg.in_src[e]] == self.comb[owner]
                for v in range(V):
                    self.at_max[:, v] = np.bincount(owner, weights=at[:, v], minlength=n).astype(np.int64)
        # a country's own part is 1 (the kernels fill it), whatever its inputs
        self.own[base == _BASE_COUNTRY] = 1.0


def _pair_values(cg, rows, pair, slot, value, base_all, sup_data, remainder, n_sup, parts) -> np.ndarray:
    """Each (row, column) pair's value, as the kernels compute it, with the pushed changes
    (``pair`` position, ``slot``, ``value``; sorted by pair) in place of the baseline: pairs x
    share vectors (see the module docstring).

    Most pairs are reached only through inputs of ``needs: all`` rows, by values below their
    baseline: such a pair's value is ``min(its baseline, the pushed values)`` (the min is exact,
    and the inputs replaced were at least their pushed values). The others (a supplier, a
    country, a knockout itself, a ``needs: any`` row, a pushed value above its baseline) are
    computed part by part (:func:`_pair_parts`).
    """
    n_pairs, n_rec = len(rows), len(slot)
    is_input = slot >= n_sup
    src = rows[pair]
    src[is_input] = cg.in_src[slot[is_input] - n_sup]
    above = (value > np.take(base_all, src, axis=0)).any(axis=1)
    slow = np.full(n_pairs, FOLD_ALL)
    slow[pair[~is_input | above | parts.any_row[rows[pair]]]] = True
    base = np.take(base_all, rows, axis=0)
    if n_rec == n_pairs:  # one record per pair, in pair order
        out = np.minimum(base, value, out=base)
    else:
        starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
        out = np.minimum(base, np.minimum.reduceat(value, starts, axis=0), out=base)
    if slow.any():
        redo = np.flatnonzero(slow)
        local = np.full(n_pairs, -1, dtype=np.int64)
        local[redo] = np.arange(len(redo))
        rec = np.flatnonzero(slow[pair])
        out[redo] = _pair_parts(cg, rows[redo], local[pair[rec]], slot[rec], np.take(value, rec, axis=0), base_all,
                                sup_data, remainder, n_sup, parts)
    return out


def _pair_parts(cg, rows, pair, slot, value, base_all, sup_data, remainder, n_sup, parts) -> np.ndarray:
    """:func:`_pair_values` part by part: the own part and the inputs combined, from the
    baseline's with the pushed changes in place."""
    own = np.take(parts.own, rows, axis=0)
    comb = np.take(parts.comb, rows, axis=0)
    is_c = slot == _COUNTRY_SLOT
    if is_c.any():
        own[pair[is_c]] = value[is_c]
    rec = np.flatnonzero((slot >= 0) & (slot < n_sup))
    if len(rec):
        owner = pair[rec]
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        reached = owner[starts]
        local = np.full(len(rows), -1, dtype=np.int64)
        local[reached] = np.arange(len(reached))
        edge = slot[rec].astype(np.int64)
        own[reached] = _supplied(cg, rows[reached], local[owner], edge - cg.sup_ptr[rows[owner]],
                                 np.take(value, rec, axis=0) * np.take(sup_data, edge, axis=0), parts.weighted,
                                 remainder)
    rec = np.flatnonzero(slot >= n_sup)
    if len(rec):
        owner = pair[rec]
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        who = owner[starts]
        edge = slot[rec].astype(np.int64) - n_sup
        src = cg.in_src[edge]
        pushed = np.take(value, rec, axis=0)
        src_base = np.take(base_all, src, axis=0)
        fold = np.logical_or.reduceat(pushed > src_base, starts, axis=0).any(axis=1) | FOLD_ALL
        any_ = parts.any_row[rows[who]]
        low = np.minimum.reduceat(pushed, starts, axis=0)
        all_ = ~any_
        comb[who[all_]] = np.minimum(comb[who[all_]], low[all_])
        if any_.any():
            replaced = np.add.reduceat((src_base == comb[owner]).astype(np.int64), starts, axis=0)
            fold |= any_ & (replaced >= parts.at_max[rows[who]]).any(axis=1)
        for is_any, op in ((False, np.minimum), (True, np.maximum)):
            redo = who[fold & (any_ == is_any)]
            if not len(redo):
                continue
            at = np.full(len(rows), -1, dtype=np.int64)
            at[redo] = np.arange(len(redo))
            mine = at[owner] >= 0
            comb[redo] = _terms(cg.in_ptr, cg.in_src, rows[redo], at[owner[mine]],
                                edge[mine] - cg.in_ptr[rows[owner[mine]]], pushed[mine], base_all,
                                lambda a, x: op(a, x, out=a))[0]
    out = np.minimum(own, comb, out=own)
    forced = slot == _FORCED_SLOT
    if forced.any():
        out[pair[forced]] = 0.0
    return out


def _outside(block) -> np.ndarray:
    """The rows outside a cycle block that it reads."""
    return np.unique(np.concatenate([
        block.country, block.ext_terms.src.astype(np.int64), block.ext_all[1], block.ext_any[1]]).astype(np.int64))


def _cycle_values(cg, block, cols, forced_rows, forced_cols, changed: _Changed, sup_data, remainder):
    """A cycle block iterated by the engine's kernel for the columns ``cols`` only, once per share
    vector: a local matrix of the block's rows and the rows it reads from outside, the block's
    indices renumbered to it. Returns (block rows x columns x vectors)."""
    c0, c1 = block.start, block.stop
    K = c1 - c0
    outside = _outside(block)
    local = np.full(cg.n_nodes, -1, dtype=np.int64)
    local[c0:c1] = np.arange(K)
    local[outside] = K + np.arange(len(outside))
    S = len(cols)
    V = sup_data.shape[1]
    given = changed.get(np.repeat(outside, S), np.tile(cols, len(outside))).reshape(len(outside), S, V)
    terms = lambda tm: replace(tm, src=local[tm.src])  # noqa: E731
    local_block = replace(
        block, start=0, stop=K, country=local[block.country], ext_terms=terms(block.ext_terms),
        int_terms=terms(block.int_terms), ext_all=(block.ext_all[0], local[block.ext_all[1]]),
        int_all=(block.int_all[0], local[block.int_all[1]]), ext_any=(block.ext_any[0], local[block.ext_any[1]]),
        int_any=(block.int_any[0], local[block.int_any[1]]))
    position = np.full(int(cols.max()) + 1 if S else 0, -1, dtype=np.int64)
    position[cols] = np.arange(S)
    fr = np.asarray(forced_rows, dtype=np.int64) - c0
    fc = position[np.asarray(forced_cols, dtype=np.int64)]
    order = np.lexsort((fc, fr))
    out = np.empty((K, S, V))
    for v in range(V):
        L = np.empty((K + len(outside), S), dtype=np.float64)
        L[K:] = given[:, :, v]
        ctx = _Context(cg, L, np.float64(0.0), None, np.float64, True)
        ctx.sup_data = np.ascontiguousarray(sup_data[:, v])
        ctx.remainder = np.ascontiguousarray(remainder[c0:c1, v])
        ctx.cg = SimpleNamespace(ids=cg.ids[c0:c1])  # for the not-settled warning's node names
        _iterate_cycles(ctx, local_block, fr[order], fc[order])
        out[:, :, v] = L[:K]
    return out


def _share_columns(cg: CompiledGraph, shares, remainder_lost):
    """Baseline availability, share and remainder columns, one per share vector (``None``: the
    point shares), with every supplied item's remainder lost where ``remainder_lost`` says so
    (as :func:`~chokepoint.engine.evaluate`'s option)."""
    n, n_sup, V = cg.n_nodes, len(cg.sup_src), len(shares)
    supplied = np.diff(cg.sup_ptr) > 0
    base_all = np.empty((n, V))
    sup_data = np.empty((n_sup, V))
    remainder = np.empty((n, V))
    for v, sh in enumerate(shares):
        if sh is not None:
            sh = np.asarray(sh, dtype=np.float64)
            if sh.shape != (n_sup,):
                raise ValueError(f"shares of shape {sh.shape}, expected ({n_sup},)")
        base_all[:, v] = evaluate(cg, count=1, shares=sh, remainder_lost=remainder_lost[v])[:, 0]
        if sh is None:
            sup_data[:, v], remainder[:, v] = cg.sup_share, cg.remainder
        else:
            sup_data[:, v], remainder[:, v] = sh, _remainder(cg, sh[:, None])[:, 0]
        if remainder_lost[v]:  # as the kernels: no unattributed supply survives
            remainder[:, v] = np.where(supplied, 0.0, remainder[:, v])
    return base_all, sup_data, remainder


def knockout_batches(cg: CompiledGraph, knock_rows, product_rows, *, shares=(None,), remainder_lost=None,
                     batch: int = BATCH):
    """Each node of ``knock_rows`` knocked out in turn, under several share vectors at once: the
    (product, knockout) pairs whose availability differs from the baseline, batch by batch.

    ``shares``: the share vectors (``None`` for the point shares; else one value per supply edge
    in ``sup_src`` order), propagated together: a pair is followed while it differs from the
    baseline under any of them, and its values under each are what a propagation under that
    vector alone gives (a value pushed unchanged reproduces the baseline exactly, the arithmetic
    being the kernels'; the tests hold the merged propagation to separate ones, bit for bit).
    ``remainder_lost``: one flag per vector, :func:`~chokepoint.engine.evaluate`'s option (the
    pessimistic bound). Knocking out a country's row is cutting that country off.

    ``product_rows`` are the rows reported (products, or any rows): only rows they read, directly
    or not, are propagated.

    Yields ``(start, stop, product_pos, knockout_pos, values, changed, baseline)`` per batch of
    knockouts ``knock_rows[start:stop]``: positions into ``product_rows`` and ``knock_rows``
    (sorted by knockout, then product), ``values`` (pairs x vectors), ``changed`` the mask of the
    values that differ from the baseline (every pair has at least one), and ``baseline`` (products
    x vectors) every product's availability with nothing knocked out. Memory is bounded by the batch.
    """
    knock_rows = np.asarray(knock_rows, dtype=np.int64)
    product_rows = np.asarray(product_rows, dtype=np.int64)
    shares = list(shares)
    remainder_lost = [False] * len(shares) if remainder_lost is None else [bool(x) for x in remainder_lost]
    if len(remainder_lost) != len(shares):
        raise ValueError(f"{len(remainder_lost)} remainder_lost flags for {len(shares)} share vectors")
    n = cg.n_nodes
    n_sup = len(cg.sup_src)
    base_all, sup_data, remainder = _share_columns(cg, shares, remainder_lost)
    V = len(shares)
    baseline = base_all[product_rows]
    if not len(knock_rows):
        return
    plan = _plan(cg)
    codes = np.repeat(cg.group_code.astype(np.int64), np.diff(cg.group_ptr))
    useful = _upstream(cg, product_rows)
    ptr, targets, slots = _children(cg, useful)
    parts = _Parts(cg, codes, base_all, sup_data, remainder)
    product_pos = np.full(n, -1, dtype=np.int64)
    product_pos[product_rows] = np.arange(len(product_rows))
    read_by_cycles = np.zeros(n, dtype=bool)
    for level in plan.levels:
        if level.block is not None:
            read_by_cycles[_outside(level.block)] = True
    level_of = cg.level.astype(np.int64)
    n_products = max(1, len(product_rows))
    row_bits = max(1, int(n).bit_length())
    for b0 in range(0, len(knock_rows), batch):
        rows_b = knock_rows[b0:b0 + batch]
        width = len(rows_b)
        shift = max(1, int(width - 1).bit_length())
        mask = (1 << shift) - 1
        changed = _Changed(shift, base_all, read_by_cycles)
        pending = [[] for _ in range(cg.n_levels)]
        kcols = np.arange(width, dtype=np.int32)
        found_p, found_k, found_v = [], [], []
        # a knockout itself: a record with no term that forces the pair to zero (a node no
        # reported row reads changes nothing reported)
        live = np.flatnonzero(useful[rows_b])
        if len(live):
            _bucket(pending, level_of[rows_b[live]], rows_b[live].astype(np.int32), kcols[live],
                    np.zeros((len(live), V)), np.full(len(live), _FORCED_SLOT, dtype=np.int32))
        for lv, level in enumerate(plan.levels):
            if not pending[lv]:
                continue
            rows, cols, vals, slot = (np.concatenate(p) if len(p) > 1 else p[0] for p in zip(*pending[lv]))
            pending[lv] = []
            key, order = _sort_keys((rows.astype(np.int64) << shift) | cols, row_bits + shift)
            del rows, cols
            vals, slot = np.take(vals, order, axis=0), slot[order]
            del order
            if len(key) > 1:
                new = np.r_[True, key[1:] != key[:-1]]
                if new.all():
                    pair, ukey = np.arange(len(key)), key
                else:
                    pair, ukey = np.cumsum(new) - 1, key[new]
            else:
                pair, ukey = np.arange(len(key)), key
            urows = ukey >> shift
            if level.block is None:
                v_all = _pair_values(cg, urows, pair, slot, vals, base_all, sup_data, remainder, n_sup, parts)
                k_all = ukey
            elif urows[-1] < level.cyclic:  # nothing reaches the level's cycle block
                v_all = _pair_values(cg, urows, pair, slot, vals, base_all, sup_data, remainder, n_sup, parts)
                k_all = ukey
            else:
                acyc = urows < level.cyclic  # sorted: the acyclic rows come first
                n_acyc = int(np.count_nonzero(acyc))
                n_rec = int(np.searchsorted(pair, n_acyc))
                out_keys, out_vals = [], []
                if n_acyc:
                    out_vals.append(_pair_values(cg, urows[:n_acyc], pair[:n_rec], slot[:n_rec], vals[:n_rec],
                                                 base_all, sup_data, remainder, n_sup, parts))
                    out_keys.append(ukey[:n_acyc])
                if n_acyc < len(ukey):
                    block = level.block
                    ks = np.unique(ukey[~acyc] & mask)
                    fsel = (rows_b >= block.start) & (rows_b < block.stop) & np.isin(kcols, ks)
                    X = _cycle_values(cg, block, ks, rows_b[fsel], kcols[fsel], changed, sup_data, remainder)
                    brows = np.repeat(np.arange(block.start, block.stop, dtype=np.int64), len(ks))
                    out_keys.append((brows << shift) | np.tile(ks, block.stop - block.start))
                    out_vals.append(X.reshape(-1, V))
                k_all = np.concatenate(out_keys)
                v_all = np.concatenate(out_vals)
                order = np.argsort(k_all, kind="stable")
                k_all, v_all = k_all[order], v_all[order]
            del vals, slot, pair
            r_all = k_all >> shift
            keep = (v_all != np.take(base_all, r_all, axis=0)).any(axis=1)
            if not keep.all():
                k_all, v_all, r_all = k_all[keep], np.compress(keep, v_all, axis=0), r_all[keep]
            if not len(k_all):
                continue
            c_all = (k_all & mask).astype(np.int32)
            changed.add(r_all, k_all, v_all)
            is_product = product_pos[r_all] >= 0
            if is_product.any():
                found_p.append(product_pos[r_all[is_product]])
                found_k.append(c_all[is_product])
                found_v.append(np.compress(is_product, v_all, axis=0))
            if lv + 1 < cg.n_levels:
                child, ccol, cval, cslot = _expand(ptr, targets, slots, r_all, c_all, v_all)
                if len(child):
                    _bucket(pending, level_of[child], child, ccol, cval, cslot)
        p = np.concatenate(found_p) if found_p else np.zeros(0, dtype=np.int64)
        k = np.concatenate(found_k).astype(np.int64) if found_k else np.zeros(0, dtype=np.int64)
        v = np.concatenate(found_v) if found_v else np.zeros((0, V))
        _, order = _sort_keys(k * n_products + p, (width * n_products).bit_length())
        p, k, v = p[order], k[order] + b0, np.take(v, order, axis=0)
        yield b0, b0 + width, p, k, v, v != np.take(baseline, p, axis=0), baseline


def knockout_products(cg: CompiledGraph, knock_rows, product_rows, *, shares=None):
    """Each node of ``knock_rows`` knocked out in turn: the (product, knockout) pairs whose
    availability differs from the baseline, and the baseline.

    Returns ``(product_pos, knockout_pos, availability, baseline)``: positions into
    ``product_rows`` and ``knock_rows``, sorted by knockout then product; ``baseline`` is every
    product's availability with nothing knocked out. ``shares``: one point-share vector in
    ``sup_src`` order for every knockout (as :func:`evaluate`'s one-vector ``shares``).
    See :func:`knockout_batches` for several share vectors at once, batch by batch.
    """
    parts = list(knockout_batches(cg, knock_rows, product_rows, shares=(shares,)))
    if not parts:
        base = evaluate(cg, count=1, shares=shares)[np.asarray(product_rows, dtype=np.int64), 0].astype(np.float64)
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), base
    p = np.concatenate([part[2] for part in parts])
    k = np.concatenate([part[3] for part in parts])
    v = np.concatenate([part[4][:, 0] for part in parts])
    return p, k, v, parts[0][6][:, 0]
