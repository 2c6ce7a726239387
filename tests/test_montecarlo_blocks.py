"""Monte Carlo in blocks: the same numbers, to the last bit, as evaluating every draw at once.

The reference below is the unblocked computation the package used before (kept here as the
oracle): all draws drawn at once as a (supply edges x draws) matrix, every (draw, scenario)
column evaluated in one :func:`evaluate` call with that matrix as per-column shares, the whole
(rows x scenarios x draws) array held, and ``np.quantile`` / ``mean`` taken over its last axis.
The blocked path evaluates draw by draw (all scenarios of a block in one call, the draw as one
share vector) or as columns of draws, keeps one block of scenarios at a time and reduces it.
"""

from __future__ import annotations

import numpy as np
import pytest

from chokepoint import load_graph
from chokepoint.analysis import montecarlo
from chokepoint.analysis.concentration import EPS, target
from chokepoint.analysis.montecarlo import (
    QUANTILES, draw_shares, monte_carlo_cutoff, monte_carlo_exposure, monte_carlo_sweep, monte_carlo_target,
    quantile_columns, sample_availability, sample_intervals,
)
from chokepoint.analysis.scenarios import scenario_combos
from chokepoint.engine import compile_graph, evaluate, exact_row_sums
from chokepoint.generate import generate
from chokepoint.model.graph import Graph
from chokepoint.model.validate import parse_document

SAMPLES = 200


# --- the reference: the unblocked computation ---------------------------------------------------

def reference_draws(compiled, samples, seed):
    """Draws column by column, every item's total summed exactly, as the package drew them."""
    low, high = compiled.sup_low, compiled.sup_high
    width = high - low
    ranged = np.flatnonzero(width > 0)
    out = np.empty((len(low), samples))
    for j in range(samples):
        column = low.copy()
        if len(ranged):
            column[ranged] += np.random.default_rng([int(seed), j]).random(len(ranged)) * width[ranged]
        out[:, j] = column
    counts = np.diff(compiled.sup_ptr)
    rows = np.flatnonzero(counts > 0)
    if len(rows):
        totals = exact_row_sums(out, compiled.sup_ptr[rows], counts[rows])
        scale = np.where(totals > 1.0, 1.0 / np.where(totals > 0, totals, 1.0), 1.0)
        out *= np.repeat(scale, counts[rows], axis=0)
    return out


def reference_values(compiled, cuts, rows, samples, seed, spare=0.0):
    """(rows x scenarios x draws), every column in one evaluate call with a share matrix."""
    cuts = [list(c) for c in cuts]
    n_scen = len(cuts)
    draws = reference_draws(compiled, samples, seed)
    shares = np.repeat(draws, n_scen, axis=1)  # column j * n_scen + s: draw j
    flat = evaluate(compiled, cuts * samples, shares=shares, spare_capacity=spare, rows=rows)
    return np.ascontiguousarray(flat.reshape(len(rows), samples, n_scen).transpose(0, 2, 1))


def reference_intervals(values):
    values = np.ascontiguousarray(values)
    qs = np.quantile(values, QUANTILES, axis=-1)
    out = {name: qs[i] for i, name in enumerate(quantile_columns())}
    out["mean"] = values.mean(axis=-1)
    return out


def reference_target(graph, samples, seed, threshold=0.65):
    compiled = compile_graph(graph)
    tested = [i for i in target(graph, threshold=threshold)["id"] if i in graph.supplies]
    draws = reference_draws(compiled, samples, seed)
    owner = np.repeat(np.arange(compiled.n_nodes), np.diff(compiled.sup_ptr))
    supplier = compiled.sup_src.astype(np.int64)
    country = np.where(compiled.country[supplier] >= 0, compiled.country[supplier], supplier)
    rows = compiled.rows(tested)
    position = np.full(compiled.n_nodes, -1)
    position[rows] = np.arange(len(rows))
    keep = np.flatnonzero(position[owner] >= 0)
    pairs, inverse = np.unique(position[owner[keep]] * compiled.n_nodes + country[keep], return_inverse=True)
    sums = np.zeros((len(pairs), samples))
    np.add.at(sums, inverse, draws[keep])
    sums = np.minimum(sums, 1.0)
    item_of_pair = pairs // compiled.n_nodes
    starts = np.flatnonzero(np.r_[True, item_of_pair[1:] != item_of_pair[:-1]])
    top = np.zeros((len(tested), samples))
    top[item_of_pair[starts]] = np.maximum.reduceat(sums, starts, axis=0)
    stats = reference_intervals(top)
    stats["pass_rate"] = np.array([np.mean(top[k] <= threshold + EPS) for k in range(len(tested))])
    return tested, stats


