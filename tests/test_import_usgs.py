"""The USGS MCS 2025 importer, on the real shipped data release and on small fixtures.

The real file is ``data/usgs-mcs-2025/MCS2025_World_Data.csv`` (1,250 data rows). Cross-checks
read it independently with the ``csv`` module, so they do not trust the importer's reader.
"""

from __future__ import annotations

import csv
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from chokepoint.model.countries import resolve_country
from chokepoint.errors import InputError
from chokepoint.importers import ImportResult, import_usgs
from chokepoint.importers.usgs import parse_type, parse_value

ROOT = Path(__file__).resolve().parents[1]
RELEASE = ROOT / "data" / "usgs-mcs-2025"
WORLD = RELEASE / "MCS2025_World_Data.csv"
T5 = RELEASE / "MCS2025_T5_Critical_Minerals_Salient.csv"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "import"


@pytest.fixture(scope="module")
def world():
    return import_usgs(RELEASE)


@pytest.fixture(scope="module")
def raw_rows():
    """The real file's data rows as dicts (row number -> row), read with the csv module."""
    with WORLD.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        return {number: row for number, row in enumerate(reader, start=1)}


def edges_into(result: ImportResult, node_id: str) -> list[dict]:
    return sorted((e for e in result.document["edges"] if e["to"] == node_id), key=lambda e: -e["share"])


def materials(result: ImportResult) -> dict[str, dict]:
    return {n["id"]: n for n in result.document["nodes"] if n["kind"] == "material"}


def fact_rows(edge: dict) -> list[int]:
    key, rows = edge["fact"].split(":")
    assert key == "USGS-MCS2025"
    return [int(r) for r in rows.split("+")]


def country_code(name: str) -> str:
    """Alpha-2 code of a USGS country name, independently of the importer."""
    name = name.replace("\xa0", " ").strip().replace("’", "'")
    try:
        return resolve_country(name)
    except InputError:
        return resolve_country(re.sub(r"\s*\(.*\)$", "", name))


def rescale_factors(result: ImportResult) -> dict[str, float]:
    """node id -> (sum of the table's rows / world total), from the summary's 'rescaled' lines."""
    factors = {}
    for line in result.summary:
        match = re.match(r"rescaled (\S+): .*world total ([\d,.]+); .*rows ([\d,.]+) instead", line)
        if match:
            world_total, rows_sum = (float(g.replace(",", "")) for g in match.group(2, 3))
            factors[match.group(1)] = rows_sum / world_total
    return factors


# --------------------------------------------------------------------------- the whole file


def test_folder_and_file_give_the_same_document(world):
    assert import_usgs(WORLD).document == world.document


def test_document_shape_and_source(world):
    doc = world.document
    assert doc["name"] == "usgs-mcs-2025"
    assert list(doc)[:3] == ["name", "title", "description"]
    assert doc["sources"] == {"USGS-MCS2025": {
        "title": "Mineral Commodity Summaries 2025 data release",
        "publisher": "U.S. Geological Survey",
        "year": 2025,
        "url": "https://doi.org/10.5066/P13XCP3R",
    }}
    assert "'World total (rounded)'" in doc["description"] and "denominator: world" in doc["description"]
    for node in doc["nodes"]:
        if node["kind"] == "material":
            assert re.fullmatch(r"[a-z0-9-]+", node["id"]), node["id"]
            assert node["label"] and node["stage"] and isinstance(node["critical_mineral"], bool)
            assert node["note"].startswith("Unit: ")
        else:
            assert node["kind"] == "country" and re.fullmatch(r"[A-Z]{2}", node["id"])
    for edge in doc["edges"]:
        assert edge["type"] == "supplies" and edge["basis"] == "global production"
        assert edge["source"] == "USGS-MCS2025" and edge["year"] in (2023, 2024)
        assert edge["share"] == round(edge["share"], 6) and 0 <= edge["share"] <= 1
    pairs = [(e["from"], e["to"]) for e in doc["edges"]]
    assert len(pairs) == len(set(pairs))


