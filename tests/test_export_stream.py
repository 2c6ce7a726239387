"""The export written from columns in one streaming pass gives the same bytes as before.

The oracle is the writer as it was before the columnar rewrite (a networkx DiGraph walked by
text-building writers, the per-node layout loop, the analysis columns as dicts), kept verbatim in
``legacy_export.py``: GraphML, GEXF, CSV and node-link JSON of the bundled graphs and of generated
graphs with cycles, with and without a cutoff and the analysis columns, must match it byte for byte
(the ownership stamp included), also when the blocks the writers stream are a few rows long.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import sys

import networkx as nx
import numpy as np
import pandas as pd
import pytest

import chokepoint
import legacy_export as legacy
from chokepoint.analysis.columns import node_columns
from chokepoint.api import export_graph
from chokepoint.errors import InputError
from chokepoint.formats import export as export_module
from chokepoint.formats.exchange import (csv_texts, export_table, gexf_text, graphml_text, to_export_digraph,
                                         write_export)
from chokepoint.formats.export import python_round
from chokepoint.formats.files import (MANIFEST, OWNER_MARK, STAMP_WINDOW, atomic_writers, is_stamped, stamp,
                                      written_by_chokepoint)
from chokepoint.formats.layout import graph_layout, layered_layout, neumaier_sums
from chokepoint.generate import generate
from chokepoint.model.graph import Graph
from chokepoint.model.validate import parse_document

from conftest import country, doc, item, requires, supplies

FORMATS = {"graphml": ".graphml", "gexf": ".gexf", "json": ".json", "csv": ""}


@pytest.fixture(scope="module")
def cyclic(tmp_path_factory):
    """A generated graph with requires-cycles (some through facilities), read back from its JSON."""
    path = tmp_path_factory.mktemp("generated") / "cyclic.json"
    generate(300, 1500, 7, cycles=6).write(path)
    graph = chokepoint.load_graph(path)
    assert any("cycle among" in w for w in graph.warnings)
    return graph


def expected(g, fmt: str, *, cut=(), analysis: bool = True) -> list[bytes]:
    """What the writer wrote before: stamped as the atomic writer stamps (CSV tables are not)."""
    columns, scenario = legacy.legacy_node_columns(g, with_cutoff=cut, analysis=analysis)
    texts = legacy.legacy_texts(g, columns, scenario, fmt)
    return [t.encode("utf-8") if fmt == "csv" else stamp(t.encode("utf-8")) for t in texts]


def written(g, fmt: str, folder, *, cut=(), analysis: bool = True) -> list[bytes]:
    paths = export_graph(g, folder / f"out{FORMATS[fmt]}", format=fmt, with_cutoff=cut, analysis=analysis)
    return [p.read_bytes() for p in paths]


def assert_same(new: list[bytes], old: list[bytes]) -> None:
    assert len(new) == len(old)
    for a, b in zip(new, old):
        if a != b:  # show the first line that differs, not two megabytes
            for i, (x, y) in enumerate(zip(a.splitlines(), b.splitlines())):
                assert x == y, f"line {i + 1}"
        assert a == b


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cut", [(), ("CN",)], ids=["plain", "CN"])
@pytest.mark.parametrize("name", ["quantum", "minerals", "usgs-mcs-2025"])
def test_bundled_graphs_export_the_same_bytes(tmp_path, name, cut, fmt):
    g = chokepoint.load_graph(name)
    assert_same(written(g, fmt, tmp_path, cut=cut), expected(g, fmt, cut=cut))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("cut", [(), ("CN",)], ids=["plain", "CN"])
def test_a_generated_graph_with_cycles_exports_the_same_bytes(tmp_path, cyclic, cut, fmt):
    assert_same(written(cyclic, fmt, tmp_path, cut=cut), expected(cyclic, fmt, cut=cut))


@pytest.mark.parametrize("fmt", FORMATS)
def test_without_the_analysis_columns_the_same_bytes(tmp_path, cyclic, fmt):
    for g in (cyclic, chokepoint.load_graph("ai")):
        assert_same(written(g, fmt, tmp_path, analysis=False), expected(g, fmt, analysis=False))


def odd_graph() -> Graph:
    """Values that take the writers' slow paths: no label and an empty one, text XML must change
    (``null``, markup, CR/LF/tab), formula-like ids and notes, non-ASCII text, a
    share of -0.0, a tiny stockpile (``1e-05``), a level word, a range and a year."""
    data = doc(
        [country("CN"), {"id": "JP", "kind": "country", "label": ""},
         {"id": "-fab", "kind": "facility", "label": "=Fab <1> & \"co\"", "country": "JP"},
         item("ore", "material", stage="mining", critical_mineral=True, note="null"),
         item("part", "component", stockpile_months=0.00001, note="tab\there\r\nline & <b>"),
         {"id": "device", "kind": "product", "label": "Gerät 设备", "needs": "any", "note": "+1 @x"},
         {"id": "plain", "kind": "component", "label": "null", "stage": "", "note": "ünïcode \u00a0 space"}],
        [supplies("CN", "ore", -0.0, basis="global production", year=2024),
         supplies("JP", "ore", [0.2, 0.4], estimated=True, note="a range"),
         supplies("-fab", "part", "dominant", estimated=True),
         supplies("CN", "part", 0.1, fact="F01"),
         supplies("CN", "plain", 1),
         requires("ore", "part"), requires("part", "device"), requires("plain", "device")])
    document, _ = parse_document(data, "odd.yaml")
    return Graph(document)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("block", [1, 2, 3, export_module.BLOCK])
def test_odd_values_and_tiny_blocks_give_the_same_bytes(tmp_path, monkeypatch, fmt, block):
    """Blocks of one, two and three rows: the rows between blocks are joined as in one piece."""
    monkeypatch.setattr(export_module, "BLOCK", block)
    g = odd_graph()
    assert_same(written(g, fmt, tmp_path, cut=("CN",)), expected(g, fmt, cut=("CN",)))
    assert_same(written(g, fmt, tmp_path, analysis=False), expected(g, fmt, analysis=False))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_generated_graph_in_small_blocks(tmp_path, monkeypatch, cyclic, fmt):
    monkeypatch.setattr(export_module, "BLOCK", 97)
    assert_same(written(cyclic, fmt, tmp_path, cut=("CN",)), expected(cyclic, fmt, cut=("CN",)))


def raw_digraph() -> nx.DiGraph:
    """A DiGraph no graph file gives: unsafe ids, numpy values, lists, mixed types, visual names."""
    raw = nx.DiGraph(name="raw", _private="kept in memory")
    raw.add_node("a b/é", label="A", count=np.int64(3), ratio=np.float64("nan"), tags=["x", "y"],
                 mixed=1, note="bell\x07 here", empty=None, flag=np.bool_(True), x=1, color="#00ff00")
    raw.add_node("plain", label="null", note="lone \ud800 surrogate", count=5, ratio=0.5, mixed="two", big=2**40,
                 score=float("inf"), x=2.5)
    raw.add_node(7, first=None, later="=1+1", size=3)
    raw.add_edge("a b/é", "plain", weight=0.0, share=np.float32(0.25), tag="null", flag=True)
    raw.add_edge("plain", "a b/é", weight=-1.0, tag=["p", "q"])
    raw.add_node("w", label="W", first="seen late")
    raw.add_edge("w", "plain", weight=np.float64(2.5), mixed_num=1)
    raw.add_edge(7, "w", mixed_num=2.5, huge=2**70)
    return raw


def test_any_digraph_is_written_as_before(monkeypatch):
    """graphml_text, gexf_text and csv_texts of a raw DiGraph, in whole and in tiny blocks."""
    for block in (export_module.BLOCK, 1, 2):
        monkeypatch.setattr(export_module, "BLOCK", block)
        raw = raw_digraph()
        assert graphml_text(raw) == legacy.graphml_text(raw)
        assert gexf_text(raw) == legacy.gexf_text(raw)
        assert csv_texts(raw) == legacy.csv_texts(raw)
    empty = nx.DiGraph()
    assert graphml_text(empty) == legacy.graphml_text(empty)
    assert gexf_text(empty) == legacy.gexf_text(empty)
    assert csv_texts(empty) == legacy.csv_texts(empty)


def test_a_digraph_and_its_table_write_the_same_files(tmp_path):
    """write_export takes the table or the DiGraph to_export_digraph makes of it: same bytes."""
    g = chokepoint.load_graph("quantum")
    columns, scenario = node_columns(g, with_cutoff=["CN"])
    table = export_table(g, columns, scenario)
    digraph = to_export_digraph(g, columns, scenario)
    for fmt, suffix in FORMATS.items():
        a = write_export(table, tmp_path / f"a{suffix}", fmt)
        b = write_export(digraph, tmp_path / f"b{suffix}", fmt)
        assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]


def test_the_analysis_columns_are_the_values_of_before():
    """The frame holds the values the per-node dicts held, and each node's in the same order."""
    def given(value) -> bool:
        return value is not None and value is not pd.NA and value == value and value != ""

    for name in ("quantum", "usgs-mcs-2025"):
        g = chokepoint.load_graph(name)
        frame, scenario = node_columns(g, with_cutoff=["CN"])
        old, old_scenario = legacy.legacy_node_columns(g, with_cutoff=["CN"])
        assert scenario == old_scenario
        for node in g.columns.nodes["id"]:
            row = {k: v for k, v in frame.loc[node].items() if given(v)}
            want = {k: v for k, v in old.get(node, {}).items() if given(v)}
            assert row == want, node
            assert list(row) == list(want), node


