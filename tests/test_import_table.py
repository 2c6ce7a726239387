"""The tidy-table importer: quantities and shares, CSV and Excel, requires tables, bad rows.

Top shares and HHI are worked by hand in each test's docstring; HHI is on the 0-10,000 scale
(sum of (100 * share)^2 over the countries with an edge) and is computed here from the imported
graph's shares.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from chokepoint.errors import InputError
from chokepoint.importers import import_table

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"


def supplies(result, node_id: str) -> dict[str, float]:
    return {e["from"]: e["share"] for e in result.document["edges"]
            if e["type"] == "supplies" and e["to"] == node_id}


def hhi(shares: dict[str, float]) -> float:
    return sum((100 * s) ** 2 for s in shares.values())


def top(shares: dict[str, float]) -> tuple[str, float]:
    return max(shares.items(), key=lambda kv: (kv[1], kv[0]))


def nodes(result) -> dict[str, dict]:
    return {n["id"]: n for n in result.document["nodes"]}


def skipped_rows(result, file: str | None = None) -> dict[int, dict]:
    return {s["row"]: s for s in result.skipped if file is None or s["file"] == file}


def test_quantities_by_hand():
    """table_quantities.csv (quantities; countries as names, alpha-2 and alpha-3).

    graphite / refining: China 910, JPN 40, IN 30, Other countries 20 -> sum 1,000
        shares CN 0.91, JP 0.04, IN 0.03 (0.02 stays as the remainder: 'Other countries')
        top CN 0.91; HHI = 91^2 + 4^2 + 3^2 = 8,281 + 16 + 9 = 8,306
    cobalt / mining: Congo (Kinshasa) 150, IDN 30, RUS 10, AU 10 -> sum 200
        shares CD 0.75, ID 0.15, RU 0.05, AU 0.05
        top CD 0.75; HHI = 75^2 + 15^2 + 5^2 + 5^2 = 5,625 + 225 + 25 + 25 = 5,900
    """
    result = import_table(FIXTURES / "table_quantities.csv")
    graphite = supplies(result, "graphite-refining")
    assert graphite == {"CN": 0.91, "JP": 0.04, "IN": 0.03}
    assert top(graphite) == ("CN", 0.91)
    assert hhi(graphite) == pytest.approx(8306)
    cobalt = supplies(result, "cobalt-mining")
    assert cobalt == {"CD": 0.75, "ID": 0.15, "RU": 0.05, "AU": 0.05}
    assert top(cobalt) == ("CD", 0.75)
    assert hhi(cobalt) == pytest.approx(5900)
    node = nodes(result)["graphite-refining"]
    assert node == {**node, "kind": "material", "label": "graphite / refining", "stage": "refining",
                    "critical_mineral": True}
    assert "20 not attributed to a country" in node["note"]
    skipped = skipped_rows(result)
    assert list(skipped) == [4] and skipped[4]["category"] == "aggregate"
    for code in ("CN", "JP", "IN", "CD", "ID", "RU", "AU"):
        assert nodes(result)[code]["kind"] == "country"
    jp = next(e for e in result.document["edges"] if e["from"] == "JP")
    assert "given as 'JPN'" in jp["note"] and jp["source"] == "table-quantities"
    assert result.document["sources"] == {"table-quantities": {"title": "table_quantities.csv (imported table)"}}


def test_shares_mode():
    """table_shares.csv with shares=True: values are shares in [0, 1].

    lithium / mining: Australia 0.37, CL 0.2, CHN 0.18; the remainder 0.25 is other or unknown.
        top AU 0.37; HHI = 37^2 + 20^2 + 18^2 = 1,369 + 400 + 324 = 2,093
    Argentina 45 is outside [0, 1] (no percentages); Zimbabwe '8%' is not a number: both reported.
    """
    result = import_table(FIXTURES / "table_shares.csv", shares=True)
    lithium = supplies(result, "lithium-mining")
    assert lithium == {"AU": 0.37, "CL": 0.2, "CN": 0.18}
    assert top(lithium) == ("AU", 0.37)
    assert hhi(lithium) == pytest.approx(2093)
    skipped = skipped_rows(result)
    assert skipped[4]["category"] == "share out of range" and "45" in skipped[4]["reason"]
    assert skipped[5]["category"] == "not a number" and "not as percentages" in skipped[5]["reason"]
    # the same file read as quantities: 45 and 0.37... are summed, which is why shares=True exists
    quantities = supplies(import_table(FIXTURES / "table_shares.csv"), "lithium-mining")
    assert top(quantities)[0] == "AR"


def test_renamed_columns():
    """table_renamed.csv: columns Material, Step, Nation, Tonnes.

    gallium / refining: CHN 600, Japan 200, DE 200 -> sum 1,000: CN 0.6, JP 0.2, DE 0.2
        top CN 0.6; HHI = 60^2 + 20^2 + 20^2 = 3,600 + 400 + 400 = 4,400
    """
    result = import_table(FIXTURES / "table_renamed.csv", item="Material", stage="Step",
                          country="Nation", value="Tonnes")
    gallium = supplies(result, "gallium-refining")
    assert gallium == {"CN": 0.6, "JP": 0.2, "DE": 0.2}
    assert top(gallium) == ("CN", 0.6) and hhi(gallium) == pytest.approx(4400)
    # names are also matched ignoring case
    same = import_table(FIXTURES / "table_renamed.csv", item="material", stage="step",
                        country="NATION", value="tonnes")
    assert same.document == {**result.document}
    with pytest.raises(InputError) as info:
        import_table(FIXTURES / "table_renamed.csv")
    assert "table_renamed.csv" in str(info.value) and "missing column 'item'" in str(info.value)
    with pytest.raises(InputError, match="missing column 'Phase' for the stage"):
        import_table(FIXTURES / "table_renamed.csv", item="Material", stage="Phase",
                     country="Nation", value="Tonnes")


def test_excel_file(tmp_path):
    """An .xlsx written here (numbers as numbers, a TRUE cell for critical).

    rare earths / separation: China 90, Malaysia 5, EST 5 -> sum 100: CN 0.9, MY 0.05, EE 0.05
        top CN 0.9; HHI = 90^2 + 5^2 + 5^2 = 8,100 + 25 + 25 = 8,150
    """
    path = tmp_path / "rare earths.xlsx"
    pd.DataFrame({
        "item": ["rare earths"] * 3,
        "stage": ["separation"] * 3,
        "country": ["China", "Malaysia", "EST"],
        "value": [90, 5.0, 5],
        "critical": [True, None, None],
    }).to_excel(path, index=False)
    result = import_table(path)
    assert result.document["name"] == "rare-earths"
    shares = supplies(result, "rare-earths-separation")
    assert shares == {"CN": 0.9, "MY": 0.05, "EE": 0.05}
    assert top(shares) == ("CN", 0.9) and hhi(shares) == pytest.approx(8150)
    assert nodes(result)["rare-earths-separation"]["critical_mineral"] is True
    # an Excel file with shares
    path2 = tmp_path / "shares.xlsx"
    frame = pd.DataFrame({"item": ["hafnium", "hafnium"], "country": ["FR", "US"], "value": [0.5, 0.25]})
    frame.to_excel(path2, index=False)
    assert supplies(import_table(path2, shares=True), "hafnium") == {"FR": 0.5, "US": 0.25}
    bad = tmp_path / "fake.xlsx"
    bad.write_text("item,country,value\n")
    with pytest.raises(InputError, match="fake.xlsx: not a readable Excel file"):
        import_table(bad)


def test_requires_table():
    """table_requires.csv: items by label ('graphite / refining'), by id ('cobalt-mining') and new
    names ('anode material', 'EV battery', kinds from the kind column). Row 4 is a self-loop and
    row 5 repeats row 3 ('cobalt / mining' is cobalt-mining's label): both reported."""
    result = import_table(FIXTURES / "table_quantities.csv", requires=FIXTURES / "table_requires.csv")
    requires = sorted((e["from"], e["to"]) for e in result.document["edges"] if e["type"] == "requires")
    assert requires == [("anode-material", "ev-battery"), ("cobalt-mining", "ev-battery"),
                        ("graphite-refining", "anode-material")]
    assert nodes(result)["ev-battery"]["kind"] == "product"
    assert nodes(result)["anode-material"]["kind"] == "component"
    skipped = skipped_rows(result, "table_requires.csv")
    assert skipped[4]["category"] == "self-loop" and skipped[5]["category"] == "duplicate"
    assert any("nodes named only in table_requires.csv" in line and "ev-battery" in line for line in result.summary)
    assert not any("no product" in line for line in result.summary)


def test_requires_ambiguous_item_name(tmp_path):
    """'graphite' has two stages in the supply table: a requires row naming just 'graphite' is
    ambiguous and reported."""
    path = tmp_path / "req.csv"
    path.write_text("item,input\nbattery,graphite\n")
    supply = tmp_path / "supply.csv"
    supply.write_text("item,stage,country,value\ngraphite,mining,CN,1\ngraphite,refining,CN,1\n")
    result = import_table(supply, requires=path)
    assert skipped_rows(result, "req.csv")[1]["category"] == "ambiguous"
    assert not [e for e in result.document["edges"] if e["type"] == "requires"]


def test_bad_rows_are_reported():
    """table_bad_rows.csv: tungsten / mining.

    Edges: China 80, Spain 10. Atlantis 10 is not a country: reported, and counted in the sum as
    unattributed, so the sum is 80 + 10 + 10 = 100: CN 0.8, ES 0.1 (0.1 remainder).
        top CN 0.8; HHI = 80^2 + 10^2 = 6,500
    Reported: 2 unknown country, 3 'abc', 4 negative, 5 no item, 6 no country, 7 no value,
    8 'World' (an aggregate: shares are of the sum of the rows).
    """
    result = import_table(FIXTURES / "table_bad_rows.csv")
    tungsten = supplies(result, "tungsten-mining")
    assert tungsten == {"CN": 0.8, "ES": 0.1}
    assert top(tungsten) == ("CN", 0.8) and hhi(tungsten) == pytest.approx(6500)
    skipped = skipped_rows(result)
    assert {n: s["category"] for n, s in skipped.items()} == {
        2: "unknown country", 3: "not a number", 4: "negative", 5: "missing item",
        6: "missing country", 7: "missing value", 8: "aggregate"}
    assert skipped[3]["value"] == "abc" and skipped[2]["country"] == "Atlantis"
    assert all(set(s) >= {"file", "row", "item", "stage", "country", "value", "reason"} for s in result.skipped)
    assert any(line.startswith("skipped 7 rows:") for line in result.summary)


def test_no_stage_column_duplicates_and_thousands(tmp_path):
    """No stage column: ids from the item alone. Quantities of one country on two rows are summed;
    '1,200' is one thousand two hundred.

    neon: UA 1,200 + UA 300 = 1,500; RU 500 -> sum 2,000: UA 0.75, RU 0.25; HHI 5,625 + 625 = 6,250
    """
    path = tmp_path / "neon.csv"
    path.write_text('item,country,value\nneon,Ukraine,"1,200"\nneon,UA,300\nneon,Russia,500\n')
    result = import_table(path, name="neon-supply", title="Neon")
    assert result.document["name"] == "neon-supply" and result.document["title"] == "Neon"
    neon = supplies(result, "neon")
    assert neon == {"UA": 0.75, "RU": 0.25} and hhi(neon) == pytest.approx(6250)
    assert "stage" not in nodes(result)["neon"]
    assert nodes(result)["neon"]["critical_mineral"] is False
    ua = next(e for e in result.document["edges"] if e["from"] == "UA")
    assert ua["note"].startswith("Rows 1, 2 of neon.csv: 1,500 of 2,000")
    shares = tmp_path / "neon-shares.csv"
    shares.write_text("item,country,value\nneon,UA,0.5\nneon,Ukraine,0.4\n")
    result = import_table(shares, shares=True)
    assert supplies(result, "neon") == {"UA": 0.5}
    assert skipped_rows(result)[2]["category"] == "duplicate"


def test_optional_columns_and_share_sum_warning(tmp_path):
    path = tmp_path / "pcb.csv"
    path.write_text("item,country,value,kind,basis,year,source,note\n"
                    "printed circuit boards,CN,0.7,component,US imports,2024,CFR 2025,from the report\n"
                    "printed circuit boards,TW,0.5,component,US imports,2024,CFR 2025,\n")
    result = import_table(path, shares=True)
    edge = next(e for e in result.document["edges"] if e["from"] == "CN")
    assert edge == {**edge, "basis": "US imports", "year": 2024, "source": "cfr-2025"}
    assert edge["note"].endswith("from the report")
    assert result.document["sources"] == {"cfr-2025": {"title": "CFR 2025"}}
    node = nodes(result)["printed-circuit-boards"]
    assert node["kind"] == "component" and "critical_mineral" not in node
    assert any("sum to 1.200: validation will fail" in line for line in result.summary)


@pytest.mark.parametrize("name, message", [
    ("table_missing_column.csv", "missing column 'country'"),
    ("empty.csv", "empty file"),
    ("binary.csv", "a binary file"),
    ("not_a_table.yaml", "unsupported file type '.yaml'"),
    ("no_such_file.csv", "no such file"),
])
def test_malformed_files_raise_one_line_naming_the_file(name, message):
    with pytest.raises(InputError) as info:
        import_table(FIXTURES / name)
    assert name in str(info.value) and message in str(info.value) and "\n" not in str(info.value)


def test_bad_name_option():
    with pytest.raises(InputError, match="lower-case"):
        import_table(FIXTURES / "table_quantities.csv", name="Not A Name")


def test_imported_graphs_have_no_products_and_validate():
    """Nothing artificial is added: without product rows the graph has none (said in the summary);
    the core validator accepts both importers' output, warning only about that."""
    validate = pytest.importorskip("chokepoint.model.validate")
    from chokepoint.importers import import_usgs

    table = import_table(FIXTURES / "table_quantities.csv")
    assert "no product nodes: the graph has items and suppliers only" in table.summary
    assert not [n for n in table.document["nodes"] if n["kind"] == "product"]
    for result, origin in ((table, "table_quantities.csv"),
                           (import_table(FIXTURES / "table_shares.csv", shares=True), "table_shares.csv"),
                           (import_usgs(FIXTURES / "usgs_quirks.csv"), "usgs_quirks.csv")):
        document, warnings = validate.parse_document(result.document, origin)
        assert document.nodes
        # the quirks fixture's gizmo sums to 1.05 of its rounded world total: kept, then normalised
        assert all("no product" in w or "normalised to 1" in w for w in warnings), warnings
    with_products = import_table(FIXTURES / "table_quantities.csv", requires=FIXTURES / "table_requires.csv")
    document, warnings = validate.parse_document(with_products.document, "with-requires")
    assert warnings == []
