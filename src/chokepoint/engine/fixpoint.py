"""The largest fixed point of one cycle, solved exactly when iterating would not reach it.

Inside a cycle (a strongly connected block of nodes) availability is the largest fixed point of

    x_i = min(upper_i, supply_i(x), min of x_j over the ``all`` inputs in the block,
              max(outside_i, x_j over the ``any`` inputs in the block))

where ``upper_i`` gathers what is constant for the block (1, a facility's country, the ``all``
inputs from outside, 0 for a cut or knocked-out node) and ``supply_i(x) = min(1, c_i + sum_j a_ij
x_j)`` is an item's surviving supply with spare capacity (``c_i``: outside suppliers and the
unknown remainder). Iterating down from full availability reaches that point in the limit, but
when a loop's gain (the product of the shares around it) is near 1 the steps get as small as the
tolerance long before the values are near it: a facility that needs 99.99999999999% of its own
output keeps reporting about 100% when the largest fixed point is 0.

:func:`largest_fixed_point` solves the block exactly instead, by min-strategy iteration from
the point the iteration reached (which lies above the largest fixed point): each row takes its
smallest piece there, the linear system of those pieces is solved (a dense LU solve), and again
from the solution, until the pieces no longer change; the point is then a fixed point of the
full system, and the largest (every point visited stays above the largest fixed point). An
``any`` row is a maximum: for each choice of one alternative per ``any`` row the system is
min-affine and smaller, and the largest fixed point is the componentwise maximum over the
choices (the choice the true point makes is among them), so they are enumerated (at most
:data:`MAX_CHOICES`). A loop whose gain is 1 or more under the pieces taken (a singular system)
is not solved: the caller keeps the iteration's value, an upper bound, and says so.

:func:`largest_fixed_points` does this for many scenarios of one block at once (the engine hands
it every stalled column of a block: a sweep's countries, the knockouts that reach the block): the
pieces are chosen column by column in arrays and the linear systems solved as one stack, each
column exactly as it would be alone (``tests/test_fixpoint_batched.py``). On a generated 1M-edge
graph with cycles the pessimistic sweep bound solved ~1,100 block columns one by one in Python in
about 14 s; together, in about 1 s.

:func:`is_settled` decides when iterating may stop: a change of 0, or two consecutive small
changes shrinking fast enough that what is left is below the tolerance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from itertools import product

import numpy as np

#: Choices of alternatives (product over ``any`` rows) enumerated at most.
MAX_CHOICES = 256
#: Round-off allowed when a solution is checked against the point above it.
EXACT = 1e-12
#: A change at most this small, shrinking by at least this ratio, lets the iteration stop.
SMALL_CHANGE = 1e-6
FAST_RATIO = 0.9
#: After this many iterations a change that shrinks by less than SLOW_RATIO per step is hopeless.
SLOW_AFTER = 50
SLOW_RATIO = 0.99


def is_settled(change: float, previous: float | None, tolerance: float) -> bool:
    """Whether the iteration has reached the largest fixed point to ``tolerance``.

    With a contraction of ratio ``q`` the distance left is about ``change * q / (1 - q)``; ``q`` is
    estimated from two consecutive small changes, so a single tiny step (a gain near 1) is not
    taken for convergence.
    """
    if change == 0.0:
        return True
    if change > tolerance or previous is None or not 0.0 < previous <= SMALL_CHANGE:
        return False
    ratio = change / previous
    return ratio <= FAST_RATIO and change * ratio / (1.0 - ratio) <= tolerance


def is_slow(iteration: int, change: float, previous: float | None) -> bool:
    """Whether the iteration creeps: it would take far too long to settle (loop gain near 1)."""
    return iteration >= SLOW_AFTER and previous is not None and previous > 0.0 and change / previous > SLOW_RATIO


@dataclass
class BlockSystem:
    """One scenario's equations of a cycle block (rows ``0..K-1``), as described in the module docstring."""

    upper: np.ndarray                       # (K,) constant bound of each row
    sup_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    sup_const: np.ndarray = field(default_factory=lambda: np.zeros(0))     # c_i of each supplied row
    term_row: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # a_ij as (i, j, a)
    term_src: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    term_coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    all_dst: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))   # x_dst <= x_src
    all_src: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    any_rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # rows that take a max
    any_outside: np.ndarray = field(default_factory=lambda: np.zeros(0))  # best outside alternative (0: none)
    any_dst: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    any_src: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def size(self) -> int:
        return len(self.upper)

    def apply(self, x: np.ndarray) -> np.ndarray:
        """``F(x)``: one step of the equations."""
        value = np.minimum(self.upper, 1.0).astype(np.float64)
        if len(self.sup_rows):
            supplied = self.sup_const.astype(np.float64).copy()
            np.add.at(supplied, np.searchsorted(self.sup_rows, self.term_row), self.term_coef * x[self.term_src])
            value[self.sup_rows] = np.minimum(value[self.sup_rows], np.minimum(1.0, supplied))
        if len(self.all_dst):
            np.minimum.at(value, self.all_dst, x[self.all_src])
        if len(self.any_rows):
            best = np.full(self.size, -np.inf)
            best[self.any_rows] = self.any_outside
            np.maximum.at(best, self.any_dst, x[self.any_src])
            value[self.any_rows] = np.minimum(value[self.any_rows], best[self.any_rows])
        return np.clip(value, 0.0, 1.0)


