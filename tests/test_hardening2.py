"""Hardening, round two (issue 12): each class of hostile input, with variants.

Every class is tried with several variants (and, where a class fits, a hypothesis property):
the answer is the right one, or one line on stderr naming the file and the entry with exit code
1, nothing written and nothing overwritten. ``HOSTILE`` counts the inputs tried (printed by
``test_zz_count_of_hostile_inputs``).
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pycountry
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint import load_graph
from chokepoint.engine import compile_graph, evaluate
from chokepoint.engine.fixpoint import BlockSystem, largest_fixed_point
from chokepoint.engine.reference import Scenario, propagate
from chokepoint.errors import ChokepointError, InputError, ValidationError
from chokepoint.formats.exchange import read_graphml, spreadsheet_safe
from chokepoint.formats.files import (
    MANIFEST, atomic_write, atomic_write_many, check_output, written_by_chokepoint,
)
from chokepoint.formats.graphs import read_data
from chokepoint.importers import import_table, import_usgs
from chokepoint.model import safe_json, safe_yaml
from chokepoint.model.graph import Graph
from chokepoint.model.validate import parse_document

from conftest import REPO, country, doc, item, requires, supplies
from strategies import documents

HERE = Path(__file__).parent / "fixtures" / "hardening2"
SRC = REPO / "src"
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
#: Hostile inputs tried, by class (filled as the tests run).
HOSTILE: dict[str, int] = {}


def tried(kind: str, n: int = 1) -> None:
    HOSTILE[kind] = HOSTILE.get(kind, 0) + n


def one_line_error(result, *fragments) -> str:
    """The run failed with exit 1 and one ``error:`` line holding every fragment."""
    assert result.code == 1, (result.code, result.out, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "Traceback" not in result.err
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


def run_cli(*args, env=None, timeout=120, cwd=None):
    """The real console entry point in a subprocess (for signals, the environment and stdout)."""
    full = dict(os.environ, PYTHONPATH=str(SRC), **(env or {}))
    return subprocess.run([sys.executable, "-m", "chokepoint", *map(str, args)], capture_output=True,
                          encoding="utf-8", errors="replace", env=full, timeout=timeout, cwd=cwd)


def build(data) -> Graph:
    document, warnings = parse_document(data, "generated.yaml")
    return Graph(document, warnings=tuple(warnings))


# =============================================================================================
# 1a. A cutoff only cuts countries: node ids equal to a country code are not that country


def test_cutting_slovenia_leaves_silicon_and_a_facility_named_de(write_graph):
    """SI (silicon) is a material and DE a facility (in CN); Slovenia and Germany are not nodes.
    Cut SI: nothing is cut, chip = 1. Cut DE: nothing is cut. Cut CN: SI = 1 - 0.5 = 0.5, the
    facility DE = 0 so chip's supply is 1 - 0.5 = 0.5, chip = min(0.5, SI 0.5) = 0.5."""
    graph = load_graph(write_graph(doc(
        [country("CN"), item("SI", "material"), {"id": "DE", "kind": "facility", "label": "plant", "country": "CN"},
         item("chip", "product")],
        [supplies("CN", "SI", 0.5), supplies("DE", "chip", 0.5), requires("SI", "chip")])))
    compiled = compile_graph(graph)
    cuts = [["SI"], ["DE"], ["CN"], ["SI", "DE"]]
    result = evaluate(compiled, cuts)
    by_id = {ident: row for row, ident in enumerate(compiled.ids)}
    for column, cut in enumerate(cuts):
        reference = propagate(graph, Scenario(countries=frozenset(cut)))
        for ident, row in by_id.items():
            assert result[row, column] == pytest.approx(reference[ident], abs=1e-12), (cut, ident)
    assert result[by_id["chip"], 0] == 1.0 and result[by_id["SI"], 0] == 1.0
    assert result[by_id["DE"], 1] == 1.0 and result[by_id["chip"], 1] == 1.0
    assert result[by_id["chip"], 2] == pytest.approx(0.5)
    tried("country-code ids", len(cuts))


def test_cli_cutoff_of_a_code_that_is_a_material(cli, write_graph):
    path = write_graph(doc([country("CN"), item("AL", "material"), item("car", "product")],
                           [supplies("CN", "AL", 0.6), requires("AL", "car")]))
    data = json.loads(cli("cutoff", path, "--country", "AL", "--json").out)
    assert {n["id"]: n["availability"] for n in data["nodes"]} == {"CN": 1.0, "AL": 1.0, "car": 1.0}
    assert data["scenario"]["absent"] == ["AL"]  # Albania supplies nothing here, and says so
    tried("country-code ids")


ALPHA2 = sorted(c.alpha_2 for c in pycountry.countries)


@SETTINGS
@given(documents(max_items=8), st.data())
def test_property_ids_that_are_country_codes_are_never_cut(data, draw):
    """Rename some items and facilities to country codes that are not countries of the graph:
    cutting those codes changes nothing, and the engine equals the reference."""
    declared = {n["id"] for n in data["nodes"] if n["kind"] == "country"}
    others = [n for n in data["nodes"] if n["kind"] != "country"]
    free = [c for c in ALPHA2 if c not in declared]
    chosen = draw.draw(st.lists(st.sampled_from(others), min_size=1, max_size=min(3, len(others)),
                                unique_by=lambda n: n["id"]))
    codes = draw.draw(st.lists(st.sampled_from(free), min_size=len(chosen), max_size=len(chosen), unique=True))
    rename = {node["id"]: code for node, code in zip(chosen, codes)}
    for node in data["nodes"]:
        node["id"] = rename.get(node["id"], node["id"])
    for edge in data["edges"]:
        edge["from"] = rename.get(edge["from"], edge["from"])
        edge["to"] = rename.get(edge["to"], edge["to"])
    graph = build(data)
    compiled = compile_graph(graph)
    real = sorted(graph.countries)[:1]
    cuts = [[], list(codes), *([c] for c in codes), real + list(codes)]
    result = evaluate(compiled, cuts)
    assert np.array_equal(result[:, 1], result[:, 0])
    for column, cut in enumerate(cuts):
        reference = propagate(graph, Scenario(countries=frozenset(cut)))
        for row, ident in enumerate(compiled.ids):
            assert abs(result[row, column] - reference[ident]) <= 1e-9, (cut, ident)
    tried("country-code ids", len(cuts))


# =============================================================================================
# 1b. Duplicate keys, at every level, in YAML and JSON