def test_every_row_is_an_edge_or_skipped_once(world, raw_rows):
    """1,250 data rows = rows behind edges (945: two helium rows share one edge) + skipped (305)."""
    in_edges = [r for e in world.document["edges"] for r in fact_rows(e)]
    skipped = [s["row"] for s in world.skipped]
    assert len(in_edges) == len(set(in_edges))
    assert not set(in_edges) & set(skipped)
    assert sorted(in_edges + skipped) == list(range(1, len(raw_rows) + 1))
    assert len(raw_rows) == 1250
    assert (len(world.document["edges"]), len(in_edges), len(skipped)) == (944, 945, 305)
    assert world.skipped_by_category() == {
        "aggregate": 150, "capacity": 61, "blank": 58, "reserves": 14, "withheld": 14, "not available": 8}
    for entry in world.skipped:
        assert set(entry) >= {"row", "commodity", "country", "type", "value", "reason"}
        assert "\n" not in entry["reason"]


def test_facts_point_at_the_rows_of_the_country(world, raw_rows):
    """Each edge's fact names rows of its own country, commodity and a production type."""
    labels = {n["id"]: n["label"] for n in world.document["nodes"]}
    for edge in world.document["edges"]:
        for number in fact_rows(edge):
            row = raw_rows[number]
            assert country_code(row["COUNTRY"]) == edge["from"], number
            commodity = row["COMMODITY"].strip().lower()
            assert labels[edge["to"]].lower().startswith(
                {"gemanium": "germanium", "talc, crude": "talc and pyrophyllite"}.get(commodity, commodity))
            assert "capacity" not in row["TYPE"].lower() and "reserves" not in row["TYPE"].lower()


def test_shares_into_each_material_never_sum_past_one(world):
    for denominator in ("world", "sum"):
        result = world if denominator == "world" else import_usgs(RELEASE, denominator="sum")
        totals = defaultdict(float)
        for edge in result.document["edges"]:
            totals[edge["to"]] += edge["share"]
        # "world": the rounded world total may sit below the rows, up to the 1.05 tolerance
        assert max(totals.values()) <= (1.05 if denominator == "world" else 1) + 1e-9, denominator


def test_document_validates(world):
    """The core validator accepts the import; the only warning is that it has no products."""
    validate = pytest.importorskip("chokepoint.model.validate")
    document, warnings = validate.parse_document(world.document, "usgs-mcs-2025.yaml")
    assert len(document.edges) == 944
    assert all("no product" in w or "normalised to 1" in w for w in warnings), warnings
    assert any("antimony-mine-production': shares sum to 1.04; normalised" in w for w in warnings)


def test_shipped_graph_matches_a_fresh_import(world):
    """graphs/usgs-mcs-2025.yaml is this importer's output on the shipped release."""
    yaml = pytest.importorskip("yaml")
    shipped = ROOT / "graphs" / "usgs-mcs-2025.yaml"
    if not shipped.exists():
        pytest.skip("graphs/usgs-mcs-2025.yaml not written yet")
    from chokepoint import load_graph
    from chokepoint.model.validate import parse_document

    assert load_graph(shipped).document == parse_document(world.document, "fresh import")[0]
    assert shipped.read_text(encoding="utf-8").startswith("# written by chokepoint")


# --------------------------------------------------------------------------- the README's quirks


def test_quirk_utf8_bom_and_header_with_stray_space(world):
    raw = WORLD.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfSOURCE,") and b"PROD_EST_ 2024" in raw.splitlines()[0]
    # the BOM did not hide SOURCE (edition read as 2025) and 'PROD_EST_ 2024' was found (2024 figures)
    assert world.document["name"] == "usgs-mcs-2025"
    cobalt = edges_into(world, "cobalt-mine-production")
    assert cobalt[0]["from"] == "CD" and cobalt[0]["year"] == 2024
    assert cobalt[0]["share"] == round(220000 / 290000, 6)


def test_quirk_trailing_spaces_in_names(world, raw_rows):
    assert raw_rows[1172]["COMMODITY"] == "Tungsten " and raw_rows[274]["COUNTRY"] == "Russia "
    assert "tungsten-mine-production" in materials(world)
    assert any(e["from"] == "RU" and e["fact"] == "USGS-MCS2025:274" for e in world.document["edges"])
    for node in world.document["nodes"]:
        assert node.get("label", "") == node.get("label", "").strip()
        assert "  " not in node.get("label", "") and "\xa0" not in node.get("label", "")


