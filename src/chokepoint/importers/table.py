"""Import a tidy table (CSV, TSV or Excel) of who supplies what.

One row per (item, stage, country, value)::

    item,stage,country,value
    graphite,refining,China,910
    graphite,refining,JPN,40

By default ``value`` is a quantity (tonnes, dollars, units: anything additive) and a country's
share of an item at a stage is its value over the sum of that item and stage's rows. With
``shares=True`` the values are already shares in [0, 1] (no percentages: ``45`` is reported, not
read as 45%).

Countries may be names, alpha-2 or alpha-3 codes. A row whose country is ``Other countries`` (or
``Others``, ``Rest of world``) counts in the sum but makes no edge, so the remainder stays
"other or unknown suppliers"; so does a row with a valid value whose country is not recognised
(reported). ``World``/``Total`` rows are reported and ignored: shares are of the sum of the rows.

Optional columns: ``critical`` (yes/no, true/false, 1/0: marks ``critical_mineral``), ``kind``
(``material`` by default, or ``component``/``product``), ``basis``, ``year``, ``source`` (a
citation; without one each share cites the imported file) and ``note``.

An optional ``requires`` table (columns ``item``, ``input``, optional ``kind`` and ``note``) adds
``requires`` edges: ``input`` is needed to make ``item``. Items are referenced by id, by label or
by the item name when it has only one stage; a name found in neither table becomes a new node
(kind from the ``kind`` column for the item, else ``component``), listed in the summary.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from pathlib import Path

import pandas as pd

from ..errors import InputError, UnknownCountryError
from ..model import ITEM_KINDS, country_name, resolve_country
from ..model.document import NAME_PATTERN
from .common import (ImportResult, check_input_file, check_ragged, check_zip_expansion, clean_text, count_lines, fmt_number, read_bytes_checked,
                     read_csv_frame, round_shares, slugify)

CSV_SUFFIXES = {".csv": ",", ".txt": ",", ".tsv": "\t", ".tab": "\t"}
EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls")
OTHER_NAMES = {"other", "others", "other countries", "other country", "rest of world", "rest of the world",
               "rest of world (row)", "unknown", "other/unknown"}
TOTAL_NAMES = {"world", "world total", "total", "global", "sum"}
TRUE_WORDS = {"true", "yes", "y", "1", "x", "t", "critical"}
FALSE_WORDS = {"", "false", "no", "n", "0", "f", "-"}
THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def import_table(path, *, shares: bool = False, item: str = "item", stage: str | None = "stage",
                 country: str = "country", value: str = "value", requires=None, name: str | None = None,
                 title: str | None = None) -> ImportResult:
    """Import a tidy supply table as a graph document.

    Parameters
    ----------
    path
        A ``.csv``/``.tsv`` or ``.xlsx`` file (the first sheet), picked by suffix.
    shares
        ``False``: values are quantities and shares are value / sum per (item, stage).
        ``True``: values are shares in [0, 1].
    item, stage, country, value
        Names of the columns (matched exactly, else ignoring case and spaces). The stage column
        is optional: without it (or with ``stage=None``) items have no stage. A renamed stage
        column that is missing is an error.
    requires
        Optional path of a table with columns ``item`` and ``input``: ``requires`` edges.
    name, title
        The document's name (default: the file name, slugged) and title.

    Returns
    -------
    ImportResult

    Raises
    ------
    InputError
        An unreadable file or a missing required column, naming the file and the column.
    """
    path = Path(path)
    if name is not None and not NAME_PATTERN.match(name):
        raise InputError(f"name {name!r} must be lower-case letters, digits and hyphens")
    frame = read_table(path)
    columns = {
        "item": _column(frame, item, path, "item"),
        "country": _column(frame, country, path, "country"),
        "value": _column(frame, value, path, "value"),
    }
    if stage is not None:
        found = _column(frame, stage, path, "stage", required=stage != "stage")
        if found is not None:
            columns["stage"] = found
    check_ragged(frame)
    for optional in ("critical", "kind", "basis", "year", "source", "note"):
        found = _column(frame, optional, path, optional, required=False)
        if found is not None and found not in columns.values():
            columns[optional] = found

    builder = _Builder(path, shares)
    builder.read_rows(frame, columns)
    builder.build_supplies()
    if requires is not None:
        builder.read_requires(Path(requires))
    return builder.finish(len(frame), name or slugify(path.stem), title or f"Imported from {path.name}")


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV/TSV/Excel table as strings, picked by suffix; one-line errors naming the file."""
    suffix = path.suffix.lower()
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if suffix in CSV_SUFFIXES:
        frame, _ = read_csv_frame(path, sep=CSV_SUFFIXES[suffix])
    elif suffix in EXCEL_SUFFIXES:
        if path.is_dir():
            raise InputError(f"{path}: a folder, not a file")
        if path.stat().st_size == 0:
            raise InputError(f"{path}: empty file")
        check_input_file(path)  # the size bound
        if suffix != ".xls":
            check_zip_expansion(path)
        try:
            raw = pd.read_excel(path, sheet_name=0, dtype=object, header=0)
        except Exception as exc:  # openpyxl/xlrd raise many types for a file that is not a workbook
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"{path}: not a readable Excel file ({detail})") from None
        frame = raw.map(_cell_text)
        frame.columns = [clean_text(c) for c in raw.columns]
    else:
        read_bytes_checked(path)
        raise InputError(f"{path}: unsupported file type '{suffix or 'none'}' (use .csv, .tsv or .xlsx)")
    frame = frame.loc[:, [not c.lower().startswith("unnamed:") or frame[c].astype(bool).any() for c in frame.columns]]
    if frame.empty:
        raise InputError(f"{path}: no data rows under the header")
    return frame


