"""Graphs as columns: the fast path for large graphs.

A graph file of a million edges is a million small mappings; validating each as a pydantic
object is most of the time from file to answer. Here the same rules run over whole columns:
the nodes' and edges' fields as lists and arrays, checked with set and array operations.

The fast path only ever *accepts*. When any rule fails, :func:`columns_from_data` and
:func:`columns_from_tables` return ``None`` and the caller validates the same data entry by entry
with :func:`chokepoint.model.parse_document`, which names every problem. So the messages are the
same on every path by construction, and a test holds the fast path to accepting only what the
entry-by-entry path accepts, with the same warnings and the same document.

:class:`GraphColumns` is the result: the document's nodes and edges as two pandas frames in file
order (``NODE_COLUMNS``, ``EDGE_COLUMNS``), with the shares split into ``share_low``,
``share_high`` and ``share_level``. A :class:`~chokepoint.model.Graph` built from it makes the
pydantic document only when something asks for it.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from itertools import chain, repeat
from typing import Iterable

import numpy as np
import pandas as pd
from pydantic import TypeAdapter
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

try:  # optional dependency (the "scale" extra): a million edge ends looked up in contiguous memory
    import pyarrow
    import pyarrow.compute as pc
except ImportError:  # pragma: no cover - exercised where pyarrow is not installed
    pyarrow = pc = None

from .countries import is_country_code
from .document import _CONTROL, ID_PATTERN, MAX_TEXT, Document, Edge, Node, Share, Source
from .schema import ITEM_KINDS, KINDS, LEVELS, NODE_FIELDS, SUM_TOLERANCE, SUPPLIER_KINDS
from .validate import MAX_LISTED, Problems, _short, check_top_level, parse_sources

NODE_COLUMNS: tuple[str, ...] = tuple(spec.name for spec in NODE_FIELDS)
EDGE_COLUMNS: tuple[str, ...] = ("from", "to", "type", "share_low", "share_high", "share_level", "basis", "year",
                                 "source", "fact", "estimated", "note")
#: Keys an edge mapping may have (the file format's).
EDGE_KEYS: tuple[str, ...] = ("from", "to", "type", "share", "basis", "year", "source", "fact", "estimated", "note")
_NODE_TEXT = ("label", "stage", "note")
_NODE_FLOAT = {"stockpile_months": (0.0, math.inf), "unknown_max_share": (0.0, 1.0)}
_SUPPLY_ONLY = ("basis", "year", "source", "fact")
_ID_RUN = re.compile(r"[A-Za-z0-9._:-]+(?:\n[A-Za-z0-9._:-]+)*")


class _Missing:
    """A key that is absent (as opposed to given as null)."""

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return "<missing>"


MISSING = _Missing()
_NONE = type(None)


@dataclass(frozen=True, eq=False)
class GraphColumns:
    """A validated graph as columns (see the module docstring)."""

    name: str
    title: str
    description: str | None
    sources: dict
    nodes: pd.DataFrame
    edges: pd.DataFrame

    def __repr__(self) -> str:
        return f"<GraphColumns {self.name!r}: {len(self.nodes):,} nodes, {len(self.edges):,} edges>"

    @cached_property
    def ends(self) -> tuple[np.ndarray, np.ndarray]:
        """Each edge's ``from`` and ``to`` as node rows (int64; the checks compute them once)."""
        ids = self.nodes["id"].tolist()
        row = dict(zip(ids, range(len(ids))))
        return _positions(row, self.edges["from"].tolist()), _positions(row, self.edges["to"].tolist())

    def to_document(self) -> Document:
        """The pydantic document, validated again from the file format's mappings (pydantic's core
        does that faster than building each object unchecked)."""
        nodes = []
        names = NODE_COLUMNS
        for values in zip(*(self.nodes[c].tolist() for c in names)):
            nodes.append({k: v for k, v in zip(names, values)
                          if v is not None and v == v and not (k == "critical_mineral" and not v)})
        edges = []
        e = self.edges
        rest = ("basis", "source", "fact", "note")
        for frm, to, kind, low, high, level, year, estimated, *others in zip(
                e["from"].tolist(), e["to"].tolist(), e["type"].tolist(), e["share_low"].tolist(),
                e["share_high"].tolist(), e["share_level"].tolist(), e["year"].tolist(), e["estimated"].tolist(),
                *(e[c].tolist() for c in rest)):
            entry = {"from": frm, "to": to, "type": kind}
            if low == low:
                entry["share"] = level if isinstance(level, str) else (low if low == high else [low, high])
            if year == year:
                entry["year"] = int(year)
            for name, value in zip(rest, others):
                if value is not None and value == value:
                    entry[name] = value
            if estimated:
                entry["estimated"] = True
            edges.append(entry)
        return Document.model_construct(
            name=self.name, title=self.title, description=self.description, sources=dict(self.sources),
            nodes=tuple(_adapter(Node).validate_python(nodes)), edges=tuple(_adapter(Edge).validate_python(edges)))

    @classmethod
    def from_document(cls, document: Document) -> "GraphColumns":
        """The columns of a document (the small-graph path: one pass over its entries)."""
        columns = {name: _column([getattr(n, name) for n in document.nodes], name) for name in NODE_COLUMNS}
        columns["needs"] = [n.needs if "needs" in n.model_fields_set else None for n in document.nodes]
        nodes = frame(columns, NODE_COLUMNS)
        es = document.edges
        shares = [e.share for e in es]
        edges = frame({
            "from": [e.from_ for e in es], "to": [e.to for e in es], "type": [e.type for e in es],
            "share_low": np.array([s.low if s is not None else np.nan for s in shares], dtype=np.float64),
            "share_high": np.array([s.high if s is not None else np.nan for s in shares], dtype=np.float64),
            "share_level": [s.level if s is not None else None for s in shares],
            "basis": [e.basis for e in es],
            "year": np.array([e.year if e.year is not None else np.nan for e in es], dtype=np.float64),
            "source": [e.source for e in es], "fact": [e.fact for e in es],
            "estimated": np.array([e.estimated for e in es], dtype=bool), "note": [e.note for e in es],
        }, EDGE_COLUMNS)
        return cls(document.name, document.title, document.description, dict(document.sources), nodes, edges)


