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
smallest piece there, the linear system of those pieces is solved (a sparse solve), and again
from the solution, until the pieces no longer change; the point is then a fixed point of the
full system, and the largest (every point visited stays above the largest fixed point). An
``any`` row is a maximum: for each choice of one alternative per ``any`` row the system is
min-affine and smaller, and the largest fixed point is the componentwise maximum over the
choices (the choice the true point makes is among them), so they are enumerated (at most
:data:`MAX_CHOICES`). A loop whose gain is 1 or more under the pieces taken (a singular system)
is not solved: the caller keeps the iteration's value, an upper bound, and says so.

:func:`is_settled` decides when iterating may stop: a change of 0, or two consecutive small
changes shrinking fast enough that what is left is below the tolerance.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from itertools import product

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.linalg import spsolve

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
    start = np.clip(np.asarray(start, dtype=np.float64), 0.0, 1.0)
    options = []
    for row in system.any_rows.tolist():
        inside = system.any_src[system.any_dst == row].tolist()
        options.append([None] + [j for j in inside if j != row])  # None: the best outside alternative
    if math.prod(len(o) for o in options) > MAX_CHOICES:
        return None
    best = None
    for choice in product(*options):
        y = _strategy_iteration(system, choice, start, slack)
        if y is None:
            return None
        best = y if best is None else np.maximum(best, y)
    return best


def _pieces(system: BlockSystem, choice):
    """Per row: (constant bound, affine terms or None, rows it copies) under an ``any`` choice."""
    K = system.size
    const = np.minimum(system.upper, 1.0).astype(np.float64).copy()
    copies: list[list[int]] = [[] for _ in range(K)]
    for dst, src in zip(system.all_dst.tolist(), system.all_src.tolist()):
        copies[dst].append(src)
    for row, outside, picked in zip(system.any_rows.tolist(), system.any_outside.tolist(), choice):
        if picked is None:
            const[row] = min(const[row], max(0.0, outside))
        else:
            copies[row].append(picked)
    affine: list = [None] * K
    for row, c in zip(system.sup_rows.tolist(), system.sup_const.tolist()):
        mask = system.term_row == row
        affine[row] = (c, system.term_src[mask], system.term_coef[mask])
    return const, affine, copies


def _strategy_iteration(system: BlockSystem, choice, start: np.ndarray, slack: float) -> np.ndarray | None:
    """Min-strategy iteration for the largest fixed point of a min-affine system, from above.

    At the current point ``x`` (always above the largest fixed point) each row takes its smallest
    piece (a constant, its supply, one of its inputs); with the pieces fixed the system is linear,
    ``y = c + M y``, and its solution is the largest fixed point below ``x`` of that linear system,
    which lies above the largest fixed point of the full one. When the pieces taken at ``y`` are
    the ones just used, ``y`` is a fixed point of the full system, hence the largest. A solution
    that is not finite, negative or above ``x`` means a loop gain of 1 or more: None.
    """
    const, affine, copies = _pieces(system, choice)
    K = system.size
    x = np.minimum(start, const)
    taken: list | None = None
    for _ in range(4 * K + 20):
        pieces = _take(x, const, affine, copies, taken)
        if pieces == taken:
            return x
        taken = pieces
        y = _solve(K, const, affine, pieces, x)
        if y is None or np.any(y < -slack) or np.any(y > x + slack):
            return None
        x = np.clip(np.minimum(y, x), 0.0, 1.0)
    return None


def _take(x, const, affine, copies, previous) -> list:
    """The piece each row takes at ``x``: ("c",), ("a",) or ("x", j); on a tie the previous one,
    else a constant before the supply before an input."""
    taken = []
    for i in range(len(x)):
        values = [(("c",), const[i])]
        if affine[i] is not None:
            c, src, coef = affine[i]
            values.append((("a",), math.fsum([c, *(coef * x[src]).tolist()])))
        values += [(("x", j), x[j]) for j in copies[i]]
        low = min(v for _, v in values)
        near = [p for p, v in values if v <= low + 1e-15 * (1.0 + abs(low))]
        keep = previous[i] if previous is not None and previous[i] in near else near[0]
        taken.append(keep)
    return taken


