"""Availability propagation pinned on tiny graphs; the working is written in each docstring."""

from __future__ import annotations

import pytest

from chokepoint import load_graph
from chokepoint.analysis.paths import loss_path
from chokepoint.engine.reference import Scenario, propagate, shortage_months

from conftest import country, doc, item, requires, supplies


def run(graph, *cut, spare=0.0, knockout=()):
    scenario = Scenario(countries=frozenset(cut), spare_capacity=spare, knockout=frozenset(knockout))
    return propagate(graph, scenario)


@pytest.fixture
def all_any(write_graph):
    """a: CN 0.6, JP 0.3, unknown 0.1.  b: JP 0.5, unknown 0.5.
    p_all needs a and b (min); p_any needs a or b (max)."""
    return load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("a"), item("b"), item("p_all", "product"),
         item("p_any", "product", needs="any")],
        [supplies("CN", "a", 0.6), supplies("JP", "a", 0.3), supplies("JP", "b", 0.5),
         requires("a", "p_all"), requires("b", "p_all"), requires("a", "p_any"), requires("b", "p_any")])))


def test_nothing_cut_everything_available(all_any):
    assert set(run(all_any).values()) == {1.0}


def test_all_and_any_cut_cn(all_any):
    """Cut CN: a = JP 0.3 + unknown 0.1 = 0.4; b = 1 (JP alive).
    p_all = min(0.4, 1) = 0.4; p_any = max(0.4, 1) = 1."""
    avail = run(all_any, "CN")
    assert avail["CN"] == 0.0 and avail["JP"] == 1.0
    assert avail["a"] == pytest.approx(0.4)
    assert avail["b"] == 1.0
    assert avail["p_all"] == pytest.approx(0.4)
    assert avail["p_any"] == 1.0


def test_all_and_any_cut_jp(all_any):
    """Cut JP: a = 0.6 + 0.1 = 0.7; b = 0.5. p_all = 0.5; p_any = 0.7."""
    avail = run(all_any, "JP")
    assert avail["a"] == pytest.approx(0.7)
    assert avail["b"] == pytest.approx(0.5)
    assert avail["p_all"] == pytest.approx(0.5)
    assert avail["p_any"] == pytest.approx(0.7)


def test_all_and_any_cut_both(all_any):
    """Cut CN and JP: a = unknown 0.1; b = unknown 0.5. p_all = 0.1; p_any = 0.5."""
    avail = run(all_any, "CN", "JP")
    assert avail["p_all"] == pytest.approx(0.1)
    assert avail["p_any"] == pytest.approx(0.5)


@pytest.fixture
def facility(write_graph):
    """m: KR 0.5, unknown 0.5.  plant (a facility in CN) needs m.
    x: plant 0.8, JP 0.2.  p needs x."""
    return load_graph(write_graph(doc(
        [country("CN"), country("JP"), country("KR"),
         {"id": "plant", "kind": "facility", "label": "Plant", "country": "CN"},
         item("m", "material"), item("x"), item("p", "product")],
        [supplies("KR", "m", 0.5), requires("m", "plant"), supplies("plant", "x", 0.8),
         supplies("JP", "x", 0.2), requires("x", "p")])))


def test_facility_follows_its_country(facility):
    """Cut CN: plant = 0, x = 0.8 * 0 + JP 0.2 = 0.2, p = 0.2."""
    avail = run(facility, "CN")
    assert avail["plant"] == 0.0
    assert avail["x"] == pytest.approx(0.2)
    assert avail["p"] == pytest.approx(0.2)


def test_facility_limited_by_its_inputs(facility):
    """Cut KR: m = 0.5 (unknown remainder), plant = min(CN 1, m 0.5) = 0.5,
    x = 0.8 * 0.5 + 0.2 = 0.6."""
    avail = run(facility, "KR")
    assert avail["m"] == pytest.approx(0.5)
    assert avail["plant"] == pytest.approx(0.5)
    assert avail["x"] == pytest.approx(0.6)
    assert avail["p"] == pytest.approx(0.6)


def test_unknown_remainder_survives_every_cut(facility):
    """Cut all three countries: m = 0.5 (unknown), plant = 0 (CN), x = 0 + 0 = 0."""
    avail = run(facility, "CN", "JP", "KR")
    assert avail["m"] == pytest.approx(0.5)
    assert avail["x"] == 0.0