def _cell_text(cell) -> str:
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return ""
    if isinstance(cell, float) and cell.is_integer() and abs(cell) < 1e15:
        return str(int(cell))
    return str(cell)


def _column(frame: pd.DataFrame, wanted: str, path: Path, role: str, *, required: bool = True) -> str | None:
    if wanted in frame.columns:
        return wanted
    key = re.sub(r"\s+", "", str(wanted)).lower()
    for column in frame.columns:
        if re.sub(r"\s+", "", column).lower() == key:
            return column
    if required:
        found = ", ".join(f"'{c}'" for c in frame.columns) or "none"
        option = f" (choose it with --{role} COLUMN)" if role in ("item", "stage", "country", "value") else ""
        raise InputError(f"{path}: missing column '{wanted}' for the {role}{option}; columns are {found}")
    return None


def parse_number(text: str) -> float | None:
    """A number from a cell: ``1200``, ``1,200``, ``0.45``; ``None`` when it is not one."""
    text = clean_text(text)
    if THOUSANDS.match(text):
        text = text.replace(",", "")
    try:
        number = float(text)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


class _Builder:
    def __init__(self, path: Path, shares: bool):
        self.path = path
        self.shares = shares
        self.items: dict[str, dict] = {}  # id -> node
        self.item_rows: dict[str, int] = {}  # id -> first row
        self.names: dict[str, set[str]] = defaultdict(set)  # item name (lower) -> ids
        self.rows: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))  # id -> code -> rows
        self.unattributed: dict[str, float] = defaultdict(float)
        self.skipped: list[dict] = []
        self.edges: list[dict] = []
        self.requires_edges: list[dict] = []
        self.sources: dict[str, dict] = {}
        self.countries: set[str] = set()
        self.summary_notes: list[str] = []
        self.default_source = slugify(path.stem)
        self.requires_rows = 0
        self.requires_name = ""

    def skip(self, number: int, fields: dict, value: str, category: str, reason: str, table: str | None = None) -> None:
        entry = {"file": (table or self.path.name), "row": number}
        entry.update(fields)
        entry.update({"value": value, "category": category, "reason": reason})
        self.skipped.append(entry)

    # -- supply rows

    def read_rows(self, frame: pd.DataFrame, columns: dict[str, str]) -> None:
        for number, record in enumerate(frame.to_dict("records"), start=1):
            cell = {key: clean_text(record[column]) for key, column in columns.items()}
            fields = {"item": cell["item"], "stage": cell.get("stage", ""), "country": cell["country"]}
            raw_value = cell["value"]

            def skip(category, reason):
                self.skip(number, fields, raw_value, category, reason)

            if not cell["item"]:
                skip("missing item", "no item")
                continue
            kind = (cell.get("kind") or "material").lower()
            if kind not in ITEM_KINDS:
                skip("bad kind", f"kind '{cell['kind']}' is not material, component or product")
                continue
            critical = (cell.get("critical") or "").lower()
            if critical not in TRUE_WORDS | FALSE_WORDS:
                skip("bad critical", f"critical '{cell['critical']}' is not yes/no")
                continue
            year = None
            if cell.get("year"):
                year_number = parse_number(cell["year"])
                if year_number is None or not year_number.is_integer() or not 1000 <= year_number <= 3000:
                    skip("bad year", f"year '{cell['year']}' is not a year")
                    continue
                year = int(year_number)
            number_value = parse_number(raw_value)
            if not raw_value:
                skip("missing value", "no value")
                continue
            if number_value is None:
                hint = " (shares are written 0-1, not as percentages)" if "%" in raw_value else ""
                skip("not a number", f"value '{raw_value}' is not a number{hint}")
                continue
            if number_value < 0:
                skip("negative", f"negative value {raw_value}")
                continue
            if self.shares and number_value > 1:
                skip("share out of range", f"share {raw_value} is outside [0, 1] (shares=True reads shares, "
                                           f"not percentages)")
                continue
            node_id = slugify(cell["item"], cell.get("stage", ""))
            if not cell["country"]:
                skip("missing country", "no country")
                continue
            place = cell["country"].lower()
            if place in TOTAL_NAMES:
                skip("aggregate", f"'{cell['country']}' row ignored: shares are of the sum of the rows "
                                  f"(give the remainder as an 'Other countries' row)")
                continue
            existing = self.items.get(node_id)
            if existing is not None and existing["kind"] != kind:
                skip("bad kind", f"kind '{kind}' conflicts with row {self.item_rows[node_id]} "
                                 f"('{existing['kind']}')")
                continue
            self.ensure_item(node_id, cell, kind, critical in TRUE_WORDS, number)
            if place in OTHER_NAMES:
                self.unattributed[node_id] += number_value
                skip("aggregate", f"'{cell['country']}' is not a country: " + (
                    "left as the unattributed remainder" if self.shares else
                    "counted in the sum as the unattributed remainder"))
                continue
            if re.fullmatch(r"[+-]?[0-9][0-9.,]*", cell["country"]):
                raise InputError(f"{self.path}: data row {number}: country '{cell['country']}' is a number: a "
                                 "column out of place? (ISO numeric codes are not read: give names, alpha-2 or "
                                 "alpha-3 codes); nothing was imported")
            try:
                code = resolve_country(cell["country"])
            except UnknownCountryError:
                self.unattributed[node_id] += number_value
                skip("unknown country", f"unknown country '{cell['country']}'" + (
                    "" if self.shares else ": its value is counted in the sum as unattributed"))
                continue
            if self.shares and self.rows[node_id][code]:
                first = self.rows[node_id][code][0]["row"]
                skip("duplicate", f"row {first} already gives {code}'s share of {node_id}")
                continue
            self.rows[node_id][code].append({
                "row": number, "fields": fields, "value": number_value, "raw": raw_value, "country": cell["country"],
                "year": year, "basis": cell.get("basis") or None, "source": cell.get("source") or None,
                "note": cell.get("note") or None,
            })

    def ensure_item(self, node_id: str, cell: dict, kind: str, critical: bool, number: int) -> None:
        if node_id not in self.items:
            label = cell["item"] + (f" / {cell['stage']}" if cell.get("stage") else "")
            node = {"id": node_id, "kind": kind, "label": label}
            if cell.get("stage"):
                node["stage"] = cell["stage"]
            if kind == "material":
                node["critical_mineral"] = False
            self.items[node_id] = node
            self.item_rows[node_id] = number
            self.names[cell["item"].lower()].add(node_id)
        node = self.items[node_id]
        if critical and node["kind"] == "material":
            node["critical_mineral"] = True

    def build_supplies(self) -> None:
        for node_id, by_code in self.rows.items():
            node = self.items[node_id]
            values = {code: sum(r["value"] for r in rows) for code, rows in by_code.items() if rows}
            if self.shares:
                total = None
                codes = sorted(values, key=lambda c: (-values[c], c))
                share_list = [round(values[c], 6) for c in codes]
                listed = sum(values.values())
                if listed > 1 + 1e-9:
                    verdict = ("validation will fail (tolerance 1.05)" if listed > 1.05 + 1e-9
                               else "they will be normalised")
                    self.summary_notes.append(f"shares into {node_id} sum to {listed:.3f}: {verdict}")
                node["note"] = f"Shares as given in {self.path.name}."
            else:
                total = sum(values.values()) + self.unattributed.get(node_id, 0.0)
                if not math.isfinite(total):
                    for rows in by_code.values():
                        for r in rows:
                            self.skip(r["row"], r["fields"], r["raw"], "overflow",
                                      "quantities of this item too large to add up: rescale the value column")
                    continue
                zero = [c for c in values if values[c] == 0 or total <= 0]
                reason = ("every value of this item is zero: no shares" if total <= 0
                          else "zero quantity: supplies nothing")
                for code in zero:
                    for r in by_code[code]:
                        self.skip(r["row"], r["fields"], r["raw"], "zero", reason)
                    del values[code]
                codes = sorted(values, key=lambda c: (-values[c], c))
                share_list = round_shares([values[c] / total for c in codes], total_cap=1.0) if codes else []
                other = self.unattributed.get(node_id, 0.0)
                node["note"] = (f"Shares computed from quantities in {self.path.name}: value / {fmt_number(total)} "
                                "(the sum of the rows"
                                + (f", including {fmt_number(other)} not attributed to a country" if other else "")
                                + ")." if total > 0 else f"Every value in {self.path.name} is zero: no shares.")
            for code, share in zip(codes, share_list):
                rows = by_code[code]
                self.edges.append(self.edge(node_id, code, share, rows, total))

    def edge(self, node_id: str, code: str, share: float, rows: list[dict], total: float | None) -> dict:
        edge = {"from": code, "to": node_id, "type": "supplies", "share": share}
        first = rows[0]
        if first["basis"]:
            edge["basis"] = first["basis"]
        years = {r["year"] for r in rows if r["year"] is not None}
        if years:
            edge["year"] = max(years)
        citation = first["source"]
        key = slugify(citation) if citation else self.default_source
        title = citation or f"{self.path.name} (imported table)"
        self.sources.setdefault(key, {"title": title})
        edge["source"] = key
        numbers = ", ".join(str(r["row"]) for r in rows)
        if total is None:
            note = f"Row {numbers} of {self.path.name}"
        else:
            amount = sum(r["value"] for r in rows)
            note = (f"{'Rows' if len(rows) > 1 else 'Row'} {numbers} of {self.path.name}: "
                    f"{fmt_number(amount)} of {fmt_number(total)}")
        names = sorted({r["country"] for r in rows})
        names = [n for n in names if n not in (code, country_name(code))]
        if names:
            note += f" (given as {', '.join(repr(n) for n in names)})"
        extra = "; ".join(r["note"] for r in rows if r["note"])
        edge["note"] = note + "." + (f" {extra}" if extra else "")
        self.countries.add(code)
        return edge

    # -- requires

    def read_requires(self, path: Path) -> None:
        frame = read_table(path)
        item_col = _column(frame, "item", path, "item")
        input_col = _column(frame, "input", path, "input")
        check_ragged(frame)
        kind_col = _column(frame, "kind", path, "kind", required=False)
        note_col = _column(frame, "note", path, "note", required=False)
        created: list[str] = []
        seen: dict[tuple[str, str], int] = {}
        for number, record in enumerate(frame.to_dict("records"), start=1):
            item_text, input_text = clean_text(record[item_col]), clean_text(record[input_col])
            fields = {"item": item_text, "input": input_text}

            def skip(category, reason):
                self.skip(number, fields, "", category, reason, table=path.name)

            if not item_text or not input_text:
                skip("missing item", "no item" if not item_text else "no input")
                continue
            kind = clean_text(record[kind_col]).lower() if kind_col else ""
            if kind and kind not in ITEM_KINDS:
                skip("bad kind", f"kind '{kind}' is not material, component or product")
                continue
            ends = []
            for text, end_kind in ((item_text, kind or "component"), (input_text, "component")):
                found, problem = self.reference(text)
                if problem:
                    skip("ambiguous", problem)
                    break
                if found is None:
                    found = slugify(text)
                    node = {"id": found, "kind": end_kind, "label": text}
                    if end_kind == "material":
                        node["critical_mineral"] = False
                    self.items[found] = node
                    self.names[text.lower()].add(found)
                    created.append(found)
                ends.append(found)
            if len(ends) < 2:
                continue
            consumer, needed = ends
            if consumer == needed:
                skip("self-loop", f"'{item_text}' cannot require itself")
                continue
            if (needed, consumer) in seen:
                skip("duplicate", f"duplicate of row {seen[(needed, consumer)]}")
                continue
            seen[(needed, consumer)] = number
            edge = {"from": needed, "to": consumer, "type": "requires"}
            note = clean_text(record[note_col]) if note_col else ""
            if note:
                edge["note"] = note
            self.requires_edges.append(edge)
        if created:
            self.summary_notes.append(f"nodes named only in {path.name} (check the spelling): {', '.join(created)}")
        self.requires_rows = len(frame)
        self.requires_name = path.name

    def reference(self, text: str) -> tuple[str | None, str | None]:
        """The id a requires-table cell names (id, label or item name), or a problem."""
        if text in self.items:
            return text, None
        lower = text.lower()
        by_label = [i for i, node in self.items.items() if node["label"].lower() == lower]
        if len(by_label) == 1:
            return by_label[0], None
        ids = sorted(self.names.get(lower, ()))
        if len(ids) == 1:
            return ids[0], None
        if len(ids) > 1:
            return None, f"'{text}' names several items ({', '.join(ids)}): use the id"
        slug = slugify(text)
        if slug in self.items:
            return slug, None
        return None, None

    # -- document

    def finish(self, rows_read: int, name: str, title: str) -> ImportResult:
        items = sorted(self.items.values(), key=lambda n: n["id"])
        countries = [{"id": code, "kind": "country", "label": country_name(code)} for code in sorted(self.countries)]
        order = {node["id"]: i for i, node in enumerate(items)}
        edges = sorted(self.edges, key=lambda e: (order[e["to"]], -e["share"], e["from"]))
        edges += sorted(self.requires_edges, key=lambda e: (order[e["to"]], order[e["from"]]))
        how = ("Shares are as given in the table." if self.shares else
               "Shares are each country's value over the sum of the rows of its item and stage "
               "(rows for other or unrecognised countries count in the sum and stay as the remainder).")
        document = {
            "name": name,
            "title": title,
            "description": (f"Imported from {self.path.name} by chokepoint.importers.table. {how} "
                            f"{len(self.skipped)} rows were not imported (see the import report)."),
        }
        if self.sources:
            document["sources"] = dict(sorted(self.sources.items()))
        document["nodes"] = items + countries
        document["edges"] = edges
        self.skipped.sort(key=lambda e: (e["file"] != self.path.name, e["row"]))
        partial = ImportResult(document=document, skipped=self.skipped)
        kinds = defaultdict(int)
        for node in items:
            kinds[node["kind"]] += 1
        summary = [
            f"read {rows_read} rows from {self.path.name}" + (
                f" and {self.requires_rows} from {self.requires_name}" if self.requires_name else ""),
            f"made {len(items)} items ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items())) or 'none'}), "
            f"{len(countries)} countries, {len(self.edges)} supplies and {len(self.requires_edges)} requires edges",
            f"shares: {'as given (shares=True)' if self.shares else 'value / sum per item and stage'}",
            f"skipped {len(self.skipped)} rows: {count_lines(partial.skipped_by_category())}",
        ]
        if not kinds.get("product"):
            summary.append("no product nodes: the graph has items and suppliers only")
        summary += self.summary_notes
        return ImportResult(document=document, skipped=self.skipped, summary=summary,
                            origin=f"{self.path} (imported)")

