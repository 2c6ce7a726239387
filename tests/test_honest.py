"""Honest numbers, pinned by hand on tiny graphs: bounds, the evidence grade, `undetermined`
when the unattributed remainder could pass the threshold, shares as published, and averages
that count each product once."""

from __future__ import annotations

import pytest

from chokepoint import api, load_graph

from conftest import country, doc, item, requires, supplies


@pytest.fixture
def ranged(write_graph):
    """m: CN [0.5, 0.7] (estimated), JP 0.2 (reported); p requires m; q requires n; n: JP 0.5.

    Cut CN. Point: CN at its midpoint 0.6, remainder 1 - 0.8 = 0.2 survives: m = 0.2 + 0.2 = 0.4.
    Low: the remainder is lost with CN and JP sits at its low end (0.2): m = 0.2.
    High: CN loses as little as the source allows, its low end 0.5: m = 1 - 0.5 = 0.5.
    n (JP 0.5, remainder 0.5): point 1 (CN supplies none of it); low 0.5 (the remainder lost:
    the unknown half could be Chinese); high 1.
    """
    return load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("m", "material"), item("n", "material"),
         item("p", "product"), item("q", "product")],
        [supplies("CN", "m", [0.5, 0.7], estimated=True, fact="F99", note="a range"), supplies("JP", "m", 0.2),
         supplies("JP", "n", 0.5), requires("m", "p"), requires("n", "q")])))


def test_cutoff_bounds_remainder_lost_and_ranges_at_their_ends(ranged):
    products = api.cutoff(ranged, countries=["CN"]).products.set_index("id")
    p = products.loc["p"]
    assert (p.availability, p.availability_low, p.availability_high) == pytest.approx((0.4, 0.2, 0.5))
    assert (p.loss_low, p.loss_high) == pytest.approx((0.5, 0.8))
    q = products.loc["q"]
    assert (q.availability, q.availability_low, q.availability_high) == pytest.approx((1.0, 0.5, 1.0))


def test_evidence_grade_follows_the_explaining_path(ranged):
    """p's loss runs CN -> m -> p through the estimated range: estimated, with F99 as its assumption."""
    products = api.cutoff(ranged, countries=["CN"]).products.set_index("id")
    assert products.loc["p", "evidence"] == "estimated"
    assert [a["fact"] for a in products.loc["p", "assumptions"]] == ["F99"]
    assert products.loc["q", "evidence"] == "reported" and products.loc["q", "assumptions"] == ()


def test_cutoff_json_carries_bounds_and_evidence(ranged):
    data = api.cutoff(ranged, countries=["CN"]).to_dict()
    p = next(x for x in data["products"] if x["id"] == "p")
    assert {"availability_low", "availability_high", "loss_low", "loss_high", "evidence", "assumptions"} <= set(p)
    node = next(x for x in data["nodes"] if x["id"] == "m")
    assert node["availability_low"] == pytest.approx(0.2) and node["availability_high"] == pytest.approx(0.5)


def test_sweep_rows_carry_bounds_and_samples_sit_inside(ranged):
    frame = api.sweep(ranged).frame.set_index(["countries", "product"])
    assert frame.loc[("CN", "p"), ["availability_low", "availability_high"]].tolist() == pytest.approx([0.2, 0.5])
    draws = api.cutoff(ranged, countries=["CN"], samples=200, seed=1).intervals
    assert 0.2 - 1e-12 <= draws.loc["p", "p5"] <= draws.loc["p", "p95"] <= 0.5 + 1e-12


def test_cli_marks_estimates_and_shows_bounds(cli, ranged):
    out = cli("cutoff", ranged.origin, "--country", "CN").out
    assert "40.0% [20.0-50.0]~" in out and "~ estimated" in out