def largest_fixed_point(system: BlockSystem, start: np.ndarray, *, slack: float = EXACT) -> np.ndarray | None:
    """The largest fixed point of ``system``, from ``start``, a point the iteration reached (every
    iterate lies above the largest fixed point, and ``F(start) <= start``); None when it cannot be
    had exactly (too many ``any`` choices, or a piece whose loop gain is 1 or more). ``slack``: how
    far above ``start`` a solution may lie by round-off (more for a float32 ``start``)."""
    if system.size == 0:
        return np.zeros(0)
    start = np.asarray(start, dtype=np.float64)[:, None]
    solved, ok = largest_fixed_points(system, start, slack=slack)
    return solved[:, 0] if ok[0] else None


def largest_fixed_points(system: BlockSystem, start: np.ndarray, *, slack: float = EXACT):
    """:func:`largest_fixed_point` for many columns at once: ``system`` holds the structure of one
    block and its constants either as vectors (the same for every column) or as one column per
    scenario (``upper`` K x S, ``sup_const``, ``term_coef``, ``any_outside``); ``start`` is K x S.

    Every column is solved on its own, as :func:`largest_fixed_point` would alone (the pieces,
    the ties and the linear solves are per column; a column's result does not depend on the others
    solved with it). Returns ``(solution K x S, solved mask S)``; an unsolved column's values are
    undefined."""
    K = system.size
    start = np.clip(np.asarray(start, dtype=np.float64), 0.0, 1.0)
    S = start.shape[1]
    if K == 0 or S == 0:
        return np.zeros((K, S)), np.ones(S, dtype=bool)
    options = []
    for row in system.any_rows.tolist():
        inside = system.any_src[system.any_dst == row].tolist()
        options.append([None] + [j for j in inside if j != row])  # None: the best outside alternative
    if math.prod(len(o) for o in options) > MAX_CHOICES:
        return np.zeros((K, S)), np.zeros(S, dtype=bool)
    best = None
    ok = np.ones(S, dtype=bool)
    for choice in product(*options):
        y, solved = _strategy_iteration(_Pieces(system, choice, S), start, slack, ok)
        ok &= solved
        if not ok.any():
            break
        best = y if best is None else np.maximum(best, y)
    return (best if best is not None else np.zeros((K, S))), ok