_ADAPTERS: dict = {}


def _adapter(model):
    if model not in _ADAPTERS:
        _ADAPTERS[model] = TypeAdapter(list[model])
    return _ADAPTERS[model]


def frame(columns: dict, names) -> pd.DataFrame:
    """A frame of the given columns: arrays as they are, lists as object columns (None stays None,
    never NaN)."""
    data = {}
    for name in names:
        values = columns[name]
        if isinstance(values, Coded):
            values = values.objects()
        if isinstance(values, np.ndarray) and values.dtype != object:
            data[name] = values
        else:  # object, never pandas' inferred string dtype (None stays None)
            data[name] = pd.Series(values, dtype=object, copy=False)
    return pd.DataFrame(data, columns=list(names), copy=False)  # the columns as they are: no block copied


def _column(values: list, name: str):
    if name in _NODE_FLOAT:
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)
    if name == "critical_mineral":
        return np.array(values, dtype=bool)
    return values


# ---------------------------------------------------------------------------------------------
# plain data (a parsed YAML or JSON document) -> columns


def columns_from_data(data, origin: str) -> tuple[GraphColumns, list[str]] | None:
    """(columns, warnings) when the whole document passes every rule; ``None`` otherwise.

    ``None`` says nothing about what is wrong: validate with :func:`parse_document` for that.
    Documents with ``include`` take the entry-by-entry path.
    """
    if not isinstance(data, dict) or data.get("include"):
        return None
    problems = Problems(origin)
    if not check_top_level(data, problems) or problems.errors:
        return None
    sources = parse_sources(data, problems)
    if problems.errors:
        return None
    raw_nodes, raw_edges = data.get("nodes"), data.get("edges") or []
    if not isinstance(raw_nodes, list) or not isinstance(raw_edges, list):
        return None
    if not _all_mappings(raw_nodes) or not _all_mappings(raw_edges):
        return None
    if not set(chain.from_iterable(raw_nodes)) <= set(NODE_COLUMNS):
        return None
    edge_keys = set(chain.from_iterable(raw_edges))
    if not edge_keys <= set(EDGE_KEYS):
        return None
    nodes = {}
    for name in NODE_COLUMNS:
        default = MISSING if name in ("needs", "critical_mineral") else None
        nodes[name] = list(map(dict.get, raw_nodes, repeat(name), repeat(default)))
    get = {name: list(map(dict.get, raw_edges, repeat(name), repeat(MISSING if name == "estimated" else None)))
           for name in EDGE_KEYS if name in edge_keys or name in ("from", "to", "type")}
    n_edges = len(raw_edges)
    for name in EDGE_KEYS:
        if name not in get:
            get[name] = [MISSING] * n_edges if name == "estimated" else [None] * n_edges
    estimated = _flags(get["estimated"])
    if estimated is None:
        return None
    shares = _shares(get["share"])
    if shares is None:
        return None
    low, high, level = shares
    edges = {"from": get["from"], "to": get["to"], "type": get["type"], "share_low": low, "share_high": high,
             "share_level": level, "basis": get["basis"], "year": get["year"], "source": get["source"],
             "fact": get["fact"], "estimated": estimated, "note": get["note"]}
    return check_columns(origin, data["name"], data["title"], data.get("description"), sources, nodes, edges,
                         ends=_arrow_ends(nodes["id"], get["from"], get["to"]))


