"""Plan: the cheapest new capacity and stockpiles, pinned on tiny graphs (working in the
docstrings), verified on the written graph, and its monotone properties."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import warnings

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import chokepoint
from chokepoint.analysis.concentration import country_shares
from chokepoint.errors import InputError
from chokepoint.model.graph import Graph
from chokepoint.remedies import (
    load_costs, plan, plan_availability, planned_capacity, timeline, write_plan,
)
from chokepoint.model.validate import parse_document

from conftest import REPO, country, doc, item, requires, supplies
from strategies import documents


def graph_of(data) -> Graph:
    document, _ = parse_document(data, "tiny")
    return Graph(document)


@pytest.fixture
def two_materials():
    """p requires m1 (CN 0.6, US 0.4) and m2 (CN 0.3, JP 0.7)."""
    return graph_of(doc(
        [country("CN"), country("US"), country("JP"), item("m1", "material"), item("m2", "material"),
         item("p", "product")],
        [supplies("CN", "m1", 0.6), supplies("US", "m1", 0.4), supplies("CN", "m2", 0.3),
         supplies("JP", "m2", 0.7), requires("m1", "p"), requires("m2", "p")]))


def check_written(original, result, path):
    """The independent check on a written plan: target finds every failing item at or under the
    threshold, and every kept product keeps K under every cutoff; returns the written graph."""
    written = chokepoint.load_graph(path)
    if result.target is not None:
        before = chokepoint.target(original, threshold=result.target, all_items=True).set_index("id")
        after = chokepoint.target(written, threshold=result.target, all_items=True).set_index("id")
        for ident in before.index[before["status"] == "fail"]:
            assert after.loc[ident, "top_share"] <= result.target + 1e-9, ident
    if result.keep is not None:
        for label, cut in [(s, _codes(s)) for s in result.scenarios]:
            avail = plan_availability(written, countries=cut, duration=result.duration)
            for product in result.products:
                assert avail[product] >= result.keep - 1e-9, (label, product)
            # the written graph alone gives the plan's own availability
            direct = plan_availability(original, countries=cut, duration=result.duration,
                                       capacity=result.capacity, stockpile=result.stockpiles)
            assert avail == pytest.approx(direct, abs=1e-9)
            # cutoff on the written graph counts shares of the larger supply: never above the plan's
            cut_products = chokepoint.cutoff(written, countries=sorted(cut)).products.set_index("id")["availability"]
            for product in result.products:
                assert cut_products[product] <= avail[product] + 1e-12
    return written


def _codes(label):
    from chokepoint.model.countries import resolve_bloc

    if "+" in label or len(label) == 2:
        return frozenset(label.split("+"))
    return frozenset(resolve_bloc(label)[1])


# --- pinned examples -------------------------------------------------------------------------

def test_keep_with_allies(two_materials, tmp_path):
    """Keep p at 0.8 under every single-country cutoff (CN, JP, US), new capacity only in KR.

    CN cut: m1 = 0.4 + x1 >= 0.8 -> x1 = 0.4; m2 = 0.7 + x2 (fine). JP cut: m2 = 0.3 + x2 >= 0.8
    -> x2 = 0.5. US cut: m1 = 0.6 + x1 = 1. Stockpiles cost 1 a month and give 1/12 each: dearer.
    Plan: KR 0.4 of m1 and 0.5 of m2, cost 0.9. Lowering K by one unit under the CN or the JP
    cutoff saves 1 (shadow price 1); the US cutoff does not bind.
    """
    result = plan(two_materials, keep=0.8, allies=["KR"])
    assert result.status == "optimal" and result.method == "linprog (HiGHS)"
    assert result.capacity == pytest.approx({("m1", "KR"): 0.4, ("m2", "KR"): 0.5})
    assert result.stockpiles == {}
    assert result.cost == pytest.approx(0.9)
    assert result.worst_availability == pytest.approx(0.8)
    assert result.scenarios == ("CN", "JP", "US")
    binding = result.binding.set_index("scenario")
    assert set(binding.index) == {"CN", "JP"}
    assert binding.loc["CN", "shadow_price"] == pytest.approx(1.0)
    assert binding.loc["JP", "shadow_price"] == pytest.approx(1.0)
    avail = result.availability.set_index("scenario")
    assert avail.loc["CN", "before"] == pytest.approx(0.4) and avail.loc["CN", "after"] == pytest.approx(0.8)
    path = write_plan(two_materials, result, tmp_path / "plan.yaml")
    written = check_written(two_materials, result, path)
    assert planned_capacity(written) == pytest.approx({"m1": 0.4, "m2": 0.5})
    assert written.name == "tiny-plan" and "KR" in written.nodes


def test_target_alone_needs_top_over_t_minus_one():
    """The 65% target on minerals: each failing item needs top / 0.65 - 1 new capacity outside its
    top country (gallium 0.99 -> 0.5231); the cost is the sum over failing items. Raising T by
    one unit saves top / T^2 per item (the shadow price: X = top / T - 1)."""
    result = plan("minerals", target=0.65)
    table = chokepoint.target("minerals")
    failing = table[table["status"] == "fail"].set_index("id")
    assert result.cost == pytest.approx(failing["capacity_needed"].sum())
    per_item = result.actions.groupby("item")["new_capacity"].sum()
    assert per_item.to_dict() == pytest.approx(failing["capacity_needed"].to_dict())
    for row in result.actions.itertuples():
        assert row.country != failing.loc[row.item, "top_country"]
    prices = result.binding[result.binding["kind"] == "target"]
    for row in prices.itertuples():
        top = failing.loc[row.item, "top_share"]
        assert row.shadow_price == pytest.approx(top / 0.65 ** 2)
    assert result.stockpiles == {}


def test_target_plan_written_passes_target(tmp_path):
    result = plan("minerals", target=0.65)
    path = write_plan("minerals", result, tmp_path / "minerals-plan.yaml")
    check_written(chokepoint.load_graph("minerals"), result, path)
    after = chokepoint.target(path).set_index("id")
    assert (after["status"] != "fail").all()
    # rare-earth processing's published range straddles 0.65 (F52 re-read): it needs data, not capacity
    assert after.loc["rare-earth-processing", "status"] == "undetermined"
    assert "rare-earth-processing" in set(result.needs_data["item"]) or \
        any("rare-earth-processing" in note for note in result.notes)


def test_undetermined_items_need_data_not_capacity():
    """a: CN [0.6, 0.8] straddles 0.65 (undetermined); b: CN 0.9 fails (needs 0.9/0.65 - 1);
    c has no suppliers (no data). Only b gets capacity (in JP: CN, the only supplying country and
    so the default ally, cannot help); a and c are listed as needing data."""
    g = graph_of(doc([country("CN"), country("JP"), item("a", "material", critical_mineral=True, stage="s"),
                      item("b", "material", critical_mineral=True, stage="s"),
                      item("c", "material", critical_mineral=True, stage="s"), item("p", "product")],
                     [supplies("CN", "a", [0.6, 0.8]), supplies("CN", "b", 0.9), requires("a", "p"),
                      requires("b", "p"), requires("c", "p")]))
    assert plan(g, target=0.65).status == "infeasible"
    result = plan(g, target=0.65, allies="JP")
    assert result.cost == pytest.approx(0.9 / 0.65 - 1)
    assert set(result.actions["item"]) == {"b"}
    assert dict(zip(result.needs_data["item"], result.needs_data["status"])) == {"a": "undetermined", "c": "no data"}


def test_stockpile_only_plan_and_its_timeline(tmp_path):
    """x is 90% from CN; p needs x. Keep p at 0.5 through a 12-month CN cutoff, no new capacity.

    Availability 0.1 + S / 12 >= 0.5 -> S = 4.8 months (at x or at p: the same cost), cost 4.8.
    The timeline of the written graph spends the 4.8 months on the 0.9 gap in 5.33 months, then
    runs at 0.1: unmet 0.9 * 12 - 4.8 = 6.0 = (1 - 0.5) * 12, the plan's shortfall, drawn
    all at once instead of evenly.
    """
    g = graph_of(doc([country("CN"), country("US"), item("x", "material"), item("p", "product")],
                     [supplies("CN", "x", 0.9), supplies("US", "x", 0.1), requires("x", "p")]))
    result = plan(g, keep=0.5, against="CN", allies=[])
    assert result.cost == pytest.approx(4.8)
    assert sum(result.stockpiles.values()) == pytest.approx(4.8)
    assert result.capacity == {}
    path = write_plan(g, result, tmp_path / "plan.json")
    check_written(g, result, path)
    p = timeline(path, countries=["CN"], duration=12).row("p")
    assert p["unmet_months"] == pytest.approx(6.0)
    assert p["months_to_shortage"] == pytest.approx(4.8 / 0.9)


def test_any_node_is_carried_by_its_best_input():
    """p needs a or b (any). a: CN 0.6, JP 0.4; b: CN 0.7, JP 0.3. Keep p at 0.8, capacity in KR.

    CN cut: a = 0.4 + xa, b = 0.3 + xb; JP cut: a = 0.6 + xa, b = 0.7 + xb.
    xa = 0.4 carries p through both (0.8 and 1.0): cost 0.4; via b alone it takes 0.5; splitting
    does not help a max. The MILP picks a; an LP relaxation of the choice would pay nothing.
    """
    g = graph_of(doc([country("CN"), country("JP"), item("a", "material"), item("b", "material"),
                      item("p", "product", needs="any")],
                     [supplies("CN", "a", 0.6), supplies("JP", "a", 0.4), supplies("CN", "b", 0.7),
                      supplies("JP", "b", 0.3), requires("a", "p"), requires("b", "p")]))
    result = plan(g, keep=0.8, allies="KR")
    assert result.method.startswith("milp")
    assert result.capacity == pytest.approx({("a", "KR"): 0.4})
    assert result.cost == pytest.approx(0.4)
    assert result.availability["after"].min() == pytest.approx(0.8)


def test_costs_move_the_plan(two_materials, tmp_path):
    """As in test_keep_with_allies, but KR capacity for m1 costs 20 a unit (CSV; the blank
    stockpile_cost inherits 1). Covering the CN cutoff by stock at p (4.8 months: 0.4 + 4.8/12 =
    0.8) also gives 0.4 under the JP cutoff, which then needs only x2 = 0.1: cost 4.9 (stock at m1
    instead would leave x2 = 0.5: 5.3). Lowering K under CN saves 12 - 1 = 11."""
    costs = tmp_path / "costs.csv"
    costs.write_text("item,country,capacity_cost,stockpile_cost\nm1,KR,20,\n", encoding="utf-8")
    result = plan(two_materials, keep=0.8, allies=["KR"], costs=costs)
    assert result.cost == pytest.approx(4.9)
    assert result.stockpiles == pytest.approx({"p": 4.8})
    assert result.capacity == pytest.approx({("m2", "KR"): 0.1})
    assert result.binding.set_index("scenario").loc["CN", "shadow_price"] == pytest.approx(11.0)
    frame = pd.DataFrame({"item": ["m1"], "country": ["KR"], "capacity_cost": [20.0]})
    assert plan(two_materials, keep=0.8, allies=["KR"], costs=frame).cost == pytest.approx(4.9)


def test_cost_rules_most_specific_wins(two_materials):
    frame = pd.DataFrame({"item": ["", "m1", "", "m1"], "country": ["", "", "KR", "KR"],
                          "capacity_cost": [2, 3, 4, 5], "stockpile_cost": [7, 8, "", ""]})
    costs = load_costs(frame, two_materials)
    assert costs.capacity("m1", "KR") == 5 and costs.capacity("m1", "JP") == 3
    assert costs.capacity("m2", "KR") == 4 and costs.capacity("m2", "JP") == 2
    assert costs.stockpile("m1") == 8 and costs.stockpile("p") == 7


@pytest.mark.parametrize("text, message", [
    ("item,country,capacity_cost,stockpile_cost\nnope,KR,1,\n", "row 2: no item 'nope'"),
    ("item,country,capacity_cost,stockpile_cost\nm1,Atlantis,1,\n", "row 2: unknown country 'Atlantis'"),
    ("item,country,capacity_cost,stockpile_cost\nm1,KR,cheap,\n", "row 2: capacity_cost 'cheap' is not a number"),
    ("item,country,capacity_cost,stockpile_cost\nm1,KR,-1,\n", "row 2: capacity_cost -1"),
    ("item,country,capacity_cost,stockpile_cost\nm1,KR,,3\n", "row 2: stockpile_cost is per item"),
    ("item,country,capacity_cost,stockpile_cost\nm1,KR,1,\nm1,KR,2,\n", "row 3: a second capacity_cost"),
    ("item,land,capacity_cost\nm1,KR,1\n", "expected the columns .*unknown: land"),
])
def test_bad_costs_tables(two_materials, tmp_path, text, message):
    path = tmp_path / "costs.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        plan(two_materials, keep=0.8, costs=path)
    assert str(path) in str(info.value)


def test_budget_maximises_the_worst_availability(two_materials):
    """Budget 0.3 in KR capacity: worst = min(CN: 0.4 + x1, 0.3 + x2 under JP): the first 0.1
    goes to m2 (JP cut, 0.3 -> 0.4), then both rise together: x1 = 0.1, x2 = 0.2, worst 0.5;
    one more unit of budget lifts it by 0.5 (the budget's shadow price)."""
    result = plan(two_materials, budget=0.3, allies=["KR"])
    assert result.objective == "max worst availability"
    assert result.worst_availability == pytest.approx(0.5)
    assert result.capacity == pytest.approx({("m1", "KR"): 0.1, ("m2", "KR"): 0.2})
    budget = result.binding[result.binding["kind"] == "budget"].iloc[0]
    assert budget["shadow_price"] == pytest.approx(0.5)
    rich = plan(two_materials, budget=10, allies=["KR"])
    assert rich.worst_availability == pytest.approx(1.0)
    assert rich.cost == pytest.approx(1.3)  # the least cost at full availability, not the whole budget


def test_infeasible_target_reports_the_conflict(two_materials):
    """All items tested (no critical minerals marked). m2 is 70% JP; new capacity only in JP
    makes it worse: no plan. The elastic programme leaves m2 at 0.70, 0.05 over the line."""
    result = plan(two_materials, target=0.65, allies=["JP"])
    assert result.status == "infeasible" and result.cost is None
    conflict = result.conflicts.iloc[0]
    assert conflict["kind"] == "target" and conflict["item"] == "m2"
    assert conflict["violation"] == pytest.approx(0.05)
    assert any("every supplied item is tested" in n for n in result.notes)
    data = json.loads(json.dumps(result.to_dict(), allow_nan=False))
    assert data["status"] == "infeasible" and data["cost"] is None


def test_infeasible_keep_reports_the_smallest_violations(two_materials):
    """No new capacity, at most 2 months of stock per item (2/12 each). CN cut: p <= min(0.4 + 1/6,
    1) + 1/6 = 0.733, 0.067 short of 0.8; JP cut: 0.3 + 1/3 = 0.633, 0.167 short."""
    result = plan(two_materials, keep=0.8, allies=[], max_stockpile=2)
    assert result.status == "infeasible"
    violations = dict(zip(result.conflicts["scenario"], result.conflicts["violation"]))
    assert violations == pytest.approx({"JP": 0.8 - 0.3 - 1 / 3, "CN": 0.8 - 0.4 - 1 / 3})


def test_infeasible_budget(two_materials):
    """Target 0.65 needs 0.7/0.65 - 1 = 0.0769 on m2; a budget of 0.05 cannot pay for it."""
    result = plan(two_materials, target=0.65, budget=0.05)
    assert result.status == "infeasible" and not result.conflicts.empty


def test_against_blocs_and_joint_cutoffs(two_materials):
    """Against the Quad (JP, US, AU, IN) as one cutoff: m1 = 0.6 (US gone), m2 = 0.3 (JP gone):
    keep 0.5 needs x2 = 0.2 in KR. A joint CN+JP cutoff leaves m2 at 0: x2 = 0.5."""
    quad = plan(two_materials, keep=0.5, against="Quad", allies="KR")
    assert quad.scenarios == ("Quad",)
    assert quad.capacity == pytest.approx({("m2", "KR"): 0.2})
    joint = plan(two_materials, keep=0.5, against=[["CN", "JP"]], allies="KR")
    assert joint.scenarios == ("CN+JP",)
    assert joint.capacity == pytest.approx({("m1", "KR"): 0.1, ("m2", "KR"): 0.5})


@pytest.mark.parametrize("kwargs, message", [
    ({}, "nothing to plan for"),
    ({"keep": 1.5}, "keep 1.5 must be in"),
    ({"target": 0}, "target 0 must be in"),
    ({"keep": 0.5, "duration": 0}, "duration 0 must be above 0"),
    ({"budget": -1}, "budget -1"),
    ({"keep": 0.5, "products": ["nope"]}, "no item 'nope'"),
    ({"keep": 0.5, "against": "Atlantis"}, "neither a country nor a bloc"),
    ({"keep": 0.5, "allies": ["Atlantis"]}, "neither a country nor a bloc"),
    ({"keep": 0.5, "max_stockpile": -2}, "max stockpile"),
])
def test_bad_options(two_materials, kwargs, message):
    with pytest.raises(InputError, match=message):
        plan(two_materials, **kwargs)


def test_write_plan_refuses(two_materials, tmp_path):
    bad = plan(two_materials, target=0.65, allies=["JP"])
    with pytest.raises(InputError, match="infeasible: nothing to write"):
        write_plan(two_materials, bad, tmp_path / "x.yaml")
    good = plan(two_materials, keep=0.8, allies=["KR"])
    with pytest.raises(InputError, match="not 'quantum'"):
        write_plan("quantum", good, tmp_path / "x.yaml")
    with pytest.raises(InputError, match="ends in .yaml"):
        write_plan(two_materials, good, tmp_path / "x.txt")
    mine = tmp_path / "mine.yaml"
    mine.write_text("my notes\n", encoding="utf-8")
    with pytest.raises(InputError, match="not written by chokepoint"):
        write_plan(two_materials, good, mine)
    assert mine.read_text(encoding="utf-8") == "my notes\n"
    assert not (tmp_path / "x.yaml").exists()
    write_plan(two_materials, good, mine, force=True)
    assert chokepoint.load_graph(mine).name == "tiny-plan"


def test_existing_supplier_gets_planned_capacity(tmp_path):
    """x: CN 0.9, US 0.1. Target 0.65 with new capacity only in the US: X = 0.9/0.65 - 1 = 0.3846,
    all in the US edge, which becomes (0.1 + 0.3846) / 1.3846 = 0.35 and says which part is planned."""
    g = graph_of(doc([country("CN"), country("US"), item("x", "material", critical_mineral=True, stage="s"),
                      item("p", "product")],
                     [supplies("CN", "x", 0.9, source="S", basis="global production"),
                      supplies("US", "x", 0.1, source="S", basis="global production"), requires("x", "p")])
                 | {"sources": {"S": {"title": "A report"}}})
    result = plan(g, target=0.65, allies="US")
    path = write_plan(g, result, tmp_path / "p.yaml")
    written = chokepoint.load_graph(path)
    edges = {e.from_: e for e in written.document.edges if e.to == "x"}
    assert edges["US"].share.point == pytest.approx(0.35)
    assert edges["US"].estimated and edges["US"].source == "S" and edges["US"].note.startswith("planned:")
    assert edges["CN"].share.point == pytest.approx(0.65)
    assert planned_capacity(written) == pytest.approx({"x": 0.9 / 0.65 - 1})


def test_plan_availability_is_the_cutoff_engine_without_a_plan():
    """With no plan and no stockpiles, the plan's availability model is the propagation: every
    product of every bundled graph under every single-country cutoff."""
    for name in chokepoint.bundled_names():
        g = chokepoint.load_graph(name)
        for code in g.countries[:12]:
            mine = plan_availability(g, countries=[code])
            engine = chokepoint.cutoff(g, countries=[code]).products.set_index("id")["availability"]
            for product, value in mine.items():
                assert value == pytest.approx(engine[product], abs=1e-12), (name, code, product)


def test_to_dict_is_json(two_materials):
    data = json.loads(json.dumps(plan(two_materials, keep=0.8, target=0.65, allies=["KR"]).to_dict(),
                                 allow_nan=False))
    assert data["status"] == "optimal" and data["constraints"]["allies"] == ["KR"]
    assert {a["country"] for a in data["actions"]} == {"KR"}


# --- properties ------------------------------------------------------------------------------

def _graph(data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return graph_of(data)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=documents(max_items=6), low=st.floats(0.1, 0.9), step=st.floats(0.0, 0.3),
       threshold=st.sampled_from([0.5, 0.65, 0.8]),
       allies=st.lists(st.sampled_from(["KR", "CN", "JP", "US"]), max_size=2, unique=True),
       stock_cost=st.sampled_from([1.0, 0.02]), max_stockpile=st.sampled_from([None, 1.0]))
def test_relaxing_never_raises_cost_and_plans_hold(data, low, step, threshold, allies, stock_cost, max_stockpile):
    """Lower K or higher T never costs more; adding allies never costs more; every optimal plan
    meets its constraints by the independent evaluation and the target test."""
    g = _graph(data)
    if not g.countries:
        return
    high = min(1.0, low + step)
    costs = pd.DataFrame({"item": [""], "country": [""], "stockpile_cost": [stock_cost]})
    common = dict(all_items=True, costs=costs, max_stockpile=max_stockpile)
    tight = plan(g, keep=high, target=threshold, allies=allies, **common)
    loose = plan(g, keep=low, target=min(1.0, threshold + 0.1), allies=allies, **common)
    wider = plan(g, keep=high, target=threshold, allies=allies + ["AU", "DE"], **common)
    if tight.status == "infeasible":
        assert not tight.conflicts.empty
    if tight.status == "optimal":
        assert loose.status == "optimal" and loose.cost <= tight.cost + 1e-7
        assert wider.status == "optimal" and wider.cost <= tight.cost + 1e-7
    for result in (tight, loose, wider):
        if result.status != "optimal":
            continue
        for label in result.scenarios:
            avail = plan_availability(g, countries=[label], duration=result.duration, capacity=result.capacity,
                                      stockpile=result.stockpiles)
            assert min(avail.values()) >= result.keep - 1e-7
        failing = chokepoint.target(g, threshold=result.target, all_items=True).query("status == 'fail'")["id"]
        for item_id in failing:
            added = {c: x for (i, c), x in result.capacity.items() if i == item_id}
            shares = {c: v[0] for c, v in country_shares(g, item_id).items()}
            total = 1 + sum(added.values())
            top = max((shares.get(c, 0) + added.get(c, 0)) / total for c in set(shares) | set(added))
            assert top <= result.target + 1e-7, item_id


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=documents(max_items=6), budgets=st.lists(st.floats(0.0, 3.0), min_size=2, max_size=3))
def test_larger_budget_never_lowers_the_worst_availability(data, budgets):
    g = _graph(data)
    if not g.countries:
        return
    worst = []
    for budget in sorted(budgets):
        result = plan(g, budget=budget, allies=["KR"])
        assert result.status == "optimal" and result.cost <= budget + 1e-7
        worst.append(result.worst_availability)
    assert all(b >= a - 1e-7 for a, b in zip(worst, worst[1:]))


