"""How sure a result is: the evidence grade of the shares it rests on, and the bounds the data allow.

A result is ``reported`` when every share along the chain that explains it is a figure a source
states, and ``estimated`` when any of them is a level word, a range or an edge marked
``estimated: true``; the estimated edges are its ``assumptions``.

Bounds come from two extra evaluations on the engine (availability is monotone in every share):
- low: every item's unattributed remainder counts as lost with the cut countries (the unknown
  suppliers may be them) and every share sits at its low end;
- high: the remainder survives and every share sits at its low end, so the cut countries lose as
  little as the sources allow (an item keeps ``1 - sum(low share x loss)``).
The point value (midpoints, remainder surviving) lies between them.

Citations. What a share rests on: its evidence (reported or estimated) and the citation behind its ``fact``.

A share is ``reported`` when it is a plain number a source states (not a level word, not a range,
not marked ``estimated: true``) and ``estimated`` otherwise. An edge's ``fact`` is read in one of
the forms ``graphs/PROVENANCE.md`` lists:

- ``F01``: a row of ``graphs/facts.csv`` (report, item, the statement, seed file and line);
- ``seed:<file>:<line>``: a seed line with no row of its own (a statement without a figure);
- ``USGS-MCS2025:<commodity>:<type>``, ``USGS-MCS2025:<row>`` or ``USGS-T5:<mineral>``: a table
  of the USGS Mineral Commodity Summaries 2025 data release.

Pure functions: the facts table is passed in (:func:`chokepoint.formats.facts.load_facts` reads it).
"""

from __future__ import annotations

import re
import weakref
from dataclasses import asdict, dataclass

import numpy as np

from ..engine import CompiledGraph, compile_graph, evaluate
from ..model import Edge, Graph, Share

REPORTED = "reported"
ESTIMATED = "estimated"

#: The USGS data release the ``USGS-`` facts cite (the bundled graphs' ``USGS-MCS2025`` source).
USGS_RELEASE = "Mineral Commodity Summaries 2025 data release (U.S. Geological Survey)"
USGS_URL = "https://doi.org/10.5066/P13XCP3R"

_SEED = re.compile(r"seed:(?P<file>[^:]+):(?P<line>[0-9]+)")
_USGS_TABLE = re.compile(r"USGS-MCS2025:(?P<commodity>[^:]+):(?P<type>.+)")
_USGS_ROW = re.compile(r"USGS-MCS2025:(?P<rows>[0-9]+(?:\+[0-9]+)*)")
_USGS_T5 = re.compile(r"USGS-T5:(?P<mineral>.+)")


def is_estimate(edge: Edge) -> bool:
    """A supplies edge whose share is a level word, a range, or marked ``estimated: true``."""
    share = edge.share
    return edge.type == "supplies" and (edge.estimated or share.level is not None or share.is_range)


def evidence_of(edge: Edge) -> str | None:
    """``reported`` or ``estimated`` for a supplies edge; ``None`` for a requires edge."""
    if edge.type != "supplies":
        return None
    return ESTIMATED if is_estimate(edge) else REPORTED


def share_as_written(edge: Edge):
    """The share as the file writes it: a level word, a number or ``[low, high]``."""
    return edge.share.to_value() if edge.share is not None else None


def source_titles(graph: Graph, keys: str | None) -> str:
    """Titles of ``;``-separated source keys from the document's sources (the key where it has none)."""
    if not keys:
        return ""
    titles = []
    for key in (k.strip() for k in keys.split(";") if k.strip()):
        source = graph.document.sources.get(key)
        titles.append(source.title if source is not None else key)
    return "; ".join(titles)


@dataclass(frozen=True)
class Citation:
    """What an edge's ``fact`` points at.

    ``kind``: ``facts.csv`` (a row of the table), ``seed`` (a seed line without a row),
    ``data release`` (a USGS table), ``not in facts.csv`` (an id the table lacks) or ``none``.
    """

    fact: str | None
    kind: str
    report: str = ""
    """Source key(s) of the report or data release."""
    report_title: str = ""
    item: str = ""
    """What the figure is about: the fact's item (and stage), or the USGS table and row."""
    statement: str = ""
    """The statement, paraphrased in English (facts.csv's ``note``)."""
    seed_file: str | None = None
    seed_line: int | None = None
    url: str | None = None
    same_line: tuple[str, ...] = ()
    """For a ``seed:`` fact, the facts.csv ids drawn from the same seed line."""

    @property
    def where(self) -> str:
        """``seed 000_ee92b4dbc66e81e6.txt line 46``, or the data release's address, or ``""``."""
        if self.seed_file:
            return f"seed {self.seed_file} line {self.seed_line}" if self.seed_line else f"seed {self.seed_file}"
        return self.url or ""

    def to_dict(self) -> dict:
        data = asdict(self)
        data["same_line"] = list(self.same_line)
        return data