#: Fewer edges than this are looked up in a dict (pyarrow's set-up is not worth it).
ARROW_ENDS = 10_000


def _arrow_ends(ids: list, frm: list, to: list) -> tuple[np.ndarray, np.ndarray] | None:
    """Each edge end's row among the ids, by string equality in pyarrow (the first of equal ids),
    -1 where an end is no id (or not a string); None without pyarrow, for few edges, or when the
    ids are not all strings (the checks then look ends up themselves)."""
    if pc is None or len(frm) < ARROW_ENDS:
        return None
    try:
        names = pyarrow.array(ids, type=pyarrow.large_string())
        cells = pyarrow.array(frm + to, type=pyarrow.large_string())
    except Exception:  # noqa: BLE001 - not all strings (or not encodable): the checks decide
        return None
    if names.null_count:
        return None
    rows = pc.index_in(cells, value_set=names).to_numpy(zero_copy_only=False)
    rows = np.where(np.isnan(rows), -1, rows).astype(np.int64) if rows.dtype.kind == "f" else rows.astype(np.int64)
    return rows[:len(frm)], rows[len(frm):]


def _all_mappings(values: list) -> bool:
    return not values or set(map(type, values)) == {dict}


def _flags(values: list) -> np.ndarray | None:
    """A StrictBool column where a key may be absent (false); None when a value is not a boolean."""
    if isinstance(values, Coded):
        if not set(map(type, values.values)) <= {bool, _Missing}:
            return None
        return values.mask(lambda v: v is True)
    if not len(values):
        return np.zeros(0, dtype=bool)
    if not set(map(type, values)) <= {bool, _Missing}:
        return None
    return _objects(values) == True  # noqa: E712


