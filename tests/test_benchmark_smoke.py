"""The file-to-answer benchmark, small: its paths run, and chokepoint's `cutoff --json` gives the
naive script's answer (benchmarks/naive_cutoff.py: json.load, networkx, one topological pass)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_file_to_answer_matches_the_naive_script(tmp_path):
    bench = _load("file_to_answer")
    commands = ["cutoff", "cutoff-csv", "cutoff-parquet"]
    rows = bench.run([1000], commands, seed=3, repeats=1, workdir=tmp_path, log=lambda s: None)
    (row,) = rows
    assert set(row["max_diff"]) == set(commands) and max(row["max_diff"].values()) <= 1e-9
    # the JSON, CSV and Parquet paths give the same answer, to the bit
    answers = [json.loads((tmp_path / f"{c}-1000.json").read_text()) for c in commands]
    for other in answers[1:]:
        assert other["products"] == answers[0]["products"] and other["nodes"] == answers[0]["nodes"]
    naive = json.loads((tmp_path / "naive-1000.json").read_text())
    ours = json.loads((tmp_path / "cutoff-1000.json").read_text())
    assert len(naive) == len(ours["products"]) > 0
    # a CN cutoff of a generated graph costs some products something: the check is not vacuous
    assert any(v < 1.0 - 1e-9 for v in naive.values())
    for product in ours["products"]:
        assert product["availability"] == pytest.approx(naive[product["id"]], abs=1e-9)
    assert row["best"]["cutoff"]["seconds"] > 0 and row["best"]["naive"]["seconds"] > 0
    assert "| 1,000 | 0 | cutoff-parquet |" in bench.table(rows, commands)


def test_naive_script_reads_level_words_and_ranges(tmp_path):
    """2 countries; item x: CN 'dominant' (0.70-0.95, midpoint 0.825), US [0.1, 0.2] (0.15);
    product p requires x. Cut CN: x keeps 0.15 + remainder (1 - 0.975 = 0.025) = 0.175."""
    naive = _load("naive_cutoff")
    graph = {"name": "t", "title": "t", "nodes": [{"id": "CN", "kind": "country"}, {"id": "US", "kind": "country"},
                                                  {"id": "x", "kind": "material"}, {"id": "p", "kind": "product"}],
             "edges": [{"from": "CN", "to": "x", "type": "supplies", "share": "dominant"},
                       {"from": "US", "to": "x", "type": "supplies", "share": [0.1, 0.2]},
                       {"from": "x", "to": "p", "type": "requires"}]}
    path = tmp_path / "g.json"
    path.write_text(json.dumps(graph))
    assert naive.naive_cutoff(path, "CN") == {"p": pytest.approx(0.175)}


def test_file_to_answer_without_the_naive_script(tmp_path):
    """At 10M edges the naive script (JSON + networkx) is skipped: only the Parquet pair is
    generated, and the table says there is no ratio rather than inventing one."""
    bench = _load("file_to_answer")
    rows = bench.run([1000], ["validate-parquet"], seed=3, repeats=1, workdir=tmp_path, log=lambda s: None,
                     naive=False)
    (row,) = rows
    assert set(row["best"]) == {"validate-parquet"} and row["max_diff"] == {}
    assert not (tmp_path / "g1000.json").exists() and (tmp_path / "g1000.edges.parquet").exists()
    assert "| 1,000 | - | validate-parquet |" in bench.table(rows, ["validate-parquet"])
    assert "(no naive run)" in bench.table(rows, ["validate-parquet"])