@pytest.fixture
def spare(write_graph):
    """x: CN 0.6, JP 0.3, unknown 0.1."""
    return load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("x", "product")],
        [supplies("CN", "x", 0.6), supplies("JP", "x", 0.3)])))


@pytest.mark.parametrize("r, expected", [
    (0.0, 0.4),   # 0.3 + 0.1
    (0.5, 0.6),   # (0.3 + 0.1) * 1.5
    (1.0, 0.8),   # (0.3 + 0.1) * 2
    (2.0, 1.0),   # (0.3 + 0.1) * 3 = 1.2, capped at 1
])
def test_spare_capacity(spare, r, expected):
    """Cut CN; surviving suppliers (JP and the unknown remainder) grow by r of their share."""
    assert run(spare, "CN", spare=r)["x"] == pytest.approx(expected)


def test_spare_capacity_changes_nothing_without_a_cut(spare):
    assert run(spare, spare=0.5)["x"] == 1.0


@pytest.fixture
def stockpiles(write_graph):
    """m: CN 0.9 (stockpile 3 months).  c needs m (stockpile 2).  d: JP 0.5 (stockpile 1).
    p needs c.  p_all needs c and d.  p_any needs c or d."""
    return load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("m", "material", stockpile_months=3),
         item("c", stockpile_months=2), item("d", stockpile_months=1), item("p", "product"),
         item("p_all", "product"), item("p_any", "product", needs="any")],
        [supplies("CN", "m", 0.9), supplies("JP", "d", 0.5), requires("m", "c"), requires("c", "p"),
         requires("c", "p_all"), requires("d", "p_all"), requires("c", "p_any"), requires("d", "p_any")])))


def test_stockpile_months_add_along_a_chain(stockpiles):
    """Cut CN: m is short from month 0 + its 3 months of cover = 3; c holds 2 more: 5; p: 5.
    Availability once the stocks are gone: m = 0.1, c = 0.1, p = 0.1."""
    scenario = Scenario(countries=frozenset({"CN"}))
    avail = propagate(stockpiles, scenario)
    months = shortage_months(stockpiles, avail, scenario)
    assert avail["p"] == pytest.approx(0.1)
    assert months["m"] == 3 and months["c"] == 5 and months["p"] == 5
    assert months["d"] is None and months["JP"] is None
    assert months["CN"] == 0


def test_stockpile_all_starts_with_first_short_input_any_with_last(stockpiles):
    """Cut CN and JP: c short at 5 (0.1), d short at 0 + 1 = 1 (0.5).
    p_all = min(0.1, 0.5) = 0.1, short when the first input is: month 1.
    p_any = max(0.1, 0.5) = 0.5, short when the last alternative is: month 5."""
    scenario = Scenario(countries=frozenset({"CN", "JP"}))
    avail = propagate(stockpiles, scenario)
    months = shortage_months(stockpiles, avail, scenario)
    assert avail["p_all"] == pytest.approx(0.1) and months["p_all"] == 1
    assert avail["p_any"] == pytest.approx(0.5) and months["p_any"] == 5


@pytest.fixture
def cycle(write_graph):
    """chips: TW 0.6, unknown 0.4; chips need tools; tools need chips; p needs chips."""
    return load_graph(write_graph(doc(
        [country("TW"), item("chips"), item("tools"), item("p", "product")],
        [supplies("TW", "chips", 0.6), requires("tools", "chips"), requires("chips", "tools"),
         requires("chips", "p")])))


def test_cycle_without_cut_keeps_full_supply(cycle):
    """The largest fixed point: starting from 1, chips = min(1, tools 1) = 1 stays 1."""
    assert set(run(cycle).values()) == {1.0}


def test_cycle_reaches_fixed_point(cycle):
    """Cut TW: chips = min(0.4, tools), tools = min(1, chips): fixed point 0.4 for both; p = 0.4."""
    avail = run(cycle, "TW")
    assert avail["chips"] == pytest.approx(0.4)
    assert avail["tools"] == pytest.approx(0.4)
    assert avail["p"] == pytest.approx(0.4)


