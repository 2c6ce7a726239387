"""What the HTML report and the workbook share: the scenarios asked for, the graph's digest,
one record per edge with its citation, and JSON-safe values.
"""

from __future__ import annotations

import hashlib
import json
import math

import pandas as pd

from ..errors import InputError
from ..model import Graph
from ..formats.graphs import load_graph
from ..api import cutoff, edges_table, target


def as_graph(graph) -> Graph:
    """A :class:`Graph` from a Graph, a bundled name or a path."""
    return load_graph(graph)


def scenario_specs(countries=()) -> list[tuple[str, ...]]:
    """The country scenarios asked for: one per entry, plus all of them together when there are several.

    An entry is a country (code or name), several joined with ``+`` (``"CN+TW"``, cut together),
    or a sequence of countries. Codes are resolved later, by :func:`chokepoint.api.cutoff`, which
    raises :class:`~chokepoint.errors.UnknownCountryError` for a name it does not know.
    """
    if isinstance(countries, str):
        countries = (countries,)
    specs: list[tuple[str, ...]] = []
    for entry in countries:
        parts = entry.split("+") if isinstance(entry, str) else list(entry)
        names = tuple(p.strip() for p in parts if isinstance(p, str) and p.strip())
        if not names:
            raise InputError(f"--country: empty country scenario {entry!r}")
        specs.append(names)
    if len(specs) > 1:
        specs.append(tuple(dict.fromkeys(name for spec in specs for name in spec)))
    return specs


def named_cutoffs(g: Graph, countries=()) -> list:
    """:func:`chokepoint.api.cutoff` for every scenario of :func:`scenario_specs`, duplicates dropped."""
    results, seen = [], set()
    for spec in scenario_specs(countries):
        result = cutoff(g, countries=spec)
        if result.countries not in seen:
            seen.add(result.countries)
            results.append(result)
    return results


def scenario_key(result) -> str:
    return "+".join(result.countries)


def canonical_json(g: Graph) -> bytes:
    """The graph document as canonical JSON (sorted keys, no spaces, UTF-8)."""
    return json.dumps(g.document.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      allow_nan=False).encode("utf-8")


def graph_sha256(g: Graph) -> str:
    """SHA-256 of :func:`canonical_json`: names the exact document a report was made from."""
    return hashlib.sha256(canonical_json(g)).hexdigest()


def evidence(edge) -> str:
    """How a supplies edge's share is known: ``reported`` (a figure from the source) or ``estimated``."""
    if edge.type != "supplies":
        return ""
    return "estimated" if edge.estimated else "reported"


def edge_records(g: Graph, facts: dict[str, dict]) -> list[dict]:
    """One record per edge, in document order: the share as written, its range, its evidence and citation."""
    extra = _extra_edge_columns(g)
    rows = []
    for index, e in enumerate(g.document.edges):
        source = g.document.sources.get(e.source) if e.source else None
        fact = facts.get(e.fact) if e.fact else None
        row = {
            "from": e.from_, "to": e.to, "type": e.type,
            "share": str(e.share) if e.share is not None else "",
            "low": e.share.low if e.share is not None else None,
            "high": e.share.high if e.share is not None else None,
            "point": e.share.point if e.share is not None else None,
            "evidence": evidence(e), "estimated": e.estimated if e.type == "supplies" else None,
            "basis": e.basis or "", "year": e.year, "fact": e.fact or "", "source": e.source or "",
            "source_title": source.title if source else "",
            "fact_report": fact["source"] if fact else "",
            "seed_file": fact["seed_file"] if fact else "",
            "seed_line": fact["seed_line"] if fact else None,
            "in_facts_csv": fact is not None,
            "note": e.note or "",
        }
        for column, values in extra.items():
            row[column] = values[index]
        rows.append(row)
    return rows


def _extra_edge_columns(g: Graph) -> dict[str, list]:
    """Columns :func:`chokepoint.api.edges_table` may gain (an evidence grade, say), by edge index."""
    frame = edges_table(g)
    known = {"from", "to", "type", "share", "basis", "year", "source", "fact", "estimated"}
    if len(frame) != len(g.document.edges):
        return {}
    return {column: [plain(v) for v in frame[column]] for column in frame.columns if column not in known}


def plain(value):
    """A JSON- and spreadsheet-safe scalar: numpy to Python, NaN/NA to None, tuples to lists."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes, list, tuple, dict)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def frame_records(frame: pd.DataFrame) -> list[dict]:
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict(orient="records")]


def target_frame(g: Graph) -> tuple[pd.DataFrame, str]:
    """The 65% target table and its scope: critical minerals, or every supplied item when none is marked."""
    frame = target(g)
    if frame.empty:
        return target(g, all_items=True), "every supplied item (the graph marks no critical minerals)"
    return frame, "critical minerals"