def _number(value) -> float | None:
    if type(value) not in (int, float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if 0.0 <= number <= 1.0 else None  # NaN fails both comparisons


def _shares(values: list):
    """(low, high, level) columns from the ``share`` values as written; None when one is refused."""
    n = len(values)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    level = [None] * n
    types = np.fromiter(map(type, values), dtype=object, count=n)
    if not set(types.tolist()) <= {int, float, list, str, _NONE}:
        return None
    array = _objects(values)
    numeric = np.flatnonzero((types == float) | (types == int))
    if len(numeric):
        try:
            numbers = array[numeric].astype(np.float64)
        except OverflowError:
            return None
        if not np.all((numbers >= 0.0) & (numbers <= 1.0)):
            return None
        low[numeric] = numbers
        high[numeric] = numbers
    for i in np.flatnonzero(types == list).tolist():
        value = values[i]
        if len(value) != 2:
            return None
        a, b = _number(value[0]), _number(value[1])
        if a is None or b is None or a > b:
            return None
        low[i], high[i] = a, b
    for i in np.flatnonzero(types == str).tolist():
        word = values[i].strip().lower()
        if word not in LEVELS:
            return None
        low[i], high[i] = LEVELS[word]
        level[i] = word
    return low, high, level


# ---------------------------------------------------------------------------------------------
# the rules, over columns


class Coded:
    """A column as each row's code into its distinct values: the rules that look at one value
    run once per distinct value (a column of a million ``"supplies"`` holds one string).

    ``values`` are Python objects (``None`` for an empty cell); ``codes`` index them, one per row.
    """

    __slots__ = ("codes", "values", "_table", "_list")

    def __init__(self, codes, values):
        self.codes = np.asarray(codes, dtype=np.intp)
        self.values = values if type(values) is list else list(values)  # a list is kept, not copied
        self._table = self._list = None

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, row: int):
        return self.values[self.codes[row]]

    def __iter__(self):
        return iter(self.objects().tolist())

    def table(self) -> np.ndarray:
        """The distinct values as an object array (one spare slot, None: 1-D even when empty)."""
        if self._table is None:
            table = np.empty(len(self.values) + 1, dtype=object)
            table[:-1] = np.fromiter(self.values, dtype=object, count=len(self.values)) if self.values else []
            self._table = table
        return self._table

    def objects(self) -> np.ndarray:
        """Each row's value, as an object array."""
        return self.table()[self.codes]

    def tolist(self) -> list:
        """Each row's value (the same list on every call: do not change it)."""
        if self._list is None:
            self._list = self.objects().tolist()
        return self._list

    def flags(self, array_test) -> np.ndarray:
        """Each row's ``array_test(object array of the distinct values)``, a boolean array."""
        return np.asarray(array_test(self.table()), dtype=bool)[self.codes]

    def mask(self, predicate) -> np.ndarray:
        """Each row's ``predicate(value)``, computed once per distinct value."""
        flags = np.fromiter((bool(predicate(v)) for v in self.values), dtype=bool, count=len(self.values))
        return np.append(flags, False)[self.codes]

    def map(self, function) -> "Coded":
        """The same rows with each distinct value replaced by ``function(value)``."""
        return Coded(self.codes, [function(v) for v in self.values])


def _values(column):
    """Values whose types and texts stand for the whole column: the distinct values of a coded
    column, else the column itself."""
    return column.values if isinstance(column, Coded) else column


def _types(values: Iterable, allowed: tuple) -> bool:
    return set(map(type, _values(values))) <= set(allowed)


def _distinct_texts(values) -> list:
    """The distinct values other than None (checked to be strings already)."""
    if isinstance(values, Coded):  # distinct already (or nearly: repeats do not change a check)
        return [v for v in values.values if v is not None]
    return [v for v in set(values) if v is not None]


def _texts_ok(values, limit: int = MAX_TEXT, minimum: int = 0) -> bool:
    """Strings (None allowed) within the length limits and free of control characters."""
    texts = _distinct_texts(values)
    if not texts:
        return True
    lengths = list(map(len, texts))
    if max(lengths) > limit or min(lengths) < minimum:
        return False
    return _CONTROL.search("\n".join(texts)) is None


