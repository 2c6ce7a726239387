"""Import the USGS Mineral Commodity Summaries world-production data release.

The release (``MCS2025_World_Data.csv``, DOI 10.5066/P13XCP3R) holds one table per commodity and
production type: a row per producing country, an ``Other countries`` row and a ``World total
(rounded)`` row, with production for 2023 and an estimate for 2024. :func:`import_usgs` makes one
material node per (commodity, production type) and one ``supplies`` edge per producing country,
with the country's share of world production.

How the file's quirks are read (each is tested on the shipped file):

- UTF-8 byte-order mark; header names with a stray space (``PROD_EST_ 2024``): header names are
  compared with all spaces removed.
- Trailing and non-breaking spaces in commodity, country and type names: collapsed.
- Misspellings: commodity ``Gemanium`` is Germanium (its rows are all blank: reported, not read
  as zeros); TYPE ``Mine poduction`` is mine production (also ``grosss``, ``ilmentite``,
  ``Ferosilicon``). The table of one commodity spelled ``Talc and Pyrophyllite`` on its first row
  and ``Talc, crude`` on the others is one table.
- Types written differently inside one table (``Mine production, estimated`` on the United States
  row, ``Mine production, cobalt content, estimated`` on the others) are one production type: a
  type is normalised to a stage (``mine production``) and a qualifier, dropping ``estimated`` and
  ``<commodity> content``.
- Flags: ``W`` (withheld), ``NA``, bounds such as ``>90000000`` and blank cells are reported in
  ``skipped`` and never read as zero; a blank cell whose note says ``W``/``NA`` is reported so.
- Aggregate rows are not countries: ``World total ...`` (the denominator), ``Other countries ...``
  (kept as the unattributed remainder), ``United States and Canada`` (several countries), and a
  world total of two types together (``World total (ilmenite and rutile, rounded)``).
- Country names with a parenthetical (``Brazil (beneficiated)``, ``United States (kyanite)``)
  resolve to the country; the parenthetical goes into the edge's note. Two rows of one country in
  one table (helium: ``United States (extracted from natural gas)`` and ``(from Cliffside Field)``)
  make one edge with their sum.
- Units differ from table to table: a table's shares only combine rows in its own unit (that of
  its world total row); a row in another unit is reported, and a row with a blank unit cell is
  taken to be in the table's unit, which its note says.
- Capacity and reserves rows and columns are not production and are not used for shares.

Denominators: ``"world"`` divides by the published ``World total (rounded)`` row, as USGS does for
its leading-country percentages (Table 5). Because that total is rounded, the country shares of a
table can sum past 1: up to the validator's rounding tolerance (1.05) they are kept as published
(the graph's figures are USGS's; analyses normalise them, with a warning); past it (kaolin's world
total is a tenth of its rows) they are rescaled to the sum of the table's rows (countries plus
other countries), which the node's note and the summary say. When a table has no usable world total the
sum of its rows is used and said. ``"sum"`` always divides by the sum of the table's rows: the
listed countries plus the ``Other countries`` row (so that production not attributed to a country
stays as the remainder rather than inflating every listed country's share).

Critical minerals are those of the US 2022 list as named in the release's Tables 4 and 5 (read
from beside the CSV when present, else a built-in copy of the list). ``Magnesium compounds``
(magnesite) is not marked: the list names magnesium, the metal (its Table 5 figures are those of
magnesium metal).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from pathlib import Path

from ..errors import InputError
from ..model import SUM_TOLERANCE, country_name
from .common import ImportResult, check_ragged, clean_text, count_lines, fmt_number, read_csv_frame, round_shares, slugify
from .usgs_rows import (
    COMMODITY_ALIASES, DENOMINATORS, Group, Row, column_key, critical_names, edition, find_columns, group_rows,
    is_critical, locate, parse_row, parse_type, parse_value,
)

def import_usgs(path, *, denominator: str = "world", year: int | None = None,
                critical_only: bool = False) -> ImportResult:
    """Import the USGS MCS world-production data release as a graph document.

    Parameters
    ----------
    path
        The release's folder or its ``MCS2025_World_Data.csv`` file.
    denominator
        ``"world"``: share = country production / the published ``World total (rounded)`` row
        (USGS's own way); ``"sum"``: / the sum of the table's rows (countries + other countries).
    year
        The production year to read (``2023`` or ``2024``). ``None``: the latest year with data
        (the 2024 estimate, else 2023), per table, and per row when a country's latest cell is
        empty; each edge's ``year`` says which.
    critical_only
        Keep only materials on the US 2022 critical minerals list.

    Returns
    -------
    ImportResult

    Raises
    ------
    InputError
        A missing, empty, binary or malformed file (missing columns), naming the file, or an
        option that names nothing (an unknown denominator or year).
    """
    if denominator not in DENOMINATORS:
        raise InputError(f"denominator must be 'world' or 'sum', not {denominator!r}")
    csv_path = locate(Path(path))
    frame, encoding = read_csv_frame(csv_path)
    columns, years = find_columns(frame, csv_path)
    check_ragged(frame)
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year)
    if year is not None and (isinstance(year, bool) or year not in years):
        have = ", ".join(str(y) for y in sorted(years))
        raise InputError(f"{csv_path}: no production column for year {year!r} (the file has {have})")
    if frame.empty:
        raise InputError(f"{csv_path}: no data rows under the header")
    wanted = [year] if year is not None else sorted(years, reverse=True)
    critical, critical_origin = critical_names(csv_path.parent)
    rows = [parse_row(n, record, columns, years) for n, record in enumerate(frame.to_dict("records"), start=1)]
    builder = _Builder(csv_path, edition(frame, columns, csv_path), denominator, wanted, years,
                       year is None, critical_only, critical)
    for group in group_rows(rows):
        builder.add_group(group)
    return builder.finish(len(rows), encoding, critical_origin)


# --------------------------------------------------------------------------- building


class _Builder:
    """Collects nodes, edges, skipped rows and notes, one USGS table at a time."""

    def __init__(self, csv_path: Path, edition: int, denominator: str, wanted: list[int],
                 years: dict[int, str], fallback: bool, critical_only: bool, critical_names: list[str]):
        self.file, self.edition, self.source_key = csv_path.name, edition, f"USGS-MCS{edition}"
        self.path = csv_path
        self.denominator, self.wanted, self.fallback = denominator, wanted, fallback
        self.all_years = sorted(years, reverse=True)
        self.estimated_years = {y for y, column in years.items() if column_key(column).startswith("PROD_EST_")}
        self.critical_only, self.critical_names = critical_only, critical_names
        self.nodes: list[dict] = []
        self.edges: list[dict] = []
        self.skipped: list[dict] = []
        self.countries: set[str] = set()
        self.notes: list[str] = []
        self.edge_rows = 0
        self.unnamed: dict[str, list[int]] = defaultdict(list)
        self.empty: dict[str, str] = {}  # commodity -> spelling, for tables with no figures

    def skip(self, row: Row, category: str, reason: str) -> None:
        value = next((clean_text(row.values[y]) for y in self.wanted if clean_text(row.values[y])), "")
        self.skipped.append({"row": row.number, "commodity": row.commodity, "country": row.country,
                             "type": clean_text(row.type_raw), "unit": row.unit, "value": value,
                             "category": category, "reason": reason})

    def value_of(self, row: Row, year: int) -> tuple[float | None, str, str]:
        return parse_value(row.values[year], row.note)

    def year_label(self, year: int) -> str:
        return f"{year} estimate" if year in self.estimated_years else str(year)

    # -- one table

    def add_group(self, group: Group) -> None:
        if group.measure != "production":
            for row in group.rows:
                self.skip(row, group.measure, f"{group.measure} row (TYPE '{clean_text(row.type_raw)}'): "
                                              f"not production, not used for shares")
            return
        critical = is_critical(group.commodity, self.critical_names)
        if self.critical_only and not critical:
            for row in group.rows:
                self.skip(row, "not critical", f"{group.commodity} is not on the 2022 critical minerals "
                                               f"list (critical_only)")
            return
        unit, world, members = self.table_rows(group)
        year, world_value, mode = self.choose_year(members, world)
        if year is None:
            for row in members + ([world] if world else []):
                if row.role == "world":
                    self.skip(row, "aggregate", "aggregate: world total of a table with no country figures")
                elif row.role in ("other", "several"):
                    self.skip(row, "aggregate", f"aggregate: '{row.country}' (not a country)")
                else:
                    self.skip(row, *self.value_of(row, self.wanted[0])[1:])
            self.empty.setdefault(group.commodity, clean_text(group.rows[0].commodity_raw))
            return
        figures = self.figures(members, year)
        by_code, unattributed = self.attribute(members, figures)
        if world is not None:
            self.skip(world, "aggregate", {
                "world": "aggregate: world total (the denominator)",
                "sum": "aggregate: world total (not used: the denominator is the sum of the rows)",
            }.get(mode, "aggregate: world total with no figure for the year read"))
        listed = [figures[r.number][0] for rows in by_code.values() for r in rows]
        if not math.isfinite(sum(listed) + unattributed):  # a share of an infinite sum would read 0.0
            for rows in by_code.values():
                for row in rows:
                    self.skip(row, "overflow", "the production figures of this table are too large to add up "
                                               "(their sum overflows): no shares made")
            self.empty.setdefault(group.commodity, clean_text(group.rows[0].commodity_raw))
            return
        self.build(group, critical, unit, by_code, figures, unattributed, world, world_value, year, mode)

    def table_rows(self, group: Group) -> tuple[str, Row | None, list[Row]]:
        """The table's unit, its world total row and its other rows; reports the rows left out."""
        worlds = [r for r in group.rows if r.role == "world"]
        combined = [r for r in worlds if re.search(r"\(.*\band\b.*\)", r.country)]
        for row in combined:
            self.skip(row, "aggregate", f"aggregate: '{row.country}' totals several production types; "
                                        f"not the denominator of this one")
        worlds = [r for r in worlds if r not in combined]
        unit = next((r.unit for r in worlds if r.unit), "")
        if not unit:
            counts = Counter(r.unit for r in group.rows if r.unit)
            unit = max(counts, key=lambda u: (counts[u], -[r.unit for r in group.rows].index(u)), default="")
        usable = []
        for row in group.rows:
            if row in combined:
                continue
            if row.unit and unit and row.unit != unit:
                self.skip(row, "unit", f"unit '{row.unit}' differs from the table's '{unit}'; not mixed into one share")
            else:
                usable.append(row)
        worlds = [r for r in worlds if r in usable]
        for extra in worlds[1:]:
            self.skip(extra, "aggregate", f"a second world total row for this table (row {worlds[0].number} is used)")
        return unit, (worlds[0] if worlds else None), [r for r in usable if r.role != "world"]

    def choose_year(self, members: list[Row], world: Row | None) -> tuple[int | None, float | None, str]:
        """``(year, world total or None, mode)``; mode is ``world``, ``sum`` or ``sum-fallback``."""
        def any_number(year):
            return any(self.value_of(r, year)[0] is not None for r in members if r.role == "country")

        if self.denominator == "world" and world is not None:
            for year in self.wanted:
                value = self.value_of(world, year)[0]
                if value is not None and any_number(year):
                    return year, value, "world"
        for year in self.wanted:
            if any_number(year):
                return year, None, "sum" if self.denominator == "sum" else "sum-fallback"
        return None, None, ""

    def figures(self, members: list[Row], year: int) -> dict[int, tuple[float, int]]:
        """row number -> (figure, year): the table's year, else (no ``year=``) the nearest other."""
        figures = {}
        for row in members:
            number, category, reason = self.value_of(row, year)
            used = year
            if number is None and self.fallback:
                for other in sorted(self.all_years, key=lambda y: (abs(y - year), -y)):
                    if other != year and self.value_of(row, other)[0] is not None:
                        number, used = self.value_of(row, other)[0], other
                        break
            if number is not None:
                figures[row.number] = (number, used)
            elif row.role in ("other", "several"):
                self.skip(row, "aggregate", f"aggregate: '{row.country}' (not a country; {reason})")
            elif row.role == "unknown":
                self.unnamed[row.country].append(row.number)
                self.skip(row, "unknown country", f"unknown country name '{row.country}' ({reason})")
            else:
                self.skip(row, category, reason)
        return figures

    def attribute(self, members: list[Row], figures) -> tuple[dict[str, list[Row]], float]:
        """Country rows by code, and the production of rows that are not one country."""
        by_code: dict[str, list[Row]] = defaultdict(list)
        listed = {r.code for r in members if r.role == "country" and r.number in figures}
        unattributed = 0.0
        for row in (r for r in members if r.number in figures):
            if row.role == "country":
                by_code[row.code].append(row)
            elif row.role == "several" and any(m in listed for m in row.members):
                self.skip(row, "aggregate", f"aggregate: '{row.country}' (several countries, also listed one by one)")
            else:
                unattributed += figures[row.number][0]
                if row.role == "other":
                    self.skip(row, "aggregate", "aggregate: other countries (kept as the unattributed remainder)")
                elif row.role == "several":
                    self.skip(row, "aggregate", f"aggregate: '{row.country}' (several countries): counted in "
                                                f"the sum of rows as unattributed production")
                else:
                    self.unnamed[row.country].append(row.number)
                    self.skip(row, "unknown country", f"unknown country name '{row.country}': counted in the "
                                                      f"sum of rows as unattributed production")
        return by_code, unattributed

    def build(self, group, critical, unit, by_code, figures, unattributed, world, world_value, year, mode) -> None:
        label = f"{group.commodity} / {group.stage[:1].upper()}{group.stage[1:]}"
        label += f", {group.qualifier}" if group.qualifier else ""
        node_id = slugify(group.commodity, group.stage, group.qualifier)
        taken = {node["id"] for node in self.nodes}
        node_id = next(f"{node_id}-{n}" for n in range(2, 100) if f"{node_id}-{n}" not in taken) \
            if node_id in taken else node_id
        totals = {code: sum(figures[r.number][0] for r in rows) for code, rows in by_code.items()}
        listed, rows_sum = sum(totals.values()), sum(totals.values()) + unattributed
        sum_label = f"sum of the table's rows {fmt_number(rows_sum)}"
        notes = [f"Unit: {unit or 'not given'}."]
        if mode == "world" and listed / world_value > SUM_TOLERANCE + 1e-9:
            denominator, denom_label = rows_sum, sum_label
            notes.append(f"The world total {fmt_number(world_value)} is below the sum of the country rows "
                         f"{fmt_number(listed)} (shares summed to {listed / world_value:.3f}); shares are "
                         f"rescaled to the {sum_label}.")
            self.notes.append(f"rescaled {node_id}: country shares summed to {listed / world_value:.3f} of the "
                              f"world total {fmt_number(world_value)}; shares taken of the {sum_label} instead")
        elif mode == "world":
            denominator, denom_label = world_value, f"world total {fmt_number(world_value)} (rounded)"
            notes.append(f"Shares of the world total ({fmt_number(world_value)}, rounded) for {year}.")
            if listed / world_value > 1 + 1e-9:
                notes.append(f"The country rows sum to {listed / world_value:.3f} of the rounded world total; "
                             "the shares are kept as USGS computes them, and analyses normalise them to 1.")
                self.notes.append(f"{node_id}: country shares sum to {listed / world_value:.3f} of the rounded "
                                  "world total (within the 1.05 rounding tolerance; kept as published)")
        elif mode == "sum-fallback":
            denominator, denom_label = rows_sum, sum_label
            why = "no world total row" if world is None else "no figure in the world total row"
            notes.append(f"Shares of the sum of the table's rows ({fmt_number(rows_sum)}) for {year}: {why}.")
            self.notes.append(f"{node_id}: {why}; shares taken of the sum of the table's rows")
        else:
            denominator, denom_label = rows_sum, sum_label
            notes.append(f"Shares of the sum of the table's rows ({fmt_number(rows_sum)}: countries and other "
                         f"countries) for {year}.")
        types = sorted({clean_text(r.type_raw) for r in group.rows})
        notes.append("USGS TYPE: " + "; ".join(f"'{t}'" for t in types) + ".")
        numbers = [r.number for r in group.rows]
        notes.append(f"Rows {min(numbers)}-{max(numbers)} of {self.file}.")
        spelled = clean_text(group.rows[0].commodity_raw)
        if spelled.lower() in COMMODITY_ALIASES:
            notes.append(f"Spelled '{spelled}' in the file.")
        inferred = ", ".join(str(r.number) for rows in by_code.values() for r in rows if not r.unit and unit)
        if inferred:
            notes.append(f"Unit cell blank on row {inferred}; taken as the table's unit ({unit}).")
            self.notes.append(f"{node_id}: unit blank on row(s) {inferred}; taken as the table's unit ({unit})")
        codes = sorted(totals, key=lambda c: (-totals[c], c))
        raw_shares = [totals[c] / denominator for c in codes]
        node = {"id": node_id, "kind": "material", "label": label, "stage": group.stage,
                "critical_mineral": critical, "note": " ".join(notes)}
        if raw_shares and unattributed > 0:
            # USGS lists the leading producers: no unlisted one is larger than the smallest listed
            node["unknown_max_share"] = round(min(raw_shares), 6)
            node["note"] += (" The unlisted producers ('Other countries') are each at most the smallest listed "
                             f"share ({100 * min(raw_shares):.2f}%), as USGS lists the leading producers.")
        self.nodes.append(node)
        cap = 1.0 if math.fsum(raw_shares) <= 1.0 + 1e-9 else None  # kept-as-published sums stay as they are
        for code, share in zip(codes, round_shares(raw_shares, total_cap=cap)):
            rows = by_code[code]
            self.edge_rows += len(rows)
            bits = []
            for r in rows:
                value, used = figures[r.number]
                text = f"{self.year_label(used)}: {fmt_number(value)} {unit}".rstrip()
                if r.place_note:
                    text += f" (reported as '{r.country}')"
                if used != year:
                    text += f"; no {self.year_label(year)} figure ({self.value_of(r, year)[1]}), so {used} is used"
                if not r.unit and unit:
                    text += "; unit cell blank, taken as the table's"
                bits.append(text)
            note = ("; ".join(bits) if len(rows) == 1 else
                    f"Sum of rows {', '.join(str(r.number) for r in rows)}: " + "; ".join(bits))
            self.edges.append({
                "from": code, "to": node_id, "type": "supplies", "share": share,
                "basis": "global production", "year": max(figures[r.number][1] for r in rows),
                "source": self.source_key, "fact": f"{self.source_key}:" + "+".join(str(r.number) for r in rows),
                "note": f"{note[:1].upper()}{note[1:]}; share of the {denom_label}.",
            })
            self.countries.add(code)

    # -- the document

    def finish(self, rows_read: int, encoding: str, critical_origin: str) -> ImportResult:
        materials = sorted(self.nodes, key=lambda n: n["id"])
        order = {node["id"]: i for i, node in enumerate(materials)}
        countries = [{"id": code, "kind": "country", "label": country_name(code)} for code in sorted(self.countries)]
        edges = sorted(self.edges, key=lambda e: (order[e["to"]], -e["share"], e["from"]))
        denom_text = DESCRIBE_WORLD if self.denominator == "world" else DESCRIBE_SUM
        year_text = (f"Year: the {max(self.all_years)} estimate where given, else {min(self.all_years)} "
                     f"(each edge's year says which)." if self.fallback else f"Year: {self.wanted[0]} only.")
        source = {"title": f"Mineral Commodity Summaries {self.edition} data release",
                  "publisher": "U.S. Geological Survey", "year": self.edition}
        if self.edition == 2025:
            source["url"] = "https://doi.org/10.5066/P13XCP3R"
        document = {
            "name": f"usgs-mcs-{self.edition}",
            "title": f"USGS Mineral Commodity Summaries {self.edition}: world production by country",
            "description": (
                f"Imported from {self.file} by chokepoint.importers.usgs. One material per commodity and "
                f"production type, one supplies edge per producing country. {denom_text} {year_text} "
                f"{DESCRIBE_REST}" + (" Only critical minerals are kept." if self.critical_only else "")
                + " The graph has materials and countries only, no products."),
            "sources": {self.source_key: source},
            "nodes": materials + countries,
            "edges": edges,
        }
        self.skipped.sort(key=lambda entry: entry["row"])
        by_category = ImportResult(document=document, skipped=self.skipped).skipped_by_category()
        summary = [
            f"read {rows_read} data rows from {self.file} ({encoding})",
            f"made {len(materials)} materials ({sum(1 for n in materials if n['critical_mineral'])} critical), "
            f"{len(countries)} countries, {len(edges)} supplies edges from {self.edge_rows} rows",
            f"denominator: {self.denominator}; " + year_text.lower().removeprefix("year: "),
            f"skipped {len(self.skipped)} rows: {count_lines(by_category)}",
            f"critical minerals from {critical_origin}",
            "capacity and reserves columns are not read (production only)",
        ]
        made = {node["label"].split(" / ")[0] for node in materials}
        empty = sorted(name if raw.lower() == name.lower() else f"{name} (spelled '{raw}')"
                       for name, raw in self.empty.items() if name not in made)
        if empty:
            summary.append("no production figures, no node: " + ", ".join(empty))
        if self.unnamed:
            summary.append("country names not recognised: " + ", ".join(
                f"'{name}' (rows {', '.join(map(str, rows))})" for name, rows in sorted(self.unnamed.items())))
        return ImportResult(document=document, skipped=self.skipped, summary=summary + self.notes,
                            origin=f"{self.path} (imported)")


DESCRIBE_WORLD = (
    "Shares are of world production: each country's production divided by the published "
    "'World total (rounded)' row of its table, as USGS computes its leading-country percentages "
    "(denominator: world). Where the rounded total is below the sum of the country rows the shares are "
    "rescaled to the sum of the rows, and where a table has no world total the sum of its rows is used; "
    "the node's note says so.")
DESCRIBE_SUM = (
    "Shares are of the sum of each table's rows: the listed countries plus the 'Other countries' row "
    "(denominator: sum), not of the published rounded world total.")
DESCRIBE_REST = (
    "Rows withheld (W), not available (NA), given only as a bound (>x) or blank are left out, never read "
    "as zero; what is left below 1 is other or unknown producers. Capacity and reserves are not used. "
    "critical_mineral marks the US 2022 critical minerals list.")

