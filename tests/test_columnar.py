"""The columnar path: table pairs (CSV, Parquet), large JSON and the column checks.

Three promises are held here:

1. The same graph read from YAML, JSON, a CSV pair and a Parquet pair gives identical answers
   (cutoff, sweep, target, concentration, chokepoints), on every bundled graph and on generated
   graphs with cycles, including JSON large enough for the orjson reader.
2. The column checks only ever accept what the entry-by-entry validation accepts, with the same
   document and the same warnings: thousands of seeded mutations of a small graph, each checked.
3. Bad input in a table pair gets the one-line, row-naming errors of the other paths, exit 1.
"""

from __future__ import annotations

import copy
import json
import random

import pandas as pd
import pytest

from chokepoint import api
from chokepoint.errors import ValidationError
from chokepoint.formats import graphs as graph_files
from chokepoint.formats.tables import read_table_graph
from chokepoint.generate import generate
from chokepoint.model import parse_document
from chokepoint.model.columnar import GraphColumns, columns_from_data

def _answers(graph, country: str) -> dict:
    """Everything a user reads off a graph, as plain data."""
    cut = api.cutoff(graph, countries=[country]).to_dict()
    cut["scenario"].pop("graph")
    return {"cutoff": cut, "sweep": api.sweep(graph).frame.to_dict("list"),
            "target": api.target(graph).astype(str).to_dict("list")}


def _export_tables(graph, folder, suffix: str):
    """Write the graph's nodes and edges as a table pair the way an analyst's tool would: CSV as
    text, Parquet with typed columns (floats with gaps, booleans)."""
    columns = graph.columns
    folder.mkdir(parents=True, exist_ok=True)
    if suffix == ".parquet":
        columns.nodes.to_parquet(folder / "nodes.parquet")
        columns.edges.to_parquet(folder / "edges.parquet")
        return folder
    nodes = columns.nodes.copy()
    edges = columns.edges.copy()
    nodes["critical_mineral"] = nodes["critical_mineral"].map(lambda v: "true" if v else "")
    edges["estimated"] = edges["estimated"].map(lambda v: "true" if v else "")
    edges["year"] = edges["year"].map(lambda v: "" if v != v else str(int(v)))
    nodes.to_csv(folder / "nodes.csv", index=False)
    edges.to_csv(folder / "edges.csv", index=False)
    return folder


@pytest.mark.parametrize("name", graph_files.bundled_names())
def test_every_path_gives_the_same_answers_on_the_bundled_graphs(name, tmp_path, cli):
    """YAML (as bundled), JSON, the CSV pair ``export`` writes, and a Parquet pair: one answer."""
    reference = api.load_graph(name)
    country = "CN" if "CN" in reference.countries else reference.countries[0]
    expected = _answers(reference, country)
    paths = {}
    json_path = tmp_path / f"{name}.json"
    graph_files.save_graph(reference, json_path)
    paths["json"] = json_path
    result = cli("export", name, "--format", "csv", "-o", tmp_path / f"{name}.csv")  # with the analysis columns
    assert result.code == 0, result.err
    paths["csv export"] = tmp_path / f"{name}.csv"
    paths["csv folder"] = _export_tables(reference, tmp_path / "csv", ".csv")
    paths["parquet"] = _export_tables(reference, tmp_path / "parquet", ".parquet")
    for kind, path in paths.items():
        graph = api.load_graph(str(path))
        assert graph.document.nodes == reference.document.nodes, kind
        assert graph.document.edges == reference.document.edges, kind
        assert _answers(graph, country) == expected, kind
        if kind != "json":  # a table pair carries no sources list: only the cited keys
            assert set(graph.document.sources) == {e.source for e in reference.document.edges if e.source}