def _idents_ok(values) -> bool:
    """Non-empty strings of at most 200 characters (None allowed)."""
    texts = _distinct_texts(values)
    if not texts:
        return True
    lengths = list(map(len, texts))
    return max(lengths) <= 200 and min(lengths) >= 1


def _given(values) -> np.ndarray:
    """Whether each value counts as given (not None, False, "" or absent)."""
    if isinstance(values, Coded):
        return values.flags(_given_array)
    return _given_array(_objects(values))


def _given_array(array: np.ndarray) -> np.ndarray:
    return (array != None) & (array != MISSING) & (array != "") & (array != False)  # noqa: E711, E712


def _objects(values) -> np.ndarray:
    if isinstance(values, Coded):
        return values.objects()
    if isinstance(values, np.ndarray) and values.dtype == object:
        return values
    return np.fromiter(values, dtype=object, count=len(values))


def _present(values) -> np.ndarray:
    """Which values are not None."""
    if isinstance(values, Coded):
        return values.flags(lambda table: table != None)  # noqa: E711
    return _objects(values) != None  # noqa: E711


def _equals(values, word) -> np.ndarray:
    """Which values are ``word`` (a string)."""
    if isinstance(values, Coded):
        return values.flags(lambda table: table == word)
    return _objects(values) == word


def _of_ids(values, ids: list) -> bool:
    """Whether a column is coded by node row: its distinct values are the id list itself."""
    return isinstance(values, Coded) and values.values is ids


def _rows_of(index: dict, values) -> np.ndarray | None:
    """Each value's row in ``index``; None when one is not there."""
    try:
        return np.fromiter(map(index.__getitem__, values), dtype=np.int64, count=len(values))
    except (KeyError, TypeError):
        return None


def _positions(index: dict, values) -> np.ndarray:
    if isinstance(values, Coded):
        return np.append(_positions(index, values.values), -1)[values.codes]
    return np.fromiter(map(index.get, values, repeat(-1)), dtype=np.int64, count=len(values))


def _floats(values) -> np.ndarray:
    """Numbers (None: NaN) as a float array; OverflowError for an integer past the floats."""
    if isinstance(values, Coded):
        return np.append(_floats(values.values), np.nan)[values.codes]
    if isinstance(values, np.ndarray) and values.dtype == np.float64:
        return values
    return np.array([np.nan if v is None else v for v in values], dtype=np.float64)


