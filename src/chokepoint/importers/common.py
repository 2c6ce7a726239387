"""What the importers share: the result they return (and how it is written), and the helpers that
read and clean published tables."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..formats.exchange import spreadsheet_safe
from ..formats.files import atomic_write_many, check_distinct, check_output
from ..formats.graphs import LIMITS, dump_document, graph_format
from ..model import Graph, parse_document


@dataclass(frozen=True)
class ImportResult:
    """What an importer produced.

    Attributes
    ----------
    document
        The graph document as plain dicts and lists (file-format field names).
    skipped
        One dict per input row not turned into an edge: ``row`` (1-based data row, header not
        counted), the row's identifying fields, the raw ``value``, a short ``category`` and a
        one-line ``reason``.
    summary
        Human-readable lines: rows read, nodes and edges made, rows skipped by category, and
        anything adjusted (rescaled shares, inferred units).
    origin
        What the document was imported from, as errors name it (``table.csv (imported)``).
    """

    document: dict
    skipped: list[dict] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    origin: str = "the imported data"

    def write(self, output, *, force: bool = False, skipped_report=None) -> "ImportWritten":
        """Validate the document, write it to ``output`` (.yaml or .json) and the skipped rows to
        ``skipped_report`` (CSV) when given, as one step.

        Both targets are checked (kind, ownership, not the same file) before anything is
        written, and the two files are renamed into place together: a report that cannot be
        written leaves neither. Validation errors name the imported file, not the output.
        """
        output = Path(output)
        fmt = graph_format(output)
        check_distinct(output, skipped_report)
        check_output(output, force=force)
        if skipped_report is not None:
            skipped_report = Path(skipped_report)
            check_output(skipped_report, force=force)
        nodes = self.document.get("nodes") if isinstance(self.document, dict) else None
        limit = LIMITS["max_nodes"]
        if isinstance(nodes, list) and limit is not None and len(nodes) > limit:
            raise InputError(f"{self.origin}: the import makes {len(nodes):,} nodes, over the limit of {limit:,} "
                             "(raise it with --max-nodes)")
        document, warnings = parse_document(self.document, self.origin)
        graph = Graph(document, origin=str(output), warnings=tuple(warnings))
        files = [(output, dump_document(graph, fmt, header="\n".join(self.summary), owned=True))]
        if skipped_report is not None:
            files.append((skipped_report, self.skipped_csv()))
        atomic_write_many(files, force=force)
        return ImportWritten(self, graph, output, skipped_report, tuple(warnings))

    def skipped_csv(self) -> str:
        """The skipped rows as CSV text: ``row``, ``category``, ``reason``, then the row's own fields.

        Cells a spreadsheet would run as formulas are written with a leading ``'``."""
        buffer = io.StringIO()
        fields = ["row", "category", "reason"]
        fields += sorted({key for entry in self.skipped for key in entry} - set(fields))
        writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: spreadsheet_safe(value) for key, value in entry.items()} for entry in self.skipped)
        return buffer.getvalue()

    def skipped_by_category(self) -> dict[str, int]:
        """Count of skipped rows per ``category``, most frequent first (ties by name)."""
        counts = Counter(entry["category"] for entry in self.skipped)
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))



@dataclass(frozen=True)
class ImportWritten:
    """What :meth:`ImportResult.write` wrote: the validated graph, the files, and its warnings."""

    result: ImportResult
    graph: Graph
    output: Path
    skipped_report: Path | None
    warnings: tuple[str, ...]

    @property
    def supplies(self) -> int:
        return sum(1 for e in self.graph.document.edges if e.type == "supplies")

    def skipped_by_reason(self) -> dict[str, int]:
        """Skipped rows per category (or reason), sorted by name."""
        counts: dict[str, int] = {}
        for entry in self.result.skipped:
            key = entry.get("category") or entry.get("reason", "skipped")
            counts[key] = counts.get(key, 0) + 1
        return dict(sorted(counts.items()))


def clean_text(value) -> str:
    """Strip, turn non-breaking and other odd spaces into plain spaces, collapse runs of spaces."""
    if value is None:
        return ""
    text = str(value).replace("\u00a0", " ").replace("\ufeff", "")
    text = unicodedata.normalize("NFC", text)
    return re.sub(r"\s+", " ", text).strip()


def slugify(*parts: str) -> str:
    """Lower-kebab id made of ``[a-z0-9-]`` from the given words ("Cobalt", "Mine production")."""
    text = " ".join(clean_text(part) for part in parts if part)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("&", " and ")
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "item"


def check_input_file(path: Path, *, max_bytes: int | None = None) -> int:
    """The size of an input file; refuses missing files, folders, FIFOs and devices, and files
    over ``max_bytes`` (default: the ``--max-bytes`` in force), without opening them."""
    limit = LIMITS["max_bytes"] if max_bytes is None else max_bytes
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if path.is_dir():
        raise InputError(f"{path}: a folder, not a file")
    if not path.is_file():
        raise InputError(f"{path}: not a regular file")
    if size > limit:
        raise InputError(f"{path}: {size:,} bytes is over the limit of {limit:,} (raise it with --max-bytes)")
    return size


