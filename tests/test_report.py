"""The HTML report: built from real graphs, opened in a real headless Chromium with the network cut.

The browser tests need Debian's ``chromium`` (``apt-get install chromium``; CI's .ci/run installs
it) and the ``playwright`` package (test extras; its own browser downloads are never used). Where
either is missing they are skipped with a message saying which.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import html.parser
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from chokepoint import api, bundled_names, load_graph
from chokepoint.errors import InputError, UnknownCountryError
from chokepoint.report import build_report, cited_facts, load_facts, write_report
from chokepoint.report import html as report_html
from chokepoint.report.facts import facts_path

from conftest import REPO, country, doc, item, requires, supplies

INJECTION = "</script><script>window.pwned=1</script>"
VENDOR = REPO / "src" / "chokepoint" / "report" / "vendor"
MAX_REPORT_BYTES = 5 * 1024 * 1024
DATE = "2026-01-02"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
               "--no-first-run", "--disable-sync"]


def tiny_doc():
    """Two countries, two materials, one product that needs both.

    CN supplies 80% of mat-a (fact F01), JP 20% of mat-a (estimated) and all of mat-b; the
    widget needs all of mat-a and mat-b.

    Hand-worked cutoffs:
      CN cut: mat-a = 0.2 (JP's share), mat-b = 1.0, widget = min(0.2, 1.0) = 0.2
      JP cut: mat-a = 0.8, mat-b = 0.0, widget = min(0.8, 0.0) = 0.0
      CN+JP:  everything 0.
    """
    data = doc(
        [country("CN"), country("JP"),
         item("mat-a", "material", label=INJECTION, critical_mineral=True, stage="refining"),
         item("mat-b", "material", label="=HYPERLINK(\"http://example.invalid\")"),
         item("widget", "product", label="widget")],
        [supplies("CN", "mat-a", 0.8, fact="F01", source="CFR2025", basis="global production", year=2025),
         supplies("JP", "mat-a", 0.2, fact="F02", source="CFR2025", basis="global production", estimated=True),
         supplies("JP", "mat-b", 1.0, basis="global production"),
         requires("mat-a", "widget"), requires("mat-b", "widget")],
    )
    data["sources"] = {"CFR2025": {"title": "U.S. Economic Security report"}}
    return data


@pytest.fixture
def tiny(write_graph):
    return load_graph(write_graph(tiny_doc()))


def embedded(page_text: str) -> dict:
    start = page_text.index('<script type="application/json" id="report-data">')
    start = page_text.index(">", start) + 1
    return json.loads(page_text[start:page_text.index("</script>", start)])


def seed_of(fact: str) -> tuple[str, str]:
    """The seed file and line of a fact, read from facts.csv independently of the code under test."""
    with open(REPO / "graphs" / "facts.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["id"] == fact:
                return row["seed_file"], row["seed_line"]
    raise AssertionError(f"{fact} not in facts.csv")


_BUILT: dict[str, str] = {}


def bundled_report(name: str) -> str:
    """Each bundled graph's report, built once per test session (they take seconds each)."""
    if name not in _BUILT:
        _BUILT[name] = build_report(name, countries=("CN", "US") if name != "usgs-mcs-2025" else ("CN",), date=DATE)
    return _BUILT[name]


# --- the page as text ---------------------------------------------------------------------------

class _Tables(html.parser.HTMLParser):
    """Rows of each table with an id (static HTML, no script run)."""

    def __init__(self):
        super().__init__()
        self.rows: dict[str, int] = {}
        self.stack: list[str | None] = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.in_script = True
        if tag == "table":
            self.stack.append(dict(attrs).get("id"))
        if tag == "tr" and self.stack and self.stack[-1] and not self.in_script:
            self.rows[self.stack[-1]] = self.rows.get(self.stack[-1], 0) + 1

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False
        if tag == "table" and self.stack:
            self.stack.pop()


def static_rows(text: str) -> dict[str, int]:
    parser = _Tables()
    parser.feed(text)
    return parser.rows


@pytest.mark.parametrize("name", bundled_names())
def test_every_bundled_report_is_small_self_contained_and_readable_without_script(name):
    text = bundled_report(name)
    size = len(text.encode("utf-8"))
    assert size < MAX_REPORT_BYTES, f"{name}: {size:,} bytes"
    assert text.startswith("<!DOCTYPE html>\n<!-- written by chokepoint ")
    assert f'content="{report_html.CSP}"' in text and "default-src 'none'" in report_html.CSP
    # nothing that loads: no src/href to any URL, no @import, no url() but data: and #fragments
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?(?:https?:)?//""", text, re.I)
    assert not re.search(r"@import", text)
    assert not re.search(r"""url\(\s*["']?(?!#|data:)""", text)
    # the tables are plain HTML, one row per result row plus the header
    g = load_graph(name)
    rows = static_rows(text)
    assert rows["chokepoints-table"] == 1 + len(api.find_chokepoints(g))
    target = api.target(g)
    if target.empty:
        target = api.target(g, all_items=True)
    assert rows["target-table"] == 1 + len(target)
    supply_edges = sum(1 for e in g.document.edges if e.type == "supplies")
    assert rows["edges-table"] == 1 + supply_edges
    # four inline figures, their ids kept apart
    assert text.count('<svg role="img"') == 4
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids)), "duplicate element ids"
    # provenance: the tool, the graph's digest (recomputed here), the date
    canonical = json.dumps(g.document.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    footer = text[text.index('<footer id="provenance">'):]
    assert digest in footer and DATE in footer and "chokepoint 0.1.0" in footer and "cytoscape.js 3.35.0" in footer
    # every single-country cutoff of the sweep is a scenario
    keys = {s["key"] for s in embedded(text)["scenarios"]}
    assert set(api.sweep(g).frame["countries"]) <= keys


def test_scenarios_carry_the_hand_worked_availabilities(tiny):
    """See tiny_doc: CN cut leaves the widget 0.2, JP cut 0.0, both cut 0.0; untouched nodes are
    left out of the embedded data (read as 1)."""
    data = embedded(build_report(tiny, countries=["CN", "JP"], date=DATE))
    by_key = {s["key"]: s for s in data["scenarios"]}
    assert set(by_key) == {"CN", "JP", "CN+JP"}
    assert by_key["CN"]["availability"] == {"CN": 0.0, "mat-a": pytest.approx(0.2), "widget": pytest.approx(0.2)}
    assert by_key["JP"]["availability"] == {"JP": 0.0, "mat-a": pytest.approx(0.8), "mat-b": 0.0, "widget": 0.0}
    assert by_key["CN+JP"]["availability"] == {n: 0.0 for n in ("CN", "JP", "mat-a", "mat-b", "widget")}
    assert [p["id"] for p in by_key["CN"]["products_hit"]] == ["widget"]
    assert by_key["CN"]["products_hit"][0]["path"] == ["CN", "mat-a", "widget"]
    assert by_key["CN+JP"]["group"] == "named" and by_key["CN"]["group"] == "named"


def test_citations_come_from_facts_csv(tiny):
    data = embedded(build_report(tiny, date=DATE))
    edge = next(e for e in data["edges"] if e["fact"] == "F01")
    assert (edge["seed_file"], str(edge["seed_line"])) == seed_of("F01")
    assert edge["evidence"] == "reported" and edge["in_facts_csv"]
    estimated = next(e for e in data["edges"] if e["fact"] == "F02")
    assert estimated["evidence"] == "estimated"
    uncited = next(e for e in data["edges"] if e["to"] == "mat-b" and e["type"] == "supplies")
    assert uncited["fact"] == "" and not uncited["in_facts_csv"]
    assert set(data["facts"]) == {"F01", "F02"}


def test_labels_cannot_break_out_of_the_page(tiny):
    text = build_report(tiny, date=DATE)
    assert INJECTION not in text
    assert "window.pwned" in text  # the label is there, escaped: in the tables as HTML text
    assert "&lt;/script&gt;&lt;script&gt;window.pwned=1&lt;/script&gt;" in text
    head = text[text.index('id="report-data">'):]
    assert head.index("</script>") > head.index("window.pwned")  # the data block closes after the label
    assert embedded(text)["nodes"][2]["label"] == INJECTION


def test_embedded_json_is_inert():
    data = {"a": "</script><!-- & \u2028 \u2029", "b": float("inf"), "c": [1.5, {"d": float("-inf")}]}
    text = report_html.embed_json(data)
    assert not any(ch in text for ch in "<>&\u2028\u2029")
    assert json.loads(text) == {"a": "</script><!-- & \u2028 \u2029", "b": None, "c": [1.5, {"d": None}]}


def test_same_input_same_bytes_and_dates(tiny):
    import datetime as dt

    assert build_report(tiny, date=DATE) == build_report(tiny, date=dt.date(2026, 1, 2))
    assert report_html.report_date(dt.datetime(2026, 1, 2, 23, 59)) == DATE
    assert report_html.report_date(None) == dt.datetime.now(dt.timezone.utc).date().isoformat()
    with pytest.raises(InputError, match="not an ISO date"):
        build_report(tiny, date="yesterday")


def test_result_columns_added_later_are_shown_not_dropped(tiny):
    """Bounds and an evidence grade (columns the results may gain) appear in the tables and data."""
    import pandas as pd

    frame = pd.DataFrame({"id": ["a"], "availability": [0.5], "availability_low": [0.25],
                          "availability_high": [0.75], "evidence": ["estimated"]})
    table = report_html.html_table(frame, report_html.PRODUCT_COLUMNS, caption="c", table_id="t", empty="")
    for text in ("availability_low", "25.0%", "75.0%", "evidence", "estimated"):
        assert text in table
    result = api.cutoff(tiny, countries=["CN"])
    nodes = result.nodes.assign(availability_low=result.nodes["availability"] / 2,
                                availability_high=result.nodes["availability"], evidence="reported")
    record = report_html._scenario_record(tiny, dataclasses.replace(result, nodes=nodes), "named")
    assert record["extra"]["widget"]["availability_low"] == pytest.approx(0.1)
    assert record["extra"]["widget"]["evidence"] == "reported"
    real = report_html._scenario_record(tiny, result, "named")  # the cutoff's own bounds travel too
    widget = real["extra"]["widget"]
    assert widget["availability_low"] <= result.nodes.set_index("id").loc["widget", "availability"] <= \
        widget["availability_high"]


def test_write_report_is_atomic_and_will_not_clobber(tiny, tmp_path):
    out = tmp_path / "r.html"
    write_report(tiny, out, date=DATE)
    import re

    from chokepoint.formats.files import is_stamped

    written = out.read_text(encoding="utf-8")
    assert is_stamped(written.encode())  # the ownership stamp: the file's own hash
    assert re.sub(r"chokepoint-sha256:[0-9a-f]{64}", "chokepoint-sha256:" + "0" * 64, written) == \
        build_report(tiny, date=DATE)
    write_report(tiny, out, countries=["JP"], date=DATE)  # ours: replaced without force
    foreign = tmp_path / "notes.html"
    foreign.write_text("<p>mine</p>")
    with pytest.raises(InputError, match="pass --force"):
        write_report(tiny, foreign)
    assert foreign.read_text() == "<p>mine</p>"
    write_report(tiny, foreign, force=True)
    with pytest.raises(InputError, match=r"\.html or \.htm"):
        write_report(tiny, tmp_path / "r.txt")
    with pytest.raises(UnknownCountryError):
        write_report(tiny, tmp_path / "new.html", countries=["Atlantis"])
    assert not (tmp_path / "new.html").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["graph1.yaml", "notes.html", "r.html"]


def test_facts_loader_reads_the_packaged_table(tmp_path):
    facts = load_facts()
    with open(REPO / "graphs" / "facts.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(facts) == [r["id"] for r in rows]
    assert facts_path().name == "facts.csv"
    f01 = facts["F01"]
    assert (f01["seed_file"], str(f01["seed_line"])) == seed_of("F01")
    assert isinstance(f01["share_low"], float) and isinstance(f01["seed_line"], int)
    assert {r["id"] for r in cited_facts(load_graph("quantum"))} == {
        e.fact for e in load_graph("quantum").document.edges if e.fact}
    bad = tmp_path / "facts.csv"
    bad.write_text("id,domain\nF1,x\n")
    with pytest.raises(InputError, match=r"facts.csv: missing column\(s\) item"):
        load_facts(bad)
    header = (REPO / "graphs" / "facts.csv").read_text(encoding="utf-8").splitlines()[0]
    bad.write_text(header + "\nF1,a,b,c,d,CN,0.5,0.5,2025,S,f.txt,3,n\nF1,a,b,c,d,CN,x,0.5,2025,S,f.txt,3,n\n")
    with pytest.raises(InputError, match="line 3: fact 'F1' appears twice"):
        load_facts(bad)


def test_vendored_cytoscape_matches_its_provenance():
    note = (VENDOR / "PROVENANCE.md").read_text(encoding="utf-8")
    for name in ("cytoscape.min.js", "cytoscape.LICENSE"):
        digest = hashlib.sha256((VENDOR / name).read_bytes()).hexdigest()
        assert f"| `{name}` |" in note and digest in note, name
    assert f"| version | {report_html.CYTOSCAPE_VERSION} |" in note
    assert "MIT" in (VENDOR / "cytoscape.LICENSE").read_text(encoding="utf-8")
    assert "</script" not in report_html.vendored_cytoscape().lower()


# --- in a real browser --------------------------------------------------------------------------

def _chromium() -> str | None:
    found = os.environ.get("CHOKEPOINT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    return found if found and Path(found).exists() else None


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="the browser tests need the 'playwright' package (pip install '.[test]')")
    executable = _chromium()
    if executable is None:
        message = "the browser tests need Chromium: apt-get install chromium (or set CHOKEPOINT_CHROMIUM)"
        if os.environ.get("CHOKEPOINT_REQUIRE_BROWSER"):  # CI sets it: there the browser test must run
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class Opened:
    def __init__(self, page, errors, requests, blocked):
        self.page, self.errors, self.requests, self.blocked = page, errors, requests, blocked


@pytest.fixture
def open_report(browser, tmp_path):
    """Open a report from a file with every non-file request aborted and recorded."""
    contexts = []

    def open_(text: str, *, javascript: bool = True, name: str = "report.html") -> Opened:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, java_script_enabled=javascript,
                                      service_workers="block")
        contexts.append(context)
        errors, requests, blocked = [], [], []

        def route(r):
            if r.request.url.startswith(("file:", "data:")):
                r.continue_()
            else:
                blocked.append(r.request.url)
                r.abort()

        context.route("**/*", route)
        context.on("request", lambda request: requests.append(request.url))
        page = context.new_page()
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: errors.append(f"pageerror: {e}"))
        page.goto(path.as_uri())
        if javascript:
            page.wait_for_function("window.chokepointReport && window.chokepointReport.ready", timeout=60_000)
        return Opened(page, errors, requests, blocked)

    yield open_
    for context in contexts:
        context.close()


