"""``chokepoint export --format xlsx``: the graph and its analysis as an Excel workbook.

Sheets: ``nodes``; ``edges`` (each with its citation and evidence: fact, source, basis, year,
estimated, the share as written, its low and high); ``target``; ``chokepoints``; ``sources``;
``facts`` (the rows of facts.csv the graph cites); one ``cutoff <countries>`` sheet per country
scenario asked for; ``about`` (tool version, SHA-256 of the graph document, notes).

Cells are typed (numbers as numbers, booleans as booleans, blanks empty), every sheet's header
row is frozen, columns are sized to their contents. Text is always stored as text (an inline
string, never a formula), and text that a spreadsheet would take for a formula (starting with
``=``, ``+``, ``-``, ``@``, tab or carriage return) also carries Excel's quote prefix, so that
editing the cell keeps it text. The bytes are deterministic: the document properties and the
zip entries carry fixed dates (``SOURCE_DATE_EPOCH`` when set, else 1980-01-01).
"""

from __future__ import annotations

import datetime as _dt
import io as _io
import math
import os
import zipfile
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

from ..errors import InputError
from ..formats.files import atomic_write_many, check_overwrite
from ..version import __version__
from ..model import Graph
from . import _data
from .facts import FACT_COLUMNS, cited_facts, load_facts
from ..api import find_chokepoints, nodes_table

#: Leading characters that make a spreadsheet read text as a formula (OWASP's list).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
MAX_WIDTH, MIN_WIDTH = 60, 6
SHEET_NAME_MAX = 31
_BAD_SHEET_CHARS = str.maketrans({c: "_" for c in "[]:*?/\\"})

EDGE_COLUMNS = ["from", "to", "type", "fact", "source", "source_title", "basis", "year", "estimated",
                "evidence", "share", "low", "high", "seed_file", "seed_line", "note"]
CUTOFF_COLUMNS = ["id", "label", "kind", "availability", "loss", "months_to_shortage", "path"]


