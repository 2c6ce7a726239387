"""The seeded graph generator: valid documents of the requested size, the same for the same seed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chokepoint import load_graph
from chokepoint.model.countries import is_country_code
from chokepoint.engine import compile_graph, evaluate
from chokepoint.generate import generate


@pytest.mark.parametrize("nodes, edges, seed", [(4, 4, 0), (30, 60, 1), (500, 2500, 2), (3000, 15000, 3)])
def test_output_validates_with_exact_counts(tmp_path, nodes, edges, seed):
    made = generate(nodes, edges, seed)
    assert (made.n_nodes, made.n_edges) == (nodes, edges)
    graph = load_graph(made.write(tmp_path / "g.json"))
    assert len(graph.nodes) == nodes and len(graph.document.edges) == edges
    assert graph.products
    assert not [w for w in graph.warnings if "sum" in w or "bases" in w]


def test_realistic_shape(tmp_path):
    made = generate(4000, 20000, 5)
    graph = load_graph(made.write(tmp_path / "g.yaml"))
    kinds = {kind: sum(1 for n in graph.nodes.values() if n.kind == kind) for kind in
             ("country", "facility", "material", "component", "product")}
    assert kinds["country"] == 200 and all(is_country_code(c) for c in graph.countries)
    assert kinds["facility"] > 0 and kinds["material"] > 0 and kinds["component"] > 0 and kinds["product"] > 0
    assert any(n.needs == "any" for n in graph.nodes.values())
    assert any(n.critical_mineral for n in graph.nodes.values())
    assert any(n.stockpile_months for n in graph.nodes.values())
    assert any("cycle among" in w for w in graph.warnings)
    assert compile_graph(graph).has_cycles
    for item, supplies in graph.supplies.items():
        assert sum(s.edge.share.point for s in supplies) <= 1.0 + 1e-9, item
    fan_in = [len(v) for k, v in graph.inputs.items() if graph.nodes[k].kind == "product"]
    assert max(fan_in) >= 10  # products draw on many inputs
    assert any(e.share.is_range for e in graph.document.edges if e.type == "supplies")


def test_same_seed_same_file_other_seed_other_graph(tmp_path):
    a = generate(800, 4000, 9).write(tmp_path / "a.json")
    b = generate(800, 4000, 9).write(tmp_path / "b.json")
    c = generate(800, 4000, 10).write(tmp_path / "c.json")
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


def test_yaml_and_json_are_the_same_graph(tmp_path):
    made = generate(300, 1500, 4)
    from_yaml = load_graph(made.write(tmp_path / "g.yaml"))
    from_json = load_graph(made.write(tmp_path / "g.json"))
    assert from_yaml.document == from_json.document
    assert (tmp_path / "g.yaml").read_text().startswith("# written by chokepoint")


def test_arrays_compile_like_the_loaded_graph(tmp_path):
    made = generate(600, 3000, 12)
    graph = load_graph(made.write(tmp_path / "g.json"))
    loaded, direct = compile_graph(graph), made.compile()
    cuts = [[c] for c in graph.countries]
    a, b = evaluate(loaded, cuts), evaluate(direct, cuts)
    assert np.array_equal(a, b[direct.rows(loaded.ids)])


def test_bad_sizes_are_errors():
    with pytest.raises(ValueError, match="at least 4"):
        generate(3, 10)
    with pytest.raises(ValueError, match="edges must be at least"):
        generate(1000, 10)


def test_cli_generate(cli, tmp_path):
    out = tmp_path / "g.json"
    result = cli("generate", "--nodes", 200, "--edges", 900, "--seed", 3, "-o", out, "--json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == {"output": str(out), "name": "generated-200-900-3", "nodes": 200,
                                      "edges": 900, "seed": 3}
    assert cli("validate", out).code == 0
    again = cli("generate", "--nodes", 200, "--edges", 900, "--seed", 3, "-o", out)
    assert again.code == 0 and again.out.startswith(f"wrote {out}")  # ours: replaced without --force
    foreign = tmp_path / "mine.json"
    foreign.write_text("not a graph")
    refused = cli("generate", "--nodes", 200, "--edges", 900, "-o", foreign)
    assert refused.code == 1 and "pass --force" in refused.err and len(refused.err.splitlines()) == 1
    assert cli("generate", "--nodes", 200, "--edges", 900, "-o", foreign, "--force").code == 0
    for args, message in ((["--nodes", 2, "--edges", 10], "at least 4"), (["--nodes", 50, "--edges", 100, "-o",
                          tmp_path / "g.txt"], ".json, .yaml or .yml")):
        if "-o" not in args:
            args = [*args, "-o", tmp_path / "x.json"]
        bad = cli("generate", *args)
        assert bad.code == 1 and message in bad.err and len(bad.err.splitlines()) == 1