def check_columns(origin: str, name: str, title: str, description, sources: dict, nodes: dict, edges: dict,
                  ends: tuple[np.ndarray, np.ndarray] | None = None):
    """Check columns against every rule of :func:`parse_document`; (GraphColumns, warnings) or None.

    ``nodes``: a list per node field (``MISSING`` where ``needs`` or ``critical_mineral`` is absent).
    ``edges``: ``from``, ``to``, ``type``, ``basis``, ``year``, ``source``, ``fact``, ``note`` as
    lists; ``share_low``/``share_high`` float arrays (NaN: no share), ``share_level`` a list, and
    ``estimated`` a bool array. Values already of the right Python types are still checked here.
    ``ends``: each edge's ``from`` and ``to`` as node rows (-1 where no id is equal to it), when
    the caller has them (found by equality with the ids: a row means the end is that id); looked
    up here otherwise.
    """
    n = len(nodes["id"])
    ids = nodes["id"]
    kinds = nodes["kind"]
    if n == 0 or not _types(ids, (str,)) or not _types(kinds, (str,)) or not set(_values(kinds)) <= set(KINDS):
        return None
    joined = "\n".join(ids)
    if _ID_RUN.fullmatch(joined) is None or joined.count("\n") != n - 1 or max(map(len, ids)) > 200:
        return None
    for column in _NODE_TEXT:
        if not _types(nodes[column], (str, _NONE)) or not _texts_ok(nodes[column]):
            return None
    if not _types(nodes["country"], (str, _NONE)) or not _idents_ok(nodes["country"]):
        return None
    if not _types(nodes["needs"], (str, _Missing)) or not set(_values(nodes["needs"])) <= {"all", "any", MISSING}:
        return None
    critical = _flags(nodes["critical_mineral"])
    if critical is None:
        return None
    floats = {}
    for column, (lowest, highest) in _NODE_FLOAT.items():
        values = nodes[column]
        if not _types(values, (int, float, _NONE)):
            return None
        try:
            array = _floats(values)
        except OverflowError:
            return None
        given = ~np.isnan(array) | _present(values)
        if np.any(given & ~((array >= lowest) & (array <= highest) & np.isfinite(array))):
            return None
        floats[column] = array

    # which fields each kind takes and needs (schema.NODE_FIELDS)
    kind_code = _positions({kind: code for code, kind in enumerate(KINDS)}, kinds)
    for spec in NODE_FIELDS:
        values = nodes[spec.name]
        if spec.name in _NODE_FLOAT:
            given = ~np.isnan(floats[spec.name])
        elif spec.name == "critical_mineral":
            given = critical
        else:
            given = _given(values)
        takes = np.isin(kind_code, [KINDS.index(k) for k in spec.applies])
        needs = np.isin(kind_code, [KINDS.index(k) for k in spec.required])
        if np.any(given & ~takes) or np.any(needs & ~given):
            return None

    # nodes across entries
    if len(set(ids)) != n:
        return None
    country_kind = kind_code == KINDS.index("country")
    if not all(is_country_code(c) for c in set(np.asarray(ids, dtype=object)[country_kind].tolist())):
        return None
    facility = kind_code == KINDS.index("facility")
    located = _objects(nodes["country"])[facility]
    if len(located):
        if not all(isinstance(c, str) and is_country_code(c) for c in set(located.tolist())):
            return None
        found = _positions(dict(zip(ids, range(n))), located.tolist())
        if np.any(found < 0) or not np.all(country_kind[found]):
            return None

    # edges
    m = len(edges["from"])
    frm, to, etype = edges["from"], edges["to"], edges["type"]
    known = _of_ids(frm, ids) and _of_ids(to, ids)  # codes that are node rows: ids checked above
    if ends is not None:  # rows found by equality with the ids: strings, identifiers (checked above)
        ends = tuple(np.asarray(e, dtype=np.int64) for e in ends)
        if np.any(ends[0] < 0) or np.any(ends[1] < 0):
            return None
        known = True
    if ends is None and not known and not isinstance(frm, Coded) and not isinstance(to, Coded):
        # each end looked up among the ids: found, it is an id (a string, checked above); not
        # found (or not hashable), the graph is refused anyway (an unknown node, or not a string)
        index = dict(zip(ids, range(n)))
        ends = _rows_of(index, frm), _rows_of(index, to)
        if ends[0] is None or ends[1] is None:
            return None
        known = True
    if m:
        if not known and (not _types(frm, (str,)) or not _types(to, (str,)) or not _idents_ok(frm)
                          or not _idents_ok(to)):
            return None
        if not _types(etype, (str,)) or not set(_values(etype)) <= {"supplies", "requires"}:
            return None
        for column in ("basis", "note"):
            if not _types(edges[column], (str, _NONE)) or not _texts_ok(edges[column]):
                return None
        if not _types(edges["source"], (str, _NONE)) or not _idents_ok(edges["source"]):
            return None
        if not _types(edges["fact"], (str, _NONE)) or not _texts_ok(edges["fact"], 200, 1):
            return None
        if not _types(edges["year"], (int, _NONE)):
            return None
    try:
        years = _floats(edges["year"]) if m else np.zeros(0)
    except OverflowError:
        return None
    if np.any(~np.isnan(years) & ((years < 1800) | (years > 2200))):
        return None
    low = np.asarray(edges["share_low"], dtype=np.float64)
    high = np.asarray(edges["share_high"], dtype=np.float64)
    level = edges["share_level"]
    estimated = np.asarray(edges["estimated"], dtype=bool)
    supplies = _equals(etype, "supplies")
    has_share = ~np.isnan(low)
    worded = _present(level)
    if np.any(supplies & ~has_share) or np.any(supplies & worded & ~estimated):
        return None
    requires = ~supplies
    if np.any(requires & (has_share | estimated | ~np.isnan(years))):
        return None
    for column in ("basis", "source", "fact"):
        if np.any(requires & _present(edges[column])):
            return None
    if ends is None and known:
        src, dst = frm.codes, to.codes
    elif ends is None:
        rows = dict(zip(ids, range(n)))
        src, dst = _positions(rows, frm), _positions(rows, to)
    else:
        src, dst = (np.asarray(e, dtype=np.int64) for e in ends)
    if np.any(src < 0) or np.any(dst < 0) or np.any(src == dst):
        return None
    keys = np.sort(src * n + dst)
    if m and np.any(keys[1:] == keys[:-1]):
        return None
    cited = set(_distinct_texts(edges["source"]))
    if not cited <= set(sources):
        return None
    supplier_ok = np.isin(kind_code, [KINDS.index(k) for k in SUPPLIER_KINDS])
    item_ok = np.isin(kind_code, [KINDS.index(k) for k in ITEM_KINDS])
    if np.any(supplies & ~(supplier_ok[src] & item_ok[dst])):
        return None
    if np.any(requires & (country_kind[src] | country_kind[dst])):
        return None
    if not np.any(item_ok):
        return None

    problems = Problems(origin)
    if not _supply_sums(problems, ids, src, dst, supplies, low, high, edges["basis"]):
        return None
    _listed_warnings(problems, frm, to, supplies, estimated, edges, low, high, level)
    _cycle_warnings(problems, ids, src, dst)
    if not np.any(kind_code == KINDS.index("product")):
        problems.warn("nodes", "no product nodes: the end items (those nothing requires) stand in for products")

    node_frame = frame({
        "id": ids, "kind": kinds, "label": nodes["label"], "stage": nodes["stage"], "country": nodes["country"],
        "needs": _without_missing(nodes["needs"]), "critical_mineral": critical,
        "stockpile_months": floats["stockpile_months"], "unknown_max_share": floats["unknown_max_share"],
        "note": nodes["note"],
    }, NODE_COLUMNS)
    edge_frame = frame({
        "from": frm, "to": to, "type": etype, "share_low": low, "share_high": high, "share_level": level,
        "basis": edges["basis"], "year": years, "source": edges["source"], "fact": edges["fact"],
        "estimated": estimated, "note": edges["note"],
    }, EDGE_COLUMNS)
    columns = GraphColumns(name, title, description, sources, node_frame, edge_frame)
    columns.__dict__["ends"] = (src, dst)
    return columns, problems.warnings