def cite(graph: Graph, edge: Edge, facts: dict[str, dict]) -> Citation:
    """The citation behind ``edge.fact``, looked up in ``facts`` (``{id: row}`` of facts.csv)."""
    fact = edge.fact
    if not fact:
        return Citation(None, "none")
    row = facts.get(fact)
    if row is not None:
        stage = f" ({row['stage']})" if row.get("stage") else ""
        return Citation(fact, "facts.csv", row["source"], source_titles(graph, row["source"]),
                        f"{row['item']}{stage}", row["note"], row["seed_file"] or None, row["seed_line"])
    match = _SEED.fullmatch(fact)
    if match:
        file, line = match["file"], int(match["line"])
        reports = sorted({(r["source"] or "").split(";")[0] for r in facts.values() if r["seed_file"] == file} - {""})
        report = reports[0] if len(reports) == 1 else ""
        same = tuple(r["id"] for r in facts.values() if r["seed_file"] == file and r["seed_line"] == line)
        return Citation(fact, "seed", report, source_titles(graph, report), graph.label(edge.to),
                        "a statement without a figure (no facts.csv row of its own)", file, line,
                        same_line=same)
    usgs = _usgs_item(fact)
    if usgs is not None:
        key = edge.source or "USGS-MCS2025"
        source = graph.document.sources.get(key)
        title = source.title if source is not None else USGS_RELEASE
        url = (source.url if source is not None and source.url else USGS_URL)
        if "Geological Survey" not in title and source is not None and source.publisher:
            title = f"{title} ({source.publisher})"
        return Citation(fact, "data release", key, title, usgs, url=url)
    return Citation(fact, "not in facts.csv")


def _usgs_item(fact: str) -> str | None:
    match = _USGS_TABLE.fullmatch(fact)
    if match:
        return f"{match['commodity']}, {match['type']} (MCS2025_World_Data.csv)"
    match = _USGS_ROW.fullmatch(fact)
    if match:
        rows = match["rows"].split("+")
        return f"data row{'s' if len(rows) > 1 else ''} {' + '.join(rows)} of MCS2025_World_Data.csv"
    match = _USGS_T5.fullmatch(fact)
    if match:
        return f"{match['mineral']} (MCS2025_T5_Critical_Minerals_Salient.csv)"
    return None


def path_assumptions(graph: Graph, path) -> list[dict]:
    """The estimated supply edges along a chain (supplier -> item steps), with their fact ids."""
    compiled = compile_graph(graph)
    index = compiled.index
    return chain_assumptions(graph, compiled, [index[i] for i in path])


def chain_assumptions(graph: Graph, compiled: CompiledGraph, rows) -> list[dict]:
    """:func:`path_assumptions` for a chain given as rows of the compiled graph."""
    if len(rows) < 2:
        return []
    table = _supply_table(graph, compiled)
    found = []
    for a, b in zip(rows, rows[1:]):
        first, last = table.sup_ptr[b], table.sup_ptr[b + 1]
        for j in range(first, last):
            if table.sup_src[j] == a:
                e = int(table.edge[j])
                level = table.level[e]
                low, high = float(table.low[e]), float(table.high[e])
                if table.estimated[e] or isinstance(level, str) or low != high:
                    share = Share.model_construct(low=low, high=high, level=level if isinstance(level, str) else None)
                    found.append({"from": compiled.ids[a], "to": compiled.ids[b], "share": str(share),
                                  "fact": table.fact(e) or "", "note": table.note(e) or ""})
                break
    return found


