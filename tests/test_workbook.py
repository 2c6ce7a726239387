"""The xlsx workbook: opened again with openpyxl (and as the zip it is) to check what a reader gets."""

from __future__ import annotations

import io
import re
import zipfile

import openpyxl
import pytest

from chokepoint import api, load_graph
from chokepoint.errors import UnknownCountryError
from chokepoint.report import workbook as wbmod
from chokepoint.report.workbook import workbook_bytes, written_by_chokepoint_xlsx

from conftest import country, doc, item, requires, supplies
from test_report import seed_of

FORMULAS = ["=HYPERLINK(\"http://example.invalid\",\"x\")", "+1+2", "-3+4", "@SUM(A1)", "\t=1+1", "\r=2"]


def formula_doc():
    """CN supplies 80% of mat-a (F01, reported), JP 20% (F02, estimated) and all of mat-b; the widget
    needs both. Labels that a spreadsheet would take for formulas.

    Hand-worked: CN cut -> mat-a 0.2, widget min(0.2, 1) = 0.2, loss 0.8; JP cut -> mat-b 0,
    widget 0; both cut -> everything 0.
    """
    data = doc(
        [country("CN"), country("JP"),
         item("mat-a", "material", label=FORMULAS[0], critical_mineral=True, stage="refining"),
         item("mat-b", "material", label=FORMULAS[2], stockpile_months=3),
         item("widget", "product", label=FORMULAS[3])],
        [supplies("CN", "mat-a", 0.8, fact="F01", source="CFR2025", basis="global production", year=2025),
         supplies("JP", "mat-a", [0.1, 0.3], fact="F02", source="CFR2025", basis=FORMULAS[4], estimated=True),
         supplies("JP", "mat-b", 1.0, basis=FORMULAS[5], note=FORMULAS[1]),
         requires("mat-a", "widget"), requires("mat-b", "widget")],
    )
    data["sources"] = {"CFR2025": {"title": "=cmd|' /C calc'!A0", "year": 2025}}
    return data


@pytest.fixture
def graph(write_graph):
    return load_graph(write_graph(formula_doc()))


@pytest.fixture
def book(graph):
    data = workbook_bytes(graph, countries=["CN", "JP"])
    return data, openpyxl.load_workbook(io.BytesIO(data))


def table(ws) -> list[dict]:
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], row)) for row in rows[1:]]


def test_sheets_frozen_headers_and_sizes(book):
    _, wb = book
    assert wb.sheetnames == ["nodes", "edges", "target", "chokepoints", "sources", "facts",
                             "cutoff CN", "cutoff JP", "cutoff CN+JP", "about"]
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert all(cell.font.b for cell in ws[1]), ws.title
        for cell in ws[1]:
            width = ws.column_dimensions[cell.column_letter].width
            assert width >= min(len(cell.value), wbmod.MAX_WIDTH - 2) + 2, (ws.title, cell.value)


def test_cells_are_typed(book, graph):
    _, wb = book
    nodes = {r["id"]: r for r in table(wb["nodes"])}
    assert nodes["mat-a"]["critical_mineral"] is True and nodes["mat-b"]["critical_mineral"] is False
    assert nodes["mat-b"]["stockpile_months"] == 3 and isinstance(nodes["mat-b"]["stockpile_months"], (int, float))
    assert nodes["CN"]["stockpile_months"] is None  # blank, not 0 or "nan"
    edges = table(wb["edges"])
    assert [(e["from"], e["to"], e["type"]) for e in edges] == [(e.from_, e.to, e.type) for e in graph.document.edges]
    jp = edges[1]
    assert (jp["low"], jp["high"], jp["share"], jp["estimated"], jp["evidence"]) == (0.1, 0.3, "[0.1-0.3]", True, "estimated")
    cn = edges[0]
    assert cn["year"] == 2025 and isinstance(cn["year"], int) and cn["estimated"] is False and cn["fact"] == "F01"
    assert (cn["seed_file"], str(cn["seed_line"])) == seed_of("F01") and isinstance(cn["seed_line"], int)
    assert edges[3]["estimated"] is None and edges[3]["low"] is None  # requires edges: no share, blank
    facts = table(wb["facts"])
    assert [f["id"] for f in facts] == ["F01", "F02"]
    assert isinstance(facts[0]["share_low"], float) and isinstance(facts[0]["seed_line"], int)
    assert facts[1]["share_low"] is None  # F02 has no number in the report: blank, not 0
    target = table(wb["target"])
    assert [t["id"] for t in target] == ["mat-a"] and target[0]["status"] == "fail"
    assert target[0]["top_share"] == pytest.approx(0.8)
    choke = table(wb["chokepoints"])
    assert {c["id"] for c in choke} == set(api.find_chokepoints(graph)["id"])
    # numbers as numbers (a spreadsheet has one number type: 0.0 reads back as 0)
    assert all(type(c["score"]) in (int, float) and type(c["products_hit"]) is int for c in choke)