# --- the layout ---------------------------------------------------------------------------------

def test_the_layout_is_the_one_of_before(cyclic):
    for g in [chokepoint.load_graph(n) for n in chokepoint.bundled_names()] + [cyclic, odd_graph()]:
        new, old = layered_layout(g), legacy.legacy_layout(g)
        assert new == old
        assert list(new) == list(old)  # the same order too
    layout = graph_layout(cyclic)
    assert layout.height == max(np.bincount(layout.column))


def python312_sum(values: list[float]) -> float:
    """Python 3.12's sum() of floats, written out (checked against the interpreter where it runs)."""
    total, comp = values[0], 0.0
    for x in values[1:]:
        t = total + x
        comp += (total - t) + x if abs(total) >= abs(x) else (x - t) + total
        total = t
    return total + comp if comp and math.isfinite(comp) else total


def test_neumaier_sums_are_python_312s_sum():
    """The layout's means must be Python's own sums to the last bit: before 3.12 sum() adds left
    to right (np.bincount does), since 3.12 it compensates (neumaier_sums does)."""
    rng = random.Random(3)
    for _ in range(50):
        groups = np.array([rng.randrange(20) for _ in range(rng.randint(1, 300))], dtype=np.int64)
        values = np.array([rng.choice([rng.random(), rng.randint(0, 9) / rng.randint(1, 9), 1e16, -1e16, 0.1])
                           for _ in groups])
        got = neumaier_sums(values, groups, 20)
        for group in range(20):
            members = values[groups == group].tolist()
            want = python312_sum(members) if members else 0.0
            assert got[group] == want or (math.isnan(want) and math.isnan(got[group]))
            if members and sys.version_info >= (3, 12):
                assert sum(members) == want


