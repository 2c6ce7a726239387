"""The compiled engine agrees with the reference propagation (chokepoint.engine.reference) to 1e-9.

Every bundled graph (every single-country cutoff, with and without spare capacity, months to
shortage, every knockout), pairs on a small graph, generated graphs with cycles, and small random
graphs from hypothesis. The rewired cutoff, sweep and chokepoints keep the reference's frames.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint import api, bundled_names, load_graph
from chokepoint.engine import compile_graph, compile_tables, evaluate, evaluate_scenarios, shortage_months
from chokepoint.generate import generate
from chokepoint.model.graph import Graph
from chokepoint.engine.reference import Scenario, propagate
from chokepoint.engine.reference import shortage_months as ref_months
from chokepoint.model.validate import parse_document

TOL = 1e-9
BASE = ["countries", "product", "availability"]


@pytest.fixture(scope="module")
def bundled():
    return {name: load_graph(name) for name in bundled_names()}


def generated_graph(nodes: int, edges: int, seed: int, tmp_path=None, **options) -> Graph:
    """A generated graph through the real loader (validation included)."""
    made = generate(nodes, edges, seed, **options)
    document, _ = parse_document(made.to_document(), f"generated-{seed}")
    return Graph(document)


def check_against_reference(graph: Graph, scenarios: list[Scenario], *, months: bool = True) -> float:
    compiled = compile_graph(graph)
    avail, starts = evaluate_scenarios(compiled, scenarios, months=True)
    worst = 0.0
    for j, scenario in enumerate(scenarios):
        ref = propagate(graph, scenario)
        for row, ident in enumerate(compiled.ids):
            worst = max(worst, abs(ref[ident] - avail[row, j]))
        if months:
            expected = ref_months(graph, ref, scenario)
            for row, ident in enumerate(compiled.ids):
                got = starts[row, j]
                if expected[ident] is None:
                    assert math.isnan(got), (ident, scenario)
                else:
                    assert got == pytest.approx(expected[ident], abs=TOL), (ident, scenario)
    assert worst <= TOL
    return worst


@pytest.mark.parametrize("spare", [0.0, 0.25])
def test_every_country_cutoff_on_every_bundled_graph(bundled, spare):
    for graph in bundled.values():
        scenarios = [Scenario(countries=frozenset([c]), spare_capacity=spare) for c in graph.countries]
        check_against_reference(graph, scenarios)


def test_every_knockout_on_every_bundled_graph(bundled):
    for graph in bundled.values():
        scenarios = [Scenario(knockout=frozenset([n])) for n in graph.nodes if graph.nodes[n].kind != "country"]
        check_against_reference(graph, scenarios, months=False)


def test_pairs_blocs_and_stockpiles_on_quantum(bundled):
    graph = bundled["quantum"]
    scenarios = [Scenario(countries=frozenset(p)) for p in itertools.combinations(graph.countries, 2)]
    scenarios.append(Scenario(countries=frozenset(graph.countries)))
    scenarios.append(Scenario(countries=frozenset(["CN", "US", "JP"]), spare_capacity=0.5))
    check_against_reference(graph, scenarios)


def test_stockpile_months_match_reference(write_graph):
    from conftest import country, doc, item, requires, supplies

    graph = load_graph(write_graph(doc(
        [country("CN"), country("JP"), item("m", "material", stockpile_months=3), item("c", stockpile_months=2),
         item("d", stockpile_months=1), item("p", "product"), item("p_all", "product"),
         item("p_any", "product", needs="any")],
        [supplies("CN", "m", 0.9), supplies("JP", "d", 0.5), requires("m", "c"), requires("c", "p"),
         requires("c", "p_all"), requires("d", "p_all"), requires("c", "p_any"), requires("d", "p_any")])))
    compiled = compile_graph(graph)
    avail = evaluate(compiled, [["CN", "JP"]])
    months = shortage_months(compiled, avail, [["CN", "JP"]])
    values = compiled.to_dict(months[:, 0])
    assert values["p_all"] == 1 and values["p_any"] == 5 and values["c"] == 5 and values["m"] == 3
    assert values["JP"] == 0 and values["d"] == 1
    assert math.isnan(compiled.to_dict(shortage_months(compiled, evaluate(compiled, [[]]), [[]])[:, 0])["p"])


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_generated_graphs_with_cycles(seed):
    graph = generated_graph(240, 1200, seed, cycles=6)
    compiled = compile_graph(graph)
    assert compiled.has_cycles
    scenarios = [Scenario(countries=frozenset([c])) for c in graph.countries[:25]]
    scenarios += [Scenario(countries=frozenset(graph.countries[:2]), spare_capacity=0.3)]
    rng = np.random.default_rng(seed)
    nodes = [n for n in graph.nodes if graph.nodes[n].kind != "country"]
    scenarios += [Scenario(knockout=frozenset([n])) for n in rng.choice(nodes, 15, replace=False)]
    check_against_reference(graph, scenarios)


def test_cycle_through_a_plant_converges_to_the_largest_fixed_point(write_graph):
    """x: plant 0.8 (plant needs y), JP 0.1; y needs x. Cut JP: x = 0.8 x' + 0.1 ... -> 0.5."""
    from conftest import country, doc, item, requires, supplies

    graph = load_graph(write_graph(doc(
        [country("CN"), country("JP"), {"id": "plant", "kind": "facility", "label": "Plant", "country": "CN"},
         item("x"), item("y"), item("p", "product")],
        [supplies("plant", "x", 0.8), supplies("JP", "x", 0.1), requires("y", "plant"), requires("x", "y"),
         requires("y", "p")])))
    compiled = compile_graph(graph)
    avail = compiled.to_dict(evaluate(compiled, [["JP"]])[:, 0])
    assert avail["x"] == pytest.approx(0.5, abs=1e-11)  # x = 0.8 x + 0.1
    assert avail["p"] == pytest.approx(0.5, abs=1e-11)
    assert compiled.to_dict(evaluate(compiled, [[]])[:, 0])["x"] == 1.0
    check_against_reference(graph, [Scenario(countries=frozenset([c])) for c in ("CN", "JP")])