def test_cutoff_sheets_hold_the_hand_worked_availabilities(book):
    """See formula_doc: CN cut -> widget 0.2; JP cut -> widget 0; both -> 0."""
    _, wb = book
    cn = {r["id"]: r for r in table(wb["cutoff CN"])}
    assert cn["widget"]["availability"] == pytest.approx(0.2) and cn["widget"]["loss"] == pytest.approx(0.8)
    assert cn["mat-a"]["availability"] == pytest.approx(0.2) and cn["mat-b"]["availability"] == 1.0
    assert cn["CN"]["availability"] == 0 and cn["widget"]["path"] == "CN -> mat-a -> widget"
    assert cn["mat-a"]["path"] is None and cn["mat-a"]["loss"] is None  # not a product
    jp = {r["id"]: r for r in table(wb["cutoff JP"])}
    assert jp["widget"]["availability"] == 0 and jp["mat-a"]["availability"] == pytest.approx(0.8)
    both = table(wb["cutoff CN+JP"])
    assert {r["id"] for r in both} == {"CN", "JP", "mat-a", "mat-b", "widget"}
    assert all(r["availability"] == 0 for r in both)


def test_formula_like_text_stays_text(book):
    data, wb = book
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(wbmod.FORMULA_LEADS + ("\n",)):
                    texts.append(cell.value)
                    assert cell.data_type == "s" and cell.quotePrefix, (ws.title, cell.coordinate)
    for text in FORMULAS + ["=cmd|' /C calc'!A0"]:
        assert text.replace("\r", "\n") in texts, text  # a CR is written as the LF XML would read it as
    nodes = {r["id"]: r for r in table(wb["nodes"])}
    assert nodes["mat-a"]["label"] == FORMULAS[0] and nodes["widget"]["label"] == FORMULAS[3]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                xml = archive.read(name).decode("utf-8")
                assert "<f>" not in xml and "<f " not in xml, name
    # read the way a data pipeline reads it, too
    values = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    assert {r["id"]: r["label"] for r in table(values["nodes"])}["mat-a"] == FORMULAS[0]


def test_same_input_same_bytes(graph, monkeypatch):
    first = workbook_bytes(graph, countries=["CN"])
    assert workbook_bytes(graph, countries=["CN"]) == first
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert re.search(r"<dcterms:created[^>]*>1980-01-01T00:00:00Z<", core)
    assert re.search(r"<dcterms:modified[^>]*>1980-01-01T00:00:00Z<", core)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767312000")  # 2026-01-02T00:00:00Z
    stamped = workbook_bytes(graph, countries=["CN"])
    with zipfile.ZipFile(io.BytesIO(stamped)) as archive:
        assert {info.date_time for info in archive.infolist()} == {(2026, 1, 2, 0, 0, 0)}


def test_ours_is_recognised_and_a_foreign_workbook_is_not(graph, tmp_path):
    ours = tmp_path / "ours.xlsx"
    ours.write_bytes(workbook_bytes(graph))
    assert written_by_chokepoint_xlsx(ours)
    foreign = tmp_path / "foreign.xlsx"
    openpyxl.Workbook().save(foreign)
    assert not written_by_chokepoint_xlsx(foreign)
    (tmp_path / "junk.xlsx").write_text("not a zip")
    assert not written_by_chokepoint_xlsx(tmp_path / "junk.xlsx")
    assert not written_by_chokepoint_xlsx(tmp_path / "missing.xlsx")


def test_no_scenarios_and_unknown_countries(graph):
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(graph)))
    assert not [name for name in wb.sheetnames if name.startswith("cutoff")]
    with pytest.raises(UnknownCountryError):
        workbook_bytes(graph, countries=["Atlantis"])
    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes(graph, countries=["CN+JP"])))
    assert [n for n in wb.sheetnames if n.startswith("cutoff")] == ["cutoff CN+JP"]


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    assert wbmod.sheet_name("cutoff A/B:C", taken) == "cutoff A_B_C"
    long = "cutoff " + "+".join(["CN", "JP", "KR", "TW", "US", "DE", "FR", "NL", "GB"])
    first, second = wbmod.sheet_name(long, taken), wbmod.sheet_name(long, taken)
    assert len(first) <= 31 and len(second) <= 31 and first != second


def test_bundled_usgs_workbook():
    g = load_graph("usgs-mcs-2025")
    data = workbook_bytes(g, countries=["CN"])
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    assert wb.sheetnames[-2:] == ["cutoff CN", "about"]
    assert wb["edges"].max_row == 1 + len(g.document.edges)
    assert wb["facts"].max_row == 1  # USGS rows are not facts.csv rows: header only
