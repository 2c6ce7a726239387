"""What the importers share: the result they return (and how it is written), and the helpers that
read and clean published tables."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..formats.files import atomic_write, check_overwrite
from ..formats.graphs import save_graph
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
    """

    document: dict
    skipped: list[dict] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)

    def write(self, output, *, force: bool = False, skipped_report=None) -> "ImportWritten":
        """Validate the document, write it to ``output`` (.yaml or .json) atomically, and the skipped
        rows to ``skipped_report`` (CSV) when given.

        Both files are checked before either is written: a report that cannot be written stops the
        import with nothing written.
        """
        output = Path(output)
        document, warnings = parse_document(self.document, str(output))
        graph = Graph(document, origin=str(output), warnings=tuple(warnings))
        report = None
        if skipped_report is not None:
            skipped_report = Path(skipped_report)
            check_overwrite(skipped_report, force=force)
            if not (skipped_report.parent if str(skipped_report.parent) else Path(".")).is_dir():
                raise InputError(f"{skipped_report}: folder {skipped_report.parent} does not exist")
            report = self.skipped_csv()
        save_graph(graph, output, force=force, header="\n".join(self.summary))
        if report is not None:
            atomic_write(skipped_report, report)
        return ImportWritten(self, graph, output, skipped_report, tuple(warnings))

    def skipped_csv(self) -> str:
        """The skipped rows as CSV text: ``row``, ``category``, ``reason``, then the row's own fields."""
        buffer = io.StringIO()
        fields = ["row", "category", "reason"]
        fields += sorted({key for entry in self.skipped for key in entry} - set(fields))
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        writer.writerows(self.skipped)
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


def read_bytes_checked(path: Path, what: str = "a CSV") -> bytes:
    """Read a file, refusing missing, empty and binary files with one-line messages."""
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


def read_csv_frame(path: Path, *, sep: str = ",") -> tuple[pd.DataFrame, str]:
    """Read a CSV as strings (no NA guessing), header names cleaned of BOMs and stray spaces.

    Returns the frame and the encoding used ("utf-8" or "cp1252"). Raises :class:`InputError`
    naming the file for empty, binary or unparseable files.
    """
    raw = read_bytes_checked(path)
    try:
        text, encoding = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        # Older USGS releases and Excel exports are Windows-1252; anything undecodable is not text.
        try:
            text, encoding = raw.decode("cp1252"), "cp1252"
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: not a text file (byte {exc.start} cannot be decoded)") from None
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                            na_filter=False, skip_blank_lines=True)
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file") from None
    except (pd.errors.ParserError, ValueError) as exc:
        detail = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        detail = detail.removeprefix("Error tokenizing data. C error: ")
        raise InputError(f"{path}: not a readable CSV ({detail})") from None
    frame = frame.fillna("")
    frame.columns = [clean_text(column) for column in frame.columns]
    return frame, encoding


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