def test_quirk_non_breaking_space_in_names(world, raw_rows):
    assert raw_rows[582]["COUNTRY"] == "United\xa0States (kyanite)"
    assert raw_rows[2]["COUNTRY"] == "United\xa0States and Canada"
    kyanite = {e["from"]: e for e in edges_into(world, "kyanite-and-related-minerals-mine-production")}
    assert kyanite["US"]["fact"] == "USGS-MCS2025:582"
    assert "reported as 'United States (kyanite)'" in kyanite["US"]["note"]
    skipped = {s["row"]: s for s in world.skipped}
    assert skipped[2]["country"] == "United States and Canada"  # abrasives capacity, not a country either


def test_quirk_gemanium_is_reported_not_imported_as_zeros(world, raw_rows):
    rows = [n for n, r in raw_rows.items() if r["COMMODITY"].strip() == "Gemanium"]
    assert rows == list(range(400, 408))
    assert all(not raw_rows[n]["PROD_2023"] and not raw_rows[n]["PROD_EST_ 2024"] for n in rows)
    assert not any("german" in node_id or "gemanium" in node_id for node_id in materials(world))
    skipped = {s["row"]: s for s in world.skipped}
    assert all(n in skipped for n in rows)
    assert {skipped[n]["category"] for n in rows} == {"blank", "aggregate"}
    assert "no production figures, no node: Germanium (spelled 'Gemanium')" in world.summary
    assert all(e["share"] > 0 or e["to"] != "germanium" for e in world.document["edges"])


def test_quirk_mine_poduction_typo_normalised(world, raw_rows):
    assert raw_rows[251]["TYPE"] == "Mine poduction, Kaolin"
    clays = {k: v for k, v in materials(world).items() if k.startswith("clays-")}
    assert sorted(clays) == ["clays-mine-production-bentonite", "clays-mine-production-fuller-s-earth",
                             "clays-mine-production-kaolin"]
    assert all(n["stage"] == "mine production" and "poduction" not in n["label"] for n in clays.values())
    assert parse_type("Mine poduction, Fuller's earth", "Clays") == ("mine production", "fuller's earth", "production")


def test_quirk_one_table_with_differently_written_types(world, raw_rows):
    """Cobalt's US row says 'Mine production, estimated', the others '..., cobalt content, estimated'."""
    assert raw_rows[264]["TYPE"] == "Mine production, estimated"
    assert raw_rows[265]["TYPE"] == "Mine production, cobalt content, estimated"
    cobalt = [k for k in materials(world) if k.startswith("cobalt")]
    assert cobalt == ["cobalt-mine-production"]
    assert materials(world)["cobalt-mine-production"]["label"] == "Cobalt / Mine production"
    assert any(e["from"] == "US" and e["fact"] == "USGS-MCS2025:264" for e in world.document["edges"])
    # soda ash: the US row says 'Soda ash, natural, mine production', the rest 'Mine production, natural'
    assert {e["from"] for e in edges_into(world, "soda-ash-mine-production-natural")} >= {"US", "TR"}


def test_quirk_mine_and_refinery_production_are_separate_nodes(world):
    assert materials(world)["copper-mine-production"]["stage"] == "mine production"
    assert materials(world)["copper-refinery-production"]["stage"] == "refinery production"
    assert edges_into(world, "copper-mine-production")[0]["from"] == "CL"
    assert edges_into(world, "copper-refinery-production")[0]["from"] == "CN"


def test_quirk_flags_in_the_real_file_are_reported_never_zero(world, raw_rows):
    """In this release W and NA sit in PROD_NOTES beside blank cells; '>' bounds in RESERVES_2024."""
    skipped = {s["row"]: s for s in world.skipped}
    assert raw_rows[627]["PROD_NOTES"] == "W for 23-24"  # lithium, United States
    assert skipped[627]["category"] == "withheld" and "W for 23-24" in skipped[627]["reason"]
    assert raw_rows[356]["PROD_NOTES"] == "NA"  # fluorspar, United States
    assert skipped[356]["category"] == "not available"
    assert raw_rows[896]["RESERVES_2024"] == ">90000000"  # rare earths world total: reserves, not read
    assert skipped[896]["category"] == "aggregate"
    assert raw_rows[486]["PROD_EST_ 2024"] == "" and skipped[486]["category"] == "blank"  # indium, Peru
    edge_rows = {r for e in world.document["edges"] for r in fact_rows(e)}
    for number, row in raw_rows.items():
        if not row["PROD_2023"].strip() and not row["PROD_EST_ 2024"].strip():
            assert number not in edge_rows
    assert min(e["share"] for e in world.document["edges"]) > 0