def fixed_datetime() -> _dt.datetime:
    """The date stamped into the workbook: ``SOURCE_DATE_EPOCH`` (UTC) when set, else 1980-01-01."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        stamp = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).replace(tzinfo=None)
        return max(stamp, _dt.datetime(1980, 1, 1))
    return _dt.datetime(1980, 1, 1)


def cell_value(value):
    """A value as it goes into a cell: Python scalars, ``None`` for blanks, lists joined by `` -> ``."""
    value = _data.plain(value)
    if isinstance(value, list):
        return " -> ".join(map(str, value))
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return value


def put(ws, row: int, column: int, value) -> None:
    """Write one typed cell; text is stored as text, never as a formula."""
    value = cell_value(value)
    if value is None:
        return
    cell = ws.cell(row=row, column=column)
    if isinstance(value, str):
        risky = value.startswith(FORMULA_LEADS)
        # XML turns a bare CR into LF on reading: write the LF that every reader will get
        cell.value = value.replace("\r\n", "\n").replace("\r", "\n")
        cell.data_type = "s"  # openpyxl takes a leading '=' for a formula: undo that
        if risky:
            cell.quotePrefix = True
    elif isinstance(value, (bool, int, float)):
        cell.value = value
    else:
        cell.value = str(value)
        cell.data_type = "s"


def write_sheet(wb, title: str, columns: list[str], rows: list[list]) -> None:
    """A sheet with a bold, frozen header row, an autofilter and columns sized to their contents."""
    ws = wb.create_sheet(title)
    bold = Font(bold=True)
    widths = [len(str(c)) for c in columns]
    for j, name in enumerate(columns, start=1):
        put(ws, 1, j, name)
        ws.cell(row=1, column=j).font = bold
    for i, row in enumerate(rows, start=2):
        for j, value in enumerate(row, start=1):
            put(ws, i, j, value)
            shown = cell_value(value)
            if shown is not None:
                text = f"{shown:.4g}" if isinstance(shown, float) else str(shown)
                widths[j - 1] = max(widths[j - 1], max(len(line) for line in text.splitlines() or [""]))
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = max(MIN_WIDTH, min(MAX_WIDTH, width + 2))
    ws.freeze_panes = "A2"
    if rows and columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(rows) + 1}"


def frame_sheet(wb, title: str, frame: pd.DataFrame, preferred=()) -> None:
    columns = [c for c in preferred if c in frame.columns] + [c for c in frame.columns if c not in preferred]
    rows = [[record[c] for c in columns] for record in frame[columns].to_dict(orient="records")]
    write_sheet(wb, title, columns, rows)


def sheet_name(text: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of ``[]:*?/\\``."""
    base = text.translate(_BAD_SHEET_CHARS).strip("'")[:SHEET_NAME_MAX]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[:SHEET_NAME_MAX - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def _cutoff_frame(result) -> pd.DataFrame:
    nodes = result.nodes
    products = result.products.drop(columns=[c for c in ("label", "availability", "months_to_shortage")
                                             if c in result.products.columns])
    frame = nodes.merge(products, on="id", how="left", suffixes=("", "_product"))
    frame["path"] = frame["path"].map(lambda p: p if isinstance(p, (list, tuple)) else ())
    return frame


def workbook_bytes(graph, *, countries=()) -> bytes:
    """The workbook as ``.xlsx`` bytes (same graph and scenarios, same bytes).

    Parameters
    ----------
    graph
        A :class:`~chokepoint.graph.Graph`, a bundled graph's name or a path.
    countries
        Country scenarios, one ``cutoff`` sheet each: an entry is a country or several joined
        with ``+`` (cut together); with several entries, one more sheet cuts all of them together.
    """

    g: Graph = _data.as_graph(graph)
    facts = load_facts()
    cutoffs = _data.named_cutoffs(g, countries)  # first: an unknown country fails before any work
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()

    frame_sheet(wb, sheet_name("nodes", taken), nodes_table(g))
    edges = _data.edge_records(g, facts)
    edge_columns = EDGE_COLUMNS + [c for c in edges[0] if c not in EDGE_COLUMNS
                                   and c not in ("point", "fact_report", "in_facts_csv")] if edges else EDGE_COLUMNS
    write_sheet(wb, sheet_name("edges", taken), edge_columns, [[e.get(c) for c in edge_columns] for e in edges])
    tgt, scope = _data.target_frame(g)
    frame_sheet(wb, sheet_name("target", taken), tgt)
    frame_sheet(wb, sheet_name("chokepoints", taken), find_chokepoints(g))
    write_sheet(wb, sheet_name("sources", taken), ["key", "title", "publisher", "year", "url"],
                [[k, s.title, s.publisher, s.year, s.url] for k, s in g.document.sources.items()])
    write_sheet(wb, sheet_name("facts", taken), list(FACT_COLUMNS),
                [[row[c] for c in FACT_COLUMNS] for row in cited_facts(g, facts)])
    about = [["graph", g.name], ["title", g.title], ["generator", f"chokepoint {__version__}"],
             ["graph sha256", _data.graph_sha256(g)],
             ["graph sha256 of", "the graph document as canonical JSON (sorted keys, no spaces, UTF-8)"],
             ["nodes", len(g.nodes)], ["edges", len(g.document.edges)], ["target tested on", scope]]
    for basis, items in g.bases().items():
        about.append([f"basis: {basis}", ", ".join(items)])
    for result in cutoffs:
        key = _data.scenario_key(result)
        frame_sheet(wb, sheet_name(f"cutoff {key}", taken), _cutoff_frame(result), CUTOFF_COLUMNS)
        for label, text in (("note", result.note), ("bases", result.bases_note)):
            if text:
                about.append([f"cutoff {key} {label}", text])
    write_sheet(wb, sheet_name("about", taken), ["field", "value"], about)

    stamp = fixed_datetime()
    wb.properties.creator = f"chokepoint {__version__}"
    wb.properties.lastModifiedBy = f"chokepoint {__version__}"
    wb.properties.title = g.title
    wb.properties.created = stamp
    wb.properties.modified = stamp
    raw = _io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(wb, archive).save()  # not openpyxl.save_workbook, which stamps "modified" with now
    return _restamp(raw.getvalue(), stamp)


def _restamp(data: bytes, stamp: _dt.datetime) -> bytes:
    """The zip with every entry dated ``stamp`` (zip entries otherwise carry the time of writing)."""
    when = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second - stamp.second % 2)
    out = _io.BytesIO()
    with zipfile.ZipFile(_io.BytesIO(data)) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    return out.getvalue()


def written_by_chokepoint_xlsx(path) -> bool:
    """Whether an ``.xlsx`` file is one chokepoint wrote (its core properties name chokepoint as
    creator), so that ``export`` may replace it without ``--force``."""
    try:
        with zipfile.ZipFile(path) as archive:
            core = archive.read("docProps/core.xml")[:4096]
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return b"<dc:creator>chokepoint " in core


def write_workbook(graph, path, *, countries=(), force: bool = False) -> Path:
    """Write the workbook of :func:`workbook_bytes` to ``path`` (.xlsx), atomically; a file
    chokepoint did not write is replaced only with ``force``."""
    target = Path(path)
    if target.suffix.lower() != ".xlsx":
        raise InputError(f"{target}: a workbook must end in .xlsx")
    check_overwrite(target, force=force)
    data = workbook_bytes(graph, countries=countries)
    try:
        return atomic_write_many([(target, data)], force=True)[0]  # with its hash in the folder's manifest
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