def test_chunking_and_layout_do_not_change_results():
    graph = generated_graph(300, 1500, 5, cycles=8)
    compiled = compile_graph(graph)
    cuts = [[c] for c in graph.countries]
    full = evaluate(compiled, cuts)
    for options in ({"chunk": 1}, {"chunk": 7}, {"chunk": 11}):
        assert np.array_equal(evaluate(compiled, cuts, **options), full)
    rows = compiled.rows(graph.products)
    assert np.array_equal(evaluate(compiled, cuts, rows=graph.products), full[rows])
    assert np.abs(evaluate(compiled, cuts, exact=False) - full).max() < 1e-12
    assert np.abs(evaluate(compiled, cuts, dtype=np.float32) - full).max() < 1e-5


def test_compile_from_tables_matches_compile_from_graph():
    made = generate(400, 2000, 11)
    document, _ = parse_document(made.to_document(), "g")
    graph = Graph(document)
    from_graph = compile_graph(graph)
    from_arrays = made.compile()
    from_tables = compile_tables(made.nodes_frame(), made.edges_frame(), name="t")
    cuts = [[c] for c in graph.countries]
    reference = evaluate(from_graph, cuts)
    for other in (from_arrays, from_tables):
        assert other.country_codes == from_graph.country_codes
        assert sorted(other.ids[r] for r in other.products) == sorted(graph.products)
        assert np.abs(evaluate(other, cuts)[other.rows(from_graph.ids)] - reference).max() <= TOL


