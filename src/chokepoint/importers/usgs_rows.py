"""Reading the USGS MCS world-data CSV: columns, rows, names, types and values, with every quirk
of the release handled (see :mod:`chokepoint.importers.usgs`)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..model import resolve_country
from ..errors import InputError, UnknownCountryError
from .common import clean_text, read_csv_frame

DENOMINATORS = ("world", "sum")
REQUIRED_COLUMNS = ("COMMODITY", "COUNTRY", "TYPE", "UNIT_MEAS")
PRODUCTION_COLUMN = re.compile(r"^PROD_(EST_)?(\d{4})$")

#: Commodity names as spelled in the file (lower case, spaces collapsed) -> the name to use.
COMMODITY_ALIASES = {
    "gemanium": "Germanium",
    "talc, crude": "Talc and pyrophyllite",
}

#: Misspelled words in TYPE.
TYPE_TYPOS = {
    "poduction": "production",
    "grosss": "gross",
    "ilmentite": "ilmenite",
    "ferosilicon": "ferrosilicon",
}

#: Critical minerals list of 2022 as named in MCS2025 Tables 4 and 5 (used when they are absent).
CRITICAL_MINERALS_2022 = (
    "Aluminum", "Antimony", "Arsenic", "Barite", "Beryllium", "Bismuth", "Cerium", "Cesium",
    "Chromium", "Cobalt", "Dysprosium", "Erbium", "Europium", "Fluorspar", "Gadolinium", "Gallium",
    "Germanium", "Graphite", "Hafnium", "Holmium", "Indium", "Iridium", "Lanthanum", "Lithium",
    "Lutetium", "Magnesium", "Manganese", "Neodymium", "Nickel", "Niobium", "Palladium", "Platinum",
    "Praseodymium", "Rhodium", "Rubidium", "Ruthenium", "Samarium", "Scandium", "Tantalum",
    "Tellurium", "Terbium", "Thulium", "Tin", "Titanium", "Tungsten", "Vanadium", "Ytterbium",
    "Yttrium", "Zinc", "Zirconium", "Aluminum (bauxite)", "Graphite (natural)",
    "Rare earths (compounds and metals)", "Titanium (metal)", "Zirconium (ores and concentrates)",
)
PLATINUM_GROUP = ("platinum", "palladium", "iridium", "rhodium", "ruthenium", "osmium")
#: Commodities whose first word is on the list but which the list does not cover.
NOT_CRITICAL = {"magnesium compounds": "the list names magnesium, the metal; magnesite is not covered"}

#: Qualifier words that say nothing about which material a row measures.
NOISE_QUALIFIERS = {"estimated", "dry tons", "reported"}



@dataclass
class Row:
    number: int  # 1-based data row
    commodity: str  # canonical name
    commodity_raw: str
    country_raw: str
    country: str  # cleaned
    role: str  # country | world | other | several | unknown
    code: str | None
    place_note: str  # the parenthetical after a country name
    members: tuple[str, ...]
    type_raw: str
    unit: str
    values: dict[int, str]
    note: str


@dataclass
class Group:
    commodity: str
    stage: str
    qualifier: str
    measure: str  # production | capacity | reserves
    rows: list[Row] = field(default_factory=list)



# --------------------------------------------------------------------------- reading


def locate(path: Path) -> Path:
    if path.is_dir():
        found = sorted(p for p in path.iterdir() if p.is_file() and re.search(r"world_data.*\.csv$", p.name, re.I))
        if not found:
            raise InputError(f"{path}: no MCS*_World_Data.csv file in this folder")
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise InputError(f"{path}: several world data files ({names}); give the file itself")
        return found[0]
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    return path


def column_key(name: str) -> str:
    return re.sub(r"\s+", "", name).upper()


def find_columns(frame, csv_path: Path) -> tuple[dict[str, str], dict[int, str]]:
    """Map canonical column names to the file's, and production years to their columns."""
    by_key = {}
    for column in frame.columns:
        by_key.setdefault(column_key(column), column)
    missing = [name for name in REQUIRED_COLUMNS if name not in by_key]
    years: dict[int, str] = {}
    for key, column in by_key.items():
        match = PRODUCTION_COLUMN.match(key)
        if match:
            years[int(match.group(2))] = column
    if missing or not years:
        if not years:
            missing.append("PROD_<year>")
        found = ", ".join(str(c) for c in list(frame.columns)[:8]) or "none"
        raise InputError(f"{csv_path}: missing column{'s' if len(missing) > 1 else ''} "
                         f"{', '.join(missing)} (found: {found}); not a USGS MCS world data file")
    columns = {name: by_key[name] for name in REQUIRED_COLUMNS}
    for optional in ("SOURCE", "PROD_NOTES"):
        if optional in by_key:
            columns[optional] = by_key[optional]
    return columns, years