# --- numbers --------------------------------------------------------------------------------------

def test_python_round_is_pythons_round():
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.random(20000), rng.random(20000) * 1e4, rng.normal(0, 1e6, 20000),
                             (rng.integers(0, 10**7, 20000) + 0.5) / 1e6,
                             np.array([0.0, -0.0, -1e-9, 2.675, 1.0005, 0.0005, 1e300, -1e300, np.nan, np.inf])])
    for digits in (3, 6):
        got = python_round(values, digits)
        want = np.array([round(v, digits) + 0.0 for v in values.tolist()])
        assert np.array_equal(got, want, equal_nan=True)
        assert not np.signbit(got[got == 0]).any()


# --- streaming writes -----------------------------------------------------------------------------

def test_a_streamed_file_carries_the_stamp_of_a_whole_one(tmp_path):
    head = f"<!-- {OWNER_MARK} -->\n"
    body = ["x" * 5000, "é\n" * 3, "end\n"]
    with atomic_writers([tmp_path / "a.graphml"]) as (out,):
        out.write(head)
        for part in body:
            out.write(part)
    data = (tmp_path / "a.graphml").read_bytes()
    assert data == stamp((head + "".join(body)).encode("utf-8"))
    assert is_stamped(data) and written_by_chokepoint(tmp_path / "a.graphml")


