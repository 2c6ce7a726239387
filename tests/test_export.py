"""Export: GraphML/GEXF that Gephi opens, CSV and node-link JSON, lossless round trips, safe writes.

Independent readers (gephi.md): the GraphML XSD through ``xmlschema``, python-igraph's C reader
with warnings as errors, and networkx for the round trip. The rules no reader enforces (weights
> 0, no inf/nan, 32-bit ints, reserved names, "null", key scopes) are checked on the XML itself.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import chokepoint
from chokepoint.errors import InputError
from chokepoint.api import export_digraph as to_export_digraph, export_graph
from chokepoint.formats.exchange import KIND_COLORS, KIND_ORDER, export_ids, graphml_text, node_link_to_data, read_graphml
from chokepoint.formats.files import written_by_chokepoint
from chokepoint.model.graph import Graph
from chokepoint.model.validate import parse_document

from conftest import country, doc, item, requires, supplies

NAMES = chokepoint.bundled_names()
SCHEMA = Path(chokepoint.__file__).parent / "schemas" / "graphml" / "graphml.xsd"
G = "{http://graphml.graphdrawing.org/xmlns}"
NMTOKEN = re.compile(r"^[A-Za-z0-9._:-]+$")
NODE_RESERVED = {"label", "x", "y", "z", "size", "r", "g", "b", "color"}
EDGE_RESERVED = {"label", "weight", "color", "r", "g", "b"}


@pytest.fixture(scope="module")
def schema():
    xmlschema = pytest.importorskip("xmlschema")
    return xmlschema.XMLSchema(str(SCHEMA))


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """GraphML of every bundled graph, plain and with China cut off (written once)."""
    folder = tmp_path_factory.mktemp("graphml")
    paths = {}
    for name in NAMES:
        paths[(name, "plain")] = export_graph(name, folder / f"{name}.graphml")[0]
        paths[(name, "CN")] = export_graph(name, folder / f"{name}-cn.graphml", with_cutoff=["CN"])[0]
    return paths


CASES = [(name, variant) for name in NAMES for variant in ("plain", "CN")]


def tiny_graph() -> Graph:
    """A share of 0, a range, a level word, a facility, an unlabelled country, a stockpile, a CR in a note."""
    data = doc(
        [country("CN"), {"id": "JP", "kind": "country", "label": "Japan"},
         {"id": "fab-1", "kind": "facility", "label": "Fab 1", "country": "JP"},
         item("ore", "material", stage="mining", critical_mineral=True),
         item("part", "component", stockpile_months=3, note="line one\r\nline two"),
         item("device", "product", needs="any")],
        [supplies("CN", "ore", 0.0, basis="global production", year=2024),
         supplies("JP", "ore", [0.2, 0.4], estimated=True, note="a range"),
         supplies("fab-1", "part", "dominant", estimated=True),
         supplies("CN", "part", 0.1, fact="F01"),
         requires("ore", "part"), requires("part", "device")])
    document, _ = parse_document(data, "tiny.yaml")
    return Graph(document)


# --- GraphML read by independent readers ------------------------------------------------------

@pytest.mark.parametrize("name,variant", CASES)
def test_graphml_validates_against_the_xsd(exports, schema, name, variant):
    schema.validate(str(exports[(name, variant)]))


@pytest.mark.parametrize("name,variant", CASES)
def test_graphml_read_by_igraph_without_warnings(exports, name, variant):
    igraph = pytest.importorskip("igraph")
    graph = chokepoint.load_graph(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read = igraph.Graph.Read_GraphML(str(exports[(name, variant)]))
    assert read.is_directed()
    assert read.vcount() == len(graph.nodes)
    assert read.ecount() == len(graph.document.edges)
    assert set(read.vs["id"]) == set(graph.nodes)
    assert "chokepoint_score" in read.vs.attributes()
    assert ("availability" in read.vs.attributes()) == (variant == "CN")


@pytest.mark.parametrize("name,variant", CASES)
def test_graphml_round_trips_through_networkx(exports, name, variant):
    expected = to_export_digraph(name, with_cutoff=["CN"] if variant == "CN" else ())
    read = nx.read_graphml(exports[(name, variant)])
    assert isinstance(read, nx.DiGraph) and read.is_directed()
    assert list(read.nodes) == list(expected.nodes)
    for node, attrs in expected.nodes(data=True):
        assert read.nodes[node] == attrs
    for u, v, attrs in expected.edges(data=True):
        got = dict(read.edges[u, v])
        got.pop("id")
        assert got == attrs


# --- the rules no reader enforces -------------------------------------------------------------

def check_gephi_rules(path: Path) -> None:
    """Every rule of gephi.md that can be read off the file."""
    raw = path.read_bytes()
    assert raw.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    text = raw.decode("utf-8")
    assert not re.search(r"&#(?!13;|10;|9;)", text), "numeric character references"
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", text)
    root = ET.fromstring(raw)
    keys = {}
    seen = set()
    for key in root.iter(f"{G}key"):
        scope, name, kind = key.get("for"), key.get("attr.name"), key.get("attr.type")
        assert scope in ("node", "edge"), key.attrib
        assert kind in ("boolean", "int", "long", "float", "double", "string"), key.attrib
        assert (scope, name) not in seen, f"two keys for {scope} {name}"
        assert key.get("id") not in ("d3", "d7"), "yEd label key ids that Gephi reads as labels"
        seen.add((scope, name))
        keys[key.get("id")] = (scope, name, kind)
    children = [child.tag for child in root]
    assert children.count(f"{G}graph") == 1
    assert children.index(f"{G}graph") > max(i for i, tag in enumerate(children) if tag == f"{G}key")
    graph = root.find(f"{G}graph")
    assert graph.get("edgedefault") == "directed"
    assert graph.find(f"{G}data") is None, "graph-level data"
    node_ids = [node.get("id") for node in graph.iter(f"{G}node")]
    assert len(node_ids) == len(set(node_ids))
    assert all(NMTOKEN.match(i) for i in node_ids)
    edge_ids = [edge.get("id") for edge in graph.iter(f"{G}edge") if edge.get("id") is not None]
    assert len(edge_ids) == len(set(edge_ids))
    for edge in graph.iter(f"{G}edge"):
        assert edge.get("directed") is None
        assert edge.get("source") in node_ids and edge.get("target") in node_ids
    for element in list(graph.iter(f"{G}node")) + list(graph.iter(f"{G}edge")):
        scope = "node" if element.tag == f"{G}node" else "edge"
        values = {}
        for data in element.iter(f"{G}data"):
            key_scope, name, kind = keys[data.get("key")]
            assert key_scope == scope
            value = data.text or ""
            assert value != "", f"empty value for {name}"
            assert value != "null"
            if kind in ("int", "long"):
                number = int(value)
                if kind == "int":
                    assert -(2**31) <= number < 2**31
            if kind in ("float", "double"):
                assert math.isfinite(float(value)), f"{name}={value}"
            if kind == "boolean":
                assert value in ("true", "false")
            values[name] = (kind, value)
        if scope == "node":
            assert values.get("label", ("", ""))[0] == "string", "every node has a label"
            for name in set(values) & NODE_RESERVED:
                kind, value = values[name]
                if name == "color":
                    assert re.fullmatch(r"#[0-9a-fA-F]{6}", value)
                elif name in ("x", "y", "z", "size"):
                    assert kind in ("float", "double")
                elif name in ("r", "g", "b"):
                    assert kind == "int" and 0 <= int(value) <= 255
        else:
            for name in set(values) & EDGE_RESERVED:
                kind, value = values[name]
                if name == "weight":
                    assert kind in ("float", "double") and float(value) > 0
                else:
                    assert name == "label" and kind == "string"


@pytest.mark.parametrize("name,variant", CASES)
def test_graphml_follows_every_gephi_rule(exports, name, variant):
    check_gephi_rules(exports[(name, variant)])


@pytest.mark.parametrize("name", NAMES)
def test_weights_are_supply_shares_only(name):
    g = chokepoint.load_graph(name)
    exported = to_export_digraph(g, analysis=False)
    for edge in g.document.edges:
        attrs = exported.edges[edge.from_, edge.to]
        if edge.type == "requires" or edge.share.point <= 0:
            assert "weight" not in attrs
        else:
            assert attrs["weight"] == edge.share.point


def test_a_share_of_zero_is_not_a_weight(tmp_path, schema):
    path = export_graph(tiny_graph(), tmp_path / "tiny.graphml")[0]
    check_gephi_rules(path)
    schema.validate(str(path))
    read = nx.read_graphml(path)
    assert read.edges["CN", "ore"]["share"] == 0.0
    assert "weight" not in read.edges["CN", "ore"]
    assert read.edges["CN", "part"]["weight"] == pytest.approx(0.1)


def test_writer_cleans_values_a_raw_networkx_graph_would_break_on(tmp_path, schema):
    """numpy scalars, None, nan, inf, lists, mixed types, unsafe ids, control characters, "null"."""
    igraph = pytest.importorskip("igraph")
    raw = nx.DiGraph(name="ignored graph data")
    raw.add_node("a b/é", label="A", count=np.int64(3), ratio=np.float64("nan"), tags=["x", "y"],
                 mixed=1, note="bell\x07 here", empty=None, flag=np.bool_(True))
    raw.add_node("plain", label="null", count=5, ratio=0.5, mixed="two", big=2**40, score=float("inf"))
    raw.add_edge("a b/é", "plain", weight=0.0, share=np.float32(0.25), tag="null")
    raw.add_edge("plain", "a b/é", weight=-1.0)
    raw.add_node("w", label="W")
    raw.add_edge("w", "plain", weight=np.float64(2.5))
    path = tmp_path / "raw.graphml"
    path.write_text(graphml_text(raw), encoding="utf-8")
    schema.validate(str(path))
    check_gephi_rules(path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        igraph.Graph.Read_GraphML(str(path))
    read = nx.read_graphml(path)
    safe = export_ids(["a b/é"])["a b/é"]
    assert NMTOKEN.match(safe) and read.nodes[safe]["doc_id"] == "a b/é"
    assert read.nodes[safe]["count"] == 3 and read.nodes[safe]["tags"] == "x; y"
    assert read.nodes[safe]["note"] == "bell here" and read.nodes[safe]["flag"] is True
    assert "ratio" not in read.nodes[safe] and "empty" not in read.nodes[safe]
    assert read.nodes[safe]["mixed"] == "1" and read.nodes["plain"]["mixed"] == "two"
    assert read.nodes["plain"]["big"] == 2**40 and "score" not in read.nodes["plain"]
    assert read.nodes["plain"]["label"] == "(null)"
    assert "weight" not in read.edges[safe, "plain"] and "weight" not in read.edges["plain", safe]
    assert read.edges["w", "plain"]["weight"] == 2.5
    assert '<key id="n.big" for="node" attr.name="big" attr.type="long"/>' in path.read_text()


def test_reserved_names_must_hold_what_gephi_expects():
    raw = nx.DiGraph()
    raw.add_node("a", label="A", color="red")
    with pytest.raises(ValueError, match="color"):
        graphml_text(raw)
    raw = nx.DiGraph()
    raw.add_node("a", label="A", size="big")
    with pytest.raises(ValueError, match="size"):
        graphml_text(raw)


def test_export_ids_are_safe_unique_and_deterministic():
    ids = export_ids(["ok-1", "not ok", "not_ok", "ünï", "not ok"])
    assert ids["ok-1"] == "ok-1"
    assert all(NMTOKEN.match(v) for v in ids.values())
    assert ids["not ok"] != ids["not_ok"]
    assert export_ids(["not ok"]) == {"not ok": ids["not ok"]}


@pytest.mark.parametrize("fmt,suffix", [("graphml", ".graphml"), ("gexf", ".gexf"), ("json", ".json")])
def test_exports_are_byte_stable(tmp_path, fmt, suffix):
    first = export_graph("quantum", tmp_path / f"a{suffix}", with_cutoff=["CN"])[0].read_bytes()
    second = export_graph("quantum", tmp_path / f"b{suffix}", with_cutoff=["CN"])[0].read_bytes()
    assert first == second


# --- round trips back to the document ---------------------------------------------------------

def reparse(data: dict):
    document, _ = parse_document(data, "export")
    return document.to_dict()


@pytest.mark.parametrize("name,variant", CASES)
def test_graphml_reads_back_to_the_same_document(exports, name, variant):
    original = chokepoint.load_graph(name).document.to_dict()
    data = read_graphml(exports[(name, variant)])
    assert reparse(data) == original
    assert not {"chokepoint_score", "availability", "x", "color"} & {k for n in data["nodes"] for k in n}


@pytest.mark.parametrize("name", NAMES)
def test_node_link_json_reads_back_to_the_same_document(tmp_path, name):
    path = export_graph(name, tmp_path / f"{name}.json", with_cutoff=["CN"])[0]
    data = json.loads(path.read_text(encoding="utf-8"))
    assert reparse(node_link_to_data(data)) == chokepoint.load_graph(name).document.to_dict()
    graph = nx.node_link_graph(data, source="from", target="to")
    assert graph.is_directed() and not graph.is_multigraph()
    edges = chokepoint.load_graph(name).document.edges
    assert graph.number_of_edges() == len(edges)
    cited = next((e for e in edges if e.source), None)
    if cited is not None:
        assert graph.edges[cited.from_, cited.to]["source"] == cited.source
    legacy = dict(data)
    legacy["links"] = legacy.pop("edges")
    assert reparse(node_link_to_data(legacy)) == chokepoint.load_graph(name).document.to_dict()


def test_tiny_graph_round_trips_every_field(tmp_path):
    graph = tiny_graph()
    original = graph.document.to_dict()
    assert "label" not in original["nodes"][0]
    path = export_graph(graph, tmp_path / "tiny.graphml")[0]
    assert reparse(read_graphml(path)) == original
    path = export_graph(graph, tmp_path / "tiny.json")[0]
    assert reparse(node_link_to_data(json.loads(path.read_text()))) == original


def test_the_string_null_is_kept_in_json_and_renamed_in_graphml(tmp_path):
    """Gephi reads a GraphML value of exactly "null" as empty: the one documented change."""
    data = doc([country("CN"), item("x", note="null")], [supplies("CN", "x", 0.5)])
    graph = Graph(parse_document(data, "null.yaml")[0])
    as_json = json.loads(export_graph(graph, tmp_path / "n.json")[0].read_text())
    assert node_link_to_data(as_json)["nodes"][1]["note"] == "null"
    assert read_graphml(export_graph(graph, tmp_path / "n.graphml")[0])["nodes"][1]["note"] == "(null)"


def test_graphml_without_our_comment_still_loads(exports, tmp_path):
    """A file Gephi re-saved has no chokepoint-meta: name from the file, cited sources stubbed."""
    text = exports[("quantum", "plain")].read_text(encoding="utf-8")
    stripped = re.sub(r"\s*<!-- chokepoint-meta: .*? -->", "", text, flags=re.S)
    path = tmp_path / "Re-Saved Quantum.graphml"
    path.write_text(stripped, encoding="utf-8")
    data = read_graphml(path)
    assert data["name"] == "re-saved-quantum"
    assert set(data["sources"]) == {"CFR2025"}
    document, _ = parse_document(data, path.name)
    assert len(document.edges) == len(chokepoint.load_graph("quantum").document.edges)


BAD_INT = (b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><key id="y" for="edge" attr.name="year" '
           b'attr.type="int"/><graph edgedefault="directed"><node id="a"/><node id="b"/>'
           b'<edge source="a" target="b"><data key="y">soon</data></edge></graph></graphml>')


@pytest.mark.parametrize("content", [
    b"<notgraphml/>", b"<graphml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><graphml/>',
    b'<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph edgedefault="undirected"/></graphml>',
    BAD_INT])
def test_read_graphml_refuses_what_is_not_graphml(tmp_path, content):
    path = tmp_path / "bad.graphml"
    path.write_bytes(content)
    with pytest.raises(InputError, match="bad.graphml"):
        read_graphml(path)


# --- GEXF -------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_gexf_colours_sizes_positions(tmp_path, name):
    path = export_graph(name, tmp_path / f"{name}.gexf")[0]
    text = path.read_text(encoding="utf-8")
    assert 'z="None"' not in text and not re.search(r'\b[rgb]="\d+\.\d*"', text)
    root = ET.fromstring(path.read_bytes())
    ns = {"g": "http://www.gexf.net/1.2draft", "viz": "http://www.gexf.net/1.2draft/viz"}
    g = chokepoint.load_graph(name)
    x_by_kind = {}
    for node in root.iterfind(".//g:node", ns):
        color = node.find("viz:color", ns)
        rgb = [color.get(c) for c in "rgb"]
        assert all(re.fullmatch(r"\d{1,3}", v) and 0 <= int(v) <= 255 for v in rgb)
        kind = g.nodes[node.get("id")].kind
        assert "#%02X%02X%02X" % tuple(map(int, rgb)) == KIND_COLORS[kind]
        pos = node.find("viz:position", ns)
        assert all(math.isfinite(float(pos.get(c))) for c in "xyz")
        assert float(node.find("viz:size", ns).get("value")) > 0
        x_by_kind.setdefault(kind, []).append(float(pos.get("x")))
    kinds = [k for k in KIND_ORDER if k in x_by_kind]
    for left, right in zip(kinds, kinds[1:]):
        assert max(x_by_kind[left]) < min(x_by_kind[right]), f"{left} not left of {right}"
    for edge in root.iterfind(".//g:edge", ns):
        if edge.get("weight") is not None:
            assert float(edge.get("weight")) > 0
    read = nx.read_gexf(path)
    assert read.number_of_nodes() == len(g.nodes) and read.number_of_edges() == len(g.document.edges)


# --- CSV --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_csv_tables_hold_every_node_and_edge(tmp_path, name):
    g = chokepoint.load_graph(name)
    written = export_graph(name, tmp_path / "out", with_cutoff=["CN"])
    assert [p.name for p in written] == ["nodes.csv", "edges.csv"]
    nodes = pd.read_csv(written[0], keep_default_na=False, dtype=str)
    edges = pd.read_csv(written[1], keep_default_na=False, dtype=str)
    assert list(nodes["id"]) == list(g.nodes)
    assert list(zip(edges["from"], edges["to"])) == [e.key for e in g.document.edges]
    for row, edge in zip(edges.itertuples(), g.document.edges):
        assert row.type == edge.type
        if edge.share is not None:
            assert float(row.share_low) == edge.share.low and float(row.share_high) == edge.share.high
    assert {"availability", "loss", "chokepoint_score", "target_status"} <= set(nodes.columns)
    assert not {"x", "y", "color", "size", "weight"} & (set(nodes.columns) | set(edges.columns))


def test_csv_prefix(tmp_path):
    written = export_graph("quantum", tmp_path / "q.csv")
    assert [p.name for p in written] == ["q.nodes.csv", "q.edges.csv"]


# --- writing: formats, overwrite policy, atomicity --------------------------------------------

def test_format_and_suffix_must_agree(tmp_path):
    with pytest.raises(InputError, match="unknown format"):
        export_graph("quantum", tmp_path / "q.xml", format="xml")
    with pytest.raises(InputError, match=r"must end in \.graphml"):
        export_graph("quantum", tmp_path / "q.xml", format="graphml")
    with pytest.raises(InputError, match="cannot tell the format"):
        export_graph("quantum", tmp_path / "q.xml")
    assert export_graph("quantum", tmp_path / "q.gexf")[0].suffix == ".gexf"


@pytest.mark.parametrize("suffix", [".graphml", ".gexf", ".json", ".csv"])
def test_foreign_files_are_overwritten_only_with_force(tmp_path, suffix):
    path = tmp_path / f"mine{suffix}"
    targets = [tmp_path / "mine.nodes.csv", tmp_path / "mine.edges.csv"] if suffix == ".csv" else [path]
    for target in targets:
        target.write_text("my own work\n")
    with pytest.raises(InputError, match="not written by chokepoint; pass --force"):
        export_graph("quantum", path)
    assert all(t.read_text() == "my own work\n" for t in targets)
    export_graph("quantum", path, force=True)
    assert all(written_by_chokepoint(t) for t in targets)
    export_graph("quantum", path, with_cutoff=["CN"])  # ours: replaced without --force


def test_a_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    """The write dies after the bytes went out but before the rename: nothing half-written stays."""
    existing = export_graph("quantum", tmp_path / "q.graphml")[0]
    before = existing.read_bytes()

    def broken_fsync(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(InputError, match="No space left"):
        export_graph("quantum", existing, with_cutoff=["CN"])
    with pytest.raises(InputError, match="No space left"):
        export_graph("quantum", tmp_path / "new.graphml")
    with pytest.raises(InputError, match="No space left"):
        export_graph("quantum", tmp_path / "newdir")
    assert existing.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.graphml"]


def test_an_unknown_country_fails_before_anything_is_written(tmp_path):
    with pytest.raises(InputError):
        export_graph("quantum", tmp_path / "q.graphml", with_cutoff=["Atlantis"])
    assert list(tmp_path.iterdir()) == []


# --- CLI --------------------------------------------------------------------------------------

def test_cli_export_writes_each_format(cli, tmp_path):
    result = cli("export", "quantum", "--format", "graphml", "-o", tmp_path / "q.graphml", "--with-cutoff", "CN")
    assert result.code == 0, result.err
    assert result.out.strip() == f"wrote {tmp_path / 'q.graphml'}"
    assert cli("export", "quantum", "-o", tmp_path / "q.gexf").code == 0
    assert cli("export", "quantum", "-o", tmp_path / "q.json", "--no-analysis").code == 0
    assert cli("export", "quantum", "--format", "csv", "-o", tmp_path / "csv").code == 0
    assert cli("export", "quantum", "-o", tmp_path / "g7.graphml", "--bloc", "G7").code == 0
    assert (tmp_path / "csv" / "edges.csv").is_file()
    assert "chokepoint_score" not in (tmp_path / "q.json").read_text()


@pytest.mark.parametrize("args,message", [
    (["--format", "xml", "-o", "q.xml"], "unknown format 'xml'"),
    (["--format", "graphml", "-o", "q.xml"], "must end in .graphml"),
    (["-o", "q.graphml", "--with-cutoff", "Atlantis"], "Atlantis"),
])
def test_cli_export_errors_are_one_line(cli, tmp_path, args, message):
    args = [str(tmp_path / a) if a.startswith("q.") else a for a in args]
    result = cli("export", "quantum", *args)
    assert result.code == 1
    assert result.err.count("\n") == 1 and result.err.startswith("error: ") and message in result.err
    assert "Traceback" not in result.err


def test_cli_export_force(cli, tmp_path):
    path = tmp_path / "q.graphml"
    path.write_text("not ours")
    result = cli("export", "quantum", "-o", path)
    assert result.code == 1 and "--force" in result.err and path.read_text() == "not ours"
    assert cli("export", "quantum", "-o", path, "--force").code == 0
    assert written_by_chokepoint(path)


def test_show_and_analyse_read_back_exports(cli, tmp_path):
    """What export writes, show/analyse read back: GraphML and node-link JSON, nothing lost."""
    import json as _json

    from chokepoint import load_graph

    for suffix in (".graphml", ".json"):
        out = tmp_path / f"quantum{suffix}"
        assert cli("export", "quantum", "-o", out).code == 0
        assert load_graph(out).document == load_graph("quantum").document
        shown = cli("show", out, "--json")
        assert shown.code == 0
        assert _json.loads(shown.out) == _json.loads(cli("show", "quantum", "--json").out)
        assert cli("analyse", out).code == 0
    assert oct((tmp_path / "quantum.graphml").stat().st_mode & 0o777) != oct(0o600)


# --- the analysis columns of a large graph ----------------------------------------------------

def _meta(path: Path) -> dict:
    text = path.read_text(encoding="utf-8")
    found = re.search(r"<!-- chokepoint-meta: (.*) -->", text)
    return json.loads(found.group(1)) if found else {}


def test_analysis_is_left_out_past_the_limit_unless_asked(tmp_path, monkeypatch):
    """By default the analysis columns are written up to ANALYSIS_MAX_EDGES edges and left out
    above (with a warning and the graph attribute ``analysis`` saying why); ``analysis=True``
    writes them at any size and ``analysis=False`` never, both without a note. The limit is
    lowered here to quantum's edge count minus one, so quantum is "large"."""
    from chokepoint.formats import export as export_module

    edges = len(Graph(chokepoint.load_graph("quantum").document).columns.edges)
    small = export_graph("quantum", tmp_path / "small.graphml")[0]
    asked = export_graph("quantum", tmp_path / "asked.graphml", analysis=True)[0]
    assert small.read_bytes() == asked.read_bytes()  # at most the limit: the same file as before
    assert "chokepoint_score" in small.read_text() and "analysis" not in _meta(small)
    monkeypatch.setattr(export_module, "ANALYSIS_MAX_EDGES", edges - 1)
    with pytest.warns(UserWarning, match=rf"analysis columns left out: {edges:,} edges is more than {edges - 1:,}"):
        auto = export_graph("quantum", tmp_path / "auto.graphml")[0]
    note = _meta(auto)["analysis"]
    assert note.startswith("analysis columns left out") and "--analysis" in note
    none = export_graph("quantum", tmp_path / "none.graphml", analysis=False)[0]
    assert "chokepoint_score" not in auto.read_text() and "top_country" not in auto.read_text()
    assert "analysis" not in _meta(none)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # asked for either way: no warning
        again = export_graph("quantum", tmp_path / "again.graphml", analysis=True)[0]
        export_graph("quantum", tmp_path / "none2.graphml", analysis=False)
    assert again.read_bytes() == asked.read_bytes()
    with pytest.warns(UserWarning, match="analysis columns left out"):
        data = json.loads(Path(export_graph("quantum", tmp_path / "auto.json")[0]).read_text())
    assert data["graph"]["analysis"] == note
    # the node and edge lines are those of --no-analysis: only the note (and the stamp) differ
    def body(path):
        return [line for line in path.read_text().splitlines() if "chokepoint-" not in line]
    assert body(auto) == body(none) and len(body(auto)) > 100


