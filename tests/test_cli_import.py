"""`chokepoint import usgs|table` as a user runs them: files written atomically, errors one line."""

from __future__ import annotations

import pytest

from chokepoint import load_graph

from conftest import FIXTURES, REPO

RELEASE = REPO / "data" / "usgs-mcs-2025"
IMPORT = FIXTURES / "import"


def test_import_usgs_writes_a_graph_that_runs_through_target(cli, tmp_path):
    out = tmp_path / "usgs.yaml"
    result = cli("import", "usgs", RELEASE, "-o", out, "--skipped-report", tmp_path / "skipped.csv")
    assert result.code == 0, result.err
    assert "944 supplies edges" in result.out and "305 rows skipped" in result.out
    assert "denominator: world" in result.out
    graph = load_graph(out)
    assert len(graph.items) == 84
    assert (tmp_path / "skipped.csv").read_text().count("\n") == 306  # header + 305 rows
    target = cli("target", out, "--json")
    assert target.code == 0


def test_bundled_usgs_graph_target(cli):
    import json

    rows = {r["id"]: r for r in json.loads(cli("target", "usgs-mcs-2025", "--json").out)}
    assert len(rows) == 32  # every critical mineral node in the release
    assert rows["gallium-primary-production"]["top_country"] == "CN"
    assert rows["gallium-primary-production"]["status"] == "fail"
    assert rows["cobalt-mine-production"]["top_country"] == "CD"


def test_import_usgs_sum_denominator(cli, tmp_path):
    out = tmp_path / "usgs.json"
    assert cli("import", "usgs", RELEASE, "-o", out, "--denominator", "sum").code == 0
    assert "denominator: sum" in (load_graph(out).document.description or "")


def test_import_refuses_to_overwrite_a_file_it_did_not_write(cli, tmp_path):
    out = tmp_path / "mine.yaml"
    out.write_text("precious: notes\n")
    result = cli("import", "usgs", RELEASE, "-o", out)
    assert result.code == 1
    assert result.err == f"error: {out}: exists and was not written by chokepoint; pass --force to overwrite it\n"
    assert out.read_text() == "precious: notes\n"
    assert cli("import", "usgs", RELEASE, "-o", out, "--force").code == 0
    # ours now: replaced again without --force
    assert cli("import", "usgs", RELEASE, "-o", out).code == 0


@pytest.mark.parametrize("content", ["", "not,a\nusgs,file\n", "\x00\x01\x02binary"])
def test_malformed_usgs_file_is_one_line_and_writes_nothing(cli, tmp_path, content):
    bad = tmp_path / "MCS2025_World_Data.csv"
    bad.write_bytes(content.encode())
    out = tmp_path / "out.yaml"
    result = cli("import", "usgs", bad, "-o", out)
    assert result.code == 1
    assert len(result.err.splitlines()) == 1 and str(bad) in result.err
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [bad]  # no temporary file left either


def test_import_table_quantities(cli, tmp_path):
    out = tmp_path / "table.yaml"
    result = cli("import", "table", IMPORT / "table_quantities.csv", "-o", out)
    assert result.code == 0, result.err
    assert load_graph(out).items


def test_import_table_missing_column(cli, tmp_path):
    out = tmp_path / "table.yaml"
    result = cli("import", "table", IMPORT / "table_quantities.csv", "-o", out, "--value", "tonnes")
    assert result.code == 1
    assert "tonnes" in result.err and len(result.err.splitlines()) == 1
    assert not out.exists()


def test_import_output_must_be_a_graph_file(cli, tmp_path):
    result = cli("import", "table", IMPORT / "table_quantities.csv", "-o", tmp_path / "x.txt")
    assert result.code == 1
    assert "a graph file ends in .yaml, .yml or .json" in result.err