def test_shares_override_matches_reference(bundled):
    graph = bundled["quantum"]
    compiled = compile_graph(graph)
    rng = np.random.default_rng(0)
    columns = []
    scenarios = []
    for j in range(4):
        shares = compiled.sup_low + rng.random(len(compiled.sup_low)) * (compiled.sup_high - compiled.sup_low)
        columns.append(shares)
        scenarios.append(Scenario(countries=frozenset([graph.countries[j]]),
                                  shares=dict(zip(compiled.supply_keys(), shares.tolist()))))
    matrix = evaluate(compiled, [sorted(s.countries) for s in scenarios], shares=np.stack(columns, axis=1))
    single = evaluate(compiled, [sorted(scenarios[0].countries)], shares=columns[0])
    for j, scenario in enumerate(scenarios):
        ref = propagate(graph, scenario)
        for row, ident in enumerate(compiled.ids):
            assert matrix[row, j] == pytest.approx(ref[ident], abs=TOL)
    assert np.array_equal(single[:, 0], matrix[:, 0])


def test_unknown_ids_in_a_cut_are_ignored(bundled):
    compiled = compile_graph(bundled["quantum"])
    assert np.array_equal(evaluate(compiled, [["BR"]]), evaluate(compiled, [[]]))
    assert (evaluate(compiled, [[]]) == 1.0).all()


# ---------------------------------------------------------------------------------------------
# hypothesis: small random graphs of every shape the format allows


@st.composite
def documents(draw):
    n_c = draw(st.integers(1, 4))
    n_f = draw(st.integers(0, 3))
    n_i = draw(st.integers(1, 9))
    countries = ["CN", "JP", "US", "DE"][:n_c]
    facilities = [f"f{i}" for i in range(n_f)]
    items = [f"i{i}" for i in range(n_i)]
    nodes = [{"id": c, "kind": "country"} for c in countries]
    for f in facilities:
        entry = {"id": f, "kind": "facility", "label": f, "country": draw(st.sampled_from(countries))}
        if draw(st.booleans()):
            entry["needs"] = "any"
        nodes.append(entry)
    for i in items:
        entry = {"id": i, "kind": draw(st.sampled_from(["material", "component", "product"])), "label": i}
        if draw(st.booleans()):
            entry["needs"] = "any"
        if draw(st.integers(0, 4)) == 0:
            entry["stockpile_months"] = draw(st.integers(1, 6))
        nodes.append(entry)
    edges = []
    for i in items:
        suppliers = draw(st.lists(st.sampled_from(countries + facilities), unique=True, max_size=3))
        if suppliers:
            weights = [draw(st.integers(1, 10)) for _ in suppliers]
            cover = draw(st.sampled_from([0.5, 0.8, 1.0]))
            for s, w in zip(suppliers, weights):
                share = round(cover * w / sum(weights), 4)
                if draw(st.integers(0, 3)) == 0 and 0.05 < share < 0.95:
                    share = [round(share - 0.05, 4), round(share + 0.05, 4)]
                edges.append({"from": s, "to": i, "type": "supplies", "share": share, "estimated": True,
                              "note": "test"})
    consumers = items + facilities
    pairs = draw(st.lists(st.tuples(st.sampled_from(items + facilities), st.sampled_from(consumers)),
                          unique=True, max_size=14))
    taken = {(e["from"], e["to"]) for e in edges}
    for a, b in pairs:
        if a != b and (a, b) not in taken:
            edges.append({"from": a, "to": b, "type": "requires"})
    return {"name": "h", "title": "h", "nodes": nodes, "edges": edges}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents(), st.data())
def test_random_graphs_agree_with_reference(data, draws):
    document, _ = parse_document(data, "h.yaml")
    graph = Graph(document)
    countries = [n.id for n in document.nodes if n.kind == "country"]
    others = [n.id for n in document.nodes if n.kind != "country"]
    scenarios = [Scenario()]
    scenarios += [Scenario(countries=frozenset([c])) for c in countries]
    scenarios.append(Scenario(countries=frozenset(draws.draw(st.lists(st.sampled_from(countries), unique=True))),
                              spare_capacity=draws.draw(st.sampled_from([0.0, 0.2, 1.5]))))
    scenarios += [Scenario(knockout=frozenset([n])) for n in others[:4]]
    check_against_reference(graph, scenarios)


