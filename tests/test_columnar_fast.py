"""The coded table path (each column coded once per distinct cell, the edge ends by node row)
accepts only what the row-by-row path accepts, with the same document and warnings.

Seeded mutations of the cells of a small CSV pair and of a Parquet pair: each pair is read twice,
by ``read_table_graph`` (the coded column checks, falling back to rows) and with the column
checks switched off (rows only, ``parse_document``). Whenever the column checks accept, the
row path accepts too with the same document and warnings; when the row path refuses, so does
the column path (the same error, since the column path only ever accepts).
"""

from __future__ import annotations

import random

import pandas as pd
import pytest

from chokepoint.errors import InputError, ValidationError
from chokepoint.formats import tables
from chokepoint.formats.tables import read_table_graph

NODES = pd.DataFrame({
    "id": ["CN", "JP", "plant", "ore", "part", "kit"],
    "kind": ["country", "country", "facility", "material", "component", "product"],
    "label": ["", "Japan", "Plant", "Ore", "Part", "Kit"],
    "stage": ["", "", "", "mining", "", ""],
    "country": ["", "", "JP", "", "", ""],
    "needs": ["", "", "", "", "any", ""],
    "critical_mineral": ["", "", "", "true", "", ""],
    "stockpile_months": ["", "", "2", "", "", "1.5"],
})
EDGES = pd.DataFrame({
    "from": ["CN", "JP", "plant", "ore", "part"],
    "to": ["ore", "ore", "part", "part", "kit"],
    "type": ["supplies", "supplies", "supplies", "requires", "requires"],
    "share": ["0.6", "", "major", "", ""],
    "share_low": ["", "0.1", "", "", ""],
    "share_high": ["", "0.3", "", "", ""],
    "basis": ["global production", "", "", "", ""],
    "year": ["2024", "", "", "", ""],
    "source": ["S", "", "", "", ""],
    "estimated": ["", "true", "true", "", ""],
    "note": ["", "guess", "", "", "n"],
})
CELLS = ["", " ", "CN", "JP", "XX", "ore", "part", "kit", "plant", "S", "0", "1", "0.5", "1.2", "-0.1", " 0.5 ",
         "nan", "inf", "1e400", "2024", "1799", "20x4", "true", "false", "True", "0", "maybe", "all", "any",
         "supplies", "requires", "country", "facility", "material", "component", "product", "major", " Major ",
         "sole", "a\x01b", "x" * 201, "id with space", "'=1", "'+x", "global production", "US imports", "٣"]


def _mutate(rng: random.Random):
    nodes, edges = NODES.copy(), EDGES.copy()
    for _ in range(rng.randint(1, 3)):
        frame = nodes if rng.random() < 0.4 else edges
        what = rng.random()
        if what < 0.85:
            frame.iat[rng.randrange(len(frame)), rng.randrange(len(frame.columns))] = rng.choice(CELLS)
        elif what < 0.93:
            row = frame.iloc[[rng.randrange(len(frame))]]
            frame = pd.concat([frame, row], ignore_index=True)
        else:
            frame = frame.drop(index=rng.randrange(len(frame))).reset_index(drop=True)
        if frame.columns[0] == "id":
            nodes = frame
        else:
            edges = frame
    return nodes, edges


def _read(path, rows_only: bool, monkeypatch):
    if rows_only:
        monkeypatch.setattr(tables, "_fast", lambda *a, **k: None)
    try:
        return read_table_graph(path, max_bytes=10 ** 9, max_nodes=None)
    except (InputError, ValidationError) as exc:
        return str(exc)
    finally:
        monkeypatch.undo()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_the_coded_table_path_accepts_only_what_rows_accept(suffix, tmp_path, monkeypatch):
    rng = random.Random(20261128 + len(suffix))
    fast = refused = 0  # accepted by the column checks; refused by both
    for case in range(250):
        nodes, edges = _mutate(rng)
        path = tmp_path / f"g{case}{suffix}"
        if suffix == ".csv":
            nodes.to_csv(tmp_path / f"g{case}.nodes.csv", index=False)
            edges.to_csv(tmp_path / f"g{case}.edges.csv", index=False)
        else:  # typed columns, as an analyst's tool writes them (numbers where every cell is one)
            for frame, part in ((nodes, "nodes"), (edges, "edges")):
                typed = frame.copy()
                for column in typed.columns:
                    converted = pd.to_numeric(typed[column].replace("", None), errors="coerce")
                    if converted.notna().sum() == (typed[column] != "").sum():
                        typed[column] = converted
                    else:
                        typed[column] = typed[column].astype(object)
                typed.to_parquet(tmp_path / f"g{case}.{part}.parquet")
        got = _read(path, False, monkeypatch)
        expected = _read(path, True, monkeypatch)
        if isinstance(expected, str):
            assert got == expected, (case, nodes, edges)
            refused += 1
            continue
        assert not isinstance(got, str), (case, got)
        fast += "document" not in got.__dict__  # the column checks accepted it
        assert got.document == expected.document, case
        assert got.warnings == expected.warnings, case
    assert refused > 100 and fast > 25, (refused, fast)


def test_edge_ends_looked_up_in_arrow_agree_with_the_dict(monkeypatch):
    """Past ``ARROW_ENDS`` edges a document's ends are found by pyarrow: the same rows as the dict
    look-up, and an end that is no id (unknown, not a string, null) refuses the columns."""
    import copy

    from chokepoint.generate import generate
    from chokepoint.model import columnar, parse_document

    pytest.importorskip("pyarrow")
    data = generate(nodes=3_000, edges=15_000, seed=4).to_document()
    assert len(data["edges"]) >= columnar.ARROW_ENDS
    fast, warnings = columnar.columns_from_data(data, "g.json")
    monkeypatch.setattr(columnar, "pc", None)
    slow, slow_warnings = columnar.columns_from_data(data, "g.json")
    monkeypatch.undo()
    assert [e.tolist() for e in fast.ends] == [e.tolist() for e in slow.ends]
    assert fast.to_document() == slow.to_document() and warnings == slow_warnings
    for bad in ("nowhere", 7, None, ["CN"]):
        broken = copy.deepcopy(data)
        broken["edges"][-1]["to"] = bad
        assert columnar.columns_from_data(broken, "g.json") is None
        with pytest.raises(ValidationError):
            parse_document(broken, "g.json")


def test_a_csv_pair_reads_the_same_without_pyarrow(tmp_path, monkeypatch, cli):
    """Without pyarrow, pandas' CSV reader and pandas' factorize code the columns: the same graph."""
    from chokepoint.model import columnar

    path = tmp_path / "g.csv"
    assert cli("generate", "--nodes", "600", "--edges", "3000", "--seed", "8", "-o", path).code == 0
    with_arrow = read_table_graph(path, max_bytes=10 ** 9, max_nodes=None)
    monkeypatch.setattr(tables, "HAVE_PYARROW", False)
    monkeypatch.setattr(columnar, "pc", None)
    without = read_table_graph(path, max_bytes=10 ** 9, max_nodes=None)
    assert "document" not in without.__dict__ and "document" not in with_arrow.__dict__
    assert without.document == with_arrow.document and without.warnings == with_arrow.warnings