def test_stockpile_in_a_cycle_terminates(write_graph):
    """a <-> b with 2 months of cover on a, a supplied by TW 0.5. Cut TW: a short at 0 + 2 = 2,
    b at 2 (no cover); a's other cause (b at 2) does not make it earlier. Both 0.5."""
    graph = load_graph(write_graph(doc(
        [country("TW"), item("a", stockpile_months=2), item("b"), item("p", "product")],
        [supplies("TW", "a", 0.5), requires("a", "b"), requires("b", "a"), requires("b", "p")])))
    scenario = Scenario(countries=frozenset({"TW"}))
    avail = propagate(graph, scenario)
    months = shortage_months(graph, avail, scenario)
    assert avail["p"] == pytest.approx(0.5)
    assert months["a"] == 2 and months["b"] == 2 and months["p"] == 2


def test_ranges_use_their_midpoint(write_graph):
    """x: CN [0.6, 0.8] -> point 0.7; cut CN: 0.3. A level word 'main' [0.5, 0.9] -> 0.7 too."""
    graph = load_graph(write_graph(doc(
        [country("CN"), country("FI"), item("x", "product"), item("y", "product")],
        [supplies("CN", "x", [0.6, 0.8]), supplies("FI", "y", "main", estimated=True)])))
    avail = run(graph, "CN", "FI")
    assert avail["x"] == pytest.approx(0.3)
    assert avail["y"] == pytest.approx(0.3)


def test_item_without_suppliers_is_limited_only_by_inputs(write_graph):
    """c has no supply edges and needs m (CN 0.75): cut CN -> m = 0.25 -> c = 0.25."""
    graph = load_graph(write_graph(doc(
        [country("CN"), item("m", "material"), item("c"), item("p", "product")],
        [supplies("CN", "m", 0.75), requires("m", "c"), requires("c", "p")])))
    avail = run(graph, "CN")
    assert avail["c"] == pytest.approx(0.25)


def test_knockout_removes_a_node_entirely(all_any):
    """Knock out a: p_all = 0, p_any = b = 1."""
    avail = run(all_any, knockout=["a"])
    assert avail["a"] == 0.0 and avail["p_all"] == 0.0 and avail["p_any"] == 1.0


def test_explain_follows_the_binding_cause(facility):
    """Cut CN: p <- x (0.2) <- plant lost 0.8 of x <- CN."""
    scenario = Scenario(countries=frozenset({"CN"}))
    avail = propagate(facility, scenario)
    assert loss_path(facility, avail, "p", scenario.knockout) == ["CN", "plant", "x", "p"]


def test_explain_any_follows_best_alternative(all_any):
    """Cut CN and JP: p_any = max(a 0.1, b 0.5) = b's 0.5, so the chain runs through b (lost to JP)."""
    scenario = Scenario(countries=frozenset({"CN", "JP"}))
    avail = propagate(all_any, scenario)
    assert loss_path(all_any, avail, "p_any", scenario.knockout) == ["JP", "b", "p_any"]
    assert loss_path(all_any, avail, "p_all", scenario.knockout) == ["CN", "a", "p_all"]


def test_a_cycle_with_a_loop_gain_near_1_is_solved_exactly(write_graph, recwarn):
    """chips = 0.99999 * fab + 0.00001 (remainder), fab = tools, tools = 0.99999 * toolmaker with CN
    (0.00001 of tools) cut, toolmaker = chips. So chips = 0.99999^2 chips + 0.00001, whose largest
    fixed point is 0.00001 / (1 - 0.99999^2) = 0.5000025; iterating reaches it only geometrically
    (gain 0.99998 per pass), so the cycle is solved exactly: no warning, the exact value."""
    graph = load_graph(write_graph(doc(
        [country("CN"), country("TW"), item("chips"), item("tools"), item("phone", "product"),
         {"id": "fab", "kind": "facility", "label": "fab", "country": "TW"},
         {"id": "toolmaker", "kind": "facility", "label": "tool maker", "country": "TW"}],
        [supplies("fab", "chips", 0.99999), supplies("toolmaker", "tools", 0.99999),
         supplies("CN", "tools", 0.00001), requires("tools", "fab"), requires("chips", "toolmaker"),
         requires("chips", "phone")])))
    avail = run(graph, "CN")
    expected = 0.00001 / (1 - 0.99999 ** 2)
    assert avail["phone"] == pytest.approx(expected, rel=1e-9)
    assert avail["tools"] == pytest.approx(0.99999 * expected, rel=1e-9)
    assert not [w for w in recwarn if "settle" in str(w.message)]