def test_the_cli_says_on_stderr_when_it_leaves_the_analysis_out(cli, tmp_path, monkeypatch):
    from chokepoint.formats import export as export_module

    monkeypatch.setattr(export_module, "ANALYSIS_MAX_EDGES", 3)
    result = cli("export", "quantum", "-o", tmp_path / "q.graphml")
    assert result.code == 0, result.err
    assert result.err.startswith("warning: analysis columns left out: ") and "--analysis" in result.err
    assert "chokepoint_score" not in (tmp_path / "q.graphml").read_text()
    result = cli("export", "quantum", "-o", tmp_path / "a.graphml", "--analysis")
    assert result.code == 0 and result.err == ""
    assert "chokepoint_score" in (tmp_path / "a.graphml").read_text()
    result = cli("export", "quantum", "-o", tmp_path / "n.graphml", "--no-analysis")
    assert result.code == 0 and result.err == ""
    assert cli("export", "quantum", "-o", tmp_path / "q.xlsx").code == 0  # xlsx: analysis not an option there
    assert "--no-analysis do not apply" in cli("export", "quantum", "-o", tmp_path / "n.xlsx", "--no-analysis").err


def test_the_limit_is_on_edges_at_most_kept():
    from chokepoint.formats.export import ANALYSIS_MAX_EDGES, analysis_left_out

    assert ANALYSIS_MAX_EDGES == 100_000
    assert analysis_left_out(100_000) is None and analysis_left_out(0) is None
    assert analysis_left_out(1_000_000).startswith("analysis columns left out: 1,000,000 edges is more than 100,000")


def test_export_help_names_every_input_it_reads_and_the_limit(cli, tmp_path):
    """The graph argument reads table pairs (CSV, Parquet) and GraphML too, and the help says so;
    the default of --analysis quotes the library's limit. Each input the help names is read."""
    from chokepoint.formats.export import ANALYSIS_MAX_EDGES

    result = cli("export", "--help")
    assert result.code == 0
    text = " ".join(result.out.split())
    for words in ("bundled graph's name", "YAML, JSON", "GraphML", "table pair", "CSV or Parquet",
                  "X.csv or X.parquet", f"up to {ANALYSIS_MAX_EDGES:,} edges"):
        assert words in text, words
    assert "YAML/JSON graph file." not in text
    assert cli("export", "quantum", "--format", "csv", "-o", tmp_path / "q.csv").code == 0
    assert cli("export", "quantum", "-o", tmp_path / "q.graphml").code == 0
    for source in (tmp_path / "q.csv", tmp_path / "q.graphml"):
        out = tmp_path / f"from-{source.suffix[1:]}.graphml"
        result = cli("export", source, "-o", out)
        assert result.code == 0, result.err
        assert out.read_text().count("<edge ") == (tmp_path / "q.graphml").read_text().count("<edge ")