def _block_yaml(value, indent=0) -> list[str]:
    """A minimal block-style YAML emitter (scalars as JSON, which YAML reads the same)."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item_ in value.items() if not isinstance(value, _Dup) else value.pairs:
            if isinstance(item_, (dict, list)) and item_:
                lines.append(f"{pad}{json.dumps(key)}:")
                lines += _block_yaml(item_, indent + 2)
            else:
                lines.append(f"{pad}{json.dumps(key)}: {json.dumps(item_)}")
        return lines
    if isinstance(value, list):
        lines = []
        for item_ in value:
            inner = _block_yaml(item_, indent + 2)
            if isinstance(item_, (dict, list)) and item_:
                lines.append(f"{pad}- {inner[0].strip()}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {json.dumps(item_)}")
        return lines
    return [pad + json.dumps(value)]


class _Dup(dict):
    """A mapping written with one key twice (``pairs`` in order)."""

    def __init__(self, pairs):
        super().__init__(pairs)
        self.pairs = pairs


def _json_text(value) -> str:
    if isinstance(value, _Dup):
        return "{" + ",\n".join(f"{json.dumps(k)}: {_json_text(v)}" for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return "{" + ",\n".join(f"{json.dumps(k)}: {_json_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ",\n".join(_json_text(v) for v in value) + "]"
    return json.dumps(value)


def _mappings(value, path=()):
    if isinstance(value, dict):
        yield path
        for key, item_ in value.items():
            yield from _mappings(item_, path + (key,))
    elif isinstance(value, list):
        for index, item_ in enumerate(value):
            yield from _mappings(item_, path + (index,))


@SETTINGS
@given(documents(max_items=5), st.data(), st.sampled_from(["yaml", "json"]))
def test_property_a_repeated_key_anywhere_is_an_error_with_its_line(tmp_path, data, draw, fmt):
    data["sources"] = {"S1": {"title": "A report", "year": 2025}}
    paths = [p for p in _mappings(data) if True]
    where = draw.draw(st.sampled_from(paths))
    target = data
    for step in where:
        target = target[step]
    if not target:
        return
    key = draw.draw(st.sampled_from(sorted(target)))
    pairs = list(target.items())
    position = draw.draw(st.integers(0, len(pairs)))
    pairs.insert(position, (key, target[key]))
    duplicated = _Dup(pairs)
    if where:
        parent = data
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = duplicated
        document = data
    else:
        document = duplicated
    text = _json_text(document) if fmt == "json" else "\n".join(_block_yaml(document)) + "\n"
    path = tmp_path / f"dup.{fmt}"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_data(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid {fmt.upper()} at line ")
    assert f"duplicate key '{key}'" in message and "first at line" in message and "\n" not in message
    line = int(message.split(" at line ")[1].split(",")[0])
    assert json.dumps(key) in text.splitlines()[line - 1]  # the line named holds the key
    tried("duplicate keys")


@pytest.mark.parametrize("text, key, line", [
    ("name: a\ntitle: t\nnodes: []\nedges: []\nedges: [1]\n", "edges", 5),
    ("name: a\nname: b\n", "name", 2),
    ("nodes:\n  - {id: CN, kind: country, kind: material}\n", "kind", 2),
    ("edges:\n  - from: CN\n    to: x\n    share: 0.9\n    share: 0.1\n", "share", 5),
    ("sources:\n  S1: {title: a}\n  S1: {title: b}\n", "S1", 3),
    ("a: {b: {c: 1, c: 2}}\n", "c", 1),
    ("? [1, 2]\n: x\nname: a\n", None, None),  # a sequence as key: refused, not a crash
])
def test_yaml_duplicate_key_examples(tmp_path, text, key, line):
    path = tmp_path / "d.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_data(path)
    message = str(info.value)
    assert message.startswith(str(path)) and "\n" not in message
    if key is not None:
        assert f"duplicate key '{key}'" in message and f"at line {line}," in message
    tried("duplicate keys")


@pytest.mark.parametrize("text, key, line", [
    ('{"name": "a",\n "edges": [],\n "edges": [1]}', "edges", 3),
    ('{"nodes": [{"id": "CN", "id": "JP"}]}', "id", 1),
    ('[{"a": {"b": 1}}, {"c": {"d": 1,\n"d": 2}}]', "d", 2),
    ('{"graph": {"name": "x", "name": "y"}, "nodes": []}', "name", 1),
])
def test_json_duplicate_key_examples(tmp_path, text, key, line):
    path = tmp_path / "d.json"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_data(path)
    message = str(info.value)
    assert message.startswith(f"{path}: invalid JSON at line {line},") and f"duplicate key '{key}'" in message
    tried("duplicate keys")


def test_cli_names_file_key_and_line_for_duplicates(cli, tmp_path):
    valid = (HERE.parents[0] / "valid.yaml").read_text()
    path = tmp_path / "twice.yaml"
    path.write_text(valid + "edges: []\n")
    line = len(valid.splitlines()) + 1
    one_line_error(cli("validate", path), str(path), "duplicate key 'edges'", f"line {line}")
    assert cli("analyse", path).code == 1
    tried("duplicate keys", 2)


# =============================================================================================
# 1c. YAML 1.2, not YAML 1.1: numbers, booleans, dates


@pytest.mark.parametrize("scalar, expected", [
    ("012", "error"), ("-012", "error"), ("00", "error"), ("0", 0), ("12", 12), ("+12", 12), ("-0", 0),
    ("0o14", 12), ("0x1F", 31), ("0x1f", 31),
    ("1:30", "1:30"), ("190:20:30", "190:20:30"), ("1_000", "1_000"), ("0b101", "0b101"),
    ("9e-1", 0.9), ("1e3", 1000.0), ("1E3", 1000.0), ("1.5", 1.5), (".5", 0.5), ("1.", 1.0), ("007.5", 7.5),
    (".inf", math.inf), ("-.Inf", -math.inf),
    ("NO", "NO"), ("no", "no"), ("yes", "yes"), ("on", "on"), ("Off", "Off"), ("y", "y"), ("true", True),
    ("False", False), ("2025-01-01", "2025-01-01"), ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("~", None), ("null", None), ("=", "="), ("1" * 5000, "error"),
])
def test_yaml_scalars_resolve_as_yaml_1_2(scalar, expected):
    text = f"a: {scalar}\n"
    if expected == "error":
        with pytest.raises(yaml.YAMLError) as info:
            safe_yaml.load(text)
        assert "line 1" in str(info.value)
        return
    value = safe_yaml.load(text)["a"]
    assert value == expected and type(value) is type(expected)
    tried("YAML 1.1 forms")


@pytest.mark.parametrize("field, written, message", [
    ("stockpile_months", "012", "'012' has a leading zero: YAML 1.1 reads it as octal 10 and YAML 1.2 as 12"),
    ("stockpile_months", "1:30", "stockpile_months: expected a number, got '1:30'"),
    ("stockpile_months", "1_000", "stockpile_months: expected a number, got '1_000'"),
    ("id", "010", "'010' has a leading zero"),
])
def test_yaml_1_1_numbers_in_a_graph(cli, tmp_path, field, written, message):
    valid = (HERE.parents[0] / "valid.yaml").read_text()
    text = valid.replace("{id: qc,", "{id: qc, stockpile_months: 3,") if field == "stockpile_months" else valid
    text = text.replace("stockpile_months: 3", f"stockpile_months: {written}") if field == "stockpile_months" \
        else text.replace("id: qc,", f"id: {written},")
    path = tmp_path / "g.yaml"
    path.write_text(text)
    result = cli("validate", path)
    assert result.code == 1 and message in result.err and str(path) in result.err
    assert "'8'" not in result.err and "10 months" not in result.err
    tried("YAML 1.1 forms")


def test_share_in_exponent_notation_is_a_number(cli, tmp_path):
    valid = (HERE.parents[0] / "valid.yaml").read_text()
    assert "share: 0.9" in valid
    for written in ("9e-1", "9E-1", "0.9e0", "90e-2"):
        path = tmp_path / "g.yaml"
        path.write_text(valid.replace("share: 0.9", f"share: {written}"))
        graph = load_graph(path)
        assert any(e.share is not None and e.share.point == pytest.approx(0.9) for e in graph.document.edges)
    path.write_text(valid.replace("share: 0.9", "share: '0.9'"))
    result = cli("validate", path)
    assert result.code == 1 and "'0.9' is text, not a number" in result.err
    tried("YAML 1.1 forms", 5)


# =============================================================================================
# 1d. import table: ragged rows, numbers as countries, duplicate columns


@pytest.mark.parametrize("name, fragments", [
    ("ragged_middle.csv", ["data row 2 (line 3) has 5 fields, the header has 4"]),
    ("ragged_all_rows.csv", ["data row 1 (line 2) has 5 fields, the header has 4"]),
    ("ragged_trailing.csv", ["data row 2 (line 3) has 5 fields"]),
    ("numeric_countries.csv", ["data row 1: country '156' is a number", "ISO numeric codes are not read"]),
    ("duplicate_header.csv", ["the header names column 'value' twice"]),
])
def test_import_table_refuses_misaligned_tables(cli, tmp_path, name, fragments):
    out = tmp_path / "out.yaml"
    report = tmp_path / "skipped.csv"
    result = cli("import", "table", HERE / name, "-o", out, "--skipped-report", report)
    one_line_error(result, HERE / name, *fragments)
    assert not out.exists() and not report.exists()
    assert "nothing to analyse" not in result.err
    tried("ragged tables")


def test_tsv_ragged_and_a_trailing_separator(tmp_path):
    ragged = tmp_path / "t.tsv"
    ragged.write_text("item\tcountry\tvalue\ngraphite\tChina\t\t910\n")
    with pytest.raises(InputError, match="has 4 fields, the header has 3"):
        import_table(ragged)
    trailing = tmp_path / "ok.csv"
    trailing.write_text("item,country,value\ngraphite,China,910,\ngraphite,Japan,90,\n")
    result = import_table(trailing)  # one empty field at the end of every row: a trailing comma, no shift
    shares = {e["from"]: e["share"] for e in result.document["edges"]}
    assert shares == {"CN": 0.91, "JP": 0.09}
    tried("ragged tables", 2)


def test_numbers_are_not_country_codes_anywhere():
    from chokepoint.model import resolve_country
    from chokepoint.errors import UnknownCountryError

    for text in ("156", "076", "840", "4", "0"):
        with pytest.raises(UnknownCountryError, match="a number"):
            resolve_country(text)
    assert resolve_country("CHN") == "CN"
    tried("ragged tables", 5)


# =============================================================================================
# 1e. import usgs: values too large to add up


def test_usgs_overflow_is_skipped_with_a_reason_never_share_zero():
    result = import_usgs(HERE / "usgs_overflow.csv")
    shares = [e["share"] for e in result.document["edges"]]
    assert shares and all(s > 0 for s in shares) and all(math.isfinite(s) for s in shares)
    assert {e["to"] for e in result.document["edges"]} == {"smallium-mine-production"}
    overflow = [s for s in result.skipped if s["category"] == "overflow"]
    assert {s["country"] for s in overflow} == {"China", "Canada", "Peru"}
    assert all("too large to add up" in s["reason"] for s in overflow)
    tried("usgs overflow", 3)


def test_usgs_overflow_through_the_cli(cli, tmp_path):
    out = tmp_path / "u.yaml"
    result = cli("import", "usgs", HERE / "usgs_overflow.csv", "-o", out, "--denominator", "sum")
    assert result.code == 0, result.err
    assert "share: 0.0\n" not in out.read_text() and "overflow" in result.out
    tried("usgs overflow")


# =============================================================================================
# 1f. GraphML read-back


def test_graphml_keeps_double_dashes_in_every_field(tmp_path):
    data = doc([country("CN"), item("x--y", "material", note="a -- b --- c", label="x -- y")],
               [supplies("CN", "x--y", 0.5, note="e--n", source="S--1")], name="dash--name")
    data["title"] = "A -- title ---"
    data["description"] = "ends with --> and <!-- and -"
    data["sources"] = {"S--1": {"title": "src -- t", "url": "http://x.org/a--b---c", "publisher": "p--"}}
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump(data))
    from chokepoint import export_graph
    out = tmp_path / "g.graphml"
    export_graph(str(path), out)
    back = load_graph(out)
    assert back.document == load_graph(path).document
    tried("graphml", 6)


def test_graphml_booleans_one_and_zero(tmp_path):
    graph = load_graph(HERE / "boolean_one.graphml")
    assert graph.nodes["ga"].critical_mineral is True
    edge = graph.document.edges[0]
    assert edge.estimated is True
    tried("graphml")


@pytest.mark.parametrize("name, fragments", [
    ("nested.graphml", ["a nested graph"]),
    ("hyperedge.graphml", ["a hyperedge"]),
    ("node_without_id.graphml", ["node 2 (the 2nd <node>) has no id"]),
])
def test_graphml_structures_chokepoint_does_not_read(cli, name, fragments):
    one_line_error(cli("validate", HERE / name), HERE / name, *fragments)
    tried("graphml")


def _graphml(body: str, keys: str = "", declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return (f'{declaration}\n<graphml xmlns="http://graphml.graphdrawing.org/xmlns">\n{keys}\n'
            f'<graph id="G" edgedefault="directed">\n{body}\n</graph>\n</graphml>\n')


KIND_KEY = '<key id="k" for="node" attr.name="kind" attr.type="string"/>'


@pytest.mark.parametrize("content, fragment", [
    (_graphml('<node id="CN"><data key="k">country</data><data key="k">material</data></node>', KIND_KEY),
     "two values for key 'k'"),
    (_graphml('<node id="CN"/>', KIND_KEY + KIND_KEY), "key 'k' is declared twice"),
    (_graphml('<node id="CN"/><edge target="CN"/>', KIND_KEY), "has no source"),
    (_graphml('<node id="CN"/><node id="x"/><edge source="CN" target="x" directed="false"/>', KIND_KEY),
     "is undirected"),
    (_graphml('<node id="CN"><data key="n">12x</data></node>',
              '<key id="n" for="node" attr.name="stockpile_months" attr.type="double"/>'), "is not a double"),
    (_graphml('<node id="CN"><data key="b">maybe</data></node>',
              '<key id="b" for="node" attr.name="critical_mineral" attr.type="boolean"/>'), "is not a boolean"),
    (_graphml('<node id="CN"><data key="n">' + "9" * 5000 + '</data></node>',
              '<key id="n" for="node" attr.name="stockpile_months" attr.type="int"/>'), "is not an int"),
    (_graphml('<node id="CN"/>', '<key id="q" for="node" attr.name="x" attr.type="complex"/>'), "unknown attr.type"),
    (_graphml('<node id="CN"/><node id="x"/><edge source="CN" target="x"><data key="lo">abc</data>'
              '<data key="hi">0.5</data></edge>',
              '<key id="lo" for="edge" attr.name="share_low" attr.type="string"/>'
              '<key id="hi" for="edge" attr.name="share_high" attr.type="double"/>'),
     "share_low: expected a number, got 'abc'"),
    ('<?xml version="1.0"?><graphml xmlns="http://graphml.graphdrawing.org/xmlns"></graphml>', "found none"),
    ('<?xml version="1.0"?><gexf/>', "not GraphML"),
    (_graphml('<node id="CN"/>', declaration='<?xml version="1.0" encoding="cp037"?>'), "declared as cp037"),
])
def test_graphml_wrong_shapes_and_types_are_one_line(cli, tmp_path, content, fragment):
    path = tmp_path / "bad.graphml"
    path.write_text(content)
    one_line_error(cli("validate", path), path, fragment)
    tried("graphml")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_graphml_does_not_bypass_the_doctype_refusal(cli, tmp_path, encoding):
    bomb = ('<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE g [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
            '<graphml xmlns="http://graphml.graphdrawing.org/xmlns"><graph id="G" edgedefault="directed">'
            '<node id="&b;"/></graph></graphml>')
    path = tmp_path / "bomb.graphml"
    path.write_bytes(bomb.encode(encoding))
    line = one_line_error(cli("validate", path), path)
    assert "UTF-16 or UTF-32" in line or "document type" in line
    tried("graphml")


def test_graphml_over_the_byte_limit(cli, tmp_path):
    path = tmp_path / "big.graphml"
    path.write_text(_graphml("".join(f'<node id="n{i}"/>' for i in range(2000)), KIND_KEY))
    one_line_error(cli("--max-bytes", "10000", "validate", path), path, "(raise it with --max-bytes)")
    with pytest.raises(InputError):
        read_graphml(path, max_bytes=100)
    tried("limits", 2)


@pytest.mark.parametrize("content, fragment", [
    ({"directed": True, "nodes": [{"id": {"a": 1}, "kind": "country"}], "edges": []}, "nodes[0].id must be text"),
    ({"directed": True, "nodes": [5], "edges": []}, "nodes[0] must be an object"),
    ({"directed": True, "nodes": [{"kind": "country"}], "edges": []}, "nodes[0] has no id"),
    ({"directed": True, "nodes": [{"id": "CN", "kind": "country"}], "edges": {"a": 1}}, "'edges' must be a list"),
    ({"directed": True, "nodes": [{"id": "CN", "kind": "country"}], "edges": [7]}, "edges[0] must be an object"),
    ({"directed": True, "nodes": [{"id": "CN", "kind": "country"}], "edges": [{"from": "CN"}]}, "has no 'to'"),
    ({"directed": True, "nodes": [{"id": "CN", "kind": "country"}],
      "edges": [{"from": ["CN"], "to": "x", "type": "supplies"}]}, "edges[0].from must be text"),
    ({"directed": True, "graph": [1], "nodes": [{"id": "CN", "kind": "country"}], "edges": []}, "'graph' must be"),
    ({"directed": True, "graph": {"name": "g", "sources": [1]}, "nodes": [{"id": "CN", "kind": "country"}],
      "edges": []}, "sources must be a mapping"),
    ({"directed": True, "nodes": [{"id": "CN", "kind": "country"}],
      "edges": [{"from": "CN", "to": "x", "share_low": "a", "share_high": 1}]}, "share_low: expected a number"),
    ({"directed": True, "nodes": [{"id": "CN", "kind": "country"}],
      "edges": [{"from": "CN", "to": "x", "share_level": ["sole"]}]}, ""),
])
def test_node_link_errors_name_the_file(cli, tmp_path, content, fragment):
    path = tmp_path / "nl.json"
    path.write_text(json.dumps(content))
    result = cli("validate", path)
    assert result.code == 1 and "Traceback" not in result.err and "internal error" not in result.err
    assert all(line.startswith(f"error: {path}") for line in result.err.splitlines()), result.err
    assert fragment in result.err
    tried("node-link")


# =============================================================================================
# 1g. Cycles whose loop gain is near 1


def loop_graph(share: float, write_graph, *, spare_cut="CN"):
    """fab (TW) supplies ``share`` of x; CN the rest; fab needs x; p needs x."""
    return load_graph(write_graph(doc(
        [country("CN"), country("TW"), {"id": "fab", "kind": "facility", "label": "fab", "country": "TW"},
         item("x", "material"), item("p", "product")],
        [supplies("fab", "x", share), supplies("CN", "x", round(1 - share, 16)), requires("x", "fab"),
         requires("x", "p")])))


@pytest.mark.parametrize("share", [1 - 1e-14, 1 - 1e-12, 1 - 1e-9, 1 - 1e-6, 0.999, 0.9, 0.5])
def test_a_self_supplying_loop_reaches_its_largest_fixed_point(write_graph, recwarn, share):
    """Cut CN: x = share * fab and fab = x, so x = share * x: for share < 1 the only fixed point,
    hence the largest, is 0 (iterating from 1 moves by 1 - share per pass: 1e-14 looked settled)."""
    graph = loop_graph(share, write_graph)
    reference = propagate(graph, Scenario(countries=frozenset({"CN"})))
    compiled = compile_graph(graph)
    engine = compiled.to_dict(evaluate(compiled, [["CN"]])[:, 0])
    for result in (reference, engine):
        assert max(result["x"], result["fab"], result["p"]) <= 1e-12, result  # 0 (to the tolerance)
    assert not [w for w in recwarn if "settle" in str(w.message)]
    tried("loop gain")


@pytest.mark.parametrize("gain", [1 - 1e-6, 1 - 1e-9, 0.99])
def test_a_loop_with_a_remainder_converging_geometrically(write_graph, gain):
    """x = gain * fab + (1 - gain - 1e-3) remainder after CN's 1e-3 is cut; fab = x; so
    x = r / (1 - gain) with r = 1 - gain - 1e-3 when that is positive, else 0."""
    graph = load_graph(write_graph(doc(
        [country("CN"), country("TW"), {"id": "fab", "kind": "facility", "label": "fab", "country": "TW"},
         item("x", "material"), item("p", "product")],
        [supplies("fab", "x", gain), supplies("CN", "x", 1e-3 * (1 - gain)), requires("x", "fab"),
         requires("x", "p")])))
    remainder = 1 - gain - 1e-3 * (1 - gain)
    expected = remainder / (1 - gain)
    reference = propagate(graph, Scenario(countries=frozenset({"CN"})))
    compiled = compile_graph(graph)
    engine = compiled.to_dict(evaluate(compiled, [["CN"]])[:, 0])
    for result in (reference, engine):
        assert result["p"] == pytest.approx(expected, rel=1e-6)
    tried("loop gain")


def test_a_loop_through_an_any_node(write_graph):
    """q (any) takes fab or alt; fab (TW) supplies 0.999999 of x and needs q; alt needs x too;
    cut CN (the rest of x): x = 0.999999 * q, q = max(fab, alt) = x: the largest fixed point is 0."""
    graph = load_graph(write_graph(doc(
        [country("CN"), country("TW"), {"id": "fab", "kind": "facility", "label": "fab", "country": "TW"},
         item("x", "material"), item("alt"), item("q", "component", needs="any"), item("p", "product")],
        [supplies("fab", "x", 0.999999), supplies("CN", "x", 0.000001), requires("q", "fab"),
         requires("x", "alt"), requires("x", "q"), requires("alt", "q"), requires("q", "p")])))
    reference = propagate(graph, Scenario(countries=frozenset({"CN"})))
    compiled = compile_graph(graph)
    engine = compiled.to_dict(evaluate(compiled, [["CN"]])[:, 0])
    for result in (reference, engine):
        assert result["p"] == pytest.approx(0.0, abs=1e-12)
    tried("loop gain")


def test_fixed_point_solver_on_small_systems():
    """x0 = min(1, x1), x1 = min(1, s x0 + c): largest fixed point min(1, c / (1 - s)) (s < 1)."""
    for s, c in [(1 - 1e-14, 0.0), (0.5, 0.25), (0.999, 0.0005), (0.2, 0.9), (1.0, 0.0)]:
        system = BlockSystem(upper=np.ones(2), sup_rows=np.array([1]), sup_const=np.array([c]),
                             term_row=np.array([1]), term_src=np.array([0]), term_coef=np.array([s]),
                             all_dst=np.array([0]), all_src=np.array([1]))
        expected = 1.0 if s >= 1 else min(1.0, c / (1 - s))
        assert largest_fixed_point(system, np.ones(2)) == pytest.approx([expected, expected], abs=1e-12)
    tried("loop gain", 5)


def test_cli_cutoff_of_the_near_one_loop(cli, write_graph):
    graph = loop_graph(1 - 1e-14, write_graph)
    data = json.loads(cli("cutoff", graph.origin, "--country", "CN", "--json").out)
    assert data["products"][0]["availability"] == 0.0
    tried("loop gain")


# =============================================================================================
# 2. Writes: exclusive temporary files, ownership, outputs that are not files, pairs, signals


def test_generate_ignores_a_planted_predictable_temporary_name(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "g.json"
    for pid in range(os.getpid() - 5, os.getpid() + 50):  # the old name: .g.json.<pid>.tmp
        (tmp_path / f".g.json.{pid}.tmp").symlink_to(victim)
    from chokepoint.api import generate
    generate(200, 800, seed=1, output=out)
    assert victim.read_text() == "precious\n"
    assert written_by_chokepoint(out) and load_graph(out)
    tried("writes")


@pytest.mark.parametrize("suffix, content", [
    (".svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><text>chokepoint 0.1.0 '
             b'chokepoint analysis</text><!-- chokepoint --></svg>'),
    (".pdf", b"%PDF-1.4\n1 0 obj << /Title (chokepoint 0.1.0 report) /Creator (LibreOffice) >> endobj\n"
             b"BT (chokepoint 0.1.0) Tj ET\n%%EOF\n"),
    (".png", b"\x89PNG\r\n\x1a\n" + b"chokepoint 0.1.0 " * 10),
])
def test_a_figure_that_mentions_chokepoint_is_not_ours(tmp_path, suffix, content):
    path = tmp_path / f"mine{suffix}"
    path.write_bytes(content)
    assert not written_by_chokepoint(path)
    with pytest.raises(InputError, match="pass --force"):
        check_output(path, force=False)
    tried("ownership")


def test_our_figures_are_ours(tmp_path):
    from chokepoint.plot import plot_target, save_figure

    for suffix in (".png", ".svg", ".pdf", ".PNG"):
        path = save_figure(plot_target("quantum")[0], tmp_path / f"t{suffix}")
        assert written_by_chokepoint(path)
        save_figure(plot_target("quantum")[0], path)  # replaced without --force, upper case too
    tried("ownership", 4)


def test_csv_lookalikes_and_edited_exports_are_not_ours(cli, tmp_path):
    folder = tmp_path / "tables"
    assert cli("export", "quantum", "-o", folder).code == 0
    nodes, edges = folder / "nodes.csv", folder / "edges.csv"
    assert (folder / MANIFEST).exists() and written_by_chokepoint(nodes) and written_by_chokepoint(edges)
    assert nodes.read_text().startswith("id,")  # the tables stay plain tables
    assert cli("export", "quantum", "-o", folder, "--with-cutoff", "CN").code == 0  # ours: replaced
    edited = nodes.read_text().replace("CN", "JP", 1)
    nodes.write_text(edited)  # the user edited it: theirs now
    one_line_error(cli("export", "quantum", "-o", folder), nodes, "pass --force")
    assert nodes.read_text() == edited
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "nodes.csv").write_text(nodes.read_text().splitlines()[0] + "\nmy,own,row\n")  # a look-alike header
    one_line_error(cli("export", "quantum", "-o", mine), "pass --force")
    assert (mine / "nodes.csv").read_text().endswith("my,own,row\n") and not (mine / "edges.csv").exists()
    tried("ownership", 3)


def test_a_yaml_with_the_marker_copied_in_is_not_ours(tmp_path):
    from chokepoint.formats.graphs import save_graph

    graph = load_graph(HERE.parents[0] / "valid.yaml")
    ours = save_graph(graph, tmp_path / "g.yaml")
    assert written_by_chokepoint(ours)
    text = ours.read_text()
    ours.write_text(text.replace("Holmium", "Holmium (edited)"))
    assert not written_by_chokepoint(ours)
    copy = tmp_path / "copy.yaml"
    copy.write_text(text.splitlines()[0] + "\nname: mine\n")
    assert not written_by_chokepoint(copy)
    for suffix in (".json", ".JSON", ".yml"):
        path = save_graph(graph, tmp_path / f"h{suffix}")
        assert written_by_chokepoint(path)
        save_graph(graph, path)
    tried("ownership", 5)


def _special(tmp_path: Path, kind: str, suffix: str) -> Path:
    path = tmp_path / f"{kind}{suffix}"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "stdout-link":
        path.symlink_to("/dev/stdout")
    elif kind == "dangling-link":
        path.symlink_to(tmp_path / "nowhere")
    elif kind == "folder":
        path.mkdir()
    elif kind == "device":
        path = Path("/dev/null")
    elif kind == "stdout":
        path = Path("/dev/stdout")
    return path


TABLE = str(Path(__file__).parent / "fixtures" / "import" / "table_quantities.csv")


class _Alarm:
    """Fail instead of hanging: SIGALRM after ``seconds`` raises in the test."""

    def __init__(self, seconds: int):
        self.seconds = seconds

    def __enter__(self):
        def hang(signum, frame):
            raise TimeoutError("the command hung")
        self.previous = signal.signal(signal.SIGALRM, hang)
        signal.alarm(self.seconds)

    def __exit__(self, *exc):
        signal.alarm(0)
        signal.signal(signal.SIGALRM, self.previous)


@pytest.mark.parametrize("kind", ["fifo", "stdout-link", "dangling-link", "folder", "device", "stdout"])
@pytest.mark.parametrize("command, suffix", [
    (["export", "quantum", "--no-analysis", "-o", "OUT"], ".graphml"),
    (["export", "tiny", "-o", "OUT"], ".json"),
    (["plot", "tiny", "-o", "OUT"], ".png"),
    (["import", "table", TABLE, "-o", "OUT"], ".yaml"),
    (["import", "table", TABLE, "-o", "GRAPH", "--skipped-report", "OUT"], ".csv"),
    (["generate", "--nodes", "50", "--edges", "200", "-o", "OUT"], ".json"),
])
def test_outputs_that_are_not_regular_files_are_refused_without_hanging(cli, tmp_path, kind, command, suffix):
    """A FIFO, a device, /dev/stdout or a link to it, a dangling link, a folder: one line, exit 1,
    at once (nothing is opened), with or without --force; the link and the device are left alone."""
    target = _special(tmp_path, kind, suffix)
    graph = tmp_path / "graph.yaml"
    tiny = tmp_path / "tiny.yaml"
    tiny.write_text((Path(__file__).parent / "fixtures" / "valid.yaml").read_text())
    args = [str(target) if a == "OUT" else str(graph) if a == "GRAPH" else str(tiny) if a == "tiny" else a
            for a in command]
    for force in ([], ["--force"]) if kind in ("fifo", "stdout-link", "device") else ([],):
        with _Alarm(60):
            result = cli(*args, *force)
        assert result.code == 1, (kind, args, result.out, result.err)
        assert result.err.count("\n") == 1 and result.err.startswith("error: "), result.err
        assert not graph.exists()
        tried("special outputs")
    if kind == "stdout-link":
        assert target.is_symlink() and os.readlink(target) == "/dev/stdout"
    assert Path("/dev/stdout").is_symlink() and stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_skipped_report_to_dev_stdout_in_a_real_process(tmp_path):
    """The case of the issue, in a real process whose stdout is a pipe: refused, not replaced, no hang."""
    for force in ([], ["--force"]):
        result = run_cli("import", "table", TABLE, "-o", tmp_path / "g.yaml", "--skipped-report", "/dev/stdout",
                         *force, timeout=60)
        assert result.returncode == 1 and "/dev/stdout: is a symbolic link" in result.stderr
        assert not (tmp_path / "g.yaml").exists() and Path("/dev/stdout").is_symlink()
        tried("special outputs")


def test_same_path_for_graph_and_report(cli, tmp_path):
    out = tmp_path / "g.yaml"
    table = HERE.parents[0] / "import" / "table_quantities.csv"
    for report in (out, tmp_path / "." / "g.yaml", tmp_path / "sub" / ".." / "g.yaml"):
        (tmp_path / "sub").mkdir(exist_ok=True)
        one_line_error(cli("import", "table", table, "-o", out, "--skipped-report", report, "--force"),
                       "given for two outputs")
        assert not out.exists()
        tried("two-step writes")


def test_a_report_that_cannot_be_written_leaves_no_graph(cli, tmp_path):
    out = tmp_path / "g.yaml"
    table = HERE.parents[0] / "import" / "table_quantities.csv"
    one_line_error(cli("import", "table", table, "-o", out, "--skipped-report", tmp_path / "no" / "r.csv"),
                   "does not exist")
    assert not out.exists()
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    try:
        if os.access(locked, os.W_OK):  # root ignores permissions
            pytest.skip("running as root: a read-only folder is writable")
        one_line_error(cli("import", "table", table, "-o", out, "--skipped-report", locked / "r.csv"), "cannot write")
        assert not out.exists()
    finally:
        os.chmod(locked, 0o700)
    tried("two-step writes", 2)


def test_pair_writes_roll_back_when_the_second_rename_fails(tmp_path, monkeypatch):
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    atomic_write_many([(first, "old a\n"), (second, "old b\n")])
    real = os.replace
    calls = {"n": 0}

    def failing(src, dst):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(InputError, match="No space left"):
        atomic_write_many([(first, "new a\n"), (second, "new b\n")])
    monkeypatch.setattr(os, "replace", real)
    assert first.read_text() == "old a\n" and second.read_text() == "old b\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.yaml", "b.yaml"]
    tried("two-step writes")


def test_csv_export_pair_on_a_full_disk_keeps_the_old_pair(tmp_path, monkeypatch):
    from chokepoint import export_graph

    folder = tmp_path / "t"
    export_graph("quantum", folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real = os.fsync
    calls = {"n": 0}

    def full(fd):
        calls["n"] += 1
        if calls["n"] == 2:  # the second file of the pair
            raise OSError(28, "No space left on device")
        return real(fd)

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(InputError, match="No space left"):
        export_graph("quantum", folder, with_cutoff=["CN"])
    monkeypatch.setattr(os, "fsync", real)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    tried("two-step writes")


def test_formula_cells_are_neutralised_in_exports_and_reports(cli, tmp_path):
    out, report = tmp_path / "f.yaml", tmp_path / "skipped.csv"
    result = cli("import", "table", HERE / "formula.csv", "-o", out, "--skipped-report", report)
    assert result.code == 0, result.err
    cells = [cell for line in report.read_text().splitlines()[1:] for cell in line.split(",")]
    assert not any(cell.startswith(("=", "+", "-", "@", "\t")) for cell in cells), cells
    assert "'=1+1" in report.read_text() and "'@SUM(1+1)" in report.read_text()
    tables = tmp_path / "tables"
    assert cli("export", out, "-o", tables).code == 0
    import csv as _csv

    for name in ("nodes.csv", "edges.csv"):
        for row in _csv.reader((tables / name).open()):
            for cell in row:
                assert not cell.startswith(("=", "+", "@", "\t", "\r")), (name, cell)
                assert not (cell.startswith("-") and not _is_number(cell)), (name, cell)
    assert spreadsheet_safe("=1+1") == "'=1+1" and spreadsheet_safe(-0.5) == -0.5 and spreadsheet_safe("a") == "a"
    tried("formula injection", 7)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_sigterm_removes_the_temporary_file(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(SRC))
    process = subprocess.Popen([sys.executable, "-m", "chokepoint", "generate", "--nodes", "300000", "--edges",
                                "1500000", "-o", str(tmp_path / "g.json")], env=env, stderr=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        time.sleep(0.05)
    assert any(p.name.endswith(".tmp") for p in tmp_path.iterdir()), "the write never started"
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM, err
    assert list(tmp_path.iterdir()) == []
    tried("signals")


# =============================================================================================
# 3. Text fields printed literally


MARKUP = ["quantum computer [est.]", "a [/] b", "[link=http://evil.example]click[/link]", "[bold red]loud[/]",
          "$x^2$ and $\\frac{a}{b}$", "100% [b]"]


def test_labels_with_rich_markup_print_literally(cli, tmp_path):
    nodes = [country("CN"), item("m", "material", label=MARKUP[0]), item("c", "component", label=MARKUP[1]),
             item("d", "component", label=MARKUP[2]), item("e", "component", label=MARKUP[3]),
             item("p", "product", label=MARKUP[4]), item("q", "product", label=MARKUP[5])]
    edges = [supplies("CN", "m", 0.9, note=MARKUP[2]), requires("m", "c"), requires("c", "d"), requires("d", "e"),
             requires("e", "p"), requires("m", "q")]
    data = doc(nodes, edges)
    data["title"] = "Title [/] [est.]"
    path = tmp_path / "markup.yaml"
    path.write_text(yaml.safe_dump(data))
    for command in (["show"], ["analyse"], ["target", "--all"], ["cutoff", "--country", "CN"], ["sweep"]):
        result = cli(command[0], path, *command[1:])
        assert result.code == 0, (command, result.err)
        assert "\x1b]8;" not in result.out  # no hidden terminal hyperlink
        tried("rich markup")
    shown = cli("show", path).out
    for label in MARKUP[:4]:
        assert label in shown.replace("\n", ""), label
    assert "Title [/] [est.]" in shown


def test_mathtext_escape_helper_draws_dollars_literally(tmp_path):
    import matplotlib
    from matplotlib.figure import Figure
    from chokepoint.formats.layout import escape_mathtext

    for label in ("$\\frac{broken$", "cost $5 and $6", "$x^$", "$$"):
        fig = Figure()
        fig.add_subplot().set_title(escape_mathtext(label))
        fig.savefig(io.BytesIO(), format="png")  # would raise ValueError with the raw label
        with matplotlib.rc_context({"text.parse_math": False}):
            fig = Figure()
            fig.add_subplot().set_title(label)
            fig.savefig(io.BytesIO(), format="png")
        tried("rich markup")


@pytest.mark.parametrize("kind", ["network", "target"])
def test_labels_with_mathtext_do_not_break_plots(tmp_path, write_graph, kind):
    from chokepoint.plot import plot_to_file

    path = write_graph(doc([country("CN"), item("m", "material", label="$\\frac{broken$", critical_mineral=True,
                                                stage="refining"),
                            item("p", "product", label="cost $5 and $6")],
                           [supplies("CN", "m", 0.9), requires("m", "p")]))
    tried("rich markup")
    assert plot_to_file(path, tmp_path / "n.png", kind=kind).stat().st_size > 0  # drawn with text.parse_math off


# =============================================================================================
# 4. Hangs and memory


@pytest.mark.parametrize("where", ["name", "id", "from", "label", "note", "key", "share"])
def test_alias_bombs_are_refused_fast_wherever_used(cli, tmp_path, where):
    """13 levels of 9 aliases (117 aliases, under the count bound) expand to 9^13 nodes: refused
    from the expanded size, at once, wherever the last anchor is used."""
    text = "a0: &a0 [x, x, x, x, x, x, x, x, x]\n"
    text += "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 13))
    text += {"name": "name: *a12\n", "id": "nodes:\n  - {id: *a12, kind: country}\n",
             "from": "nodes: []\nedges:\n  - {from: *a12, to: x, type: requires}\n",
             "label": "nodes:\n  - {id: x, kind: product, label: *a12}\n", "note": "description: *a12\n",
             "key": "nodes:\n  - {? *a12 : 1}\n", "share": "edges:\n  - {from: CN, to: x, share: *a12}\n"}[where]
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    start = time.monotonic()
    one_line_error(cli("validate", path), path, "aliases expand the document past")
    assert time.monotonic() - start < 10
    tried("alias bombs")


def test_recursive_alias_and_many_small_aliases(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("a: &a [1, *a]\n")
    with pytest.raises(InputError, match="recursive alias"):
        read_data(path)
    path.write_text("a: &a 1\nb: [" + ", ".join(["*a"] * 1001) + "]\n")
    with pytest.raises(InputError, match="more than 1000 aliases"):
        read_data(path)
    path.write_text("a: &a {x: 1}\nb: [" + ", ".join(["*a"] * 50) + "]\n")
    assert len(read_data(path)["b"]) == 50  # a few aliases are fine
    tried("alias bombs", 3)


def test_an_ampersand_in_a_comment_keeps_the_fast_parser(tmp_path):
    rows = "".join(f"  - {{id: n{i}, kind: component, label: 'R&D item {i}'}}\n" for i in range(40_000))
    text = "# R&D & more\nname: amp\ntitle: t\nnodes:\n" + rows
    start = time.monotonic()
    data = safe_yaml.load(text)
    assert len(data["nodes"]) == 40_000 and time.monotonic() - start < 15
    tried("alias bombs")


def test_importers_honour_the_limits(cli, tmp_path):
    table = HERE.parents[0] / "import" / "table_quantities.csv"
    one_line_error(cli("--max-bytes", "20", "import", "table", table, "-o", tmp_path / "a.yaml"),
                   "(raise it with --max-bytes)")
    one_line_error(cli("--max-nodes", "2", "import", "table", table, "-o", tmp_path / "a.yaml"),
                   "(raise it with --max-nodes)")
    world = REPO / "data" / "usgs-mcs-2025"
    one_line_error(cli("--max-bytes", "1000", "import", "usgs", world, "-o", tmp_path / "u.yaml"),
                   "(raise it with --max-bytes)")
    one_line_error(cli("--max-nodes", "10", "import", "usgs", world, "-o", tmp_path / "u.yaml"),
                   "(raise it with --max-nodes)")
    assert not list(tmp_path.iterdir())
    tried("limits", 4)


def _xlsx_bomb(path: Path, size: int) -> None:
    sheet = (b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
             b'spreadsheetml/2006/main"><sheetData>' + b" " * size + b"</sheetData></worksheet>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", sheet)


def test_xlsx_zip_bomb_is_refused_before_it_is_inflated(cli, tmp_path):
    bomb = tmp_path / "bomb.xlsx"
    _xlsx_bomb(bomb, 200 * 1024 * 1024)
    assert bomb.stat().st_size < 1024 * 1024
    start = time.monotonic()
    one_line_error(cli("import", "table", bomb, "-o", tmp_path / "b.yaml"), bomb, "zip bomb")
    assert time.monotonic() - start < 10
    one_line_error(cli("--max-bytes", "1000000", "import", "table", bomb, "-o", tmp_path / "b.yaml"), "expands to")
    tried("limits", 2)


@pytest.mark.parametrize("args, fragment", [
    (["sweep", "quantum", "--samples", "1000000000"], "less than or equal to 100000"),
    (["cutoff", "quantum", "-c", "CN", "--samples", "1000000000"], "less than or equal to 100000"),
    (["target", "quantum", "--samples", "99999999999"], "less than or equal to 100000"),
    (["generate", "--nodes", "1000000000", "--edges", "5000000000", "-o", "X.json"], "--max-nodes"),
    (["--max-nodes", "2000000000", "generate", "--nodes", "1000000000", "--edges", "10", "-o", "X.json"],
     "more than generate makes"),
    (["generate", "--nodes", "10", "--edges", "1" + "0" * 30, "-o", "X.json"], "more than generate makes"),
])
def test_unbounded_sizes_are_refused_with_a_clear_message(cli, tmp_path, args, fragment):
    args = [a.replace("X.json", str(tmp_path / "x.json")) for a in args]
    one_line_error(cli(*args), fragment)
    assert not list(tmp_path.iterdir())
    tried("limits")


def test_error_output_is_capped(cli, tmp_path):
    path = tmp_path / "many.json"
    path.write_text(json.dumps({"name": "many", "title": "t", "nodes": [{"id": "CN", "kind": "country"}] + [1] * 5000}))
    result = cli("validate", path)
    lines = result.err.splitlines()
    assert result.code == 1 and len(lines) == 101
    assert lines[-1] == "error: ... and 4,900 more problems"
    tried("limits")


def test_default_limits_fit_a_24_gb_machine():
    from chokepoint.formats.graphs import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES

    assert DEFAULT_MAX_BYTES * 25 < 8 * 2**30  # ~25 bytes of memory per byte of JSON, measured
    assert DEFAULT_MAX_NODES <= 2_000_000


# =============================================================================================
# 5. Messages


@pytest.mark.parametrize("args, fragment", [
    (["sweep", "quantum", "--top", "0"], "--top"),
    (["analyse", "quantum", "--threshold", "abc"], "--threshold"),
    (["target", "quantum", "--threshold", "abc"], "--threshold"),
    (["no-such-command"], "No such command 'no-such-command'"),
    (["cutoff", "quantum", "--bogus"], "--bogus"),
    (["--max-bytes", "x", "list"], "--max-bytes"),
    (["sweep", "quantum", "--seed", "1" * 5000], "--seed"),
    (["export", "quantum"], "--output"),
])
def test_usage_errors_are_one_line_exit_1(cli, args, fragment):
    one_line_error(cli(*args), fragment)
    tried("usage errors")


def test_tolerance_message_does_not_contradict_itself(cli, tmp_path, write_graph):
    path = write_graph(doc([country("CN"), country("JP"), item("m", "material"), item("p", "product")],
                           [supplies("CN", "m", 0.5250001), supplies("JP", "m", 0.525), requires("m", "p")]))
    line = one_line_error(cli("validate", path), "sum to 1.0500001", "at most 1.05 is accepted")
    assert "(tolerance 1.05)" not in line
    tried("messages")


def test_import_validation_errors_name_the_input_not_the_unwritten_output(cli, tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("item,country,value\nwidget,China,0.9\nwidget,Japan,0.9\n")
    out = tmp_path / "never.yaml"
    result = cli("import", "table", table, "--shares", "-o", out)
    assert result.code == 1 and "sum to 1.8" in result.err
    assert str(out) not in result.err and f"{table} (imported)" in result.err and not out.exists()
    tried("messages")


@pytest.mark.parametrize("field, value", [("id", "qc\n"), ("name", "tiny\n"), ("id", "qc\r\n")])
def test_ids_ending_in_a_newline_are_refused(cli, tmp_path, field, value):
    data = doc([country("CN"), item("qc", "product")], [supplies("CN", "qc", 0.5)])
    if field == "id":
        data["nodes"][1]["id"] = value
        data["edges"][0]["to"] = value
    else:
        data["name"] = value
    path = tmp_path / "nl.json"
    path.write_text(json.dumps(data))
    result = cli("validate", path)
    assert result.code == 1 and str(path) in result.err, result.err
    tried("messages")


def test_a_local_file_named_like_a_bundled_graph_is_named(tmp_path):
    (tmp_path / "quantum").write_text("name: mine\n")
    result = run_cli("validate", "quantum", cwd=tmp_path)
    assert result.returncode == 0
    assert "warning: 'quantum' is the bundled graph" in result.stderr and "./quantum" in result.stderr
    (tmp_path / "quantum").unlink()
    (tmp_path / "quantum.yaml").write_text("name: mine\n")
    assert "quantum.yaml in this folder is not read" in run_cli("validate", "quantum", cwd=tmp_path).stderr
    tried("messages", 2)


@pytest.mark.parametrize("suffix, content", [
    (".yaml", "name: a\ntitle: t\nnodes:\n  - {id: CN, kind: country, stockpile_months: " + "9" * 5000 + "}\n"),
    (".json", '{"name": "a", "title": "t", "nodes": [{"id": "x", "kind": "component", "label": "x", '
              '"stockpile_months": ' + "9" * 5000 + '}]}'),
    (".graphml", _graphml('<node id="x"><data key="n">' + "9" * 5000 + "</data></node>",
                          '<key id="n" for="node" attr.name="stockpile_months" attr.type="long"/>')),
    (".json", '{"name": "a", "title": "t", "nodes": [{"id": "x", "kind": "component", "label": "x"}], '
              '"edges": [{"from": "x", "to": "x", "type": "requires", "year": -' + "9" * 5000 + '}]}'),
])
def test_integers_longer_than_python_converts(cli, tmp_path, suffix, content):
    path = tmp_path / f"long{suffix}"
    path.write_text(content)
    one_line_error(cli("validate", path), path, "5,000 digits" if suffix != ".graphml" else "is not a long")
    tried("messages")


@pytest.mark.parametrize("env, args", [
    ({"PYTHONIOENCODING": "ascii"}, ["show", "usgs-mcs-2025"]),
    ({"PYTHONIOENCODING": "ascii"}, ["show", "usgs-mcs-2025", "--json"]),
    ({"PYTHONIOENCODING": "latin-1"}, ["cutoff", "usgs-mcs-2025", "-c", "CN", "--json"]),
    ({"COLUMNS": "abc"}, ["cutoff", "quantum", "-c", "CN"]),
    ({"COLUMNS": "-5"}, ["list"]),
    ({"MPLBACKEND": "bogus"}, ["validate", "quantum"]),
    ({"MPLBACKEND": "bogus"}, ["plot", "quantum", "-o", "OUT.png"]),
])
def test_the_environment_never_makes_an_internal_error(tmp_path, env, args):
    args = [a.replace("OUT", str(tmp_path / "p")) for a in args]
    result = run_cli(*args, env=env)
    assert result.returncode == 0, (env, args, result.stderr)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    if "--json" in args:
        json.loads(result.stdout)  # escapes, not broken characters
    tried("environment")


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")
@pytest.mark.parametrize("args", [["show", "quantum", "--json"], ["show", "quantum"]])
def test_a_full_stdout_is_one_line_exit_1(args):
    with open("/dev/full", "w") as full:
        process = subprocess.run([sys.executable, "-m", "chokepoint", *args], stdout=full, stderr=subprocess.PIPE,
                                 text=True, env=dict(os.environ, PYTHONPATH=str(SRC)), timeout=120)
    assert process.returncode == 1 and process.stderr == "error: cannot write the output (No space left on device)\n"
    tried("environment")


def test_upper_case_suffixes_work_every_time(cli, tmp_path):
    for name in ("q.GRAPHML", "q.JSON", "q.GEXF", "t.CSV"):
        for _ in range(2):
            result = cli("export", "quantum", "-o", tmp_path / name)
            assert result.code == 0, (name, result.err)
    assert not (tmp_path / "t.CSV").is_dir() and (tmp_path / "t.nodes.CSV").is_file()
    assert load_graph(tmp_path / "q.JSON").document == load_graph("quantum").document
    assert load_graph(tmp_path / "q.GRAPHML").document == load_graph("quantum").document
    for name in ("g.YAML", "g.JSON"):
        for _ in range(2):
            assert cli("generate", "--nodes", "40", "--edges", "150", "-o", tmp_path / name).code == 0
    tried("suffixes", 6)


def test_zz_count_of_hostile_inputs(capsys):
    """Not a check: prints how many hostile inputs this module tried, by class (run the module)."""
    with capsys.disabled():
        total = sum(HOSTILE.values())
        print(f"\nhostile inputs tried: {total} in {len(HOSTILE)} classes: "
              + ", ".join(f"{k} {v}" for k, v in sorted(HOSTILE.items())))
