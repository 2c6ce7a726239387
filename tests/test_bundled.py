"""The bundled graphs: every one validates, and every figure in the reports is in them, cited."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest
import yaml

from chokepoint import bundled_names, load_graph
from chokepoint.formats.graphs import graphs_dir

from conftest import REPO

FACTS = REPO / "graphs" / "facts.csv"
T5 = REPO / "data" / "usgs-mcs-2025" / "MCS2025_T5_Critical_Minerals_Salient.csv"
DOMAINS = {"quantum", "minerals", "ai", "biotech", "batteries", "drones"}
REPORT_GRAPHS = ["quantum", "minerals", "ai", "biotech", "batteries", "drones"]


def facts():
    with FACTS.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def numeric_facts():
    return [row for row in facts() if row["domain"] in DOMAINS and row["share_low"]]


@pytest.fixture(scope="module")
def graphs():
    return {name: load_graph(name) for name in bundled_names()}


def test_report_graphs_are_bundled():
    assert set(REPORT_GRAPHS) <= set(bundled_names())


@pytest.mark.parametrize("name", bundled_names())
def test_bundled_graph_validates_with_products(graphs, name):
    graph = graphs[name]
    assert graph.name == name
    assert graph.products
    assert not [w for w in graph.warnings if "sum to" in w and "past" in w]


@pytest.mark.parametrize("fact", numeric_facts(), ids=lambda row: row["id"])
def test_every_figure_is_in_a_graph_with_its_value_and_id(graphs, fact):
    """A figure with countries: the edges citing it, from those countries, add up to its value.
    A figure without a country (net import reliance, the target): a note or description quotes it."""
    low, high = float(fact["share_low"]), float(fact["share_high"])
    countries = [c for c in fact["country"].split("+") if c]
    found = []
    for graph in graphs.values():
        for edge in graph.document.edges:
            # a level word is an estimate that cites the passage, never the figure itself
            if edge.fact == fact["id"] and edge.share.level is None:
                found.append((graph, edge))
    if countries:
        assert found, f"{fact['id']} is on no edge"
        by_graph = defaultdict(list)
        for graph, edge in found:
            by_graph[graph.name].append((graph, edge))
        for name, pairs in by_graph.items():
            named = [(g, e) for g, e in pairs if g.country_of(e.from_) in countries]
            assert {g.country_of(e.from_) for g, e in named} == set(countries), (name, fact["id"])
            assert sum(e.share.low for _, e in named) == pytest.approx(low), (name, fact["id"])
            assert sum(e.share.high for _, e in named) == pytest.approx(high), (name, fact["id"])
            for _, edge in named:
                assert edge.source and edge.basis and edge.year, (name, fact["id"])
                assert set(edge.source.split(";")) & set(fact["source"].split(";")) or \
                    edge.source in fact["source"], (name, fact["id"], edge.source)
    else:
        percent = f"{100 * low:g}%"
        texts = []
        for graph in graphs.values():
            texts.append(graph.document.description or "")
            texts += [node.note or "" for node in graph.document.nodes]
        assert any(fact["id"] in text and percent in text for text in texts), fact["id"]


def test_every_share_is_cited_or_estimated_with_reasoning(graphs):
    known = {row["id"] for row in facts()}
    with T5.open(encoding="utf-8-sig") as handle:
        t5 = {row["Critical_mineral"].strip(): row for row in csv.DictReader(handle)}
    for graph in graphs.values():
        for edge in graph.document.edges:
            if edge.type != "supplies":
                continue
            where = f"{graph.name}: {edge.from_} -> {edge.to}"
            assert edge.source, where
            assert edge.basis and edge.year, where
            if edge.estimated:
                assert edge.note, f"{where}: estimated without reasoning"
            if graph.name == "usgs-mcs-2025":
                continue
            assert edge.fact, where
            if edge.fact.startswith("USGS-T5:"):
                row = t5[edge.fact.removeprefix("USGS-T5:")]
                assert edge.share.low == pytest.approx(float(row["Leading_source_precent_world"]) / 100), where
            else:
                assert edge.fact in known, where


def test_shared_nodes_have_one_definition():
    """A non-country node id is defined in one bundled file only; others include it."""
    owners = defaultdict(list)
    for path in sorted(graphs_dir().glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        for node in data.get("nodes", []):
            if node["kind"] != "country":
                owners[node["id"]].append(path.name)
    assert {k: v for k, v in owners.items() if len(v) > 1} == {}


def test_batteries_shares_refining_nodes_with_minerals(graphs):
    minerals, batteries = graphs["minerals"], graphs["batteries"]
    for node_id in ("graphite-refining", "lithium-refining", "cobalt-refining", "nickel-refining"):
        assert batteries.nodes[node_id] == minerals.nodes[node_id]
        assert batteries.supplies[node_id] == minerals.supplies[node_id]


def test_minerals_target_outcomes(graphs):
    """Cobalt 77% and graphite 91% refining fail; lithium 65% passes exactly at the line; nickel 28%."""
    from chokepoint import api

    status = api.target(graphs["minerals"]).set_index("id")["status"]
    assert status["cobalt-refining"] == "fail"
    assert status["graphite-refining"] == "fail"
    assert status["lithium-refining"] == "pass"
    assert status["nickel-refining"] == "pass"


def test_quantum_cutoff_outcomes(graphs):
    """CN: superconducting keeps ~10% (holmium-copper left at 0.10); the any-modality computer keeps
    what its best modality keeps. FI: dilution refrigerators hit (Finland the main supplier)."""
    from chokepoint import api

    cn = api.cutoff(graphs["quantum"], countries=["CN"]).products.set_index("id")
    assert cn.loc["superconducting-qc", "loss"] == pytest.approx(0.9, abs=0.02)
    modalities = ["superconducting-qc", "trapped-ion-qc", "photonic-qc", "neutral-atom-qc"]
    assert cn.loc["quantum-computer", "availability"] == pytest.approx(cn.loc[modalities, "availability"].max())
    path = cn.loc["superconducting-qc", "path"]
    assert path[:4] == ("CN", "holmium-copper-producer", "holmium-copper", "cryocooler")
    fi = api.cutoff(graphs["quantum"], countries=["FI"]).nodes.set_index("id")
    assert fi.loc["dilution-refrigerator", "availability"] < 0.5


def test_quantum_chokepoints_name_the_holmium_copper_chain(graphs):
    from chokepoint import api

    top = api.find_chokepoints(graphs["quantum"], top=5)
    assert {"holmium-copper", "holmium-copper-producer", "cryocooler"} <= set(top["id"])
    row = top.set_index("id").loc["holmium-copper"]
    assert "CN supplies 90% directly" in row.reason