def _no_network(opened: Opened):
    assert opened.blocked == []
    assert all(url.startswith(("file:", "data:")) for url in opened.requests), opened.requests


def _colours(page) -> dict[str, str]:
    return page.evaluate("Object.fromEntries(cy.nodes().map(n => [n.id(), n.style('background-color')]))")


def test_tiny_report_in_chromium(tiny, open_report):
    opened = open_report(build_report(tiny, countries=["CN", "JP"], date=DATE))
    page = opened.page
    assert page.evaluate("window.chokepointReport.nodeCount") == len(tiny.nodes) == 5
    assert page.evaluate("cy.edges().length") == len(tiny.document.edges)
    assert page.evaluate("typeof window.pwned") == "undefined"
    # a real mouse click on mat-a where cytoscape drew it
    box = page.locator("#cy").bounding_box()
    x, y = page.evaluate("(() => { const p = cy.$id('mat-a').renderedPosition(); return [p.x, p.y]; })()")
    page.mouse.click(box["x"] + x, box["y"] + y)
    detail = page.locator("#detail")
    seed_file, seed_line = seed_of("F01")
    text = detail.inner_text()
    assert detail.locator("h3").inner_text() == INJECTION  # shown as text, not run
    for expected in ("F01", f"{seed_file} line {seed_line}", "U.S. Economic Security report", "reported",
                     "estimated", "80.0%", "fail"):
        assert expected in text, expected
    # a scenario recolours: cut countries at viridis(0), untouched nodes at viridis(1)
    before = _colours(page)
    page.select_option("#scenario", "CN")
    after = _colours(page)
    assert after != before
    assert after["CN"] == "rgb(68,1,84)" and after["mat-b"] == "rgb(253,231,37)"
    assert after["widget"] == after["mat-a"] != after["mat-b"]  # both at 0.2
    assert "availability" in detail.inner_text() and "20.0%" in detail.inner_text()
    assert page.locator("#scenario-hit").inner_text().count("widget") >= 1
    page.select_option("#scenario", "")
    assert _colours(page) == before
    assert opened.errors == []
    _no_network(opened)