def test_quirk_flags_in_value_cells(tmp_path):
    """W, NA, bounds and blanks in the production cells themselves (fixture)."""
    result = import_usgs(FIXTURES / "usgs_quirks.csv")
    skipped = {s["row"]: s for s in result.skipped}
    assert (skipped[1]["category"], skipped[1]["value"]) == ("withheld", "W")
    assert (skipped[4]["category"], skipped[4]["value"]) == ("not available", "NA")
    assert (skipped[5]["category"], skipped[5]["value"]) == ("bound", ">90000000")
    assert {"US", "KR", "MM"}.isdisjoint(e["from"] for e in result.document["edges"])
    assert parse_value("W") == (None, "withheld", "withheld (W) to avoid disclosing company data")
    assert parse_value("")[1] == "blank" and parse_value(" ", "W for 23-24")[1] == "withheld"
    assert parse_value("1,250")[0] == 1250.0 and parse_value("0")[1] == "zero"


def test_quirk_aggregate_rows_are_not_countries(world, raw_rows):
    aggregates = [n for n, r in raw_rows.items()
                  if re.match(r"(world total|other countries)", r["COUNTRY"].replace("\xa0", " ").strip(), re.I)
                  or r["COUNTRY"].replace("\xa0", " ") == "United States and Canada"]
    assert len(aggregates) == 162  # 93 world totals, 67 'Other countries ...', 2 'United States and Canada'
    skipped = {s["row"]: s for s in world.skipped}
    assert all(n in skipped for n in aggregates)
    categories = Counter(skipped[n]["category"] for n in aggregates)
    assert categories == {"aggregate": 150, "capacity": 10, "reserves": 2}  # capacity/reserves tables
    # the ilmenite table has its own world total and a combined ilmenite-and-rutile one
    assert raw_rows[1141]["COUNTRY"] == "World total (ilmenite and rutile, rounded)"
    assert "totals several production types" in skipped[1141]["reason"]
    ilmenite = "titanium-mineral-concentrates-mine-production-ilmenite-titanium-dioxide-tio2-content"
    assert "Shares of the world total (8,900, rounded)" in materials(world)[ilmenite]["note"]
    # 'World total (rounded) 10' (antimony, with a footnote mark) is still the world total
    assert raw_rows[62]["COUNTRY"] == "World total (rounded) 10" and skipped[62]["category"] == "aggregate"


def test_quirk_aggregate_of_several_countries(tmp_path):
    """'United States and Canada' is two countries: never an edge (fixture, rows 9)."""
    result = import_usgs(FIXTURES / "usgs_quirks.csv")
    skipped = {s["row"]: s for s in result.skipped}
    assert skipped[9]["category"] == "aggregate" and "several countries" in skipped[9]["reason"]
    assert skipped[10]["category"] == "aggregate" and "other countries" in skipped[10]["reason"]


def test_quirk_units_differ_row_by_row(world, raw_rows):
    """Each node's edges come from rows in one unit; the one blank unit cell is said."""
    for node_id, node in materials(world).items():
        unit = re.match(r"Unit: (.*?)\.", node["note"]).group(1)
        for edge in edges_into(world, node_id):
            for number in fact_rows(edge):
                assert raw_rows[number]["UNIT_MEAS"] in (unit, ""), (node_id, number)
    assert raw_rows[1131]["UNIT_MEAS"] == ""  # Sierra Leone rutile
    rutile = "titanium-mineral-concentrates-mine-production-rutile-titanium-dioxide-tio2-content"
    sierra = next(e for e in edges_into(world, rutile) if e["from"] == "SL")
    assert "unit cell blank" in sierra["note"] and sierra["share"] == round(60 / 450, 6)
    assert any("unit blank on row(s) 1131" in line for line in world.summary)
    units = {re.match(r"Unit: (.*?)\.", n["note"]).group(1) for n in materials(world).values()}
    assert units == {"kilograms", "metric tons", "thousand metric tons", "thousand metric dry tons",
                     "million carats", "thousand carats", "million cubic meters", "million metric tons"}