def _columns(values, count: int, S: int) -> np.ndarray:
    """Constants as (count x S): a vector is the same for every column."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim == 1:
        return np.broadcast_to(values[:, None], (count, S))
    return values


class _Pieces:
    """The pieces of every row under an ``any`` choice, for S columns: ``kind`` (0 a constant,
    1 the supply, 2 a copy of input ``src``) of each piece, its ``row``, in each row's order (the
    constant, the supply, the inputs; the ``any`` row's picked input last), ``starts`` of each
    row's pieces; the constants ``const`` (K x S), the supply's constant ``c`` and terms."""

    def __init__(self, system: BlockSystem, choice, S: int):
        K = system.size
        const = np.minimum(_columns(system.upper, K, S), 1.0).astype(np.float64, copy=True)
        copy_dst = system.all_dst.tolist()
        copy_src = system.all_src.tolist()
        if len(system.any_rows):
            outside = _columns(system.any_outside, len(system.any_rows), S)
            for a, (row, picked) in enumerate(zip(system.any_rows.tolist(), choice)):
                if picked is None:
                    const[row] = np.minimum(const[row], np.maximum(0.0, outside[a]))
                else:
                    copy_dst.append(row)
                    copy_src.append(picked)
        self.const = const
        supplied = np.zeros(K, dtype=bool)
        supplied[system.sup_rows] = True
        # pieces, row by row: the constant, the supply, the copies in the order given
        rows = [np.arange(K), system.sup_rows.astype(np.int64), np.asarray(copy_dst, dtype=np.int64)]
        kinds = [np.zeros(K, dtype=np.int64), np.ones(len(system.sup_rows), dtype=np.int64),
                 np.full(len(copy_dst), 2, dtype=np.int64)]
        srcs = [np.full(K, -1, dtype=np.int64), np.full(len(system.sup_rows), -1, dtype=np.int64),
                np.asarray(copy_src, dtype=np.int64)]
        row, kind, src = np.concatenate(rows), np.concatenate(kinds), np.concatenate(srcs)
        order = np.argsort(row, kind="stable")
        self.row, self.kind, self.src = row[order], kind[order], src[order]
        self.starts = np.r_[0, np.cumsum(np.bincount(self.row, minlength=K))[:-1]]
        self.K, self.S = K, S
        # the supply: c + sum of a_ij x_j, terms grouped by row in the order given
        self.sup_rows = system.sup_rows.astype(np.int64)
        self.sup_const = _columns(system.sup_const, len(self.sup_rows), S) if len(self.sup_rows) else None
        t_order = np.argsort(system.term_row, kind="stable")
        self.term_row = np.asarray(system.term_row, dtype=np.int64)[t_order]
        self.term_src = np.asarray(system.term_src, dtype=np.int64)[t_order]
        self.term_coef = _columns(system.term_coef, len(system.term_row), S)[t_order]
        self.sup_at = np.full(K, -1, dtype=np.int64)
        self.sup_at[self.sup_rows] = np.arange(len(self.sup_rows))
        self.term_sup = self.sup_at[self.term_row]
        # the k-th term of each supplied row, for the ordered sums
        first = np.r_[0, np.flatnonzero(self.term_row[1:] != self.term_row[:-1]) + 1] if len(self.term_row) else \
            np.zeros(0, dtype=np.int64)
        rank = np.arange(len(self.term_row)) - np.repeat(first, np.diff(np.r_[first, len(self.term_row)]))
        self.term_rank = rank
        self.depth = int(rank.max()) + 1 if len(rank) else 0
        self.copy_row = np.flatnonzero(self.kind == 2)

    def supply(self, x: np.ndarray) -> np.ndarray:
        """Each supplied row's ``c + sum a_ij x_j`` (rows x S), summed with a running error term
        (Neumaier) in the order given, close to a correctly rounded sum."""
        s = self.sup_const.copy()
        err = np.zeros_like(s)
        for k in range(self.depth):
            at = np.flatnonzero(self.term_rank == k)
            r = self.term_sup[at]
            v = self.term_coef[at] * x[self.term_src[at]]
            a = s[r]
            t = a + v
            big = np.abs(a) >= np.abs(v)
            err[r] += np.where(big, (a - t) + v, (v - t) + a)
            s[r] = t
        return s + err

    def values(self, x: np.ndarray) -> np.ndarray:
        """Each piece's value at ``x`` (pieces x S)."""
        out = np.empty((len(self.row), self.S))
        is_c = self.kind == 0
        out[is_c] = self.const[self.row[is_c]]
        if len(self.sup_rows):
            at = np.flatnonzero(self.kind == 1)
            out[at] = self.supply(x)[self.sup_at[self.row[at]]]
        at = self.copy_row
        out[at] = x[self.src[at]]
        return out


def _take(pieces: _Pieces, x: np.ndarray, previous: np.ndarray | None) -> np.ndarray:
    """The piece each row takes at ``x`` (K x S, a piece number): the smallest; on a tie (within
    1e-15 relative) the previous one, else the first of the row (a constant before the supply
    before an input)."""
    values = pieces.values(x)
    low = np.minimum.reduceat(values, pieces.starts, axis=0)
    low_p = low[pieces.row]
    near = values <= low_p + 1e-15 * (1.0 + np.abs(low_p))
    number = np.arange(len(pieces.row), dtype=np.int64)[:, None]
    taken = np.minimum.reduceat(np.where(near, number, len(pieces.row)), pieces.starts, axis=0)
    if previous is not None:
        keep = np.take_along_axis(near, previous, axis=0)
        taken = np.where(keep, previous, taken)
    return taken


