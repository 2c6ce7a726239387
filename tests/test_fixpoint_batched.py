"""The cycle solver over many columns at once (:func:`chokepoint.engine.fixpoint.largest_fixed_points`).

The engine hands a cycle block's stalled columns (one per scenario) to the solver together; each
column must come out as it would alone, bit for bit, whatever else is solved with it (the
knockouts solve a block for the knockouts that reach it, a sweep for every country: the tests of
the knockouts hold the two to each other bit for bit), and be a fixed point of the block's
equations, the largest.
"""

from __future__ import annotations

import numpy as np
import pytest

from chokepoint.engine.fixpoint import BlockSystem, largest_fixed_point, largest_fixed_points


def _random_system(rng, K, S):
    sup_rows = np.sort(rng.choice(K, size=int(rng.integers(0, K + 1)), replace=False))
    t_row, t_src, t_coef = [], [], []
    for r in sup_rows.tolist():
        for j in rng.choice(K, size=min(K, int(rng.integers(1, 3))), replace=False).tolist():
            t_row.append(r)
            t_src.append(j)
            t_coef.append(float(rng.choice([1 - 1e-9, 0.5, rng.random(), 0.999999])))
    n_all = int(rng.integers(0, K + 1))
    any_rows = np.sort(rng.choice(K, size=int(rng.integers(0, min(K, 2) + 1)), replace=False))
    any_dst, any_src = [], []
    for r in any_rows.tolist():
        for j in rng.choice(K, size=min(K, int(rng.integers(1, 3))), replace=False).tolist():
            any_dst.append(r)
            any_src.append(j)
    ints = lambda v: np.asarray(v, dtype=np.int64)  # noqa: E731
    return dict(
        upper=np.where(rng.random((K, S)) < 0.7, 1.0, rng.random((K, S))),
        sup_rows=ints(sup_rows), sup_const=rng.random((len(sup_rows), S)) * float(rng.choice([0.0, 1e-3, 0.5])),
        term_row=ints(t_row), term_src=ints(t_src), term_coef=np.repeat(np.asarray(t_coef)[:, None], S, axis=1),
        all_dst=ints(rng.integers(0, K, n_all)), all_src=ints(rng.integers(0, K, n_all)),
        any_rows=ints(any_rows), any_outside=rng.random((len(any_rows), S)) * float(rng.choice([0.0, 1.0])),
        any_dst=ints(any_dst), any_src=ints(any_src))


def _column(fields, s):
    out = dict(fields)
    for name in ("upper", "sup_const", "term_coef", "any_outside"):
        out[name] = np.ascontiguousarray(fields[name][:, s])
    return BlockSystem(**out)


def _iterated(system, steps=150):
    x = np.ones(system.size)
    for _ in range(steps):
        x = system.apply(x)
    return x


def test_each_column_is_solved_as_it_would_be_alone():
    """120 random blocks of 1-7 rows (supplies with gains near 1, copies, ``any`` rows, loops of
    copies), 5 columns each: the batch equals each column solved alone and each column solved
    with a different companion, to the last bit; each solution is a fixed point of F, at or below
    the iterate it started from."""
    rng = np.random.default_rng(7)
    solved_count = 0
    for _ in range(120):
        K, S = int(rng.integers(1, 8)), 5
        fields = _random_system(rng, K, S)
        singles = [_column(fields, s) for s in range(S)]
        start = np.stack([_iterated(system) for system in singles], axis=1)
        batch, ok = largest_fixed_points(BlockSystem(**fields), start)
        for s, system in enumerate(singles):
            alone = largest_fixed_point(system, start[:, s])
            assert (alone is not None) == ok[s]
            if alone is None:
                continue
            solved_count += 1
            assert np.array_equal(alone, batch[:, s])
            pair = {k: (v[:, [s, (s + 1) % S]] if k in ("upper", "sup_const", "term_coef", "any_outside") else v)
                    for k, v in fields.items()}
            with_other, ok2 = largest_fixed_points(BlockSystem(**pair), start[:, [s, (s + 1) % S]])
            assert ok2[0] and np.array_equal(with_other[:, 0], alone)
            assert np.all(alone <= start[:, s] + 1e-12)
            assert system.apply(alone) == pytest.approx(alone, abs=1e-9)
    assert solved_count > 300


def test_a_loop_of_copies_takes_its_least_value():
    """x0 = min(0.7, x1), x1 = min(1, x2), x2 = min(0.4 + 0.5 x2, x0) (a supply): from the
    start (1, 1, 1) the copies x0 -> x1 -> x2 -> x0 ... the largest fixed point has
    x2 = min(0.4 + 0.5 x2, x0) and x0 = min(0.7, x2): x2 = 0.7 would need 0.4 + 0.35 = 0.75 >= 0.7,
    so every value is 0.7; with 0.2 instead of 0.4, x2 = 0.2 / 0.5 = 0.4 and all are 0.4."""
    for c, expected in ((0.4, 0.7), (0.2, 0.4)):
        system = BlockSystem(upper=np.array([[0.7, 0.7], [1.0, 1.0], [1.0, 1.0]]),
                             sup_rows=np.array([2]), sup_const=np.array([[c, c]]),
                             term_row=np.array([2]), term_src=np.array([2]), term_coef=np.array([[0.5, 0.5]]),
                             all_dst=np.array([0, 1, 2]), all_src=np.array([1, 2, 0]))
        solved, ok = largest_fixed_points(system, np.ones((3, 2)))
        assert ok.all()
        assert solved == pytest.approx(np.full((3, 2), expected), abs=1e-12)