# --- graphs -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def generated():
    """600 nodes, 58 countries, ranged shares and six requires-cycles."""
    document, _ = parse_document(generate(600, 3000, 21, cycles=6).to_document(), "g")
    return Graph(document)


@pytest.fixture(scope="module", params=["quantum", "minerals", "generated"])
def graph(request, generated):
    return generated if request.param == "generated" else load_graph(request.param)


# --- tests ----------------------------------------------------------------------------------------

def test_draws_are_the_reference_draws(graph):
    compiled = compile_graph(graph)
    ref = reference_draws(compiled, 60, 9)
    assert np.array_equal(draw_shares(compiled, 60, 9), ref)
    assert np.array_equal(draw_shares(compiled, 25, 9, start=30), ref[:, 30:55])


def test_sweep_equals_the_unblocked_computation(graph):
    compiled = compile_graph(graph)
    combos = scenario_combos(graph)
    products = list(graph.products)
    ref = reference_intervals(reference_values(compiled, combos, products, SAMPLES, 3))
    frame = monte_carlo_sweep(graph, samples=SAMPLES, seed=3)
    for name, column in ref.items():
        assert np.array_equal(frame[name].to_numpy(), column.T.reshape(-1)), name


def test_sweep_with_spare_capacity_equals_the_unblocked_computation(generated):
    compiled = compile_graph(generated)
    combos = scenario_combos(generated)
    ref = reference_intervals(reference_values(compiled, combos, list(generated.products), 40, 1, spare=0.3))
    frame = monte_carlo_sweep(generated, samples=40, seed=1, spare_capacity=0.3, block=45)
    for name, column in ref.items():
        assert np.array_equal(frame[name].to_numpy(), column.T.reshape(-1)), name


def test_cutoff_equals_the_unblocked_computation(graph):
    compiled = compile_graph(graph)
    for nodes in (False, True):
        ids = list(graph.nodes) if nodes else list(graph.products)
        ref = reference_intervals(reference_values(compiled, [["CN"]], ids, SAMPLES, 4)[:, 0, :])
        frame = monte_carlo_cutoff(graph, countries=["CN"], samples=SAMPLES, seed=4, nodes=nodes).set_index("id")
        for name, column in ref.items():
            assert np.array_equal(frame.loc[ids, name].to_numpy(), column), name


def test_exposure_equals_the_unblocked_computation(graph):
    compiled = compile_graph(graph)
    combos = scenario_combos(graph)
    values = reference_values(compiled, combos, list(graph.products), SAMPLES, 6)
    ref = reference_intervals(1.0 - values.mean(axis=0))
    frame = monte_carlo_exposure(graph, samples=SAMPLES, seed=6).set_index("country")
    keys = ["+".join(c) for c in combos]
    for name, column in ref.items():
        assert np.array_equal(frame.loc[keys, name].to_numpy(), column), name


def test_target_equals_the_unblocked_computation(graph):
    tested, ref = reference_target(graph, SAMPLES, 2)
    frame = monte_carlo_target(graph, samples=SAMPLES, seed=2).set_index("id")
    assert tested
    for name, column in ref.items():
        assert np.array_equal(frame.loc[tested, name].to_numpy(), column), name
    # items in blocks of a few (memory for three items' draws at a time)
    small = monte_carlo_target(graph, samples=SAMPLES, seed=2, memory=3 * SAMPLES * 16).set_index("id")
    assert small.equals(frame)