def test_quirk_row_in_another_unit_is_reported(tmp_path):
    result = import_usgs(FIXTURES / "usgs_quirks.csv")
    skipped = {s["row"]: s for s in result.skipped}
    assert skipped[11]["category"] == "unit" and "kilograms" in skipped[11]["reason"]
    assert "MX" not in {e["from"] for e in result.document["edges"]}


def test_capacity_and_reserves_are_not_production(world):
    assert not any(k.startswith("abrasives") for k in materials(world))
    assert "cement-production" in materials(world)
    skipped = {s["row"]: s for s in world.skipped}
    assert skipped[200]["category"] == "capacity"  # Cement clinker capacity has figures in PROD columns
    assert skipped[849]["category"] == "reserves"  # Potash reserves
    assert any("capacity and reserves columns are not read" in line for line in world.summary)


def test_country_names_with_a_parenthetical_and_duplicates(world):
    helium = {e["from"]: e for e in edges_into(world, "helium-production")}
    assert helium["US"]["fact"] == "USGS-MCS2025:468+469"  # natural gas + Cliffside Field
    assert helium["US"]["share"] == round((68 + 13) / 180, 6)  # of the rounded world total, 180
    brazil = next(e for e in edges_into(world, "clays-mine-production-bentonite") if e["from"] == "BR")
    assert "Brazil (beneficiated)" in brazil["note"]
    manganese = {e["from"] for e in edges_into(world, "manganese-mine-production")}
    assert "CI" in manganese  # 'Côte d’Ivoire' with a curly apostrophe


def test_fallback_to_2023_when_the_2024_cell_is_empty(world):
    """Helium, Australia: 2023 = 1, 2024 blank: the 2023 figure is used and the edge says so."""
    edge = next(e for e in edges_into(world, "helium-production") if e["from"] == "AU")
    assert edge["year"] == 2023 and "so 2023 is used" in edge["note"]
    only_2024 = import_usgs(RELEASE, year=2024)
    assert "AU" not in {e["from"] for e in edges_into(only_2024, "helium-production")}


# --------------------------------------------------------------------------- denominators and years


def test_denominators_by_hand():
    """Cobalt, 2024 estimates, metric tons (rows 264-277).

    world: Congo (Kinshasa) 220,000 / world total (rounded) 290,000 = 0.758621
    sum:   rows: US 300 + AU 3,600 + CA 4,500 + CD 220,000 + CU 3,500 + ID 28,000 + MG 2,600
           + NC 1,500 + PG 2,800 + PH 3,800 + RU 8,700 + TR 2,700 + Other countries 6,200 = 288,200
           220,000 / 288,200 = 0.763359
    2023:  175,000 / 238,000 = 0.735294
    """
    world = import_usgs(RELEASE)
    total = import_usgs(RELEASE, denominator="sum")
    y2023 = import_usgs(RELEASE, year=2023)
    assert edges_into(world, "cobalt-mine-production")[0]["share"] == 0.758621
    assert edges_into(total, "cobalt-mine-production")[0]["share"] == 0.763359
    assert edges_into(y2023, "cobalt-mine-production")[0]["share"] == 0.735294
    assert edges_into(y2023, "cobalt-mine-production")[0]["year"] == 2023
    assert "denominator: sum" in total.document["description"]
    assert sum(e["share"] for e in edges_into(total, "cobalt-mine-production")) == pytest.approx(
        (288200 - 6200) / 288200, abs=1e-5)  # other countries stay as the remainder


def test_rescaled_when_the_rounded_world_total_is_below_the_rows(world):
    """Antimony 2024: country rows sum to 103,960 > world total (rounded) 100,000: 1.0396, within
    the validator's rounding tolerance (1.05). Shares are kept as USGS computes them: China
    60,000 / 100,000 = 0.60 (T5's 60%); the note and the summary say the sum is past 1.
    Kaolin's world total (4,400) is a tenth of its rows (44,240): past the tolerance, so its shares
    are rescaled to the rows' sum, and said.
    """
    antimony = edges_into(world, "antimony-mine-production")
    assert antimony[0]["from"] == "CN" and antimony[0]["share"] == 0.6
    assert sum(e["share"] for e in antimony) == pytest.approx(1.0396, abs=1e-6)
    assert "kept as USGS computes them" in materials(world)["antimony-mine-production"]["note"]
    assert "antimony-mine-production" not in rescale_factors(world)
    assert rescale_factors(world)["clays-mine-production-kaolin"] == pytest.approx(44240 / 4400)


