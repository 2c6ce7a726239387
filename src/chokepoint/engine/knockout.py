"""Knockouts at scale: each node removed in turn, evaluated only where it changes anything.

A knockout only changes the nodes downstream of the knocked-out node. :func:`knockout_products`
propagates each knockout's *changes* level by level, as sparse (row, knockout) pairs: a pair is
recomputed only when one of the row's suppliers, inputs or country changed under that knockout.
A changed value is pushed along the row's out-edges to the term it fills in each reader, so
that a pair is computed from the baseline with those terms replaced (no look-ups). A row whose
value comes out bit-for-bit equal to the baseline stops the propagation there.

The arithmetic of each pair is the engine's, operation for operation (the same exact sums of
surviving shares, in the same order, the same min and max over inputs), and a cycle block that
a knockout reaches is iterated by the engine's own kernel on the knockouts that reach it, so
that every value is the one :func:`~chokepoint.engine.evaluate` gives for that knockout alone,
to the last bit (the tests hold it to that). The cost is the sum of the knockouts' downstream
regions, not knockouts x nodes: on a generated 1M-edge graph, 200,000 knockouts in a few
seconds rather than 200,000 full scenarios.
"""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np

from .compile import _BASE_FACILITY, _BASE_ONE, _BASE_SUPPLIED, _IN_ALL, _IN_ANY, CompiledGraph
from .evaluate import evaluate
from .kernels import _Context, _fast_two_sum, _iterate_cycles, _plan, _remainder

#: Knockouts propagated together (bounds the memory of the changed pairs).
BATCH = 16384
#: Slot of a facility's country (the one term of a facility's base).
_COUNTRY_SLOT = -1


def _children(cg: CompiledGraph):
    """CSR of the readers of each row, with the term each reads it into: a supply edge's
    position in ``sup_src``, ``n_sup +`` a requires edge's position in ``in_src``, or
    :data:`_COUNTRY_SLOT` for a facility reading its country."""
    n = cg.n_nodes
    n_sup = len(cg.sup_src)
    own_s = np.repeat(np.arange(n, dtype=np.int64), np.diff(cg.sup_ptr))
    own_i = np.repeat(np.arange(n, dtype=np.int64), np.diff(cg.in_ptr))
    fac = np.flatnonzero(cg.country >= 0)
    src = np.concatenate([cg.sup_src.astype(np.int64), cg.in_src.astype(np.int64), cg.country[fac].astype(np.int64)])
    dst = np.concatenate([own_s, own_i, fac])
    slot = np.concatenate([np.arange(n_sup, dtype=np.int64), n_sup + np.arange(len(cg.in_src), dtype=np.int64),
                           np.full(len(fac), _COUNTRY_SLOT, dtype=np.int64)])
    order = np.argsort(src, kind="stable")
    ptr = np.r_[0, np.cumsum(np.bincount(src, minlength=n))].astype(np.int64)
    return ptr, dst[order], slot[order]


def _expand(ptr, targets, slots, rows, cols, vals):
    """The records a set of changed (row, column, value) sends to its readers:
    (reader, column, value, slot)."""
    counts = ptr[rows + 1] - ptr[rows]
    total = int(counts.sum())
    if not total:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), empty
    offsets = np.repeat(ptr[rows] - np.cumsum(counts) + counts, counts) + np.arange(total)
    return targets[offsets], np.repeat(cols, counts), np.repeat(vals, counts), slots[offsets]


def _bucket(pending, levels, *arrays) -> None:
    """Append records to the pending list of their level."""
    order = np.argsort(levels.astype(np.int16), kind="stable")  # a radix sort
    counts = np.bincount(levels, minlength=len(pending))
    ends = np.cumsum(counts)
    for lv in np.flatnonzero(counts).tolist():
        pick = order[ends[lv] - counts[lv]:ends[lv]]
        pending[lv].append(tuple(a[pick] for a in arrays))


