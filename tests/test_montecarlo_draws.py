"""Many scenarios under many share draws (engine.evaluate.ScenarioDraws): to the last bit what
:func:`evaluate` gives for each (scenario, draw) column with the draw as its share column.

ScenarioDraws computes each draw's baseline (nothing cut) once and, per scenario, only the rows
its forced zeros reach, reading the baseline elsewhere; a cycle block is iterated only for the
(scenario, draw) columns whose inputs differ from the baseline's. Worked example of why the
baseline may be read: on quantum, cutting a country that supplies no material of a product
leaves every row upstream of that product unreached, so its value is the draw's baseline value.
"""

from __future__ import annotations

import numpy as np
import pytest

from chokepoint import load_graph
from chokepoint.analysis import montecarlo
from chokepoint.analysis.montecarlo import draw_shares, monte_carlo_sweep
from chokepoint.analysis.scenarios import scenario_combos
from chokepoint.engine import compile_graph, evaluate, kernels
from chokepoint.engine.evaluate import ScenarioDraws
from chokepoint.generate import generate
from chokepoint.model.graph import Graph
from chokepoint.model.validate import parse_document


@pytest.fixture(scope="module")
def generated():
    document, _ = parse_document(generate(600, 3000, 21, cycles=6).to_document(), "g")
    return Graph(document)


def dense(compiled, draws, spare=0.0, cuts=None, knockout=None):
    """(rows x scenarios x draws) from one evaluate call, column j * S + s = scenario s, draw j."""
    S = len(cuts if cuts is not None else knockout)
    D = draws.shape[1]
    flat = evaluate(compiled, None if cuts is None else cuts * D, knockout=None if knockout is None else knockout * D,
                    shares=np.repeat(draws, S, axis=1), spare_capacity=spare)
    return flat.reshape(compiled.n_nodes, D, S).transpose(0, 2, 1)


@pytest.fixture(params=["numpy", "jit"])
def kernels_used(request, monkeypatch):
    if request.param == "jit":
        pytest.importorskip("numba")
    monkeypatch.setattr(kernels, "USE_JIT", request.param == "jit")
    return request.param


@pytest.mark.parametrize("name", ["quantum", "minerals", "generated"])
@pytest.mark.parametrize("spare", [0.0, 0.25])
def test_cuts_equal_dense_columns(name, spare, generated, kernels_used):
    graph = generated if name == "generated" else load_graph(name)
    compiled = compile_graph(graph)
    cuts = [list(c) for c in scenario_combos(graph, pairs=True)]
    draws = draw_shares(compiled, 9, 4)
    got = ScenarioDraws(compiled, cuts).evaluate(draws, spare)
    assert np.array_equal(got, dense(compiled, draws, spare, cuts=cuts))
    assert ScenarioDraws(compiled, cuts).pairs < compiled.n_nodes * len(cuts)  # not everything recomputed


def test_knockouts_inside_cycles_equal_dense_columns(generated, kernels_used):
    """Forced zeros inside cycle blocks (knocked-out cyclic nodes): those columns iterate."""
    compiled = compile_graph(generated)
    assert compiled.has_cycles
    cyclic = [r for level in range(compiled.n_levels)
              for r in range(int(compiled.cyclic_ptr[level]), int(compiled.level_ptr[level + 1]))]
    knock = [[r] for r in cyclic[:12]] + [[r] for r in range(0, compiled.n_nodes, 37)]
    draws = draw_shares(compiled, 6, 2)
    for spare in (0.0, 0.4):
        got = ScenarioDraws(compiled, knockout=knock).evaluate(draws, spare)
        assert np.array_equal(got, dense(compiled, draws, spare, knockout=knock))


def test_rows_and_work_buffer(generated, kernels_used):
    compiled = compile_graph(generated)
    cuts = [list(c) for c in scenario_combos(generated)]
    rows = list(generated.products)
    draws_of = ScenarioDraws(compiled, cuts, rows=rows)
    work = np.empty(draws_of.nbytes(8) // 8)
    draws = draw_shares(compiled, 8, 6)
    first = draws_of.evaluate(draws, work=work).copy()
    again = draws_of.evaluate(draw_shares(compiled, 5, 7), work=work)  # fewer draws, same buffer
    assert np.array_equal(first, dense(compiled, draws, cuts=cuts)[compiled.rows(rows)])
    assert np.array_equal(again, dense(compiled, draw_shares(compiled, 5, 7), cuts=cuts)[compiled.rows(rows)])


def test_sweep_same_with_and_without_compiled_kernels(generated, monkeypatch):
    pytest.importorskip("numba")
    monkeypatch.setattr(kernels, "USE_JIT", True)
    fast = monte_carlo_sweep(generated, samples=40, seed=3, threads=2)
    monkeypatch.setattr(kernels, "USE_JIT", False)
    plain = monte_carlo_sweep(generated, samples=40, seed=3, threads=1)
    assert fast.equals(plain)


def test_row_sums_are_exact_row_sums(kernels_used):
    """The compiled sums are exact_row_sums to the last bit, on values whose naive sums round."""
    from chokepoint.engine import exact_row_sums
    from chokepoint.engine.evaluate import row_sums
    rng = np.random.default_rng(0)
    values = rng.random((500, 40)) * 10.0 ** rng.integers(-12, 3, size=(500, 1))  # >= JIT_MIN_COLUMNS
    deg = rng.integers(0, 9, size=90)
    first = rng.integers(0, 500 - 9, size=90)
    assert np.array_equal(row_sums(values, first, deg), exact_row_sums(values, first, deg))


def test_a_single_cutoff_does_not_load_numba():
    """numba's import and cache cost ~0.5-1 s: a cutoff (a few columns) sums in numpy instead."""
    import subprocess
    import sys
    code = ("import sys; from chokepoint import api; api.cutoff('quantum', countries=['CN']); "
            "print('numba' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