def _without_missing(values):
    """``None`` where a value is absent (``MISSING``)."""
    if isinstance(values, Coded):
        return values.map(lambda v: None if v is MISSING else v)
    return [None if v is MISSING else v for v in values]


def _exact_sums(values: np.ndarray, groups: np.ndarray, candidates: np.ndarray) -> dict[int, float]:
    """math.fsum of ``values`` per group, for the candidate groups only."""
    wanted = np.isin(groups, candidates)
    result: dict[int, list] = {}
    for g, v in zip(groups[wanted].tolist(), values[wanted].tolist()):
        result.setdefault(g, []).append(v)
    return {g: math.fsum(vs) for g, vs in result.items()}


def _supply_sums(problems: Problems, ids, src, dst, supplies, low, high, basis) -> bool:
    """The rules of ``validate.check_supply_sums`` for the sums and bases; False on an error."""
    s_idx = np.flatnonzero(supplies)
    if not len(s_idx):
        return True
    item = dst[s_idx]
    n = len(ids)
    s_low, s_point = low[s_idx], (low[s_idx] + high[s_idx]) / 2
    margin = 1e-6  # float sums of shares in [0, 1] are within this of the exact sum for any sane degree
    rough_low = np.bincount(item, weights=s_low, minlength=n)
    rough_point = np.bincount(item, weights=s_point, minlength=n)
    near = np.flatnonzero(rough_low > SUM_TOLERANCE + 1e-9 - margin)
    if len(near):
        exact = _exact_sums(s_low, item, near)
        if any(v > SUM_TOLERANCE + 1e-9 for v in exact.values()):
            return False
    over = _exact_sums(s_point, item, np.flatnonzero(rough_point > 1 + 1e-9 - margin))
    over = {g: v for g, v in over.items() if v > 1 + 1e-9}
    mixed: dict[int, list[str]] = {}
    bases = _objects(basis)[s_idx]
    named = (bases != None) & (bases != "")  # noqa: E711
    if np.any(named):
        frame = pd.DataFrame({"item": item[named], "basis": bases[named]})
        counts = frame.groupby("item", sort=False)["basis"].nunique()
        for g in counts.index[counts.to_numpy() > 1].tolist():
            mixed[g] = sorted(set(frame["basis"][frame["item"] == g]))
    if not over and not mixed:
        return True
    # in the order the items first appear among the supplies edges, as the entry-by-entry check
    first = pd.Series(np.arange(len(item))).groupby(item, sort=False).min()
    for g in sorted(set(over) | set(mixed), key=lambda g: first[g]):
        label = f"node '{ids[g]}'"
        if g in over:
            problems.warn(label, f"shares sum to {over[g]:.3g}; normalised to 1")
        if g in mixed:
            problems.warn(label, f"shares on different bases are combined: {'; '.join(mixed[g])}")
    return True


