"""`explain` and `sensitivity`: the evidence behind a node, the chain behind its loss, and which
estimate moves a cutoff's results; hand-worked on a six-node graph, then on the bundled graphs."""

from __future__ import annotations

import json

import pytest

import chokepoint
from chokepoint import api
from chokepoint.analysis.evidence import cite, evidence_of, is_estimate
from chokepoint.analysis.explain import explain as explain_graph
from chokepoint.errors import InputError
from chokepoint.formats.facts import FACT_COLUMNS, facts_path, load_facts
from chokepoint.model import resolve_bloc

from conftest import country, doc, item, requires, supplies

SEED_64 = "seed:000_ee92b4dbc66e81e6.txt:64"
USGS = "USGS-MCS2025:Gallium:Primary production"


def tiny_document():
    """CN and JP; facility F in CN; material M; component C made from M; product P made from C.

    M: F 0.6 (reported, F01), JP [0.2, 0.4] (a range: estimated), KR 0.05 (estimated: true).
    C: CN dominant [0.7, 0.95] (F999, not in facts.csv), JP 0.1 (reported, no fact).
    """
    nodes = [country("CN"), country("JP"), country("KR"),
             {"id": "F", "kind": "facility", "label": "F", "country": "CN"},
             item("M", "material"), item("C"), item("P", "product")]
    edges = [
        supplies("F", "M", 0.6, fact="F01", source="S", basis="global production", year=2025),
        supplies("JP", "M", [0.2, 0.4], fact=SEED_64, source="S", basis="global production", year=2025,
                 note="JP range"),
        supplies("KR", "M", 0.05, estimated=True, fact=USGS, source="USGS-MCS2025", basis="global production",
                 year=2024, note="KR point estimate"),
        supplies("CN", "C", "dominant", estimated=True, fact="F999", source="S", basis="market share",
                 note="CN dominant"),
        supplies("JP", "C", 0.1, source="S", basis="market share"),
        {**requires("M", "C"), "note": "C is made from M"},
        requires("C", "P"),
    ]
    data = doc(nodes, edges)
    data["sources"] = {"S": {"title": "A report"},
                       "USGS-MCS2025": {"title": "Mineral Commodity Summaries 2025 data release",
                                        "publisher": "U.S. Geological Survey", "url": "https://doi.org/10.5066/P13XCP3R"}}
    return data


@pytest.fixture
def tiny_file(write_graph):
    return write_graph(tiny_document(), "tiny.yaml")


# --- evidence of one edge ------------------------------------------------------------------------

def test_evidence_words(tiny_file):
    """reported: a plain number not marked estimated; estimated: a level word, a range or estimated: true."""
    g = chokepoint.load_graph(tiny_file)
    grade = {e.key: evidence_of(e) for e in g.document.edges}
    assert grade == {("F", "M"): "reported", ("JP", "M"): "estimated", ("KR", "M"): "estimated",
                     ("CN", "C"): "estimated", ("JP", "C"): "reported", ("M", "C"): None, ("C", "P"): None}
    assert [e.key for e in g.document.edges if is_estimate(e)] == [("JP", "M"), ("KR", "M"), ("CN", "C")]