@settings(max_examples=30, deadline=None)
@given(shares=st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3), keep=st.floats(0.3, 1.0))
def test_any_node_plan_is_the_best_choice_of_carriers(shares, keep):
    """p needs any of a, b, c; each is supplied by CN s and JP (1 - s). Keep p at K through the
    CN and the JP cutoffs with KR capacity (1 a unit; stock at 12 a unit of availability is
    never cheaper). By hand: pick for each cutoff the input that carries p; an input carrying a
    cutoff needs x_i >= K - its availability there; the cost is the sum of the largest needs.
    The MILP must find the cheapest of the 9 choices."""
    names = ["a", "b", "c"]
    shares = [round(s, 4) for s in shares]
    nodes = [country("CN"), country("JP"), item("p", "product", needs="any")] + [item(n, "material") for n in names]
    edges = [requires(n, "p") for n in names]
    for n, s in zip(names, shares):
        edges += [supplies("CN", n, s), supplies("JP", n, round(1 - s, 4))]
    g = graph_of(doc(nodes, edges))
    avail = {("CN", n): round(1 - s, 4) for n, s in zip(names, shares)}
    avail.update({("JP", n): s for n, s in zip(names, shares)})
    best = math.inf
    for cn in names:
        for jp in names:
            need = {n: 0.0 for n in names}
            need[cn] = max(need[cn], keep - avail[("CN", cn)])
            need[jp] = max(need[jp], keep - avail[("JP", jp)])
            best = min(best, sum(need.values()))
    result = plan(g, keep=keep, allies="KR")
    assert result.status == "optimal"
    assert result.cost == pytest.approx(best, abs=1e-7)
    assert result.availability["after"].min() >= keep - 1e-7


# --- examples --------------------------------------------------------------------------------

def _run(script, tmp_path, *args):
    out = subprocess.run([sys.executable, str(REPO / "examples" / script), *args], cwd=tmp_path,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_example_minerals_target(tmp_path):
    out = _run("plan_minerals_target.py", tmp_path, str(tmp_path / "minerals-plan.yaml"))
    assert "gallium" in out and "total cost" in out
    after = chokepoint.target(tmp_path / "minerals-plan.yaml")
    assert (after["status"] != "fail").all()


def test_example_quantum_stockpile(tmp_path):
    out = _run("quantum_stockpile.py", tmp_path)
    assert "4.8 months" in out and "superconducting" in out


def test_example_biotech_reserve(tmp_path):
    out = _run("biotech_api_reserve.py", tmp_path)
    assert "finished drugs" in out and "6 months" in out