def _share_text(low: float, high: float, level) -> str:
    return str(Share.model_construct(low=low, high=high, level=level))


def _listed_warnings(problems: Problems, frm, to, supplies, estimated, edges, low, high, level) -> None:
    def entry(i: int) -> str:
        return f"edges[{i}] ({_short(frm[i])} -> {_short(to[i])})"

    est = np.flatnonzero(supplies & estimated)
    notes = edges["note"]
    for i in est[:MAX_LISTED].tolist():
        problems.warn(entry(i), f"estimated share {_share_text(low[i], high[i], level[i])}"
                      + ("" if notes[i] else " with no note giving the reasoning"))
    if len(est) > MAX_LISTED:
        problems.warn("edges", f"... and {len(est) - MAX_LISTED:,} more estimated shares")
    no_source = ~_present(edges["source"])
    uncited = np.flatnonzero(supplies & ~estimated & no_source)
    for i in uncited[:MAX_LISTED].tolist():
        problems.warn(entry(i), "share cites no source and is not marked estimated")
    if len(uncited) > MAX_LISTED:
        problems.warn("edges", f"... and {len(uncited) - MAX_LISTED:,} more shares that cite no source")


def _cycle_warnings(problems: Problems, ids, src, dst) -> None:
    n = len(ids)
    if not len(src):
        return
    matrix = csr_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n, n))
    count, labels = connected_components(matrix, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=count)
    members: dict[int, list[str]] = {}
    for i in np.flatnonzero(sizes[labels] > 1).tolist():
        members.setdefault(int(labels[i]), []).append(ids[i])
    cycles = sorted(sorted(group) for group in members.values())
    for cycle in cycles[:MAX_LISTED]:
        problems.warn("edges", f"cycle among {', '.join(cycle)} (allowed; availability is a fixed point)")
    if len(cycles) > MAX_LISTED:
        problems.warn("edges", f"... and {len(cycles) - MAX_LISTED:,} more cycles")