def test_citations_of_every_form(tiny_file):
    """F01 is a facts.csv row; a seed: fact names its file and line and the rows drawn from that line;
    a USGS fact names the data release; an id the table lacks says so; no fact is 'none'."""
    g = chokepoint.load_graph(tiny_file)
    facts = load_facts()
    by_key = {e.key: cite(g, e, facts) for e in g.document.edges if e.type == "supplies"}
    f01 = by_key[("F", "M")]
    assert (f01.kind, f01.report, f01.seed_file, f01.seed_line) == ("facts.csv", "CFR2025", "000_ee92b4dbc66e81e6.txt", 46)
    assert f01.item == "holmium-copper alloy (alloy production)"
    assert f01.statement.startswith("90% from a single producer in China")
    assert f01.where == "seed 000_ee92b4dbc66e81e6.txt line 46"
    seed = by_key[("JP", "M")]
    assert (seed.kind, seed.seed_file, seed.seed_line, seed.report) == ("seed", "000_ee92b4dbc66e81e6.txt", 64, "CFR2025")
    assert seed.same_line == ("F70", "F71", "F72", "F73", "F74")
    usgs = by_key[("KR", "M")]
    assert usgs.kind == "data release" and usgs.report == "USGS-MCS2025"
    assert "Mineral Commodity Summaries 2025" in usgs.report_title and "Geological Survey" in usgs.report_title
    assert usgs.item == "Gallium, Primary production (MCS2025_World_Data.csv)"
    assert usgs.url == "https://doi.org/10.5066/P13XCP3R"
    assert by_key[("CN", "C")].kind == "not in facts.csv"
    assert by_key[("JP", "C")].kind == "none"


def test_usgs_row_and_t5_facts_name_the_release():
    g = chokepoint.load_graph("usgs-mcs-2025")
    edge = next(e for e in g.document.edges if e.fact == "USGS-MCS2025:33")
    c = cite(g, edge, load_facts())
    assert c.kind == "data release" and c.item == "data row 33 of MCS2025_World_Data.csv"
    assert c.report_title.startswith("Mineral Commodity Summaries 2025 data release")
    t5 = edge.model_copy(update={"fact": "USGS-T5:Gallium"})
    assert cite(g, t5, {}).item == "Gallium (MCS2025_T5_Critical_Minerals_Salient.csv)"


def test_load_facts_reads_the_table_and_names_bad_lines(tmp_path):
    facts = load_facts()
    assert list(facts)[0] == "F01" and facts["F01"]["seed_line"] == 46 and facts["F01"]["share_low"] == 0.9
    assert facts["F02"]["share_low"] is None
    assert facts_path().name == "facts.csv"
    bad = tmp_path / "facts.csv"
    header = ",".join(FACT_COLUMNS)
    bad.write_text(f"{header}\nF01,q,x,,,CN,0.5,0.5,2025,S,f.txt,3,n\nF01,q,x,,,CN,0.5,0.5,2025,S,f.txt,3,n\n")
    with pytest.raises(InputError, match=r"facts.csv: line 3: fact 'F01' appears twice"):
        load_facts(bad)
    bad.write_text(f"{header}\nF01,q,x,,,CN,half,0.5,2025,S,f.txt,3,n\n")
    with pytest.raises(InputError, match=r"line 2: 'half' is not a number"):
        load_facts(bad)
    bad.write_text("id,item\nF01,x\n")
    with pytest.raises(InputError, match="missing column"):
        load_facts(bad)


# --- explain ---------------------------------------------------------------------------------------

def test_explain_supplies_and_requires(tiny_file):
    """M has three suppliers in share order (F 0.6, JP midpoint 0.3, KR 0.05) and 5% unknown;
    C is justified by its requires edge from M; P's input C has no note."""
    m = api.explain(tiny_file, "M")
    assert [(s.supplier, s.share, s.low, s.high, s.evidence, s.fact) for s in m.supplies] == [
        ("F", 0.6, 0.6, 0.6, "reported", "F01"),
        ("JP", [0.2, 0.4], 0.2, 0.4, "estimated", SEED_64),
        ("KR", 0.05, 0.05, 0.05, "estimated", USGS),
    ]
    assert m.supplies[0].country == "CN" and m.supplies[0].source_title == "A report"
    assert m.unknown_share == pytest.approx(0.05)
    assert m.estimated == 2 and m.chain is None and m.requires == ()
    c = api.explain(tiny_file, "C")
    assert c.supplies[0].share == "dominant" and (c.supplies[0].low, c.supplies[0].high) == (0.7, 0.95)
    assert [(r.input, r.note) for r in c.requires] == [("M", "C is made from M")]
    p = api.explain(tiny_file, "P")
    assert p.supplies == () and p.unknown_share is None
    assert [(r.input, r.note) for r in p.requires] == [("C", None)]


