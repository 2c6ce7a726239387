"""Output at scale: `sweep`, `cutoff` and `analyse` with -o (Parquet or CSV), tables cut to their top
rows with a count, and --json through orjson, streamed.

The files are read back with pandas and compared with the --json output of the same command: the
same rows, the same columns, the same numbers (a float reads back as the same float).
"""

from __future__ import annotations

import importlib
import io
import json
import math
import sys

import numpy as np
import pandas as pd
import pytest

from chokepoint import api
from chokepoint.errors import InputError
from chokepoint.formats.files import MANIFEST
from chokepoint.formats.results import table_bytes, write_table

from conftest import FIXTURES, country, item

pytest.importorskip("pyarrow")
app = importlib.import_module("chokepoint.cli.app")  # the module (chokepoint.cli.app is also the typer app)

SUFFIXES = [".parquet", ".csv"]


def read(path) -> pd.DataFrame:
    if str(path).endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, keep_default_na=False, na_values=[""])


def plain(value):
    """A cell read back from a file, as JSON would hold it: NaN and empty -> None, numpy -> Python."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def rows_of(frame: pd.DataFrame, columns) -> list[dict]:
    return [{c: plain(v) for c, v in zip(columns, values)} for values in zip(*(frame[c].tolist() for c in columns))]


def csv_view(rows: list[dict]) -> list[dict]:
    """What CSV can hold of JSON rows: an empty text and a missing value are both an empty cell."""
    return [{k: (None if v == "" else v) for k, v in row.items()} for row in rows]


def ok(result):
    assert result.code == 0, (result.code, result.out, result.err)
    return result


def one_line_error(result, *fragments) -> str:
    assert result.code == 1, (result.code, result.out, result.err)
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    for fragment in fragments:
        assert str(fragment) in lines[0], (fragment, lines[0])
    return lines[0]


# --- the files hold what --json says ------------------------------------------------------------------

@pytest.mark.parametrize("suffix", SUFFIXES)
def test_sweep_file_holds_the_json_rows(cli, tmp_path, suffix):
    path = tmp_path / f"sweep{suffix}"
    ok(cli("sweep", "usgs-mcs-2025", "-o", path, "--top", "3"))
    expected = json.loads(ok(cli("sweep", "usgs-mcs-2025", "--json")).out)
    frame = read(path)
    assert list(frame.columns) == list(expected[0])
    assert len(frame) == len(expected) > 1000
    assert rows_of(frame, list(expected[0])) == expected


def test_sweep_with_draws_writes_the_percentiles(cli, tmp_path):
    path = tmp_path / "draws.parquet"
    ok(cli("sweep", "quantum", "--samples", "20", "--seed", "3", "-o", path))
    expected = json.loads(ok(cli("sweep", "quantum", "--samples", "20", "--seed", "3", "--json")).out)
    frame = read(path)
    assert {"p5", "p50", "p95"} <= set(frame.columns)
    assert rows_of(frame, list(expected[0])) == expected


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_cutoff_file_holds_every_node_and_the_products(cli, tmp_path, suffix):
    path = tmp_path / f"cut{suffix}"
    out = ok(cli("cutoff", "quantum", "-c", "CN", "-o", path)).out
    assert f"wrote {path} (29 rows)" in out
    expected = json.loads(ok(cli("cutoff", "quantum", "-c", "CN", "--json")).out)
    frame = read(path)
    assert list(frame.columns) == ["id", "label", "kind", "availability", "availability_low", "availability_high",
                                   "months_to_shortage", "loss", "loss_low", "loss_high", "path", "evidence",
                                   "assumptions"]
    node_columns = list(expected["nodes"][0])
    assert rows_of(frame, node_columns) == expected["nodes"]
    products = frame.set_index("id").loc[[p["id"] for p in expected["products"]]]
    for want, (ident, row) in zip(expected["products"], products.iterrows()):
        assert ident == want["id"] and row["label"] == want["label"]
        for column in ("loss", "loss_low", "loss_high", "availability"):
            assert plain(row[column]) == want[column]
        assert row["path"] == " -> ".join(want["path"])
        assert row["evidence"] == want["evidence"]
        assert json.loads(row["assumptions"]) == want["assumptions"]
    others = frame[~frame["id"].isin([p["id"] for p in expected["products"]])]
    assert len(others) == len(frame) - len(expected["products"]) > 0
    assert others["loss"].isna().all() and others["path"].isna().all()  # product columns only on products


def test_cutoff_with_draws_writes_the_intervals(cli, tmp_path):
    path = tmp_path / "cut.parquet"
    ok(cli("cutoff", "quantum", "-c", "CN", "--samples", "30", "-o", path))
    expected = json.loads(ok(cli("cutoff", "quantum", "-c", "CN", "--samples", "30", "--json")).out)
    frame = read(path).set_index("id")
    for product in expected["products"]:
        assert [frame.loc[product["id"], q] for q in ("p5", "p50", "p95")] == \
            [product["p5"], product["p50"], product["p95"]]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_analyse_file_holds_every_scored_node(cli, tmp_path, suffix):
    path = tmp_path / f"choke{suffix}"
    result = ok(cli("analyse", "drones", "-o", path))
    frame = read(path)
    everything = json.loads(ok(cli("analyse", "drones", "--top", "100000", "--json")).out)["chokepoints"]
    top = json.loads(ok(cli("analyse", "drones", "--json")).out)["chokepoints"]
    assert len(top) == 10 < len(everything) == len(frame)
    view = csv_view if suffix == ".csv" else (lambda rows: rows)
    assert rows_of(frame, list(everything[0])) == view(everything)
    assert rows_of(frame.head(10), list(top[0])) == view(top)
    assert f"10 of {len(frame)} scored nodes shown; all of them are in {path}" in result.out
    assert f"wrote {path} ({len(frame)} rows)" in result.out


def test_json_and_a_file_together(cli, tmp_path):
    """--json keeps stdout pure JSON; the 'wrote' line goes to stderr."""
    path = tmp_path / "s.csv"
    result = ok(cli("sweep", "quantum", "--json", "-o", path))
    assert json.loads(result.out) == json.loads(ok(cli("sweep", "quantum", "--json")).out)
    assert result.err == f"wrote {path} (20 rows)\n"


# --- refusals -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [("sweep", "quantum"), ("cutoff", "quantum", "-c", "CN"), ("analyse", "quantum")])
def test_a_foreign_file_is_refused_and_kept(cli, tmp_path, command):
    path = tmp_path / "mine.csv"
    path.write_text("my,own\n1,2\n")
    one_line_error(cli(*command, "-o", path), path, "not written by chokepoint", "--force")
    assert path.read_text() == "my,own\n1,2\n"
    ok(cli(*command, "-o", path, "--force"))
    assert path.read_text() != "my,own\n1,2\n"
    ok(cli(*command, "-o", path))  # now it is ours: replaced without --force


def test_own_parquet_is_listed_and_replaced_but_an_edited_one_is_not(cli, tmp_path):
    path = tmp_path / "s.parquet"
    ok(cli("sweep", "quantum", "-o", path))
    listed = json.loads((tmp_path / MANIFEST).read_text())["files"]
    assert set(listed) == {"s.parquet"}
    ok(cli("sweep", "quantum", "-o", path, "--pairs"))
    assert len(read(path)) > 20
    path.write_bytes(path.read_bytes() + b"x")  # someone changed it: no longer ours
    one_line_error(cli("sweep", "quantum", "-o", path), "not written by chokepoint")


@pytest.mark.parametrize("name, fragment", [
    ("out.xlsx", "not '.xlsx'"), ("out.json", "not '.json'"), ("out", "has no suffix"), ("out.txt", "not '.txt'"),
])
def test_a_bad_suffix_is_one_line_before_any_work(cli, tmp_path, name, fragment):
    path = tmp_path / name
    for command in (("sweep", "quantum"), ("cutoff", "quantum", "-c", "CN"), ("analyse", "quantum"),
                    ("sweep", str(tmp_path / "no-such-graph.yaml"))):  # checked before the graph is read
        one_line_error(cli(*command, "-o", path), path, "written as .parquet or .csv", fragment)
    assert not path.exists() and not (tmp_path / MANIFEST).exists()


def test_parquet_without_pyarrow_is_one_line(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    path = tmp_path / "s.parquet"
    one_line_error(cli("sweep", "quantum", "-o", path), path, "needs pyarrow", "chokepoint[scale]", ".csv")
    assert not path.exists()
    ok(cli("sweep", "quantum", "-o", tmp_path / "s.csv"))  # CSV needs no pyarrow


def test_a_folder_that_does_not_exist(cli, tmp_path):
    one_line_error(cli("cutoff", "quantum", "-c", "CN", "-o", tmp_path / "nope" / "c.csv"), "does not exist")


# --- what goes into the cells ----------------------------------------------------------------------------

def test_csv_cells_cannot_run_as_formulas(cli, write_graph, tmp_path):
    """A label from a graph file that starts like a formula is text in the CSV ('=...), and itself in Parquet."""
    link = '=HYPERLINK("http://x","y")'
    graph = write_graph({"name": "f", "title": "formula", "nodes": [
        country("CN"), country("JP"),
        item("m", kind="material", label=link), item("p", kind="product", label="@sum"),
    ], "edges": [
        {"from": "CN", "to": "m", "type": "supplies", "share": 0.6},
        {"from": "JP", "to": "m", "type": "supplies", "share": 0.4},
        {"from": "m", "to": "p", "type": "requires"},
    ]})
    ok(cli("cutoff", graph, "-c", "CN", "-o", tmp_path / "c.csv"))
    ok(cli("cutoff", graph, "-c", "CN", "-o", tmp_path / "c.parquet"))
    text = (tmp_path / "c.csv").read_text()
    assert "'=HYPERLINK" in text and "'@sum" in text
    assert not any(cell.startswith(("=", "@", "+")) for line in text.splitlines() for cell in line.split(","))
    assert set(read(tmp_path / "c.parquet")["label"]) >= {link, "@sum"}
    assert set(read(tmp_path / "c.csv")["label"]) >= {"'" + link, "'@sum"}


def test_write_table_round_trips_types():
    frame = pd.DataFrame({"id": ["a", "=b", None], "x": [0.1 + 0.2, float("nan"), 1e-300], "n": [1, 2, 3],
                          "flag": [True, False, True], "path": [("a", "b"), (), None]})
    back = pd.read_parquet(io.BytesIO(table_bytes(frame, "parquet")))
    assert back["x"].tolist()[0] == 0.1 + 0.2 and math.isnan(back["x"][1]) and back["x"][2] == 1e-300
    assert back["n"].tolist() == [1, 2, 3] and back["flag"].tolist() == [True, False, True]
    assert back["path"].tolist()[:2] == ['["a", "b"]', "[]"] and pd.isna(back["path"][2])
    text = table_bytes(frame, "csv").decode()
    assert text.splitlines() == ["id,x,n,flag,path", "a,0.30000000000000004,1,True,\"[\"\"a\"\", \"\"b\"\"]\"",
                                 "'=b,,2,False,[]", ",1e-300,3,True,"]


def test_write_table_is_the_library_call(tmp_path):
    result = api.cutoff(FIXTURES / "valid.yaml", countries=["CN"])
    path = api.write_table(api.cutoff_table(result), tmp_path / "c.csv")
    assert read(path)["id"].tolist() == result.nodes["id"].tolist()
    (tmp_path / "user.csv").write_text("x\n")
    with pytest.raises(InputError, match="not written by chokepoint"):
        write_table(result.nodes, tmp_path / "user.csv")
    assert (tmp_path / "user.csv").read_text() == "x\n"
    assert write_table(result.nodes, tmp_path / "user.csv", force=True) == tmp_path / "user.csv"


# --- tables at scale ---------------------------------------------------------------------------------------

def test_cutoff_tables_show_the_top_rows_and_say_how_many(cli):
    out = ok(cli("cutoff", "usgs-mcs-2025", "-c", "CN", "--nodes")).out
    assert "50 of 84 products (most loss first) shown; all of them: --top N, -o FILE.parquet|.csv or --json" in out
    assert "50 of 200 nodes shown;" in out
    out = ok(cli("cutoff", "usgs-mcs-2025", "-c", "CN", "--top", "5")).out
    assert "5 of 84 products" in out
    table = out.split("Products")[1].split("5 of 84")[0]
    assert sum(1 for line in table.splitlines() if " -> " in line) == 5
    out = ok(cli("cutoff", "quantum", "-c", "CN")).out  # 5 products: no line
    assert " shown;" not in out


def test_sweep_and_analyse_say_how_many_more(cli, tmp_path):
    out = ok(cli("sweep", "usgs-mcs-2025", "--top", "4")).out
    assert "more scenarios with smaller losses: --top N, -o FILE or --json" in out
    out = ok(cli("analyse", "drones")).out
    assert "10 of " in out and "scored nodes shown; all of them: --top N, -o FILE.parquet|.csv or --json" in out


# --- JSON at scale ---------------------------------------------------------------------------------------

def _capture(fn, *args, monkeypatch, fast=True):
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    if not fast:
        monkeypatch.setattr(app, "_orjson", lambda: None)
    try:
        fn(*args)
    finally:
        monkeypatch.undo()
    return out.getvalue()


@pytest.mark.parametrize("rows", [3, 40_000])
def test_streamed_rows_are_the_json_of_the_whole_list(monkeypatch, rows):
    """echo_json_rows(blocks) writes what echo_json(all rows) writes: indented up to 1 MB compact, else
    compact; with orjson and with json the same values."""
    pytest.importorskip("orjson")
    data = [{"countries": f"C{i % 200}", "product": f"p{i}", "availability": i / 7, "low": None} for i in range(rows)]
    blocks = [data[i:i + 1000] for i in range(0, len(data), 1000)]
    texts = {}
    for fast in (True, False):
        whole = _capture(app.echo_json, data, monkeypatch=monkeypatch, fast=fast)
        streamed = _capture(app.echo_json_rows, iter(blocks), monkeypatch=monkeypatch, fast=fast)
        assert streamed == whole
        assert json.loads(streamed) == data
        texts[fast] = streamed
    compact = len(json.dumps(data, separators=(",", ":"))) > app.COMPACT_PAST
    assert ("\n  " not in texts[True]) is compact and ("\n  " not in texts[False]) is compact
    assert compact is (rows > 1000)


def test_orjson_output_means_what_json_output_means(cli, monkeypatch):
    pytest.importorskip("orjson")
    for command in (("cutoff", "quantum", "-c", "CN", "--json"), ("analyse", "quantum", "--json"),
                    ("sweep", "quantum", "--pairs", "--json"), ("target", "quantum", "--json")):
        fast = ok(cli(*command)).out
        monkeypatch.setattr(app, "_orjson", lambda: None)
        slow = ok(cli(*command)).out
        monkeypatch.undo()
        assert json.loads(fast) == json.loads(slow)
        assert fast.startswith(("{\n  \"", "[\n  {")) and slow.startswith(("{\n  \"", "[\n  {"))  # indented both


def test_iter_records_are_records():
    frame = pd.DataFrame({
        "s": pd.Series(["a", None, "c"], dtype="str"), "o": [("x", "y"), np.float64("nan"), pd.NA],
        "f": [1.5, float("nan"), 2.0], "i": [1, 2, 3], "b": [True, False, True],
        "ni": pd.array([1, None, 3], dtype="Int64"), "np": [np.int64(4), np.float64(2.5), "t"],
    })
    blocks = list(api.iter_records(frame, size=2))
    assert [len(b) for b in blocks] == [2, 1]
    assert [row for block in blocks for row in block] == api.records(frame)
    assert api.records(frame)[1] == {"s": None, "o": None, "f": None, "i": 2, "b": False, "ni": None, "np": 2.5}
    assert list(api.iter_records(frame.iloc[:0])) == []