class _Changed:
    """Changed values as sorted keys ``row * width + column``, for the cycle blocks' look-ups; rows
    are appended level by level, so keys stay sorted by appending."""

    def __init__(self, width: int, baseline: np.ndarray):
        self.width = width
        self.baseline = baseline
        self.keys = np.zeros(0, dtype=np.int64)
        self.vals = np.zeros(0, dtype=np.float64)
        self._parts: list = []

    def add(self, keys, vals) -> None:
        self._parts.append((keys, vals))

    def get(self, rows, cols) -> np.ndarray:
        """Values of (row, column) pairs: the changed value, else the baseline."""
        if self._parts:
            self.keys = np.concatenate([self.keys] + [k for k, _ in self._parts])
            self.vals = np.concatenate([self.vals] + [v for _, v in self._parts])
            self._parts = []
        out = self.baseline[rows]
        if len(self.keys) and len(rows):
            q = rows * self.width + cols
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


def _terms(ptr, src, rows, pair, term, value, base_all, op, first_value=None):
    """Fold each pair's terms in order, step by step over pairs sorted by their number of terms:
    ``op(acc, term)`` from the first term, a term's value its pushed change or the baseline.

    ``pair``/``term``/``value``: the pushed changes (pair position, term number, value).
    ``first_value(x)`` transforms each term's value (the share weighting). Returns the
    accumulator in the pairs' order; ``op`` is called as ``op(acc[:m], x)``.
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
        x = base_all[src[e]]
        pick = by_step[(step_ends[k - 1] if k else 0):step_ends[k]]
        x[rank[pair[pick]]] = value[pick]
        if first_value is not None:
            x = first_value(x, e)
        if acc is None:
            acc = x
        else:
            op(acc[:m], x)
    out = np.empty(len(rows))
    out[order] = acc
    return out, order, rank


def _pair_values(cg, codes, rows, pair, slot, value, base_all, sup_data, remainder, n_sup) -> np.ndarray:
    """Each (row, column) pair's value from its suppliers, inputs or country, as the kernels compute
    it, with the pushed changes (``pair`` position, ``slot``, ``value``) in place of the baseline."""
    base = codes[rows] // 3
    inputs = codes[rows] % 3
    out = np.ones(len(rows), dtype=np.float64)
    sel = np.flatnonzero(base == _BASE_FACILITY)
    if len(sel):
        out[sel] = base_all[cg.country[rows[sel]]]
        is_c = slot == _COUNTRY_SLOT
        out[pair[is_c]] = value[is_c]
    sel = np.flatnonzero(base == _BASE_SUPPLIED)
    if len(sel):
        local = np.full(len(rows), -1, dtype=np.int64)
        local[sel] = np.arange(len(sel))
        rec = np.flatnonzero((slot >= 0) & (slot < n_sup))
        rec = rec[local[pair[rec]] >= 0]
        r = rows[sel]
        out[sel] = _supplied(cg, r, local[pair[rec]], slot[rec] - cg.sup_ptr[rows[pair[rec]]], value[rec],
                             base_all, sup_data, remainder)
    for code, op in ((_IN_ALL, np.minimum), (_IN_ANY, np.maximum)):
        sel = np.flatnonzero(inputs == code)
        if not len(sel):
            continue
        local = np.full(len(rows), -1, dtype=np.int64)
        local[sel] = np.arange(len(sel))
        rec = np.flatnonzero(slot >= n_sup)
        rec = rec[local[pair[rec]] >= 0]
        term = slot[rec] - n_sup - cg.in_ptr[rows[pair[rec]]]
        comb, _, _ = _terms(cg.in_ptr, cg.in_src, rows[sel], local[pair[rec]], term, value[rec], base_all,
                            lambda a, x: op(a, x, out=a))
        replace_ = base[sel] == _BASE_ONE
        out[sel] = np.where(replace_, comb, np.minimum(out[sel], comb))
    return out


def _supplied(cg, rows, pair, term, value, base_all, sup_data, remainder) -> np.ndarray:
    """``min(1, surviving shares + remainder)`` summed as the kernel's exact mode (Fast2Sum in
    supplier order, the remainder last, the error added once)."""
    err = np.zeros(len(rows))
    scratch = {}

    def add(acc, x):
        m = len(acc)
        _fast_two_sum(acc, err[:m], x, scratch["t"][:m], scratch["z"][:m])

    def weigh(x, e):
        x *= sup_data[e]
        return x

    scratch["t"], scratch["z"] = np.empty(len(rows)), np.empty(len(rows))
    s_out, order, rank = _terms(cg.sup_ptr, cg.sup_src, rows, pair, term, value, base_all, add, weigh)
    # err is in sorted order: bring the sums to it, finish, and back
    s = s_out[order]
    t, z = np.empty_like(s), np.empty_like(s)
    _fast_two_sum(s, err, remainder[rows[order]], t, z)
    s += err
    np.minimum(s, 1.0, out=s)
    out = np.empty_like(s)
    out[order] = s
    return out


def _cycle_values(cg, block, cols, forced_rows, forced_cols, changed: _Changed, sup_data, remainder):
    """A cycle block iterated by the engine's kernel for the columns ``cols`` only: a local matrix of
    the block's rows and the rows it reads from outside, the block's indices renumbered to it."""
    c0, c1 = block.start, block.stop
    K = c1 - c0
    outside = np.unique(np.concatenate([
        block.country, block.ext_terms.src.astype(np.int64), block.ext_all[1], block.ext_any[1]]).astype(np.int64))
    local = np.full(cg.n_nodes, -1, dtype=np.int64)
    local[c0:c1] = np.arange(K)
    local[outside] = K + np.arange(len(outside))
    S = len(cols)
    L = np.empty((K + len(outside), S), dtype=np.float64)
    L[K:] = changed.get(np.repeat(outside, S), np.tile(cols, len(outside))).reshape(len(outside), S)
    terms = lambda tm: replace(tm, src=local[tm.src])  # noqa: E731
    local_block = replace(
        block, start=0, stop=K, country=local[block.country], ext_terms=terms(block.ext_terms),
        int_terms=terms(block.int_terms), ext_all=(block.ext_all[0], local[block.ext_all[1]]),
        int_all=(block.int_all[0], local[block.int_all[1]]), ext_any=(block.ext_any[0], local[block.ext_any[1]]),
        int_any=(block.int_any[0], local[block.int_any[1]]))
    ctx = _Context(cg, L, np.float64(0.0), None, np.float64, True)
    ctx.sup_data = sup_data
    ctx.remainder = remainder[c0:c1]
    ctx.cg = SimpleNamespace(ids=cg.ids[c0:c1])  # for the not-settled warning's node names
    position = {int(k): j for j, k in enumerate(cols.tolist())}
    fr = forced_rows - c0
    fc = np.array([position[int(k)] for k in forced_cols.tolist()], dtype=np.int64)
    order = np.lexsort((fc, fr))
    _iterate_cycles(ctx, local_block, fr[order], fc[order])
    return L[:K]


def knockout_products(cg: CompiledGraph, knock_rows, product_rows, *, shares=None):
    """Each node of ``knock_rows`` knocked out in turn: the (product, knockout) pairs whose
    availability differs from the baseline, and the baseline.

    Returns ``(product_pos, knockout_pos, availability, baseline)``: positions into
    ``product_rows`` and ``knock_rows``, sorted by knockout then product; ``baseline`` is every
    product's availability with nothing knocked out. ``shares``: one point-share vector in
    ``sup_src`` order for every knockout (as :func:`evaluate`'s one-vector ``shares``).
    """
    knock_rows = np.asarray(knock_rows, dtype=np.int64)
    product_rows = np.asarray(product_rows, dtype=np.int64)
    n = cg.n_nodes
    n_sup = len(cg.sup_src)
    base_all = evaluate(cg, count=1, shares=shares)[:, 0].astype(np.float64)
    if shares is None:
        sup_data, remainder = cg.sup_share, cg.remainder
    else:
        shares = np.asarray(shares, dtype=np.float64)
        sup_data, remainder = shares, _remainder(cg, shares[:, None])[:, 0]
    plan = _plan(cg)
    codes = np.repeat(cg.group_code.astype(np.int64), np.diff(cg.group_ptr))
    ptr, targets, slots = _children(cg)
    product_pos = np.full(n, -1, dtype=np.int64)
    product_pos[product_rows] = np.arange(len(product_rows))
    found_p, found_k, found_v = [], [], []
    for b0 in range(0, len(knock_rows), BATCH):
        batch = knock_rows[b0:b0 + BATCH]
        width = len(batch)
        changed = _Changed(width, base_all)
        pending = [[] for _ in range(cg.n_levels)]
        kcols = np.arange(width, dtype=np.int64)
        # a knockout itself: a record with no term (slot -2) that forces the pair to zero
        _bucket(pending, cg.level[batch], batch, kcols, np.zeros(width), np.full(width, -2, dtype=np.int64))
        for lv, level in enumerate(plan.levels):
            if not pending[lv]:
                continue
            rows, cols, vals, slot = (np.concatenate(parts) for parts in zip(*pending[lv]))
            pending[lv] = []
            key = rows * width + cols
            order = np.argsort(key)
            key, vals, slot = key[order], vals[order], slot[order]
            new = np.r_[True, key[1:] != key[:-1]] if len(key) else np.zeros(0, dtype=bool)
            pair = np.cumsum(new) - 1
            ukey = key[new]
            urows, ucols = ukey // width, ukey % width
            acyc = urows < level.cyclic
            out_keys, out_vals = [], []
            if acyc.any():
                ia = np.flatnonzero(acyc)
                rec = acyc[pair]
                local = np.full(len(ukey), -1, dtype=np.int64)
                local[ia] = np.arange(len(ia))
                v = _pair_values(cg, codes, urows[ia], local[pair[rec]], slot[rec], vals[rec], base_all, sup_data,
                                 remainder, n_sup)
                forced = rec & (slot == -2)
                v[local[pair[forced]]] = 0.0
                out_keys.append(ukey[ia])
                out_vals.append(v)
            if not acyc.all():
                block = level.block
                ks = np.unique(ucols[~acyc])
                fsel = (batch >= block.start) & (batch < block.stop) & np.isin(kcols, ks)
                X = _cycle_values(cg, block, ks, batch[fsel], kcols[fsel], changed, sup_data, remainder)
                brows = np.repeat(np.arange(block.start, block.stop, dtype=np.int64), len(ks))
                out_keys.append(brows * width + np.tile(ks, block.stop - block.start))
                out_vals.append(X.reshape(-1))
            k_all = np.concatenate(out_keys)
            v_all = np.concatenate(out_vals)
            r_all = k_all // width
            keep = v_all != base_all[r_all]
            k_all, v_all, r_all = k_all[keep], v_all[keep], r_all[keep]
            if not len(k_all):
                continue
            if level.block is not None:
                order = np.argsort(k_all)
                k_all, v_all, r_all = k_all[order], v_all[order], r_all[order]
            c_all = k_all % width
            changed.add(k_all, v_all)
            is_product = product_pos[r_all] >= 0
            found_p.append(product_pos[r_all[is_product]])
            found_k.append(c_all[is_product] + b0)
            found_v.append(v_all[is_product])
            child, ccol, cval, cslot = _expand(ptr, targets, slots, r_all, c_all, v_all)
            _bucket(pending, cg.level[child], child, ccol, cval, cslot)
    p = np.concatenate(found_p) if found_p else np.zeros(0, dtype=np.int64)
    k = np.concatenate(found_k) if found_k else np.zeros(0, dtype=np.int64)
    v = np.concatenate(found_v) if found_v else np.zeros(0)
    order = np.argsort(k * max(1, len(product_rows)) + p)
    return p[order], k[order], v[order], base_all[product_rows]