def test_explain_chain_under_a_cutoff(tiny_file):
    """Cut CN. M = 0 (F, in CN) + 0.3 (JP) + 0.05 (KR) + 0.05 unknown = 0.4.
    C supplied = 0 (CN, dominant 0.825) + 0.1 (JP) + 0.075 unknown = 0.175, min with M 0.4 = 0.175.
    P = C = 0.175. The chain of P: its input C binds (0.175 <= 0.175); C's input M does not
    (0.4 > 0.175), so C's biggest lost supplier, CN: CN -> C -> P. Assumptions: the estimated CN
    share the chain runs through, and C's unnamed 7.5%."""
    p = api.explain(tiny_file, "P", countries=["CN"])
    chain = p.chain
    assert chain.availability == pytest.approx(0.175)
    assert chain.path == ("CN", "C", "P")
    assert [(l.from_, l.link, l.to, l.evidence, l.fact) for l in chain.links] == [
        ("CN", "supplies", "C", "estimated", "F999"), ("C", "requires", "P", None, None)]
    assert [(a.from_, a.to, a.on_chain) for a in chain.assumptions] == [("CN", "C", True), (None, "C", False)]
    assert chain.assumptions[1].low == pytest.approx(0.075)
    assert chain.evidence == "estimated"


def test_explain_chain_through_a_facility(tiny_file):
    """M under a CN cutoff: 0.4; its biggest lost supplier is F (0.6), which leads on to CN:
    CN hosts F, F supplies M (reported, F01). Both estimated shares into M are assumptions though
    the chain does not run through them (JP's range, KR's point estimate), and so is M's 5%."""
    m = api.explain(tiny_file, "M", countries=["CN"])
    assert m.chain.path == ("CN", "F", "M")
    assert [(l.link, l.evidence, l.fact) for l in m.chain.links] == [("hosts", None, None), ("supplies", "reported", "F01")]
    assert [(a.from_, a.fact, a.on_chain) for a in m.chain.assumptions] == [
        ("JP", SEED_64, False), ("KR", USGS, False), (None, None, False)]
    assert m.chain.loss == pytest.approx(0.6)


def test_explain_no_loss_and_a_bloc(tiny_file):
    """Cutting the Quad cuts JP: M = 0.6 + 0.05 + 0.05 = 0.7. Cutting the US (no supplies in the
    graph) leaves P whole: no chain."""
    p = api.explain(tiny_file, "P", countries=["US"])
    assert p.chain.availability == 1.0 and p.chain.path == () and p.chain.links == ()
    assert p.to_dict()["cutoff"]["evidence"] is None
    quad = api.explain(tiny_file, "M", blocs=["Quad"])  # US, JP, IN, AU: only JP is in the graph
    assert quad.chain.blocs == ("Quad",) and "JP" in quad.chain.countries
    assert quad.chain.availability == pytest.approx(0.7)


def test_explain_unknown_node_names_graph_and_node(tiny_file):
    with pytest.raises(InputError, match=r"tiny.yaml: no node 'Q'"):
        api.explain(tiny_file, "Q")
    with pytest.raises(InputError, match=r"quantum.yaml: no node 'holmium-coper' \(did you mean holmium-copper"):
        api.explain("quantum", "holmium-coper")


def test_explain_pure_function_takes_the_facts_given(tiny_file):
    g = chokepoint.load_graph(tiny_file)
    facts = {"F01": {"id": "F01", "item": "thing", "stage": "", "source": "S", "note": "said so",
                     "seed_file": "x.txt", "seed_line": 3}}
    m = explain_graph(g, "M", facts)
    assert m.supplies[0].citation.where == "seed x.txt line 3" and m.supplies[0].citation.report_title == "A report"
    assert m.supplies[1].citation.same_line == ()