def chains_assumptions(graph: Graph, compiled: CompiledGraph, flat: np.ndarray, length: np.ndarray) -> list[tuple]:
    """:func:`chain_assumptions` of many chains, given as one array of rows (``flat``, the chains
    one after another) and their lengths: each link looked up once, over arrays (the first supply
    slot of its item from its supplier, as the loop of :func:`chain_assumptions` finds it).
    Returns a tuple of assumptions per chain."""
    n = compiled.n_nodes
    out = [()] * len(length)
    flat = np.asarray(flat, dtype=np.int64)
    link_at = np.ones(len(flat), dtype=bool)  # a link starts at each row but a chain's last
    link_at[np.cumsum(length)[length > 0] - 1] = False
    link_at = np.flatnonzero(link_at)
    if not len(link_at):
        return out
    keys = flat[link_at] * n + flat[link_at + 1]
    unique = np.unique(keys)
    supplier, item = unique // n, unique % n
    count = np.diff(compiled.sup_ptr)[item]
    link = np.repeat(np.arange(len(unique)), count)
    slot = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(np.cumsum(count) - count - compiled.sup_ptr[item],
                                                                   count)
    match = np.flatnonzero(compiled.sup_src[slot] == supplier[link])
    first = match[np.r_[True, link[match][1:] != link[match][:-1]]] if len(match) else match
    table = _supply_table(graph, compiled)
    edge = compiled.sup_edge[slot[first]]
    level = table.level[edge]
    written = np.array([isinstance(v, str) for v in level.tolist()], dtype=bool)
    estimate = table.estimated[edge].astype(bool) | written | (table.low[edge] != table.high[edge])
    if not estimate.any():
        return out
    ids = compiled.ids
    found = {}
    for k, e in zip(link[first][estimate].tolist(), edge[estimate].tolist()):
        level = table.level[e]
        low, high = float(table.low[e]), float(table.high[e])
        share = Share.model_construct(low=low, high=high, level=level if isinstance(level, str) else None)
        a, b = int(supplier[k]), int(item[k])
        found[int(unique[k])] = {"from": ids[a], "to": ids[b], "share": str(share), "fact": table.fact(e) or "",
                                 "note": table.note(e) or ""}
    hit = np.flatnonzero(np.isin(keys, np.fromiter(found, dtype=np.int64, count=len(found))))
    chain_of = np.repeat(np.arange(len(length)), length)[link_at[hit]]
    for chain, key in zip(chain_of.tolist(), keys[hit].tolist()):
        out[chain] = out[chain] + (dict(found[key]),)
    return out


class _SupplyTable:
    """The compiled supply slots as lists, and the edges' fields as arrays (read only at the few
    slots a chain passes through)."""

    def __init__(self, graph: Graph, compiled: CompiledGraph):
        edges = graph.columns.edges
        self.sup_ptr = compiled.sup_ptr.tolist()
        self.sup_src = compiled.sup_src.tolist()
        self.edge = compiled.sup_edge
        self.estimated = edges["estimated"].to_numpy()
        self.level = edges["share_level"].to_numpy(dtype=object)
        self.low = edges["share_low"].to_numpy()
        self.high = edges["share_high"].to_numpy()
        self.facts = edges["fact"].to_numpy(dtype=object)
        self.notes = edges["note"].to_numpy(dtype=object)

    def fact(self, e: int):
        value = self.facts[e]
        return value if isinstance(value, str) else None

    def note(self, e: int):
        value = self.notes[e]
        return value if isinstance(value, str) else None


_TABLES: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _supply_table(graph: Graph, compiled: CompiledGraph) -> _SupplyTable:
    table = _TABLES.get(compiled)
    if table is None:
        table = _TABLES[compiled] = _SupplyTable(graph, compiled)
    return table


def grade(assumptions) -> str:
    return ESTIMATED if assumptions else REPORTED


def bounds(compiled: CompiledGraph, cuts, *, spare_capacity=0.0, rows=None, point=None):
    """(low, high) availability matrices for ``cuts`` (see the module docstring), clamped around ``point``."""
    shares = compiled.sup_low
    low = evaluate(compiled, cuts, spare_capacity=spare_capacity, shares=shares, remainder_lost=True, rows=rows)
    high = evaluate(compiled, cuts, spare_capacity=spare_capacity, shares=shares, rows=rows)
    if point is not None:  # a point rescaled past its written low end (shares summing past 1) stays inside
        low, high = np.minimum(low, point), np.maximum(high, point)
    return low, high