# ---------------------------------------------------------------------------------------------
# the rewired cutoff, sweep and chokepoints keep the reference's frames


def reference_sweep(graph, pairs=False, spare=0.0):
    combos = [(c,) for c in graph.countries]
    if pairs:
        combos += list(itertools.combinations(graph.countries, 2))
    rows = []
    for combo in combos:
        avail = propagate(graph, Scenario(countries=frozenset(combo), spare_capacity=spare))
        rows.extend({"countries": "+".join(combo), "product": p, "availability": avail[p]} for p in graph.products)
    return pd.DataFrame(rows, columns=["countries", "product", "availability"])


def reference_chokepoint_numbers(graph):
    products = graph.products
    by_country = {c: propagate(graph, Scenario(countries=frozenset([c]))) for c in graph.countries}
    out = {}
    for node in (n for n in graph.nodes if graph.nodes[n].kind != "country"):
        avail = propagate(graph, Scenario(knockout=frozenset([node])))
        # a product's own knockout does not count, except where end items stand in for products
        stand_in = not any(n.kind == "product" for n in graph.document.nodes)
        losses = {p: 1.0 - avail[p] for p in products if p != node or stand_in}
        knockout = sum(losses.values()) / len(losses) if losses else 0.0
        worst, exposure = "", 0.0
        for c, values in by_country.items():
            loss = 1.0 - values[node]
            if loss > exposure + 1e-12:
                worst, exposure = c, loss
        out[node] = (knockout * exposure, knockout, sum(1 for v in losses.values() if v > 1e-12), exposure, worst)
    return out


def ranked_ids(numbers):
    return [n for n, _ in sorted(numbers.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))]


def test_rewired_functions_match_reference_frames(bundled):
    graphs = dict(bundled)
    graphs["generated"] = generated_graph(200, 900, 4, cycles=4)
    for name, graph in graphs.items():
        pairs = len(graph.countries) <= 25
        pd.testing.assert_frame_equal(api.sweep(graph, pairs=pairs).frame[BASE], reference_sweep(graph, pairs), atol=TOL, rtol=0)
        pd.testing.assert_frame_equal(api.sweep(graph, spare_capacity=0.3).frame[BASE], reference_sweep(graph, spare=0.3),
                                      atol=TOL, rtol=0)
        numbers = reference_chokepoint_numbers(graph)
        frame = api.find_chokepoints(graph)
        assert list(frame["id"]) == ranked_ids(numbers), name
        for row in frame.itertuples():
            score, knockout, hit, exposure, worst = numbers[row.id]
            assert row.score == pytest.approx(score, abs=TOL) and row.knockout_loss == pytest.approx(knockout, abs=TOL)
            assert row.products_hit == hit and row.exposure == pytest.approx(exposure, abs=TOL)
            assert row.worst_country == worst
        for c in graph.countries[:6]:
            result = api.cutoff(graph, countries=[c], spare_capacity=0.1)
            scenario = Scenario(countries=frozenset([c]), spare_capacity=0.1)
            ref = propagate(graph, scenario)
            months = ref_months(graph, ref, scenario)
            nodes = result.nodes.set_index("id")
            for ident, value in ref.items():
                assert nodes.loc[ident, "availability"] == pytest.approx(value, abs=TOL)
                got = nodes.loc[ident, "months_to_shortage"]
                assert (months[ident] is None and (got is None or got != got)) or got == pytest.approx(months[ident])
            expected = sorted(graph.products, key=lambda p: (-(1 - ref[p]), p))
            assert list(result.products["id"]) == expected


def test_sweep_progress_counts_every_scenario():
    graph = generated_graph(200, 900, 4)
    seen = []
    api.sweep(graph, progress=seen.append)
    assert seen == list(range(1, len(graph.countries) + 1))