def test_explain_quantum_holmium_copper_reaches_f01():
    result = api.explain("quantum", "holmium-copper")
    f01 = next(s for s in result.supplies if s.fact == "F01")
    assert f01.evidence == "reported" and f01.share == 0.9
    assert f01.citation.report == "CFR2025"
    assert (f01.citation.seed_file, f01.citation.seed_line) == ("000_ee92b4dbc66e81e6.txt", 46)
    assert f01.source_title.startswith("U.S. Economic Security")
    jp = next(s for s in result.supplies if s.supplier == "JP")
    assert jp.evidence == "estimated" and jp.fact == "F02"


def test_cli_explain_table_and_json(cli, tiny_file):
    result = cli("explain", "quantum", "holmium-copper")
    assert result.code == 0, result.err
    out = result.out
    assert "F01" in out and "CFR2025" in out and "000_ee92b4dbc66e81e6.txt line 46" in out
    assert "reported" in out and "estimated" in out
    result = cli("explain", tiny_file, "P", "--country", "CN")
    assert result.code == 0, result.err
    assert "Chain: CN -> C -> P" in result.out and "no note" in result.out
    assert "Assumptions on this chain:" in result.out and "F999" in result.out
    result = cli("explain", tiny_file, "P", "--country", "CN", "--json")
    data = json.loads(result.out)
    assert data["node"] == "P" and data["requires"] == [{"input": "C", "label": "C", "note": None}]
    assert data["cutoff"]["path"] == ["CN", "C", "P"] and data["cutoff"]["evidence"] == "estimated"
    assert data["cutoff"]["availability"] == pytest.approx(0.175)
    data = json.loads(cli("explain", "quantum", "holmium-copper", "--json").out)
    f01 = next(s for s in data["supplies"] if s["fact"] == "F01")
    assert f01["citation"]["seed_file"] == "000_ee92b4dbc66e81e6.txt" and f01["citation"]["seed_line"] == 46


def test_cli_explain_unknown_node(cli, tiny_file):
    result = cli("explain", "quantum", "no-such-node")
    assert result.code == 1 and result.out == ""
    assert result.err.startswith("error: quantum.yaml: no node 'no-such-node'") and result.err.count("\n") == 1
    result = cli("explain", tiny_file, "P", "--country", "XX")
    assert result.code == 1 and result.err.count("\n") == 1


# --- sensitivity -----------------------------------------------------------------------------------

def test_sensitivity_hand_worked(tiny_file):
    """Cut CN. Ranged shares upstream of P: CN -> C dominant [0.7, 0.95] and JP -> M [0.2, 0.4];
    KR -> M is an estimate written as one number (not varied).

    CN -> C at 0.7: C's shares sum 0.8, remainder 0.2, supplied 0.1 + 0.2 = 0.3 (M 0.4 does not
    bind): P = 0.3. At 0.95: the shares sum 1.05 and are scaled to 1, remainder 0, supplied
    0.1 / 1.05: P = 0.0952. Swing 0.2048 around the point value 0.175.
    JP -> M at 0.2 or 0.4 does not move P: M stays above C's supply (and at 0.2 the remainder
    takes up what JP gives back: M = 0.2 + 0.05 + 0.15 = 0.4; at 0.4, scaled: 0.45 / 1.05 = 0.4286).
    """
    result = api.sensitivity(tiny_file, countries=["CN"])
    assert result.varied == 2 and result.fixed == ("KR -> M",) and result.products == ("P",)
    ranking = result.ranking
    assert len(ranking) == 1
    row = ranking.iloc[0]
    assert (row["from"], row["to"], row["product"], row["share"], row["fact"]) == ("CN", "C", "P", "dominant [0.7-0.95]", "F999")
    assert row["baseline"] == pytest.approx(0.175)
    assert row["at_low"] == pytest.approx(0.3) and row["at_high"] == pytest.approx(0.1 / 1.05)
    assert row["swing"] == pytest.approx(0.3 - 0.1 / 1.05)
    assert len(result.frame) == 2  # the JP -> M row is there, with no swing
    assert result.frame.iloc[1]["swing"] == pytest.approx(0.0, abs=1e-12)
    both = api.sensitivity(tiny_file, countries=["CN"], products=["M", "P"])
    pairs = [(r["from"], r["product"], round(r["swing"], 6)) for _, r in both.ranking.iterrows()]
    assert pairs == [("CN", "P", round(0.3 - 0.1 / 1.05, 6)), ("JP", "M", round(0.45 / 1.05 - 0.4, 6))]
    jp = both.ranking.iloc[1]
    assert jp["at_low"] == pytest.approx(0.4) and jp["at_high"] == pytest.approx(0.45 / 1.05)


