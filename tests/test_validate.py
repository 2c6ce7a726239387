"""One broken fixture per validation rule: each names the file and the entry; CLI exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest

from chokepoint import ValidationError, load_graph
from chokepoint.errors import InputError

from conftest import FIXTURES, country, doc, item, requires, supplies

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))


def expectation(path: Path) -> str | None:
    first = path.read_text(encoding="utf-8").splitlines()[:1]
    if first and first[0].startswith("# expect: "):
        return first[0].removeprefix("# expect: ").replace("tiny.yaml", str(path))
    return None


def test_there_is_a_fixture_per_rule():
    names = {p.stem for p in INVALID}
    rules = {"unknown_key_node", "unknown_key_top", "unknown_key_edge", "duplicate_id", "dangling_edge",
             "supplies_from_material", "requires_from_country", "share_out_of_range", "range_low_above_high",
             "unknown_source", "unknown_country", "facility_without_country", "shares_sum_past_one",
             "unknown_level_word", "duplicate_edge", "self_loop", "wrong_type"}
    assert rules <= names


@pytest.mark.parametrize("path", [p for p in INVALID if expectation(p)], ids=lambda p: p.stem)
def test_broken_fixture_is_reported_with_its_entry(path):
    expected = expectation(path)
    with pytest.raises((ValidationError, InputError)) as info:
        load_graph(path)
    problems = info.value.problems if isinstance(info.value, ValidationError) else [str(info.value)]
    assert any(expected in line for line in problems), problems


@pytest.mark.parametrize("path", [p for p in INVALID if expectation(p)], ids=lambda p: p.stem)
def test_broken_fixture_cli_exits_1_with_one_line_per_problem(cli, path):
    result = cli("validate", path)
    assert result.code == 1
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    assert any(expectation(path) in line for line in lines)
    assert "Traceback" not in result.err


def test_empty_file(cli):
    result = cli("validate", FIXTURES / "invalid" / "empty.yaml")
    assert result.code == 1
    assert result.err == f"error: {FIXTURES / 'invalid' / 'empty.yaml'}: empty file\n"


def test_python_tag_constructs_nothing(tmp_path):
    marker = Path("/tmp/chokepoint-pwned")
    marker.unlink(missing_ok=True)
    with pytest.raises(InputError, match="refused tag"):
        load_graph(FIXTURES / "invalid" / "python_tag.yaml")
    assert not marker.exists()


def test_all_problems_reported_together(write_graph):
    path = write_graph(doc(
        [country("CN"), country("XX"), item("a", colour="red"), item("b")],
        [supplies("CN", "b", 1.5), supplies("CN", "nowhere", 0.2), requires("b", "b")],
    ))
    with pytest.raises(ValidationError) as info:
        load_graph(path)
    text = "\n".join(info.value.problems)
    assert "nodes[1] (id 'XX').id: unknown country code 'XX'" in text
    assert "nodes[2] (id 'a').colour: unknown key" in text
    assert "edges[0] (CN -> b).share: 1.5 is outside [0, 1]" in text
    assert "edges[1] (CN -> nowhere).to: unknown node 'nowhere'" in text
    assert "edges[2] (b -> b): an edge from a node to itself" in text
    # 'a' failed to parse: edges to it are not reported a second time as unknown
    assert "unknown node 'a'" not in text


def test_valid_fixture_loads():
    graph = load_graph(FIXTURES / "valid.yaml")
    assert len(graph.nodes) == 6
    assert graph.products == ("qc",)
    assert any("estimated share minor" in w for w in graph.warnings)


def test_sum_within_tolerance_warns_and_normalises(write_graph):
    """0.6 + 0.43 = 1.03: accepted (published tables round), each share scaled by 1/1.03."""
    path = write_graph(doc([country("CN"), country("JP"), item("x", "material")],
                           [supplies("CN", "x", 0.6), supplies("JP", "x", 0.43)]))
    graph = load_graph(path)
    assert any("shares sum to 1.03; normalised to 1" in w for w in graph.warnings)
    shares = {s.supplier: s.share for s in graph.supplies["x"]}
    assert shares["CN"] == pytest.approx(0.6 / 1.03)
    assert shares["JP"] == pytest.approx(0.43 / 1.03)
    assert graph.unknown_share("x") == pytest.approx(0.0)


def test_sum_just_past_tolerance_is_an_error(write_graph):
    path = write_graph(doc([country("CN"), country("JP"), item("x", "material")],
                           [supplies("CN", "x", 0.6), supplies("JP", "x", 0.46)]))
    with pytest.raises(ValidationError, match="sum to 1.06, past 1"):
        load_graph(path)


def test_range_sums_use_low_ends_for_the_error(write_graph):
    """Lows 0.5 + 0.5 = 1.0 are possible; midpoints 0.7 + 0.7 = 1.4 are normalised with a warning."""
    path = write_graph(doc([country("CN"), country("JP"), item("x", "material")],
                           [supplies("CN", "x", [0.5, 0.9]), supplies("JP", "x", [0.5, 0.9])]))
    graph = load_graph(path)
    assert any("shares sum to 1.4; normalised" in w for w in graph.warnings)
    assert sum(s.share for s in graph.supplies["x"]) == pytest.approx(1.0)


def test_cycle_is_allowed_and_reported(cli, write_graph):
    path = write_graph(doc([item("chips"), item("tools"), item("p", "product")],
                           [requires("chips", "tools"), requires("tools", "chips"), requires("chips", "p")]))
    result = cli("validate", path)
    assert result.code == 0
    assert "cycle among chips, tools" in result.err


def test_mixed_bases_warn(write_graph):
    path = write_graph(doc([country("CN"), country("JP"), item("x", "material")],
                           [supplies("CN", "x", 0.3, basis="US imports"),
                            supplies("JP", "x", 0.3, basis="global production")]))
    graph = load_graph(path)
    assert any("different bases are combined: US imports; global production" in w for w in graph.warnings)


def test_json_accepted(tmp_path):
    import json

    import yaml

    data = yaml.safe_load((FIXTURES / "valid.yaml").read_text())
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(data))
    assert load_graph(path).document == load_graph(FIXTURES / "valid.yaml").document


def test_invalid_json_names_line(tmp_path, cli):
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x",\n "title": }')
    result = cli("validate", path)
    assert result.code == 1
    assert f"{path}: invalid JSON at line 2" in result.err


def test_missing_file_and_unknown_name(cli):
    result = cli("show", "no-such-graph")
    assert result.code == 1
    assert result.err.startswith("error: no-such-graph: neither a file nor a bundled graph")
    result = cli("validate", "missing/file.yaml")
    assert result.code == 1
    assert result.err == "error: missing/file.yaml: no such file\n"


def test_include_takes_nodes_with_their_suppliers(tmp_path):
    """batteries includes graphite-refining from minerals: the node, its CN edge and CN come along;
    declaring CN again identically is allowed; redefining graphite-refining differently is not."""
    import yaml

    from chokepoint import load_graph

    batteries = load_graph("batteries")
    assert batteries.nodes["graphite-refining"] == load_graph("minerals").nodes["graphite-refining"]
    assert "CN" in batteries.nodes
    base = {"name": "inc", "title": "Inc", "include": [{"graph": "minerals", "nodes": ["graphite-refining"]}],
            "nodes": [{"id": "CN", "kind": "country"}, {"id": "anode", "kind": "component", "label": "Anode"}],
            "edges": [{"from": "graphite-refining", "to": "anode", "type": "requires"}]}
    path = tmp_path / "inc.yaml"
    path.write_text(yaml.safe_dump(base))
    graph = load_graph(path)
    assert graph.supplies["graphite-refining"][0].supplier == "CN"
    base["nodes"].append({"id": "graphite-refining", "kind": "material", "label": "other"})
    path.write_text(yaml.safe_dump(base))
    with pytest.raises(ValidationError, match="graphite-refining redefined here differently"):
        load_graph(path)
    base["include"] = [{"graph": "minerals", "nodes": ["unobtainium"]}]
    base["nodes"].pop()
    path.write_text(yaml.safe_dump(base))
    with pytest.raises(ValidationError, match=r"include\[0\] \(minerals\).nodes: unobtainium not in graph"):
        load_graph(path)