def read_bytes_checked(path: Path, what: str = "a CSV", *, max_bytes: int | None = None) -> bytes:
    """Read a file, refusing missing, empty, binary and oversized files with one-line messages."""
    check_input_file(path, max_bytes=max_bytes)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: a folder, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if not raw.strip():
        raise InputError(f"{path}: empty file")
    if b"\x00" in raw[:8192]:
        raise InputError(f"{path}: a binary file, not {what}")
    return raw


def read_csv_frame(path: Path, *, sep: str = ",", max_bytes: int | None = None) -> tuple[pd.DataFrame, str]:
    """Read a CSV as strings (no NA guessing), header names cleaned of BOMs and stray spaces.

    Returns the frame and the encoding used ("utf-8" or "cp1252"). Raises :class:`InputError`
    naming the file for empty, binary, oversized or unparseable files, and for a header that names
    a column twice. A row with more fields than the header (which would shift every column after
    the extra one) is recorded in ``frame.attrs["ragged"]`` for :func:`check_ragged`, which the
    importers call once they know the file is of their kind. A row with fewer fields has empty
    cells at its end.
    """
    raw = read_bytes_checked(path, max_bytes=max_bytes)
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Older USGS releases and Excel exports are Windows-1252; anything undecodable is not text.
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not a text file (byte {exc.start} cannot be decoded)") from None
    del raw
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header = None
    ragged = None
    rows: list[list[str]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue  # a blank line
            if header is None:
                header = record
                continue
            if len(record) > len(header):
                extra = [cell for cell in record[len(header):] if cell.strip()]
                if (extra or len(record) > len(header) + 1) and ragged is None:
                    ragged = (f"{path}: data row {len(rows) + 1} (line {reader.line_num}) has {len(record)} fields, "
                              f"the header has {len(header)}: a separator too many, or a value with a "
                              f"'{sep if sep != chr(9) else 'tab'}' that needs quotes; nothing was imported")
                record = record[:len(header)]  # one trailing empty field: a trailing separator
            rows.append(record + [""] * (len(header) - len(record)))
    except csv.Error as exc:
        raise InputError(f"{path}: not a readable CSV (line {reader.line_num}: {exc})") from None
    if header is None:
        raise InputError(f"{path}: empty file")
    names = []
    for index, column in enumerate(header):
        name = clean_text(column) or f"Unnamed: {index}"
        if name in names:
            raise InputError(f"{path}: the header names column '{name}' twice (columns {names.index(name) + 1} "
                             f"and {index + 1}); one of them would be ignored")
        names.append(name)
    frame = pd.DataFrame(rows, columns=names, dtype=object) if rows else pd.DataFrame(columns=names, dtype=object)
    frame.attrs["ragged"] = ragged
    return frame, encoding


def check_ragged(frame: pd.DataFrame) -> None:
    """Refuse a table :func:`read_csv_frame` found a row with more fields than the header in
    (checked after the columns, so that a file of the wrong kind is named as such first)."""
    if frame.attrs.get("ragged"):
        raise InputError(frame.attrs["ragged"])


#: Largest ratio of uncompressed to compressed size accepted for a member of an Excel file
#: (spreadsheet XML compresses 5-20 times; a zip bomb thousands of times).
MAX_ZIP_RATIO = 200


def check_zip_expansion(path: Path, *, max_bytes: int | None = None) -> None:
    """Refuse an .xlsx whose members expand past ``max_bytes`` in all, or by more than
    :data:`MAX_ZIP_RATIO` times (a zip bomb), before anything is decompressed.

    The sizes are those the archive declares; Python's zipfile never inflates a member past its
    declared size, so a lying header cannot get around the bound.
    """
    limit = LIMITS["max_bytes"] if max_bytes is None else max_bytes
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable Excel file ({exc})") from None
    total = sum(info.file_size for info in members)
    if total > limit:
        raise InputError(f"{path}: expands to {total:,} bytes, over the limit of {limit:,} "
                         "(raise it with --max-bytes)")
    for info in members:
        if info.file_size > (1 << 20) and info.file_size > MAX_ZIP_RATIO * max(1, info.compress_size):
            raise InputError(f"{path}: member {info.filename} expands {info.file_size // max(1, info.compress_size):,} "
                             f"times ({info.compress_size:,} to {info.file_size:,} bytes): refusing a possible "
                             "zip bomb")


def round_shares(shares: list[float], *, total_cap: float | None = None) -> list[float]:
    """Round to 6 decimals; with ``total_cap``, keep the rounded sum within it.

    Rounding can push shares that sum to exactly 1 past it (by a few millionths); the excess is
    taken, a millionth at a time, off the shares that rounding raised the most.
    """
    rounded = [round(s, 6) for s in shares]
    if total_cap is None or not rounded:
        return rounded
    steps = round((sum(rounded) - total_cap) * 1e6)
    by_raise = sorted(range(len(rounded)), key=lambda i: (-(rounded[i] - shares[i]), i))
    for i in by_raise[:max(steps, 0)]:
        rounded[i] = round(rounded[i] - 1e-6, 6)
    return rounded


def fmt_number(number: float) -> str:
    """``1,270,000`` for whole numbers, ``0.45``/``1,234.5`` otherwise (no exponents)."""
    if float(number).is_integer():
        return f"{number:,.0f}"
    return f"{number:,.6f}".rstrip("0").rstrip(".")


def count_lines(counts: dict[str, int]) -> str:
    """``"12 aggregate, 3 blank"`` from a category -> count mapping."""
    return ", ".join(f"{n} {category}" for category, n in counts.items()) or "none"