def edition(frame, columns, csv_path: Path) -> int:
    """The MCS edition year, from the SOURCE column (``MCS2025``) or the file name."""
    texts = []
    if "SOURCE" in columns:
        texts = [str(v) for v in frame[columns["SOURCE"]].unique()[:5]]
    texts.append(csv_path.name)
    for text in texts:
        match = re.search(r"MCS\s*(\d{4})", text, re.I)
        if match:
            return int(match.group(1))
    return 2025


def critical_names(folder: Path) -> tuple[list[str], str]:
    """Critical mineral names from the release's Tables 4 and 5, else the built-in list."""
    names, used = [], []
    for pattern in (r"_T4_.*\.csv$", r"_T5_.*\.csv$"):
        for candidate in sorted(folder.glob("*.csv")):
            if not re.search(pattern, candidate.name, re.I):
                continue
            try:
                table, _ = read_csv_frame(candidate)
            except InputError:
                continue
            column = next((c for c in table.columns if re.sub(r"[\s_]+", "", c).lower() == "criticalmineral"), None)
            if column is None:
                continue
            names += [clean_text(v) for v in table[column] if clean_text(v)]
            used.append(candidate.name)
    if names:
        return names, ", ".join(used)
    return list(CRITICAL_MINERALS_2022), "the built-in copy of the 2022 list"


def is_critical(commodity: str, names: list[str]) -> bool:
    lower = commodity.lower()
    if lower in NOT_CRITICAL:
        return False
    keys = set()
    for name in names:
        text = clean_text(name).lower()
        keys.add(text)
        keys.add(re.sub(r"\s*\(.*?\)", "", text).strip())
        keys.update(inner.strip() for inner in re.findall(r"\((.*?)\)", text))
    base = re.sub(r"\s*\(.*?\)", "", lower).strip()
    first = base.split(" ")[0] if base else ""
    if lower in keys or base in keys or first in keys:
        return True
    if base.startswith("platinum-group"):
        return any(metal in keys for metal in PLATINUM_GROUP)
    return False


def _canonical_commodity(raw: str) -> str:
    text = clean_text(raw)
    text = COMMODITY_ALIASES.get(text.lower(), text)
    return text[:1].upper() + text[1:].lower() if text else text


def _smart_lower(text: str) -> str:
    """Lower-case words, keeping chemical formulas (``K2O``, ``TiO2``) as written."""
    return " ".join(w if re.search(r"\d", w) else w.lower() for w in text.split(" "))


def _split_commas(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts if p.strip()]


def parse_type(raw: str, commodity: str) -> tuple[str, str, str]:
    """Normalise a TYPE cell to ``(stage, qualifier, measure)``.

    ``("Mine poduction, Kaolin", "Clays")`` -> ``("mine production", "kaolin", "production")``;
    ``("Mine production, cobalt content, estimated", "Cobalt")`` -> ``("mine production", "",
    "production")``; measure is ``production``, ``capacity`` or ``reserves``.
    """
    text = clean_text(raw).rstrip(".").strip()
    for wrong, right in TYPE_TYPOS.items():
        text = re.sub(rf"\b{wrong}\b", right, text, flags=re.I)
    parts = [_smart_lower(p) for p in _split_commas(text)]
    commodity_lower = commodity.lower()
    first = re.sub(r"\s*\(.*?\)", "", commodity_lower).split(" ")[0]
    stage_index = next((i for i, p in enumerate(parts) if re.search(r"\b(production|capacity|reserves)\b", p)), None)
    if stage_index is None:
        stage, qualifiers = "production", parts
    else:
        stage, qualifiers = parts[stage_index], parts[:stage_index] + parts[stage_index + 1:]
    measure = "capacity" if "capacity" in stage else "reserves" if "reserves" in stage else "production"
    stage = re.sub(rf"^{re.escape(first)}\s+", "", stage).strip() or "production"

    def informative(q: str) -> bool:
        if q in NOISE_QUALIFIERS or q == commodity_lower or q == first:
            return False
        rest = re.sub(rf"\b{re.escape(first)}\b", " ", q)
        rest = re.sub(r"\b(recoverable|elemental|content|gas)\b", " ", rest)
        return bool(rest.strip())

    kept = []
    for q in qualifiers:
        q = re.sub(rf"^{re.escape(first)}\s+(?=all types)", "", q)
        if informative(q):
            kept.append(q)
    return stage, ", ".join(kept), measure


