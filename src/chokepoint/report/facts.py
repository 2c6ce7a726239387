"""The report figures behind the bundled graphs: ``graphs/facts.csv`` as shipped with the package.

An edge's ``fact`` names a row of that table (``F01``) or a row of a data release
(``USGS-T5:<mineral>``, ``USGS-MCS2025:<row>``) that is not in it; :func:`cited_facts` says which.
"""

from __future__ import annotations

import csv
import io
from functools import lru_cache
from pathlib import Path

from ..errors import InputError
from ..formats.graphs import graphs_dir

#: Columns of facts.csv (graphs/PROVENANCE.md describes them).
FACT_COLUMNS = ("id", "domain", "item", "stage", "basis", "country", "share_low", "share_high", "year",
                "source", "seed_file", "seed_line", "note")


def facts_path() -> Path:
    """The packaged copy of facts.csv (beside the bundled graphs)."""
    return graphs_dir() / "facts.csv"


@lru_cache(maxsize=4)
def _read(path: str, mtime: float) -> dict[str, dict]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in FACT_COLUMNS if c not in (reader.fieldnames or ())]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
    facts = {}
    for line, row in enumerate(reader, start=2):
        ident = (row.get("id") or "").strip()
        if not ident:
            raise InputError(f"{path}: line {line}: a fact without an id")
        if ident in facts:
            raise InputError(f"{path}: line {line}: fact '{ident}' appears twice")
        facts[ident] = {
            "id": ident, "domain": row["domain"], "item": row["item"], "stage": row["stage"],
            "basis": row["basis"], "country": row["country"],
            "share_low": _float(row["share_low"], path, line), "share_high": _float(row["share_high"], path, line),
            "year": _int(row["year"], path, line), "source": row["source"], "seed_file": row["seed_file"],
            "seed_line": _int(row["seed_line"], path, line), "note": row["note"],
        }
    return facts


def _float(text: str, path: str, line: int) -> float | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise InputError(f"{path}: line {line}: '{text}' is not a number") from None


def _int(text: str, path: str, line: int) -> int | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InputError(f"{path}: line {line}: '{text}' is not a whole number") from None


def load_facts(path=None) -> dict[str, dict]:
    """facts.csv as ``{fact id: row}``; shares and years as numbers, blanks as ``None``.

    ``path`` defaults to the packaged copy (:func:`facts_path`). The returned dict is shared
    between calls: do not change it.
    """
    target = Path(path) if path is not None else facts_path()
    try:
        mtime = target.stat().st_mtime
    except OSError as exc:
        raise InputError(f"{target}: cannot read ({exc.strerror})") from None
    return _read(str(target), mtime)


def cited_facts(graph, facts: dict[str, dict] | None = None) -> list[dict]:
    """The facts.csv rows the graph's edges cite, in facts.csv order (ids not in the table are left out)."""
    facts = load_facts() if facts is None else facts
    cited = {e.fact for e in graph.document.edges if e.fact}
    return [row for ident, row in facts.items() if ident in cited]