@pytest.mark.parametrize("shares, bound, status, why", [
    # CN 0.28 named; the 72% unattributed could all be one unnamed country's: undetermined
    ({"CN": 0.28}, None, "undetermined", "72% unattributed"),
    # the source bounds an unnamed producer at 0.10 (USGS lists the leaders): pass
    ({"CN": 0.28}, 0.10, "pass", ""),
    # 0.35 + 0.30 named, 35% unattributed: no unnamed country can pass 65%
    ({"CN": 0.35, "JP": 0.30}, None, "pass", ""),
    # the top named share fails whatever the remainder is
    ({"CN": 0.70}, None, "fail", ""),
])
def test_target_undetermined_when_the_remainder_could_pass(write_graph, shares, bound, status, why):
    extra = {"unknown_max_share": bound} if bound is not None else {}
    graph = load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("m", "material", stage="refining", critical_mineral=True, **extra),
         item("p", "product")],
        [*(supplies(c, "m", s) for c, s in shares.items()), requires("m", "p")])))
    row = api.target(graph).iloc[0]
    assert row.status == status
    assert why in row.why


def test_shares_as_published_when_they_sum_past_one(write_graph):
    """CN 0.60 + JP 0.44 = 1.04 (rounded tables): concentration and the target show 60%, as
    published, and say the sum; only the propagation rescales (CN cut: 0.44 / 1.04 survives)."""
    graph = load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("m", "material", stage="mining", critical_mineral=True),
         item("p", "product")],
        [supplies("CN", "m", 0.60), supplies("JP", "m", 0.44), requires("m", "p")])))
    conc = api.concentration(graph).set_index("id").loc["m"]
    assert conc.top_share == pytest.approx(0.60) and conc.shares_sum == pytest.approx(1.04)
    row = api.target(graph).iloc[0]
    assert row.top_share == pytest.approx(0.60) and "104.0%" in row.why
    p = api.cutoff(graph, countries=["CN"]).products.set_index("id").loc["p"]
    assert p.availability == pytest.approx(0.44 / 1.04)


def test_averages_count_each_product_once(write_graph):
    """a and b are products; any needs either (an aggregate). Cutting CN takes a (CN 1.0):
    mean loss over a and b = 0.5; the aggregate 'any' (still 1.0 through b) is not averaged in."""
    graph = load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("x", "material"), item("y", "material"),
         item("a", "product"), item("b", "product"), item("any", "product", needs="any")],
        [supplies("CN", "x", 1.0), supplies("JP", "y", 1.0), requires("x", "a"), requires("y", "b"),
         requires("a", "any"), requires("b", "any")])))
    assert graph.aggregates == ("any",)
    result = api.sweep(graph)
    assert result.ranking["CN"] == pytest.approx(0.5)


def test_pairs_ranked_by_loss_beyond_the_worse_single_with_ties(write_graph):
    """Products a (CN 0.5, JP 0.5), b (DE 1.0). Singles: CN 0.25, JP 0.25, DE 0.5.
    Pairs: CN+JP = 0.5, beyond the worse single (0.25) by 0.25; CN+DE = 0.75 beyond DE's 0.5 by
    0.25; DE+JP the same: three pairs tie at 0.25 and are shown as 1=."""
    graph = load_graph(write_graph(doc(
        [country("CN"), country("JP"), country("DE"), item("x", "material"), item("z", "material"),
         item("a", "product"), item("b", "product")],
        [supplies("CN", "x", 0.5), supplies("JP", "x", 0.5), supplies("DE", "z", 1.0),
         requires("x", "a"), requires("z", "b")])))
    ranked = api.sweep(graph, pairs=True).ranked.set_index("countries")
    assert ranked.loc["DE", "rank"] == "1" and ranked.loc["CN", "rank"] == "2="
    pairs = ranked[ranked.index.str.contains(r"\+")]
    assert pairs["excess"].tolist() == pytest.approx([0.25, 0.25, 0.25])
    assert set(pairs["rank"]) == {"1="}


def test_user_text_is_drawn_and_printed_literally(cli, write_graph, tmp_path):
    """Labels with $mathtext$ and [markup] neither crash a figure nor vanish from a table."""
    graph = write_graph(doc(
        [country("CN"), item("m", "material", label="m $\\frac{ $ [/] [est.]"), item("p", "product", label="p $5$")],
        [supplies("CN", "m", 0.5), requires("m", "p")]))
    for kind in ("network", "exposure", "sweep", "target"):
        assert cli("plot", str(graph), "-o", str(tmp_path / f"{kind}.png"), "--kind", kind).code == 0, kind
    out = cli("show", str(graph)).out
    assert "[est.]" in out and "$\\frac{ $ [/]" in out