def test_sensitivity_baseline_is_the_cutoff(tiny_file):
    result = api.sensitivity("quantum", countries=["CN"])
    cut = api.cutoff("quantum", countries=["CN"]).products.set_index("id")["availability"]
    assert result.baseline == pytest.approx(cut.to_dict(), abs=1e-12)
    assert len(result.ranking) <= 10 and result.ranking["swing"].is_monotonic_decreasing


def test_sensitivity_matches_reference_on_a_varied_share():
    """Every at_low / at_high is the reference propagation with that one share overridden."""
    from chokepoint.engine.reference import Scenario, propagate

    g = chokepoint.load_graph("quantum")
    result = api.sensitivity(g, blocs=["G7"], top=50)
    points = {s.edge.key: s.share for supplies in g.supplies.values() for s in supplies}
    checked = 0
    for _, row in result.frame.head(12).iterrows():
        for end, column in ((row["low"], "at_low"), (row["high"], "at_high")):
            item_edges = [s.edge for s in g.supplies[row["to"]]]
            raw = {e.key: e.share.point for e in item_edges}
            raw[(row["from"], row["to"])] = end
            total = sum(raw.values())
            shares = dict(points)
            shares.update({k: v / total if total > 1 else v for k, v in raw.items()})
            codes = frozenset(resolve_bloc("G7")[1])
            avail = propagate(g, Scenario(countries=codes, shares=shares))
            assert avail[row["product"]] == pytest.approx(row[column], abs=1e-9), (row["from"], row["to"], column)
            checked += 1
    assert checked == 24


def test_sensitivity_refuses_bad_input(tiny_file):
    with pytest.raises(InputError, match="at least one country"):
        api.sensitivity(tiny_file)
    with pytest.raises(InputError, match="no node 'Q'"):
        api.sensitivity(tiny_file, countries=["CN"], products=["Q"])
    with pytest.raises(InputError, match="--top 0"):
        api.sensitivity(tiny_file, countries=["CN"], top=0)


def test_cli_sensitivity(cli, tiny_file):
    result = cli("sensitivity", tiny_file, "--country", "CN")
    assert result.code == 0, result.err
    assert "CN -> C" in result.out and "dominant [0.7-0.95]" in result.out and "30.0%" in result.out
    assert "KR -> M" in result.out  # the estimate that could not be varied
    data = json.loads(cli("sensitivity", tiny_file, "--country", "CN", "--product", "M", "--json").out)
    assert data["products"] == ["M"] and data["fixed_estimates"] == ["KR -> M"]
    assert [(s["from"], s["product"]) for s in data["swings"]] == [("JP", "M")]
    assert data["swings"][0]["at_high"] == pytest.approx(0.45 / 1.05)
    result = cli("sensitivity", tiny_file, "--country", "US")
    assert result.code == 0 and "No estimated share moves" in result.out and "no supply edges from US" in result.out
    result = cli("sensitivity", tiny_file)
    assert result.code == 1 and result.err.count("\n") == 1