@pytest.mark.parametrize("name", ["quantum", "usgs-mcs-2025"])
def test_bundled_report_in_chromium(name, open_report):
    g = load_graph(name)
    opened = open_report(bundled_report(name), name=f"{name}.html")
    page = opened.page
    assert page.evaluate("window.chokepointReport.nodeCount") == len(g.nodes)
    assert page.evaluate("cy.edges().length") == len(g.document.edges)
    supplied = {e.to for e in g.document.edges if e.type == "supplies" and e.fact}
    top = next(i for i in api.find_chokepoints(g)["id"] if i in supplied)  # the highest-scored cited item
    page.evaluate(f"void cy.$id({json.dumps(top)}).emit('tap')")
    text = page.locator("#detail").inner_text()
    assert g.label(top) in text
    cited = next(e.fact for e in g.document.edges if e.type == "supplies" and e.to == top)
    assert cited in text
    before = _colours(page)
    page.select_option("#scenario", "CN")
    after = _colours(page)
    assert after != before and after["CN"] == "rgb(68,1,84)"
    if name == "quantum" and os.environ.get("CHOKEPOINT_SCREENSHOT") == "1":
        page.evaluate("void cy.$id('holmium-copper').select().emit('tap')")
        page.locator("#interactive").screenshot(path=str(REPO / "docs" / "figures" / "report.png"))
    assert opened.errors == []
    _no_network(opened)