def _strategy_iteration(pieces: _Pieces, start: np.ndarray, slack: float, wanted: np.ndarray):
    """Min-strategy iteration for the largest fixed point of a min-affine system, from above, for
    every column ``wanted`` (the others are left alone). Returns (x, solved mask).

    At the current point ``x`` (always above the largest fixed point) each row takes its smallest
    piece (a constant, its supply, one of its inputs); with the pieces fixed the system is linear,
    ``y = c + M y``, and its solution is the largest fixed point below ``x`` of that linear system,
    which lies above the largest fixed point of the full one. When the pieces taken at ``y`` are
    the ones just used, ``y`` is a fixed point of the full system, hence the largest. A solution
    that is not finite, negative or above ``x`` means a loop gain of 1 or more: not solved.
    """
    K, S = pieces.K, pieces.S
    x = np.minimum(start, pieces.const)
    solved = np.zeros(S, dtype=bool)
    active = wanted.copy()
    taken = None
    for _ in range(4 * K + 20):
        cols = np.flatnonzero(active)
        if not len(cols):
            break
        now = _take(pieces, x, taken)
        if taken is not None:
            same = (now[:, cols] == taken[:, cols]).all(axis=0)
            solved[cols[same]] = True
            active[cols[same]] = False
            cols = cols[~same]
            if not len(cols):
                break
        taken = now
        y, good = _solve(pieces, cols, taken[:, cols], x[:, cols])
        xc = x[:, cols]
        good &= ~(np.any(y < -slack, axis=0) | np.any(y > xc + slack, axis=0))
        active[cols[~good]] = False
        keep = cols[good]
        x[:, keep] = np.clip(np.minimum(y[:, good], xc[:, good]), 0.0, 1.0)
    return x, solved


def _loop_values(succ: np.ndarray, x: np.ndarray):
    """Rows on loops of inputs taken (``x_i = x_j = ... = x_i``; ``succ`` the row copied, or -1)
    and each such row's loop's least ``x`` (K x S both), by pointer doubling: after ``2^m >= K``
    steps every walk that has not ended sits on a loop (those rows are the loops'), and the least
    ``x`` over the ``2^m`` rows a walk visits from a loop's row covers the whole loop."""
    K, S = succ.shape
    colidx = np.arange(S)[None, :]
    on_loop = np.zeros((K, S), dtype=bool)
    if not (succ >= 0).any():
        return on_loop, x
    jump, low = succ.copy(), x.copy()  # succ^(2^k), least x over the next 2^k rows from each
    span = 1
    while span < K:
        valid = jump >= 0
        at = np.maximum(jump, 0)
        low = np.where(valid, np.minimum(low, low[at, colidx]), low)
        jump = np.where(valid, jump[at, colidx], -1)
        span *= 2
    valid = jump >= 0
    on_loop[jump[valid], np.broadcast_to(colidx, (K, S))[valid]] = True
    return on_loop, low


def _solve(pieces: _Pieces, cols: np.ndarray, taken: np.ndarray, x: np.ndarray):
    """The largest solution below ``x`` of the linear system the pieces ``taken`` make, for each
    column ``cols`` (``taken`` and ``x``: K x len(cols)). A loop of rows each equal to the next has
    every value equal: the largest below ``x`` is the loop's least ``x``; the rest is one dense
    solve per column (singular only for a loop of gain 1 through a supply). Returns (y, solved
    mask)."""
    K, S = taken.shape
    kind = pieces.kind[taken]
    src = pieces.src[taken]
    rows = np.arange(K)[:, None]
    succ = np.where((kind == 2) & (src != rows), src, -1)
    on_loop, pinned = _loop_values(succ, x)
    matrix = np.zeros((S, K, K))
    matrix[:, np.arange(K), np.arange(K)] = 1.0
    rhs = np.zeros((K, S))
    is_c = (kind == 0) & ~on_loop
    rhs[is_c] = pieces.const[:, cols][is_c]
    rhs[on_loop] = pinned[on_loop]
    # the supply rows taken: their constant, and minus their coefficients
    is_a = (kind == 1) & ~on_loop
    if is_a.any():
        r, s = np.nonzero(is_a)
        rhs[r, s] = pieces.sup_const[pieces.sup_at[r], cols[s]]
        if len(pieces.term_row):
            t, s = np.nonzero(is_a[pieces.term_row])
            np.add.at(matrix, (s, pieces.term_row[t], pieces.term_src[t]), -pieces.term_coef[t, cols[s]])
    is_x = (kind == 2) & ~on_loop & (succ >= 0)
    if is_x.any():
        r, s = np.nonzero(is_x)
        np.add.at(matrix, (s, r, succ[r, s]), -1.0)
    y = np.empty((K, S))
    good = np.ones(S, dtype=bool)
    with np.errstate(all="ignore"):
        try:
            y[:] = np.linalg.solve(matrix, rhs.T[:, :, None])[:, :, 0].T
        except np.linalg.LinAlgError:  # a singular system (a loop of gain 1): column by column
            for s in range(S):
                try:
                    y[:, s] = np.linalg.solve(matrix[s], rhs[:, s])
                except np.linalg.LinAlgError:
                    good[s] = False
                    y[:, s] = np.nan
    good &= np.isfinite(y).all(axis=0)
    return y, good