def test_tables_without_a_world_total_use_the_sum_and_say_so(world):
    note = materials(world)["boron-production-all-types"]["note"]
    assert "no figure in the world total row" in note
    assert any(line.startswith("boron-production-all-types: no figure") for line in world.summary)


def test_critical_minerals(world):
    critical = {k for k, n in materials(world).items() if n["critical_mineral"]}
    for node_id in ("gallium-primary-production", "cobalt-mine-production", "graphite-mine-production",
                    "rare-earths-mine-production-rare-earth-oxide-equivalent", "tungsten-mine-production",
                    "antimony-mine-production", "indium-refinery-production", "lithium-mine-production",
                    "bauxite-mine-production", "aluminum-smelter-production",
                    "platinum-group-metals-mine-production-palladium-content",
                    "magnesium-metal-smelter-production", "zirconium-and-hafnium-mine-production-gross-weight"):
        assert node_id in critical, node_id
    for node_id in ("copper-mine-production", "gold-mine-production", "helium-production",
                    "magnesium-compounds-mine-production-magnesite-gross-weight", "iron-ore-mine-production"):
        assert node_id not in critical, node_id
    assert len(critical) == 32
    only = import_usgs(RELEASE, critical_only=True)
    assert set(materials(only)) == critical
    assert only.skipped_by_category()["not critical"] == 770


def test_bad_options():
    with pytest.raises(InputError, match="denominator"):
        import_usgs(RELEASE, denominator="mean")
    with pytest.raises(InputError, match="no production column for year 2022"):
        import_usgs(RELEASE, year=2022)


# --------------------------------------------------------------------------- Table 5


#: T5 rows whose commodity has several production nodes, or another name in the world data.
T5_NODES = {
    "aluminum (bauxite)": "bauxite-mine-production",  # Guinea 29%: bauxite mined, not alumina
    "magnesium": "magnesium-metal-smelter-production",  # 1,000 kt world: the metal, not magnesite
    "palladium": "platinum-group-metals-mine-production-palladium-content",
    "platinum": "platinum-group-metals-mine-production-platinum-content",
    "titanium (metal)": "titanium-and-titanium-dioxide-sponge-metal-production",  # sponge, not ilmenite
    "zinc": "zinc-mine-production",  # T5's 12 Mt world total is mine production
}
#: T5 rows with no figure (NA): nothing to compare.
T5_NO_FIGURE = {
    "germanium": "the world data's 'Gemanium' rows are all blank",
    "scandium": "no world production table in the release",
    "yttrium": "no world production table in the release",
}


def t5_rows():
    with T5.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def test_top_country_and_share_match_table_5(world):
    """For each critical mineral of MCS2025 Table 5, the imported top country is T5's leading
    country and its share is T5's 'Leading_source_precent_world' within 1 point (rounding)."""
    nodes = materials(world)
    compared = []
    for row in t5_rows():
        name = row["Critical_mineral"].strip().lower()
        percent = row["Leading_source_precent_world"].strip()
        if name in T5_NO_FIGURE:
            assert percent == "NA"
            continue
        node_id = T5_NODES.get(name)
        if node_id is None:
            base = re.sub(r"\s*\(.*\)", "", name)
            candidates = [k for k, n in nodes.items() if n["label"].lower().split(" / ")[0] == base
                          or n["label"].lower().split(" / ")[0].split(" ")[0] == base]
            assert len(candidates) == 1, (name, candidates)
            node_id = candidates[0]
        assert nodes[node_id]["critical_mineral"], node_id
        top = edges_into(world, node_id)[0]
        assert top["from"] == resolve_country(row["Leading_source_country"].strip()), name
        assert abs(top["share"] * 100 - float(percent)) <= 1, (name, top["share"], percent)
        compared.append(name)
    assert len(compared) == 28 >= 8
    assert {"gallium", "cobalt", "graphite (natural)", "rare earths (compounds and metals)", "tungsten",
            "antimony", "indium", "lithium"} <= set(compared)


# --------------------------------------------------------------------------- fixture and malformed files