def test_result_does_not_depend_on_block_size_threads_or_layout(generated):
    """Blocks of 1 and 7 scenarios are evaluated as columns of draws, blocks of 16 or more draw by
    draw (one engine call per draw); two threads evaluate draws in parallel. All the same."""
    whole = monte_carlo_sweep(generated, samples=50, seed=8, block=None, threads=1)
    for block, threads in ((1, 1), (7, 1), (32, 1), (40, 2), (58, 2), (500, 1)):
        assert monte_carlo_sweep(generated, samples=50, seed=8, block=block, threads=threads).equals(whole), block
    # memory for a few scenarios' draws per block, and for a few rows per pass
    compiled = compile_graph(generated)
    combos = scenario_combos(generated)
    full = sample_intervals(compiled, combos, samples=50, seed=8, rows=list(generated.products))
    rows = len(generated.products)
    for memory in (rows * 50 * 8 * 3, 50 * 8 * 5):
        part = sample_intervals(compiled, combos, samples=50, seed=8, rows=list(generated.products), memory=memory)
        assert all(np.array_equal(part[k], full[k]) for k in full)


def test_draw_by_draw_equals_columns_of_draws(generated):
    compiled = compile_graph(generated)
    cuts = [[c] for c in generated.countries[:40]]
    by_draw = sample_availability(compiled, cuts, samples=30, seed=5, spare_capacity=0.1)
    by_column = sample_availability(compiled, cuts, samples=30, seed=5, spare_capacity=0.1, chunk=70)
    assert np.array_equal(by_draw, by_column)
    assert np.array_equal(by_draw, reference_values(compiled, cuts, list(compiled.ids), 30, 5, spare=0.1))


def test_progress_counts_scenario_draws(generated):
    seen = []
    monte_carlo_sweep(generated, samples=20, seed=1, progress=seen.append, block=29, threads=2)
    assert seen == sorted(seen) and seen[-1] == 20 * len(generated.countries)


def test_float32_is_within_a_millionth(generated):
    exact = monte_carlo_sweep(generated, samples=40, seed=2)
    fast = monte_carlo_sweep(generated, samples=40, seed=2, dtype=np.float32)
    for name in (*quantile_columns(), "mean"):
        assert np.abs(fast[name].to_numpy() - exact[name].to_numpy()).max() < 1e-6


def test_blocks_follow_the_memory_budget(monkeypatch, generated):
    """The values held at once are one block: record the largest block the engine is asked for."""
    sizes = []
    real = montecarlo._block_values

    def spy(compiled, cuts, row_idx, **options):
        values = real(compiled, cuts, row_idx, **options)
        sizes.append(values.nbytes)
        return values

    monkeypatch.setattr(montecarlo, "_block_values", spy)
    rows = len(generated.products)
    budget = rows * 30 * 8 * 10  # ten scenarios' draws
    monte_carlo_sweep(generated, samples=30, seed=0, memory=budget)
    assert max(sizes) <= budget and len(sizes) == -(-len(generated.countries) // 10)


def test_only_what_the_products_depend_on_is_evaluated(generated):
    """The generated graph has items no product needs: the draws are evaluated on the rest (with
    every cycle), and the intervals are the whole graph's to the last bit."""
    compiled = compile_graph(generated)
    products = list(generated.products)
    target = montecarlo._target(compiled, compiled.rows(products))
    assert target.edges is not None and target.compiled.n_nodes < compiled.n_nodes
    assert target.compiled.has_cycles
    combos = scenario_combos(generated)
    options = dict(samples=30, seed=4, rows=products, spare_capacity=0.2)
    whole = sample_intervals(compiled, combos, restrict=False, **options)
    part = sample_intervals(compiled, combos, restrict=True, **options)
    assert all(np.array_equal(part[k], whole[k]) for k in whole)
