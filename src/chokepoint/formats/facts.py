"""The report figures behind the bundled graphs: ``graphs/facts.csv``, beside the bundled graphs.

An edge's ``fact`` names a row of this table (``F01``), a seed line without a row of its own
(``seed:<file>:<line>``) or a row of a USGS data release (``USGS-MCS2025:...``, ``USGS-T5:...``);
``graphs/PROVENANCE.md`` describes the columns. :func:`load_facts` reads the table once per file
version (cached on the path and its modification time).
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from .graphs import graphs_dir

#: Columns of facts.csv (graphs/PROVENANCE.md describes them).
FACT_COLUMNS = ("id", "domain", "item", "stage", "basis", "country", "share_low", "share_high", "year",
                "source", "seed_file", "seed_line", "note")


def facts_path() -> Path:
    """The copy of facts.csv beside the bundled graphs (in the package, or ``graphs/`` in a checkout)."""
    return graphs_dir() / "facts.csv"


def load_facts(path=None) -> dict[str, dict]:
    """facts.csv as ``{fact id: row}`` in file order; shares and years as numbers, blanks as ``None``.

    ``path`` defaults to :func:`facts_path`. The dict is shared between calls: do not change it.
    A missing column, a row without an id, a repeated id or a bad number is an
    :class:`~chokepoint.errors.InputError` naming the file and the line.
    """
    target = Path(path) if path is not None else facts_path()
    try:
        mtime = target.stat().st_mtime_ns
    except OSError as exc:
        raise InputError(f"{target}: cannot read ({exc.strerror})") from None
    return _read(str(target), mtime)


@lru_cache(maxsize=4)
def _read(path: str, mtime: int) -> dict[str, dict]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in FACT_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    facts: dict[str, dict] = {}
    for line, row in enumerate(reader, start=2):
        ident = (row.get("id") or "").strip()
        if not ident:
            raise InputError(f"{path}: line {line}: a fact without an id")
        if ident in facts:
            raise InputError(f"{path}: line {line}: fact '{ident}' appears twice")
        facts[ident] = {
            "id": ident, "domain": row["domain"], "item": row["item"], "stage": row["stage"],
            "basis": row["basis"], "country": row["country"],
            "share_low": _number(row["share_low"], float, path, line),
            "share_high": _number(row["share_high"], float, path, line),
            "year": _number(row["year"], int, path, line), "source": row["source"],
            "seed_file": row["seed_file"], "seed_line": _number(row["seed_line"], int, path, line),
            "note": row["note"],
        }
    return facts


def _number(text, kind, path: str, line: int):
    text = (text or "").strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        what = "a number" if kind is float else "a whole number"
        raise InputError(f"{path}: line {line}: '{text}' is not {what}") from None