def test_a_mark_past_the_window_is_left_as_written(tmp_path):
    text = "y" * STAMP_WINDOW + OWNER_MARK + "\n"
    with atomic_writers([tmp_path / "late.json"]) as (out,):
        out.write(text[:10])
        out.write(text[10:])
    assert (tmp_path / "late.json").read_text() == text


def test_streamed_tables_are_listed_not_stamped(tmp_path):
    """CSV text that looks like the mark stays as written; the folder's manifest has the hashes."""
    cells = f"id,note\nx,{OWNER_MARK}\n"
    with atomic_writers([tmp_path / "nodes.csv", tmp_path / "edges.csv"]) as (nodes, edges):
        nodes.write(cells)
        edges.write("from,to\n")
    assert (tmp_path / "nodes.csv").read_text() == cells
    listed = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert listed["nodes.csv"] == hashlib.sha256(cells.encode()).hexdigest()
    assert written_by_chokepoint(tmp_path / "nodes.csv") and written_by_chokepoint(tmp_path / "edges.csv")


def test_a_stream_that_fails_half_way_leaves_nothing(tmp_path):
    old = tmp_path / "old.graphml"
    export_graph("quantum", old)
    before = old.read_bytes()
    with pytest.raises(RuntimeError):
        with atomic_writers([old, tmp_path / "new.graphml"]) as (a, b):
            a.write("partial")
            b.write("partial")
            raise RuntimeError("interrupted")
    assert old.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.graphml"]


def test_a_foreign_target_is_refused_before_anything_is_streamed(tmp_path):
    mine = tmp_path / "mine.gexf"
    mine.write_text("my own\n")
    with pytest.raises(InputError, match="pass --force"):
        with atomic_writers([mine]) as (out,):
            out.write("never")
    assert mine.read_text() == "my own\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.gexf"]


def test_csv_lines_are_what_the_csv_module_writes():
    """Quotes, commas, CR, LF, tabs, empty cells and one-column tables, against csv.writer itself."""
    import csv
    import io

    from chokepoint.formats.export import _csv_lines

    rng = random.Random(11)
    alphabet = ['a', 'b', ',', '"', '\r', '\n', '\t', ' ', "'", 'é', '\x0b', '\u2028']
    for _ in range(300):
        width, height = rng.randint(1, 4), rng.randint(1, 5)
        cells = [["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 4))) for _ in range(height)]
                 for _ in range(width)]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(zip(*cells))
        assert _csv_lines(cells) == buffer.getvalue(), cells


def test_a_write_that_fails_in_the_writing_thread_leaves_nothing(tmp_path, monkeypatch):
    """Past one block the file is written from a second thread; a disk that fills up there is the
    same one-line error as in the main thread, and nothing is left, the old file kept."""
    from chokepoint.formats import files

    monkeypatch.setattr(export_module, "BLOCK", 3)
    old = tmp_path / "q.graphml"
    export_graph("quantum", old, analysis=False)
    before = old.read_bytes()
    calls = {"n": 0}
    real = files._StreamFile.write

    def fail_on_the_fifth(self, text):
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        real(self, text)

    monkeypatch.setattr(files._StreamFile, "write", fail_on_the_fifth)
    with pytest.raises(InputError, match="No space left"):
        export_graph("quantum", old, with_cutoff=["CN"])
    assert calls["n"] >= 5 and old.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["q.graphml"]


def test_writes_behind_keep_their_order_and_raise_on_close():
    """The writing thread writes every text in order before close returns, and an error there is
    raised in the caller (not lost with the thread)."""
    got = []

    class Sink:
        def write(self, text):
            if text == "bad":
                raise OSError(5, "I/O error")
            got.append(text)

    behind = export_module._Behind(Sink())
    for i in range(100):
        behind.write(str(i))
    behind.close()
    assert got == [str(i) for i in range(100)]
    behind = export_module._Behind(Sink())
    behind.write("bad")
    with pytest.raises(OSError, match="I/O error"):
        for i in range(100):
            behind.write(str(i))
        behind.close()
    behind.close(check=False)
    assert not behind.thread.is_alive()