def test_the_network_guard_sees_a_remote_load(open_report):
    """The harness itself: a page that does load something remote is caught (so an empty list means
    something), and the report's CSP would have refused it anyway."""
    page = ('<!DOCTYPE html><html><body><img src="http://example.invalid/x.png">'
            '<script>window.chokepointReport = {ready: true}</script></body></html>')
    opened = open_report(page, name="leaky.html")
    opened.page.wait_for_load_state("load")
    assert opened.blocked == ["http://example.invalid/x.png"]
    with_csp = page.replace("<html>", f'<html><head><meta http-equiv="Content-Security-Policy" '
                                      f'content="{report_html.CSP}"></head>')
    opened = open_report(with_csp, name="guarded.html")
    opened.page.wait_for_load_state("load")
    assert opened.blocked == []
    assert any("Content Security Policy" in e for e in opened.errors)


def test_readable_without_javascript_and_in_print(tiny, open_report):
    text = build_report(tiny, date=DATE)
    opened = open_report(text, javascript=False)
    page = opened.page
    rows = page.locator("#chokepoints-table tbody tr").count()
    assert rows == len(api.find_chokepoints(tiny))
    assert page.locator("#target-table").is_visible()
    assert "F01" in page.locator("#edges-table").inner_text()
    assert page.locator("svg.figure").count() == 4
    opened = open_report(text, name="print.html")
    page = opened.page
    assert page.locator("#interactive").is_visible()
    page.emulate_media(media="print")
    assert not page.locator("#interactive").is_visible()
    assert page.locator("#chokepoints-table").is_visible()
    assert opened.errors == []
