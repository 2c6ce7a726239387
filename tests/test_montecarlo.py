"""Monte Carlo over ranged shares: reproducible with the seed, equal to the reference per draw."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chokepoint import load_graph
from chokepoint.engine import compile_graph
from chokepoint.errors import InputError
from chokepoint.analysis.montecarlo import (
    draw_shares,
    monte_carlo_cutoff,
    monte_carlo_exposure,
    monte_carlo_sweep,
    monte_carlo_target,
    sample_availability,
    share_overrides,
)
from chokepoint.engine.reference import Scenario, propagate

from conftest import country, doc, item, requires, supplies


@pytest.fixture(scope="module")
def quantum():
    return load_graph("quantum")


@pytest.fixture
def ranged(write_graph):
    """x: CN [0.4, 0.8] (point 0.6), JP 0.2 fixed; y: JP [0.5, 0.9]; p needs x; q needs y."""
    return load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("x"), item("y", "material", critical_mineral=True),
         item("p", "product"), item("q", "product")],
        [supplies("CN", "x", [0.4, 0.8]), supplies("JP", "x", 0.2), supplies("JP", "y", [0.5, 0.9]),
         requires("x", "p"), requires("y", "q")])))


def test_same_seed_same_result_other_seed_other_result(quantum):
    a = monte_carlo_cutoff(quantum, countries=["CN"], samples=200, seed=4)
    b = monte_carlo_cutoff(quantum, countries=["CN"], samples=200, seed=4)
    c = monte_carlo_cutoff(quantum, countries=["CN"], samples=200, seed=5)
    assert a.equals(b)
    assert not a.equals(c)


def test_draws_stay_in_their_ranges_and_points_are_fixed(quantum):
    compiled = compile_graph(quantum)
    draws = draw_shares(compiled, 300, 1)
    low, high = compiled.sup_low[:, None], compiled.sup_high[:, None]
    counts = np.diff(compiled.sup_ptr)
    totals = np.add.reduceat(draws, compiled.sup_ptr[:-1][counts > 0], axis=0)
    assert (totals <= 1.0 + 1e-12).all()
    kept = np.repeat(totals < 1.0, counts[counts > 0], axis=0)  # items not scaled down
    assert ((low <= draws) & (draws <= high))[kept].all()
    assert (draws == low)[kept & (low == high)].all()
    assert (draws <= high + 1e-12).all()
    # draw j depends on (seed, j) only
    assert np.array_equal(draw_shares(compiled, 5, 1, start=7), draws[:, 7:12])


def test_each_draw_equals_the_reference_with_those_shares(quantum):
    compiled = compile_graph(quantum)
    draws = draw_shares(compiled, 6, 2)
    cuts = [["CN"], ["JP", "FI"]]
    values = sample_availability(compiled, cuts, samples=6, seed=2, spare_capacity=0.2)
    for j in range(6):
        shares = share_overrides(compiled, draws, j)
        for s, cut in enumerate(cuts):
            ref = propagate(quantum, Scenario(countries=frozenset(cut), spare_capacity=0.2, shares=shares))
            for row, ident in enumerate(compiled.ids):
                assert values[row, s, j] == pytest.approx(ref[ident], abs=1e-9)


def test_chunking_does_not_change_draws(quantum):
    compiled = compile_graph(quantum)
    cuts = [[c] for c in quantum.countries]
    whole = sample_availability(compiled, cuts, samples=20, seed=3)
    parts = np.concatenate([sample_availability(compiled, cuts, samples=n, seed=3, sample_start=s)
                            for s, n in ((0, 7), (7, 13))], axis=2)
    assert np.array_equal(whole, parts)
    assert np.array_equal(whole, sample_availability(compiled, cuts, samples=20, seed=3, chunk=5))


def test_symmetric_ranges_bracket_the_point(ranged):
    """Cut CN: x = 0.2 + 0.4 remainder... p's point is 1 - 0.6 = 0.4; draws of CN's share are
    symmetric around 0.6, so p's availability 1 - share is symmetric around 0.4."""
    frame = monte_carlo_cutoff(ranged, countries=["CN"], samples=2000, seed=0).set_index("id")
    p = frame.loc["p"]
    assert p.availability == pytest.approx(0.4)
    assert p.p5 < 0.4 < p.p95
    assert p.p50 == pytest.approx(0.4, abs=0.02) and p["mean"] == pytest.approx(0.4, abs=0.01)
    assert 0.2 <= p.p5 and p.p95 <= 0.6
    q = frame.loc["q"]
    assert q.p5 == q.p95 == q.availability == 1.0  # JP is not cut


def test_point_shares_give_degenerate_intervals(write_graph):
    graph = load_graph(write_graph(doc([country("CN"), item("x", "product")], [supplies("CN", "x", 0.7)])))
    row = monte_carlo_cutoff(graph, countries=["CN"], samples=50, seed=1).iloc[0]
    assert row.p5 == row.p50 == row.p95 == row.availability == pytest.approx(0.3)


def test_sweep_and_exposure_intervals(quantum):
    frame = monte_carlo_sweep(quantum, samples=100, seed=6)
    assert list(frame.columns) == ["countries", "product", "availability", "p5", "p50", "p95", "mean"]
    assert len(frame) == len(quantum.countries) * len(quantum.products)
    assert (frame.p5 <= frame.p50).all() and (frame.p50 <= frame.p95).all()
    from chokepoint.api import sweep

    assert np.allclose(frame.availability, sweep(quantum).frame.availability)
    exposure = monte_carlo_exposure(quantum, samples=100, seed=6)
    assert exposure.iloc[0].country == "CN"
    assert (exposure.p5 <= exposure.p95).all()


def test_target_pass_rates(ranged):
    """y: JP [0.5, 0.9] straddles 0.65: it passes in the draws below 0.65, about 3 in 8."""
    frame = monte_carlo_target(ranged, samples=4000, seed=2).set_index("id")
    y = frame.loc["y"]
    assert y.status == "undetermined"
    assert y.pass_rate == pytest.approx(0.375, abs=0.03)
    assert 0.5 <= y.p5 < y.p95 <= 0.9
    loose = monte_carlo_target(ranged, samples=200, seed=2, threshold=0.95).set_index("id")
    assert loose.loc["y"].pass_rate == 1.0


def test_bad_arguments(quantum):
    with pytest.raises(InputError, match="samples"):
        monte_carlo_cutoff(quantum, countries=["CN"], samples=0)
    with pytest.raises(InputError, match="at least one country"):
        monte_carlo_cutoff(quantum, samples=10)


def test_cli_sweep_samples_json(cli):
    rows = json.loads(cli("sweep", "quantum", "--samples", "60", "--seed", "3", "--json").out)
    assert {"countries", "product", "availability", "p5", "p50", "p95", "mean"} == set(rows[0])
    again = json.loads(cli("sweep", "quantum", "--samples", "60", "--seed", "3", "--json").out)
    assert rows == again
    table = cli("sweep", "quantum", "--samples", "30")
    assert table.code == 0 and "5th-95th percentile" in table.out
    bad = cli("sweep", "quantum", "--samples", "-1")
    assert bad.code == 1 and bad.err.startswith("error: ") and "--samples" in bad.err and bad.err.count("\n") == 1