def parse_row(number: int, record: dict, columns: dict[str, str], years: dict[int, str]) -> Row:
    commodity_raw = str(record[columns["COMMODITY"]])
    country_raw = str(record[columns["COUNTRY"]])
    country = clean_text(country_raw)
    role, code, place_note, members = _classify_country(country)
    return Row(
        number=number,
        commodity=_canonical_commodity(commodity_raw),
        commodity_raw=commodity_raw,
        country_raw=country_raw,
        country=country,
        role=role,
        code=code,
        place_note=place_note,
        members=members,
        type_raw=str(record[columns["TYPE"]]),
        unit=clean_text(record[columns["UNIT_MEAS"]]),
        values={y: str(record[col]) for y, col in years.items()},
        note=clean_text(record[columns["PROD_NOTES"]]) if "PROD_NOTES" in columns else "",
    )


def _resolve(name: str) -> str | None:
    try:
        return resolve_country(name)
    except UnknownCountryError:
        return None


def _classify_country(name: str) -> tuple[str, str | None, str, tuple[str, ...]]:
    """``(role, code, parenthetical, members)`` for a COUNTRY cell."""
    lower = name.lower()
    if lower.startswith("world total") or lower == "world":
        return "world", None, "", ()
    if lower.startswith("other countries") or lower in {"other", "others", "rest of world", "rest of the world"}:
        return "other", None, "", ()
    code = _resolve(name)
    if code:
        return "country", code, "", ()
    match = re.match(r"^(.*?)\s*\((.*)\)\s*$", name)
    if match:
        code = _resolve(match.group(1))
        if code:
            return "country", code, match.group(2), ()
    if " and " in name:
        members = tuple(_resolve(part.strip()) for part in name.split(" and "))
        if all(members):
            return "several", None, "", members
    return "unknown", None, "", ()


def group_rows(rows: list[Row]) -> list[Group]:
    groups: dict[tuple[str, str, str], Group] = {}
    for row in rows:
        stage, qualifier, measure = parse_type(row.type_raw, row.commodity)
        key = (row.commodity, stage, qualifier)
        if key not in groups:
            groups[key] = Group(row.commodity, stage, qualifier, measure)
        groups[key].rows.append(row)
    return list(groups.values())


def parse_value(raw: str, note: str = "") -> tuple[float | None, str, str]:
    """Read a production cell: ``(number, "", "")`` or ``(None, category, reason)``.

    Never turns a flag or a blank into zero.
    """
    text = clean_text(raw)
    if not text:
        flag = clean_text(note)
        if re.search(r"\bW\b", flag):
            return None, "withheld", f"blank; withheld (note '{flag}')"
        if re.search(r"\b(NA|na|xx|XX)\b", flag):
            return None, "not available", f"blank; not available (note '{flag}')"
        return None, "blank", "no production figure (blank)" + (f"; note '{flag}'" if flag else "")
    upper = text.upper()
    if upper == "W":
        return None, "withheld", "withheld (W) to avoid disclosing company data"
    if upper in {"NA", "N/A", "N.A.", "XX", "--", "-", "—", "–"}:
        return None, "not available", f"not available ({text})"
    if text[0] in "<>≤≥":
        return None, "bound", f"only a bound ('{text}'), not a figure"
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None, "not a number", f"not a number ('{text}')"
    if not math.isfinite(number):
        return None, "not a number", f"not a number ('{text}')"
    if number < 0:
        return None, "negative", f"negative production ({text})"
    if number == 0:
        return None, "zero", "zero production"
    return number, "", ""


