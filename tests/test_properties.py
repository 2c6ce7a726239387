"""Property-based checks over generated graphs (hypothesis)."""

from __future__ import annotations

import os

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint import api
from chokepoint.errors import ChokepointError
from chokepoint.model.graph import Graph
from chokepoint.formats.graphs import dump_document, read_data
from chokepoint.engine.reference import Scenario, propagate
from chokepoint.model.validate import parse_document

from strategies import documents

#: The fuzzers below run CHOKEPOINT_FUZZ_EXAMPLES examples when that is set higher (CI: 1,000).
FUZZ_EXAMPLES = max(300, int(os.environ.get("CHOKEPOINT_FUZZ_EXAMPLES", "0")))
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def build(data) -> Graph:
    document, warnings = parse_document(data, "generated.yaml")
    return Graph(document, warnings=tuple(warnings))


@SETTINGS
@given(documents(), st.data())
def test_availability_stays_in_unit_interval(data, draw):
    graph = build(data)
    cut = draw.draw(st.sets(st.sampled_from(sorted(graph.countries) or ["CN"])))
    r = draw.draw(st.floats(0, 3))
    avail = propagate(graph, Scenario(countries=frozenset(cut), spare_capacity=r))
    assert set(avail) == set(graph.nodes)
    assert all(0.0 <= v <= 1.0 for v in avail.values())


@SETTINGS
@given(documents(), st.data())
def test_cutting_more_countries_never_increases_availability(data, draw):
    graph = build(data)
    pool = sorted(graph.countries)
    small = draw.draw(st.sets(st.sampled_from(pool))) if pool else set()
    extra = draw.draw(st.sets(st.sampled_from(pool))) if pool else set()
    few = propagate(graph, Scenario(countries=frozenset(small)))
    more = propagate(graph, Scenario(countries=frozenset(small | extra)))
    assert all(more[n] <= few[n] + 1e-12 for n in graph.nodes)


@SETTINGS
@given(documents(), st.data())
def test_spare_capacity_never_decreases_availability(data, draw):
    graph = build(data)
    pool = sorted(graph.countries)
    cut = frozenset(draw.draw(st.sets(st.sampled_from(pool)))) if pool else frozenset()
    r1 = draw.draw(st.floats(0, 2))
    r2 = r1 + draw.draw(st.floats(0, 2))
    low = propagate(graph, Scenario(countries=cut, spare_capacity=r1))
    high = propagate(graph, Scenario(countries=cut, spare_capacity=r2))
    assert all(high[n] >= low[n] - 1e-12 for n in graph.nodes)


@SETTINGS
@given(documents(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_order(data, rnd):
    graph = build(data)
    shuffled = dict(data, nodes=list(data["nodes"]), edges=list(data["edges"]))
    rnd.shuffle(shuffled["nodes"])
    rnd.shuffle(shuffled["edges"])
    other = build(shuffled)
    for country in graph.countries[:3]:
        a = propagate(graph, Scenario(countries=frozenset([country])))
        b = propagate(other, Scenario(countries=frozenset([country])))
        assert a == pytest.approx(b, abs=1e-12)
    pd.testing.assert_frame_equal(api.concentration(graph), api.concentration(other))
    pd.testing.assert_frame_equal(api.target(graph, all_items=True), api.target(other, all_items=True))


@SETTINGS
@given(documents(), st.sampled_from(["yaml", "json"]))
def test_save_then_load_gives_back_the_same_graph(tmp_path_factory, data, fmt):
    graph = build(data)
    path = tmp_path_factory.mktemp("rt") / f"g.{fmt}"
    path.write_text(dump_document(graph, fmt), encoding="utf-8")
    again, _ = parse_document(read_data(path), str(path))
    assert again == graph.document


JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(documents(), st.data())
def test_validation_of_mutated_documents_never_crashes(data, draw):
    """Replace a random field (or entry) with junk: only the tool's own errors come out."""
    target = draw.draw(st.sampled_from(["top", "node", "edge"]))
    junk = draw.draw(JUNK)
    data = dict(data, nodes=[dict(n) for n in data["nodes"]], edges=[dict(e) for e in data["edges"]])
    if target == "top":
        data[draw.draw(st.sampled_from(["name", "title", "nodes", "edges", "sources", "include", "extra"]))] = junk
    elif target == "node":
        node = draw.draw(st.sampled_from(data["nodes"]))
        node[draw.draw(st.sampled_from(["id", "kind", "label", "needs", "country", "stockpile_months",
                                         "critical_mineral", "stage", "other"]))] = junk
    elif data["edges"]:
        edge = draw.draw(st.sampled_from(data["edges"]))
        edge[draw.draw(st.sampled_from(["from", "to", "type", "share", "year", "estimated", "source"]))] = junk
    try:
        graph = build(data)
    except ChokepointError:
        return
    propagate(graph, Scenario(countries=frozenset(graph.countries[:1])))


@settings(max_examples=FUZZ_EXAMPLES, deadline=None)
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_loader_on_arbitrary_bytes_never_crashes(tmp_path_factory, blob):
    from chokepoint import load_graph

    folder = tmp_path_factory.mktemp("fuzz")
    for suffix in (".yaml", ".json"):
        path = folder / f"f{suffix}"
        path.write_bytes(blob)
        try:
            load_graph(path)
        except ChokepointError:
            pass


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(documents(), st.sampled_from(["graphml", "json"]))
def test_export_then_import_gives_back_the_same_graph(tmp_path_factory, data, fmt):
    """A generated graph exported (with its analysis columns) and read back is the same document."""
    from chokepoint import load_graph
    from chokepoint.api import export_graph

    graph = build(data)
    path = tmp_path_factory.mktemp("ex") / f"g.{fmt}"
    export_graph(graph, path, format=fmt)
    assert load_graph(path).document == graph.document