@pytest.mark.parametrize("edges", [3_000, 20_000])
def test_every_path_gives_the_same_answers_on_generated_graphs(edges, tmp_path, monkeypatch):
    """Generated graphs with cycles; the larger one is read by orjson (past 1 MB of JSON)."""
    text = json.dumps(generate(nodes=edges // 5, edges=edges, seed=11).to_document())
    path = tmp_path / "g.json"
    path.write_text(text)
    if edges > 10_000:
        assert len(text) > graph_files.FAST_JSON_BYTES
        assert graph_files._fast_json(text.encode()) is not None  # the orjson reader took it
    reference = api.load_graph(str(path))
    monkeypatch.setattr(graph_files, "orjson", None)
    assert api.load_graph(str(path)).document == reference.document
    monkeypatch.undo()
    document, warnings = parse_document(json.loads(text), str(path))
    assert document == reference.document and list(warnings) == list(reference.warnings)
    expected = _answers(reference, "CN")
    for suffix in (".csv", ".parquet"):
        folder = _export_tables(reference, tmp_path / suffix[1:], suffix)
        graph = api.load_graph(str(folder))
        assert "document" not in graph.__dict__  # read as columns, checked over columns
        assert _answers(graph, "CN") == expected


def test_repeated_keys_never_reach_orjson_silently(tmp_path):
    """orjson keeps the last of two equal keys: the reader counts keys and falls back."""
    text = json.dumps(generate(nodes=4_000, edges=20_000, seed=3).to_document())
    broken = text.replace('"kind": "country"', '"kind": "country", "kind": "material"', 1)
    path = tmp_path / "g.json"
    path.write_text(broken)
    assert graph_files._fast_json(broken.encode()) is None
    with pytest.raises(Exception, match="duplicate key 'kind'"):
        api.load_graph(str(path))


# --- the column checks accept only what the entry-by-entry path accepts -------------------------

SMALL = {
    "name": "small", "title": "Small",
    "sources": {"S": {"title": "A report", "year": 2025}},
    "nodes": [
        {"id": "CN", "kind": "country"}, {"id": "JP", "kind": "country", "label": "Japan"},
        {"id": "plant", "kind": "facility", "label": "Plant", "country": "JP", "stockpile_months": 2},
        {"id": "ore", "kind": "material", "label": "Ore", "stage": "mining", "critical_mineral": True,
         "unknown_max_share": 0.2},
        {"id": "part", "kind": "component", "label": "Part", "needs": "any"},
        {"id": "kit", "kind": "product", "label": "Kit", "note": "end"},
    ],
    "edges": [
        {"from": "CN", "to": "ore", "type": "supplies", "share": 0.6, "basis": "global production", "year": 2024,
         "source": "S", "fact": "F1"},
        {"from": "JP", "to": "ore", "type": "supplies", "share": [0.1, 0.3], "estimated": True, "note": "guess"},
        {"from": "plant", "to": "part", "type": "supplies", "share": "major", "estimated": True},
        {"from": "ore", "to": "part", "type": "requires"},
        {"from": "part", "to": "kit", "type": "requires", "note": "n"},
    ],
}

#: Values a mutation puts in a field: right and wrong types, edge cases of every rule.
POOL = [None, True, False, 0, 1, -1, 2, 0.5, 1.2, -0.0, float("nan"), float("inf"), 10 ** 400, 1800, 2200, 2201,
        "", " ", "a", "CN", "JP", "XX", "ore", "part", "kit", "plant", "S", "T", "all", "any", "some",
        "supplies", "requires", "country", "facility", "material", "component", "product", "major", " Major ",
        "dominant", "0.5", "a\nb", "a\x01", "x" * 201, "id with space", [0.1, 0.2], [0.3, 0.1], [0.1], [],
        ["0.1", 0.2], {"low": 0.1, "high": 0.2}, {}, "global production", "US imports", 2025]
NODE_KEYS = ["id", "kind", "label", "stage", "country", "needs", "critical_mineral", "stockpile_months",
             "unknown_max_share", "note", "bogus"]
EDGE_KEYS = ["from", "to", "type", "share", "basis", "year", "source", "fact", "estimated", "note", "bogus"]


def _mutate(data: dict, rng: random.Random) -> dict:
    data = copy.deepcopy(data)
    for _ in range(rng.randint(1, 3)):
        what = rng.random()
        if what < 0.4:
            entry = rng.choice(data["nodes"])
            key = rng.choice(NODE_KEYS)
        elif what < 0.85:
            entry = rng.choice(data["edges"])
            key = rng.choice(EDGE_KEYS)
        elif what < 0.92:
            data[rng.choice(["nodes", "edges"])].append(copy.deepcopy(rng.choice(data["nodes"] + data["edges"])))
            continue
        else:
            lst = data[rng.choice(["nodes", "edges"])]
            if lst:
                lst.pop(rng.randrange(len(lst)))
            continue
        if rng.random() < 0.2:
            entry.pop(key, None)
        else:
            entry[key] = copy.deepcopy(rng.choice(POOL))
    return data


def test_the_column_checks_accept_only_what_validation_accepts():
    """Seeded mutations of a small graph (one to three fields each, from a pool of right and
    wrong values): whenever the column checks accept, the entry-by-entry validation accepts too,
    with the same document and the same warnings. Both outcomes occur many times."""
    rng = random.Random(20261128)
    accepted = refused = 0
    for _ in range(3_000):
        data = _mutate(SMALL, rng)
        fast = columns_from_data(data, "m.yaml")
        try:
            document, warnings = parse_document(data, "m.yaml")
        except ValidationError:
            assert fast is None, data
            refused += 1
            continue
        if fast is not None:
            columns, fast_warnings = fast
            assert columns.to_document() == document, data
            assert fast_warnings == list(warnings), data
            assert GraphColumns.from_document(document).to_document() == document
            accepted += 1
    assert accepted > 300 and refused > 1_000, (accepted, refused)


def test_the_column_checks_agree_on_every_bundled_graph():
    for name in graph_files.bundled_names():
        path = graph_files.resolve_path(name)
        data = graph_files.read_data(path)
        reference = api.load_graph(name)
        fast = columns_from_data(data, reference.origin)
        if data.get("include"):
            assert fast is None  # includes take the entry-by-entry path
            continue
        columns, warnings = fast
        assert columns.to_document() == reference.document
        assert warnings == list(reference.warnings)


# --- bad input in a table pair ------------------------------------------------------------------

NODES_CSV = "id,kind,label,country,critical_mineral,stockpile_months\nCN,country,,,,\nJP,country,,,,\n" \
            "ore,material,Ore,,true,\nkit,product,Kit,,,1.5\n"
EDGES_CSV = "from,to,type,share,basis,year,estimated\nCN,ore,supplies,0.7,global production,2024,\n" \
            "JP,ore,supplies,0.2,global production,2024,\nore,kit,requires,,,,\n"


def _pair(tmp_path, nodes=NODES_CSV, edges=EDGES_CSV, name="g"):
    (tmp_path / f"{name}.nodes.csv").write_text(nodes)
    (tmp_path / f"{name}.edges.csv").write_text(edges)
    return tmp_path / f"{name}.csv"


def test_a_good_pair_reads_as_columns(tmp_path, cli):
    path = _pair(tmp_path)
    graph = api.load_graph(str(path))
    assert "document" not in graph.__dict__
    result = cli("cutoff", path, "--country", "CN", "--json")
    assert result.code == 0, result.err
    products = json.loads(result.out)["products"]
    assert products[0]["id"] == "kit" and products[0]["availability"] == pytest.approx(0.3)
    same = cli("cutoff", tmp_path / "g.nodes.csv", "--country", "CN", "--json")  # either file names the pair
    assert same.out == result.out


CASES = [
    # (what, nodes csv edit, edges csv edit, expected fragment of the one error line)
    ("share over 1", None, ("0.7,global", "1.2,global"), "edges[0] (CN -> ore).share: 1.2 is outside [0, 1]"),
    ("share text", None, ("0.7,global", "lots,global"), "edges[0] (CN -> ore).share: unknown level word 'lots'"),
    ("negative share", None, ("0.7,global", "-0.1,global"), "edges[0] (CN -> ore).share: -0.1 is outside [0, 1]"),
    ("level word not estimated", None, ("0.7,global", "major,global"),
     "edges[0] (CN -> ore): share 'major' is a level word: mark the edge 'estimated: true'"),
    ("unknown kind", ("ore,material", "ore,metal"), None, "nodes[2] (id 'ore').kind: Input should be"),
    ("duplicate id", ("kit,product,Kit", "ore,product,Kit"), None, "nodes[3] (id 'ore').id: duplicate id 'ore'"),
    ("unknown node", None, ("ore,kit,requires", "ore,kat,requires"), "edges[2] (ore -> kat).to: unknown node 'kat'"),
    ("self-loop", None, ("ore,kit,requires", "ore,ore,requires"), "edges[2] (ore -> ore): an edge from a node to itself"),
    ("duplicate edge", None, ("JP,ore,supplies,0.2", "CN,ore,supplies,0.2"),
     "edges[1] (CN -> ore): duplicate edge CN -> ore (first at edges[0] (CN -> ore))"),
    ("bad year", None, ("0.7,global production,2024", "0.7,global production,20x4"),
     "edges[0] (CN -> ore).year: expected a year as an integer, got '20x4'"),
    ("bad flag", ("ore,material,Ore,,true", "ore,material,Ore,,maybe"), None,
     "nodes[2] (id 'ore').critical_mineral: Input should be a valid boolean"),
    ("negative stockpile", ("Kit,,,1.5", "Kit,,,-2"), None,
     "nodes[3] (id 'kit').stockpile_months: Input should be greater than or equal to 0"),
    ("unknown country", ("JP,country", "XX,country"), ("JP,ore", "XX,ore"),
     "nodes[1] (id 'XX').id: unknown country code 'XX'"),
    ("sum past 1", None, ("JP,ore,supplies,0.2", "JP,ore,supplies,0.5"), "node 'ore': shares of its 2 suppliers sum to 1.2"),
    ("requires with a share", None, ("ore,kit,requires,,", "ore,kit,requires,0.5,"),
     "edges[2] (ore -> kit): share only apply to supplies edges"),
]


@pytest.mark.parametrize("what,node_edit,edge_edit,expected", CASES, ids=[c[0] for c in CASES])
def test_bad_cells_get_the_row_naming_errors_of_every_path(what, node_edit, edge_edit, expected, tmp_path, cli):
    nodes, edges = NODES_CSV, EDGES_CSV
    if node_edit:
        assert node_edit[0] in nodes
        nodes = nodes.replace(*node_edit, 1)
    if edge_edit:
        assert edge_edit[0] in edges
        edges = edges.replace(*edge_edit, 1)
    path = _pair(tmp_path, nodes, edges)
    result = cli("cutoff", path, "--country", "CN", "--json")
    assert result.code == 1 and result.out == ""
    lines = result.err.strip().splitlines()
    assert any(line.startswith(f"error: {path}: ") and expected in line for line in lines), result.err
    assert "Traceback" not in result.err
    # the same mutation written as JSON gets the same message (the same rules, the same words)
    graph = read_json_twin(tmp_path, nodes, edges)
    if graph is not None:
        twin = cli("validate", graph)
        assert twin.code == 1
        assert expected in twin.err.replace(str(graph), str(path)), twin.err


def read_json_twin(tmp_path, nodes_csv: str, edges_csv: str):
    """The pair's content as a JSON graph file (cells converted as the table reader does)."""
    from io import StringIO

    nodes = pd.read_csv(StringIO(nodes_csv), dtype=str, keep_default_na=False)
    edges = pd.read_csv(StringIO(edges_csv), dtype=str, keep_default_na=False)

    def cell(column, value):
        if value == "":
            return None
        if column in ("share", "stockpile_months"):
            try:
                return float(value)
            except ValueError:
                return value
        if column == "year":
            return int(value) if value.isdigit() else value
        if column in ("critical_mineral", "estimated"):
            return {"true": True, "false": False}.get(value, value)
        return value

    data = {"name": "g", "title": "g",
            "nodes": [{k: cell(k, v) for k, v in row.items() if cell(k, v) is not None} for row in nodes.to_dict("records")],
            "edges": [{k: cell(k, v) for k, v in row.items() if cell(k, v) is not None} for row in edges.to_dict("records")]}
    path = tmp_path / "twin.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("edit,expected", [
    (lambda d: (d / "g.nodes.csv").write_text("name,kind\nCN,country\n"), "g.nodes.csv: no 'id' column"),
    (lambda d: (d / "g.edges.csv").write_text("from,to,type,weight2\n"), "g.edges.csv: unknown column 'weight2'"),
    (lambda d: (d / "g.nodes.csv").write_text(""), "g.nodes.csv: empty file"),
    (lambda d: (d / "g.nodes.csv").write_bytes(b"id,kind\x00\x01\n"), "g.nodes.csv: a binary file, not CSV"),
    (lambda d: (d / "g.edges.csv").unlink(), "g.csv: no such table pair"),
], ids=["no id column", "unknown column", "empty", "binary", "half a pair"])
def test_bad_tables_are_one_line_errors(edit, expected, tmp_path, cli):
    path = _pair(tmp_path)
    edit(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    result = cli("validate", path)
    assert result.code == 1 and expected in result.err, result.err
    assert len(result.err.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_generate_writes_the_same_graph_in_every_format(tmp_path, cli):
    for suffix in (".json", ".csv", ".parquet"):
        assert cli("generate", "--nodes", "600", "--edges", "3000", "--seed", "5", "-o", tmp_path / f"g{suffix}").code == 0
    graphs = [api.load_graph(str(tmp_path / f"g{suffix}")) for suffix in (".json", ".csv", ".parquet")]
    assert all("document" not in g.__dict__ for g in graphs[1:])
    for other in graphs[1:]:
        assert other.document.nodes == graphs[0].document.nodes and other.document.edges == graphs[0].document.edges
    again = cli("generate", "--nodes", "600", "--edges", "3000", "--seed", "6", "-o", tmp_path / "g.csv")
    assert again.code == 0  # its own pair: replaced without --force
    (tmp_path / "mine.nodes.csv").write_text("id,kind\n")
    refused = cli("generate", "--nodes", "600", "--edges", "3000", "-o", tmp_path / "mine.csv")
    assert refused.code == 1 and "mine.nodes.csv" in refused.err and not (tmp_path / "mine.edges.csv").exists()


def test_a_parquet_pair_needs_no_csv(tmp_path):
    graph = api.load_graph("quantum")
    folder = _export_tables(graph, tmp_path / "pq", ".parquet")
    loaded = read_table_graph(folder, max_bytes=10 ** 9, max_nodes=None)
    assert loaded.document.edges == graph.document.edges


def test_the_readme_big_graph_sequence_runs(cli, tmp_path, monkeypatch):
    """The README's big-graph commands, in order in one folder, on a graph 100 times smaller."""
    import re
    import shlex

    from conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(chokepoint generate --nodes 200000.*?)```", text, flags=re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert len(commands) >= 5
    monkeypatch.chdir(tmp_path)
    for command in commands:
        command = command.replace("200000", "2000").replace("1000000", "10000")
        result = cli(*shlex.split(command)[1:])
        assert result.code == 0, (command, result.err)
    for name in ("big.nodes.parquet", "big.edges.parquet", "cn.parquet", "sweep.parquet", "chokepoints.parquet",
                 "big.graphml"):
        assert (tmp_path / name).stat().st_size > 0, name
    assert len(pd.read_parquet(tmp_path / "cn.parquet")) == 2000  # every node