def test_fixture_by_hand():
    """usgs_quirks.csv, Widgetium 2024 (metric tons), world total (rounded) 100.

    Canada 10 -> 0.10; China 60 -> 0.60; Peru: 2024 blank, 2023 = 5 -> 0.05 (year 2023);
    Côte d'Ivoire 4 -> 0.04. Not edges: US (W), Korea (NA), Burma (>90000000), Atlantis (unknown
    name), United States and Canada, Other countries, Mexico (kilograms), the world total.
    With denominator 'sum': 10 + 60 + 5 + 4 + Atlantis 2 + Other 10 = 91 -> China 60/91 = 0.659341.
    Gizmo: China 700, Japan 200 + Japan (secondary) 150 = 350, world 1,000 < rows 1,050 (1.05,
    within the rounding tolerance): kept as published -> China 0.70, Japan 0.35.
    """
    result = import_usgs(FIXTURES / "usgs_quirks.csv")
    widget = {e["from"]: (e["share"], e["year"]) for e in edges_into(result, "widgetium-mine-production")}
    assert widget == {"CN": (0.6, 2024), "CA": (0.1, 2024), "PE": (0.05, 2023), "CI": (0.04, 2024)}
    gizmo = {e["from"]: e["share"] for e in edges_into(result, "gizmo-refinery-production")}
    assert gizmo == {"CN": 0.7, "JP": 0.35}
    assert "country names not recognised: 'Atlantis' (rows 8)" in result.summary
    total = import_usgs(FIXTURES / "usgs_quirks.csv", denominator="sum")
    assert edges_into(total, "widgetium-mine-production")[0]["share"] == round(60 / 91, 6)


@pytest.mark.parametrize("name, message", [
    ("usgs_missing_columns.csv", "missing columns TYPE, UNIT_MEAS"),
    ("not_a_table.yaml", "missing columns COMMODITY, COUNTRY, TYPE, UNIT_MEAS"),
    ("empty.csv", "empty file"),
    ("binary.csv", "a binary file"),
    ("usgs_header_only.csv", "no data rows"),
    ("usgs_ragged.csv", "data row 2 (line 3) has 15 fields, the header has 13"),
    ("no_such_file.csv", "no such file"),
])
def test_malformed_files_raise_one_line_naming_the_file(name, message):
    with pytest.raises(InputError) as info:
        import_usgs(FIXTURES / name)
    text = str(info.value)
    assert name in text and message in text and "\n" not in text


def test_folder_without_the_world_data_file(tmp_path):
    with pytest.raises(InputError, match="no MCS\\*_World_Data.csv"):
        import_usgs(tmp_path)


def test_leading_shares_as_published_match_usgs_table_t5():
    """Shares as published: the leading producer's share in concentration (and the target) is the
    one USGS prints in table T5 (to its rounding), for every mineral the import covers and T5
    names, antimony (60%), magnesium (95%) and vanadium (70%) among them; no rescaling."""
    import csv

    from chokepoint import api, load_graph
    from chokepoint.model.countries import resolve_country

    from conftest import REPO

    graph = load_graph("usgs-mcs-2025")
    conc = api.concentration(graph)
    path = REPO / "data" / "usgs-mcs-2025" / "MCS2025_T5_Critical_Minerals_Salient.csv"
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    compared = {}
    for row in rows:
        name, percent = row["Critical_mineral"].strip(), row["Leading_source_precent_world"].strip()
        if not percent.replace(".", "").isdigit():
            continue
        stem = name.split(" (")[0].lower()
        items = conc[conc.label.str.lower().str.startswith(stem + " /") |
                     conc.label.str.lower().str.startswith(stem + " metal /")]
        try:
            leader = resolve_country(row["Leading_source_country"].strip())
        except Exception:  # a T5 leader USGS names as a region
            continue
        items = items[items.top_country == leader]
        if items.empty:
            continue
        compared[name] = min(abs(100 * items.top_share - float(percent)))
    assert len(compared) >= 20
    assert {"Antimony", "Magnesium", "Vanadium"} <= set(compared)
    assert max(compared.values()) <= 1.0, compared


def test_imported_items_bound_unlisted_producers():
    """USGS lists the leading producers: 'Other countries' is at most the smallest listed share each."""
    from chokepoint import load_graph

    graph = load_graph("usgs-mcs-2025")
    bounded = [n for n in graph.document.nodes if n.unknown_max_share is not None]
    assert bounded
    for node in bounded:
        assert node.unknown_max_share == pytest.approx(min(s.edge.share.point for s in graph.supplies[node.id]), abs=1e-6)