def _copy_loops(pieces) -> dict[int, list[int]]:
    """Rows on loops of inputs taken (``x_i = x_j = ... = x_i``), by the loop's first row."""
    state: dict[int, int] = {}
    loops: dict[int, list[int]] = {}
    for start in range(len(pieces)):
        path, i = [], start
        while i not in state and pieces[i][0] == "x" and pieces[i][1] != i:
            state[i] = 1
            path.append(i)
            i = pieces[i][1]
        if state.get(i) == 1 and i in path:
            loop = path[path.index(i):]
            loops[loop[0]] = loop
        for j in path:
            state[j] = 2
    return loops


def _solve(K: int, const, affine, pieces, x) -> np.ndarray | None:
    """The largest solution below ``x`` of the linear system the ``pieces`` make. A loop of rows
    each equal to the next has every value equal: the largest below ``x`` is the loop's least
    ``x``; the rest is one sparse solve (singular only for a loop of gain 1 through a supply)."""
    rows, cols, vals = list(range(K)), list(range(K)), [1.0] * K
    rhs = np.zeros(K)
    pinned = {}
    for loop in _copy_loops(pieces).values():
        value = min(x[i] for i in loop)
        pinned.update((i, value) for i in loop)
    for i, piece in enumerate(pieces):
        if i in pinned:
            rhs[i] = pinned[i]
        elif piece[0] == "c":
            rhs[i] = const[i]
        elif piece[0] == "a":
            c, src, coef = affine[i]
            rhs[i] = c
            rows += [i] * len(src)
            cols += src.tolist()
            vals += (-coef).tolist()
        elif piece[1] != i:
            rows.append(i)
            cols.append(piece[1])
            vals.append(-1.0)
    matrix = csr_array((np.array(vals, dtype=np.float64), (np.array(rows), np.array(cols))), shape=(K, K)).tocsc()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            with np.errstate(all="ignore"):
                y = spsolve(matrix, rhs) if K > 1 else np.array([rhs[0] / matrix.toarray()[0, 0]])
        except Exception:  # noqa: BLE001 - a singular system (a loop of gain 1)
            return None
    y = np.atleast_1d(np.asarray(y, dtype=np.float64))
    return y if np.all(np.isfinite(y)) else None


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
    failed = []
    for col in np.asarray(cols).tolist():
        spare = float(ctx.spare) if ctx.scalar_spare else float(ctx.spare[col])
        gain = 1.0 + spare
        upper = np.minimum(base[:, col], ext_all[:, col]).astype(np.float64)
        upper[fz_rows[fz_cols == col]] = 0.0
        system = BlockSystem(
            upper=upper,
            sup_rows=np.asarray(block.sup_rows, dtype=np.int64),
            sup_const=gain * (ext_sum[block.sup_rows, col] + rem[:, col]) if len(block.sup_rows) else np.zeros(0),
            term_row=term_row, term_src=term_src,
            term_coef=gain * np.asarray(weights[:, col if weights.shape[1] > 1 else 0], dtype=np.float64),
            all_dst=np.asarray(block.int_all[0], dtype=np.int64),
            all_src=np.asarray(block.int_all[1], dtype=np.int64) - c0,
            any_rows=any_rows, any_outside=ext_any[any_rows, col].astype(np.float64),
            any_dst=np.asarray(block.int_any[0], dtype=np.int64),
            any_src=np.asarray(block.int_any[1], dtype=np.int64) - c0,
        )
        solved = largest_fixed_point(system, X[:, col], slack=EXACT if X.dtype == np.float64 else 1e-5)
        if solved is None:
            failed.append(col)
        else:
            X[:, col] = solved
    return failed
