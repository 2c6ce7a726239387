"""The commands wired onto the remedies and the reports: one call each, JSON and tables."""

from __future__ import annotations

import json

import openpyxl
import pytest


def test_timeline_cli_worked_example(cli, write_graph):
    """An item 90% from CN, 3 months in stock, a 12-month cutoff: short after 3/0.9 = 3.33
    months for 8.67 months; unmet 0.9 x 12 - 3 = 7.8; buffer needed 10.8."""
    from conftest import country, doc, item, requires, supplies

    path = write_graph(doc([country("CN"), country("JP"), item("m", "material", stockpile_months=3),
                            item("p", "product")],
                           [supplies("CN", "m", 0.9), supplies("JP", "m", 0.1), requires("m", "p")]))
    result = cli("timeline", str(path), "--country", "CN", "--duration", "12", "--json")
    assert result.code == 0, result.err
    rows = {r["id"]: r for r in json.loads(result.out)["table"]}
    m = rows["m"]
    assert m["months_to_shortage"] == pytest.approx(3 / 0.9, abs=1e-9)
    assert m["shortage_months"] == pytest.approx(12 - 3 / 0.9, abs=1e-9)
    assert m["unmet_months"] == pytest.approx(7.8) and m["buffer_needed_months"] == pytest.approx(10.8)
    table = cli("timeline", str(path), "--country", "CN", "--duration", "12", "--ramp", "6").out
    assert "closed forms" in table


def test_timeline_cli_bad_stockpile_is_one_line(cli):
    result = cli("timeline", "quantum", "--country", "CN", "--duration", "12", "--stockpile", "x")
    assert result.code == 1 and result.err.count("\n") == 1 and "ITEM=MONTHS" in result.err


def test_plan_cli_keep_with_allies(cli, write_graph, tmp_path):
    """m1 (CN 0.6, US 0.4), m2 (CN 0.3, JP 0.7), keep 0.8 against every single cutoff, allies KR:
    KR 0.4 of m1 and 0.5 of m2, cost 0.9; --write gives a graph that validates."""
    from conftest import country, doc, item, requires, supplies

    path = write_graph(doc([country("CN"), country("US"), country("JP"), country("KR"), item("m1", "material"),
                            item("m2", "material"), item("p", "product")],
                           [supplies("CN", "m1", 0.6), supplies("US", "m1", 0.4), supplies("CN", "m2", 0.3),
                            supplies("JP", "m2", 0.7), requires("m1", "p"), requires("m2", "p")]))
    out = tmp_path / "planned.yaml"
    result = cli("plan", str(path), "--keep", "0.8", "--allies", "KR", "--write", str(out), "--json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["status"] == "optimal" and data["cost"] == pytest.approx(0.9)
    actions = {(a["item"], a["country"]): a["new_capacity"] for a in data["actions"]}
    assert actions == pytest.approx({("m1", "KR"): 0.4, ("m2", "KR"): 0.5})
    assert cli("validate", str(out)).code == 0


def test_report_and_xlsx_commands(cli, tmp_path):
    html = tmp_path / "q.html"
    result = cli("report", "quantum", "-o", str(html), "--country", "CN")
    assert result.code == 0, result.err
    text = html.read_text()
    assert "Content-Security-Policy" in text and "holmium-copper" in text
    book = tmp_path / "q.xlsx"
    assert cli("export", "quantum", "-o", str(book), "--with-cutoff", "CN").code == 0
    wb = openpyxl.load_workbook(book)
    assert {"nodes", "edges", "target", "chokepoints", "sources", "facts"} <= set(wb.sheetnames)
    assert any(name.startswith("cutoff") for name in wb.sheetnames)
    # ours: replaced without --force; a user's xlsx is not
    assert cli("export", "quantum", "-o", str(book)).code == 0
    other = tmp_path / "mine.xlsx"
    other.write_bytes(b"PK\x03\x04 not ours")
    assert cli("export", "quantum", "-o", str(other)).code == 1