def settled_columns(change: np.ndarray, previous: np.ndarray, tolerance: float) -> np.ndarray:
    """:func:`is_settled` for a vector of columns (``previous``: NaN before the second iteration)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = change / previous
        fast = (change <= tolerance) & (previous > 0.0) & (previous <= SMALL_CHANGE) & (ratio <= FAST_RATIO) & \
            (change * ratio / (1.0 - ratio) <= tolerance)
    return (change == 0.0) | fast


def slow_columns(iteration: int, change: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """:func:`is_slow` for a vector of columns."""
    if iteration < SLOW_AFTER:
        return np.zeros(len(change), dtype=bool)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (previous > 0.0) & (change / previous > SLOW_RATIO)


def term_arrays(terms) -> tuple[np.ndarray, np.ndarray]:
    """(row of each term, position of each term in ``terms.src``/``terms.eid``) of an engine term list."""
    if not len(terms.rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    deg = np.asarray(terms.deg, dtype=np.int64)
    rows = np.repeat(np.asarray(terms.rows, dtype=np.int64), deg)
    starts = np.repeat(np.asarray(terms.first, dtype=np.int64) - np.r_[0, np.cumsum(deg)[:-1]], deg)
    return rows, starts + np.arange(int(deg.sum()))


def solve_engine_columns(ctx, block, cols, X, base, ext_sum, rem, ext_all, ext_any, fz_rows, fz_cols) -> list:
    """Solve the columns ``cols`` of an engine cycle block exactly, in place in ``X`` (K x S).

    The arguments are the engine's view of the block (:func:`chokepoint.engine.kernels._iterate_cycles`):
    ``base`` (facility countries, 1 elsewhere), ``ext_sum`` (supply from outside the block, for
    ``block.sup_rows``), ``rem`` (their unknown remainders), ``ext_all``/``ext_any`` (inputs from
    outside), the forced zeros. Returns the columns that could not be solved (their values stay).
    """
    c0 = block.start
    term_row, at = term_arrays(block.int_terms)
    term_src = np.asarray(block.int_terms.src, dtype=np.int64)[at] - c0 if len(at) else at
    term_eid = np.asarray(block.int_terms.eid, dtype=np.int64)[at] if len(at) else at
    weights = ctx.weights(term_eid) if len(term_eid) else np.zeros((0, 1))
    any_rows = np.flatnonzero(block.any_rows)
    cols = np.asarray(cols, dtype=np.int64)
    S = len(cols)
    if not S:
        return []
    spare = np.full(S, float(ctx.spare)) if ctx.scalar_spare else \
        np.asarray(ctx.spare, dtype=np.float64).reshape(-1)[cols]
    gain = 1.0 + spare
    upper = np.minimum(base[:, cols], ext_all[:, cols]).astype(np.float64)
    position = np.full(X.shape[1], -1, dtype=np.int64)
    position[cols] = np.arange(S)
    fz = position[np.asarray(fz_cols, dtype=np.int64)] if len(fz_cols) else np.zeros(0, dtype=np.int64)
    pick = fz >= 0
    upper[np.asarray(fz_rows, dtype=np.int64)[pick], fz[pick]] = 0.0
    w = np.asarray(weights, dtype=np.float64)
    coef = gain * (w[:, cols] if w.shape[1] > 1 else w[:, [0] * S]) if len(term_eid) else np.zeros((0, S))
    system = BlockSystem(
        upper=upper,
        sup_rows=np.asarray(block.sup_rows, dtype=np.int64),
        # in the sums' own precision, as a Python float times them would be
        sup_const=(ext_sum[block.sup_rows][:, cols] + rem[:, cols]) * gain.astype(ext_sum.dtype)
        if len(block.sup_rows) else np.zeros((0, S)),
        term_row=term_row, term_src=term_src, term_coef=coef,
        all_dst=np.asarray(block.int_all[0], dtype=np.int64),
        all_src=np.asarray(block.int_all[1], dtype=np.int64) - c0,
        any_rows=any_rows, any_outside=ext_any[any_rows][:, cols].astype(np.float64),
        any_dst=np.asarray(block.int_any[0], dtype=np.int64),
        any_src=np.asarray(block.int_any[1], dtype=np.int64) - c0,
    )
    solved, ok = largest_fixed_points(system, X[:, cols], slack=EXACT if X.dtype == np.float64 else 1e-5)
    X[:, cols[ok]] = solved[:, ok]
    return cols[~ok].tolist()
