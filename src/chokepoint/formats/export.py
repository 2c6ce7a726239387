"""The export table and its writers: GraphML, GEXF, CSV and node-link JSON, each in one streaming pass.

An export is a table (:class:`ExportTable`): a row per node (its NMTOKEN-safe id and attributes)
and a row per edge (its ends and attributes), held column by column (:class:`Column`: a numpy
array, or a list of plain scalars). :func:`export_table` builds it from a graph's columns (the
document's fields under the file format's names, the analysis and cutoff columns an analysis adds,
and the visual properties Gephi reads: ``label``, ``x``, ``y``, ``size``, ``color``) without the
pydantic document or networkx; :func:`table_from_digraph` builds it from any networkx DiGraph.

The writers (:func:`write_graphml`, :func:`write_gexf`, :func:`write_csv`, :func:`write_json`)
take blocks of rows at a time (:data:`BLOCK`) and hand the text to ``out.write`` (from a second
thread past one block, so that the file is hashed and written while the next block is formatted):
memory follows the block, not the file. A column's text is made once per distinct value (numbers, and text
columns with few distinct values: a float's ``repr``, escaped XML) and picked for each row by
index; other text columns are cleaned and escaped a block at a time, with one regular-expression
scan when nothing needs to change. The rules of ``gephi.md`` hold
by construction and the output is byte-stable: typed keys per attribute, plain scalars, nothing
missing written, weights only where positive, NMTOKEN ids, no graph-level data.

Values are cleaned as one scalar each (:func:`_scalar`): numpy scalars become Python ones, NaN and
infinities are omitted, lists are joined with ``"; "``, empty text is omitted; in XML, characters
XML forbids are dropped and the text ``null`` (which Gephi reads as empty) becomes ``(null)``.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import hashlib
import io as _io
import json
import math
import queue
import re
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import Graph
from ..model.schema import EDGE_FIELDS as EDGE_SCHEMA, KINDS, NODE_FIELDS as NODE_SCHEMA
from .files import GENERATOR, MARKER, OWNER_MARK
from .layout import graph_layout

GRAPHML_NS = "http://graphml.graphdrawing.org/xmlns"

#: Colours by node kind (Okabe-Ito, colour-blind safe); the plots use the same.
KIND_COLORS = {"country": "#0072B2", "facility": "#56B4E9", "material": "#E69F00",
               "component": "#009E73", "product": "#CC79A7"}
KIND_ORDER = KINDS

#: The document's own fields, in the order they are written; everything else is analysis.
NODE_FIELDS = tuple(spec.name for spec in NODE_SCHEMA if spec.name not in ("id", "label"))
EDGE_FIELDS = tuple(part for spec in EDGE_SCHEMA if spec.name not in ("from", "to")
                    for part in ((spec.name, "share_low", "share_high", "share_level") if spec.name == "share"
                                 else (spec.name,)))
#: Gephi turns these into visual properties, not data columns: used only on purpose.
RESERVED = {"node": {"label", "x", "y", "z", "size", "r", "g", "b", "color"},
            "edge": {"label", "weight", "color", "r", "g", "b"}}
VISUAL = {"x", "y", "z", "size", "color", "weight"}
ANALYSIS_FIELDS = ("top_country", "top_share", "hhi", "target_status", "evidence", "chokepoint_score", "knockout_loss",
                   "exposure", "worst_country", "products_hit")
CUTOFF_FIELDS = ("availability", "availability_low", "availability_high", "loss", "loss_low", "loss_high",
                 "months_to_shortage")
#: Column order in every format; attributes not listed follow in first-seen order.
COLUMN_ORDER = {
    "node": ("label", *NODE_FIELDS, "label_default", "doc_id", *ANALYSIS_FIELDS, *CUTOFF_FIELDS,
             "x", "y", "size", "color"),
    "edge": (*EDGE_FIELDS, "weight"),
}
GEXF_TYPES = {"boolean": "boolean", "int": "integer", "long": "long", "double": "double", "string": "string"}
#: A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
#: Rows formatted and written at a time.
BLOCK = 32_768
#: An export of a graph with more edges than this leaves the analysis columns out unless they are
#: asked for (``analysis=True``, ``--analysis``): the chokepoint ranking knocks out every node in
#: turn, about 50 of the 70 CPU seconds of a default export at 1M edges (4 s at 100,000).
ANALYSIS_MAX_EDGES = 100_000

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]+")
_SAFE_IDS = re.compile(r"[A-Za-z0-9._:-]+(?:\n[A-Za-z0-9._:-]+)*")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_TEXT_ESCAPES = re.compile("[&<>\r]")
_ATTR_ESCAPES = re.compile("[&<>\r\"\n\t]")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_NONE = type(None)
_FORMULA = frozenset(FORMULA_STARTS)


def export_ids(idents: list[str]) -> dict[str, str]:
    """NMTOKEN-safe, unique ids: safe ids stay, others become ``<cleaned>_<sha1[:8]>``."""
    taken = {i for i in idents if _SAFE_ID.fullmatch(i)}
    result = {}
    for ident in idents:
        if ident in result:
            continue
        if _SAFE_ID.fullmatch(ident):
            result[ident] = ident
            continue
        base = re.sub(r"[^A-Za-z0-9._:-]+", "_", ident).strip("_") or "node"
        candidate = f"{base}_{hashlib.sha1(ident.encode('utf-8')).hexdigest()[:8]}"
        while candidate in taken:
            candidate += "_"
        taken.add(candidate)
        result[ident] = candidate
    return result


def _safe_id_list(idents: list[str]) -> list[str] | None:
    """The export ids of ``idents`` in order, or None when every id is already safe (one regex
    over all of them, not one per id)."""
    if all(type(i) is str for i in idents) and _SAFE_IDS.fullmatch("\n".join(idents)) is not None:
        return None
    mapping = export_ids(idents)
    return [mapping[i] for i in idents]


# --- scalar values ----------------------------------------------------------------------------

def _scalar(value, *, xml: bool = True):
    """A plain Python scalar for an attribute value, or ``None`` when it must be omitted.

    numpy scalars become Python ones, NaN and infinities ``None``, lists one ``"; "``-joined
    string. With ``xml`` (GraphML, GEXF) characters illegal in XML are dropped and the string
    ``null``, which Gephi reads as empty, becomes ``(null)``.
    """
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()  # numpy scalar
        except (TypeError, ValueError):
            pass
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(map(str, value)) if isinstance(value, (set, frozenset)) else [str(v) for v in value]
        value = "; ".join(items)
    elif isinstance(value, dict):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    text = _ILLEGAL_XML.sub("", str(value)) if xml else str(value)
    if not text:
        return None
    return "(null)" if xml and text == "null" else text


def _attr_type(values) -> str:
    kinds = {type(v) for v in values}
    if kinds == {bool}:
        return "boolean"
    if kinds <= {int}:
        low, high = min(values), max(values)
        if _INT32[0] <= low and high <= _INT32[1]:
            return "int"
        if _INT64[0] <= low and high <= _INT64[1]:
            return "long"
        return "string"
    if kinds <= {int, float}:
        return "double"
    return "string"


def _text(value, kind: str = "string") -> str:
    """A scalar as text: ``true``/``false``, shortest round-trip repr for doubles."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(float(value)) if kind == "double" else str(value)


def _positive(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


def _check_reserved(scope: str, name: str, kind: str, values) -> None:
    if name not in RESERVED[scope]:
        return
    if name == "label":
        ok = kind == "string"
    elif name == "color":
        ok = kind == "string" and all(_COLOR.fullmatch(v) for v in values)
    elif name in ("r", "g", "b"):
        ok = kind == "int" and all(0 <= v <= 255 for v in values)
    else:
        ok = kind in ("int", "double")
    if not ok:
        raise ValueError(f"{scope} attribute '{name}' is a Gephi visual property; its values do not fit it")


def _xml_strings(values: list, text: bool = False) -> list:
    """XML scalars from plain ones (:func:`_scalar` with ``xml``): in text, characters XML forbids
    are dropped, text left empty is omitted and ``null`` becomes ``(null)``. One regex over the
    whole block; value by value only when something must change. ``text``: the values are all
    text or None."""
    if text:
        if _xml_unchanged(values):
            return values
    else:
        texts = [v for v in values if type(v) is str]
        if not texts or _xml_unchanged(texts):
            return values
    return [_scalar(v) if type(v) is str else v for v in values]


def _xml_unchanged(texts: list) -> bool:
    """Whether XML keeps every one of these texts (and None) as it is."""
    return _ILLEGAL_XML.search("\n".join(filter(None, texts))) is None and "null" not in texts


def _escape_list(texts: list, attr: bool) -> list:
    """:func:`_esc` (or the inside of :func:`_attr`) of every text (None kept); one regex over the block."""
    pattern = _ATTR_ESCAPES if attr else _TEXT_ESCAPES
    if pattern.search("\x00".join(filter(None, texts))) is None:
        return texts
    escape = _attr_inner if attr else _esc
    return [None if t is None else escape(t) for t in texts]


def _esc(text: str) -> str:
    """Element text: raw characters, except CR as ``&#13;`` (parsers turn a raw CR into LF)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr_inner(text: str) -> str:
    return _esc(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")


def _attr(text: str) -> str:
    return '"' + _attr_inner(text) + '"'


def _key_ids(columns, prefix: str) -> dict[str, str]:
    ids, taken = {}, set()
    for name, *_ in columns:
        base = prefix + (name if _SAFE_ID.fullmatch(name) else re.sub(r"[^A-Za-z0-9._:-]+", "_", name))
        key = base
        while key in taken:
            key += "_"
        taken.add(key)
        ids[name] = key
    return ids


def _comment(text: str) -> str:
    """An XML comment of plain text (``--`` may not appear in a comment: runs of dashes become one)."""
    return f"<!-- {re.sub(r'-+', '-', text)} -->"


def _meta_json(meta: dict) -> str:
    return json.dumps(meta, ensure_ascii=True, separators=(", ", ": "), default=str)


def _comment_json(meta: dict) -> str:
    """JSON for an XML comment, every value kept exactly: ``--`` (not allowed in a comment)
    is written ``-\\u002d``, which JSON reads back as ``--``; no value can end the comment."""
    text = _meta_json(meta)
    while "--" in text:
        text = text.replace("--", "-\\u002d")
    return text


def _public(meta: dict) -> dict:
    """Graph attributes to write: private ones (leading underscore) stay in memory."""
    return {k: v for k, v in meta.items() if not str(k).startswith("_")}


def spreadsheet_safe(value):
    """A CSV cell that a spreadsheet shows as text: a string starting like a formula gets a
    leading ``'`` (OWASP's advice); numbers, booleans and other strings are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _spreadsheet_safe_list(values: list) -> list:
    """:func:`spreadsheet_safe` of every value; one scan of the block when no text starts like a formula."""
    texts = [v for v in values if type(v) is str]
    if texts:
        joined = "\n".join(texts)
        if joined[:1] in _FORMULA or any("\n" + c in joined for c in FORMULA_STARTS):
            return [spreadsheet_safe(v) for v in values]
    return values


# --- the table --------------------------------------------------------------------------------

class Column:
    """One attribute over the rows of a table.

    ``data`` is a numpy array of numbers (float, integer or boolean; ``mask``: the rows that have
    a value, and a float has none where it is not finite), or a list (or numpy object array) of
    plain scalars (``None``: no value).
    """

    __slots__ = ("name", "data", "mask", "clean", "text", "distinct", "pieces")

    def __init__(self, name: str, data, mask=None, *, text: bool = False):
        self.name, self.data, self.mask = name, data, mask
        self.clean = False  # (lists) known to hold no value that XML must change (see _xml_strings)
        self.text = text  # (lists) known to hold only text and None
        self.distinct = None  # see _distinct: made on first use (False: the column has too many)
        self.pieces: dict = {}  # a writer's text of each distinct value, by writer

    def __len__(self) -> int:
        return len(self.data)

    @property
    def numeric(self) -> bool:
        """Whether the column is an array of numbers (or booleans)."""
        return isinstance(self.data, np.ndarray) and self.data.dtype.kind in "biuf"

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<Column {self.name!r} ({len(self)} rows)>"

    def present(self) -> np.ndarray | None:
        """Which rows have a value (arrays only; None for lists)."""
        data = self.data
        if not self.numeric:
            return None
        ok = np.isfinite(data) if data.dtype.kind == "f" else np.ones(len(data), dtype=bool)
        return ok if self.mask is None else ok & self.mask

    def values(self, start: int = 0, stop: int | None = None) -> list:
        """Plain Python scalars of rows ``start:stop``, ``None`` where a row has no value."""
        data = self.data
        if not self.numeric:
            return data[start:stop] if isinstance(data, list) else data[start:stop].tolist()
        chunk = data[start:stop]
        values = chunk.tolist()
        ok = np.isfinite(chunk) if chunk.dtype.kind == "f" else None
        if self.mask is not None:
            ok = self.mask[start:stop] if ok is None else ok & self.mask[start:stop]
        if ok is None or ok.all():
            return values
        return [v if o else None for v, o in zip(values, ok.tolist())]


@dataclass
class ExportTable:
    """What an export writes: node rows and edge rows, as columns.

    ``ids``: each node's id as written (NMTOKEN-safe); ``nodes``: its attributes, in the order a
    node's attributes are written in node-link JSON (a name may come twice, over disjoint rows: a
    given label comes right after the kind, a default one after the document's fields);
    ``sources``/``targets``: each edge's ends (as written); ``edges``: its attributes; ``meta``: the
    graph attributes (name, title, description, sources, scenario), written as a comment in XML;
    ``ends`` (optional): each edge's ends as rows of ``ids`` (two integer arrays), which lets a
    writer make each end's text once per node.
    """

    meta: dict
    ids: list
    nodes: list[Column]
    sources: list
    targets: list
    edges: list[Column]
    _typed: dict = field(default_factory=dict, repr=False)
    ends: tuple | None = field(default=None, repr=False)

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return len(self.sources)

    def columns(self, scope: str) -> list[tuple[str, str, Column]]:
        """(name, GraphML type, column) of every attribute with a value to write in XML and CSV, in
        :data:`COLUMN_ORDER`, then the table's order; one type per attribute; reserved names checked."""
        if scope not in self._typed:
            self._typed[scope] = _typed_columns(self.nodes if scope == "node" else self.edges, scope)
        return self._typed[scope]

    def node_rows(self) -> list[dict]:
        """Each node's attributes (plain scalars, none missing) in the order of node-link JSON."""
        return _rows(self.nodes, self.n_nodes)

    def edge_rows(self) -> list[dict]:
        return _rows(self.edges, self.n_edges)


def _rows(columns: list[Column], n: int) -> list[dict]:
    rows: list[dict] = [{} for _ in range(n)]
    for column in columns:
        name = column.name
        for row, value in zip(rows, column.values()):
            if value is not None:
                row[name] = value
    return rows


def _merged(columns: list[Column]) -> list[Column]:
    """One column per name: a name given twice (over disjoint rows) takes the first value a row has."""
    by_name: dict[str, Column] = {}
    for column in columns:
        if column.name in by_name:
            first = by_name[column.name]
            by_name[column.name] = Column(column.name, [a if a is not None else b for a, b in
                                                        zip(first.values(), column.values())],
                                          text=first.text and column.text)
        else:
            by_name[column.name] = column
    return list(by_name.values())


#: Reserved names whose values (not only their type) are checked.
_CHECKED_VALUES = {"color", "r", "g", "b"}


def _xml_kind(column: Column, checked: bool) -> tuple[str, list | None] | None:
    """(GraphML type, the distinct values when ``checked``) of a column's XML values, or None when
    no row has one. Notes on list columns whether their values are all text, and whether XML
    changes none of them."""
    data = column.data
    if column.numeric:
        ok = column.present()
        if not ok.any():
            return None
        values = np.unique(data[ok]).tolist() if checked else None
        if data.dtype.kind == "f":
            return "double", values
        if data.dtype.kind == "b":
            return "boolean", values
        present = data[ok]
        return _attr_type([int(present.min()), int(present.max())]), values
    if column.text:
        if next(filter(None, data), None) is None:
            return None
        types = {str}
    else:
        types = set(map(type, data))
        types.discard(_NONE)
        if not types:
            return None
        column.text = types == {str}
    distinct = _distinct(column) if column.text else None
    if distinct is not None:
        data = distinct[0]  # the distinct texts, and None
    if column.text and _xml_unchanged(data):
        column.clean = True
        return "string", ([v for v in set(data) if v is not None] if checked else None)
    values = [v for v in data if v is not None]
    if str in types:
        cleaned = _xml_strings(values, column.text)
        column.clean = cleaned is values
        values = [v for v in cleaned if v is not None]
        if not values:
            return None
    else:
        column.clean = True
    if column.text:
        return "string", (list(set(values)) if checked else None)
    return _attr_type(values), values


def _typed_columns(columns: list[Column], scope: str) -> list[tuple[str, str, Column]]:
    order = COLUMN_ORDER[scope]
    typed = []
    for column in _merged(columns):
        found = _xml_kind(column, column.name in _CHECKED_VALUES)
        if found is not None:
            typed.append((column.name, found[0], column, found[1]))
    typed.sort(key=lambda t: order.index(t[0]) if t[0] in order else len(order))
    for name, kind, _, values in typed:
        _check_reserved(scope, name, kind, values)
    return [(name, kind, column) for name, kind, column, _ in typed]


# --- building the table from a graph ------------------------------------------------------------

def _text_list(values: list) -> list:
    """Text cells as plain scalars: empty text is no value."""
    if "" in values:
        return [None if v == "" else v for v in values]
    return values


def _text_array(series: pd.Series) -> np.ndarray:
    """A frame's text column (None or text) as an object array: empty text is no value."""
    values = series.to_numpy(dtype=object)
    empty = values == ""
    if empty.any():
        values = values.copy()
        values[empty] = None
    return values


def python_round(values, digits: int) -> np.ndarray:
    """``round(v, digits) + 0.0`` of each value, exactly as Python's ``round`` gives it.

    Python rounds the exact binary value to the nearest decimal (no exact ties exist at these
    digits: a tie would be a fraction with a factor 5 in its denominator); numpy's ``np.round``
    rounds ``v * 10**digits`` first, which can land on the other side of a half. So numpy's result
    is kept where ``v * 10**digits`` is clearly away from a half, and Python's ``round`` is used on
    the few values within a few units in the last place of one."""
    values = np.asarray(values, dtype=np.float64)
    scale = 10.0 ** digits
    scaled = values * scale
    result = np.rint(scaled) / scale
    with np.errstate(invalid="ignore"):
        near = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) <= 4 * np.spacing(np.abs(scaled))
        near |= np.abs(scaled) >= 2.0 ** 52  # no fraction left to round, or past exact integers
    near &= np.isfinite(values)
    if near.any():
        result[near] = [round(v, digits) for v in values[near].tolist()]
    return result + 0.0


def analysis_left_out(n_edges: int) -> str | None:
    """Why an export of a graph with ``n_edges`` edges leaves its analysis columns out when nobody
    asked either way (the text of the warning and of the file's ``analysis`` attribute), or None
    when it keeps them (at most :data:`ANALYSIS_MAX_EDGES` edges)."""
    if n_edges <= ANALYSIS_MAX_EDGES:
        return None
    return (f"analysis columns left out: {n_edges:,} edges is more than {ANALYSIS_MAX_EDGES:,} (the chokepoint "
            "scores knock out every node in turn); export with --analysis to add them")


def graph_meta(g: Graph, scenario=None) -> dict:
    """The graph attributes an export carries: generator, name, title, description, sources, scenario."""
    columns = g.columns
    meta = {"generator": GENERATOR, "name": columns.name, "title": columns.title}
    if columns.description is not None:
        meta["description"] = columns.description
    sources = {key: src.model_dump(exclude_none=True) if hasattr(src, "model_dump") else dict(src)
               for key, src in columns.sources.items()}
    if sources:
        meta["sources"] = sources
    if scenario:
        meta["scenario"] = scenario
    return meta


def extra_columns(columns, ids: list) -> list[Column]:
    """Analysis columns as table columns over ``ids``: a frame indexed by node id (its columns in
    order), or a mapping node id -> {name: value} (names in first-seen order)."""
    if columns is None:
        return []
    if isinstance(columns, pd.DataFrame):
        frame = columns
    else:
        names = list(dict.fromkeys(name for attrs in columns.values() for name in attrs))
        frame = pd.DataFrame({name: pd.Series({node: _scalar(attrs.get(name), xml=False)
                                               for node, attrs in columns.items()}, dtype=object)
                              for name in names}, columns=names)
    if not len(frame.columns):
        return []
    if not (len(frame.index) == len(ids) and frame.index.tolist() == ids):
        frame = frame.reindex(pd.Index(ids, dtype=object))
    out = []
    for name in frame.columns:
        series = frame[name]
        dtype = series.dtype
        if dtype.kind == "f":
            out.append(Column(str(name), series.to_numpy(dtype=np.float64)))
        elif dtype.kind in "iub" and not series.isna().any():
            out.append(Column(str(name), series.to_numpy()))
        elif pd.api.types.is_integer_dtype(dtype) or pd.api.types.is_bool_dtype(dtype):
            mask = series.notna().to_numpy()
            fill = False if pd.api.types.is_bool_dtype(dtype) else 0
            out.append(Column(str(name), series.to_numpy(dtype=bool if fill is False else np.int64,
                                                         na_value=fill), mask))
        else:
            values = series.to_numpy(dtype=object, na_value=None).tolist()
            text = set(map(type, values)) <= {str, _NONE}
            if not text:
                values = [_scalar(v, xml=False) for v in values]
            out.append(Column(str(name), _text_list(values), text=text))
    return out


def export_table(g: Graph, columns=None, scenario: dict | None = None, *, note: str | None = None) -> ExportTable:
    """The export of a graph as a table, from its columns (no pydantic document, no networkx).

    Parameters
    ----------
    g
        The graph.
    columns
        The analysis and cutoff columns (see :func:`chokepoint.analysis.columns.node_columns`):
        a frame indexed by node id, or a mapping node id -> {name: value}.
    scenario
        The cutoff the columns describe (``{"countries": [...], "blocs": [...]}``), or None.
    note
        Why the analysis columns were left out (:func:`analysis_left_out`): kept as the graph
        attribute ``analysis`` (the metadata comment of GraphML, the ``graph`` of node-link JSON).

    Node ids that are not NMTOKEN-safe are mapped to ``<cleaned>_<hash>`` and the original is kept
    in ``doc_id``. A node's attributes: its document fields (``needs`` for all but countries,
    ``critical_mineral`` for materials), ``label`` (its own, a country's name or its id;
    ``label_default`` when it has none), the columns given, and ``x``/``y`` (the layered layout),
    ``size`` (by chokepoint score) and ``color`` (by kind). An edge's: its fields, the share as
    ``share`` (the point), ``share_low``, ``share_high`` and ``share_level``, ``estimated`` on
    supplies edges, and ``weight`` (the point, where above 0).
    """
    nodes, edges = g.columns.nodes, g.columns.edges
    ids = nodes["id"].tolist()
    n = len(ids)
    kinds = nodes["kind"].tolist()
    kind = np.asarray(nodes["kind"].to_numpy(dtype=object))
    given = nodes["label"].tolist()
    label = list(map(g.labels.__getitem__, ids))  # the model's rule: its own, a country's name, or the id
    mapped = _safe_id_list(ids)
    out_ids = ids if mapped is None else mapped
    country = kind == "country"
    needs = [None if c else (v or "all") for c, v in zip(country.tolist(), nodes["needs"].tolist())]
    node_cols = [
        Column("kind", kinds, text=True),
        Column("label", [lab if giv is not None else None for lab, giv in zip(label, given)], text=True),
        Column("stage", _text_list(nodes["stage"].tolist()), text=True),
        Column("country", nodes["country"].tolist(), text=True),
        Column("needs", needs, text=True),
        Column("critical_mineral", nodes["critical_mineral"].to_numpy(dtype=bool), kind == "material"),
        Column("stockpile_months", nodes["stockpile_months"].to_numpy(dtype=np.float64)),
        Column("unknown_max_share", nodes["unknown_max_share"].to_numpy(dtype=np.float64)),
        Column("note", _text_list(nodes["note"].tolist()), text=True),
        Column("label", [lab if giv is None else None for lab, giv in zip(label, given)], text=True),
        Column("label_default", np.ones(n, dtype=bool), np.fromiter((v is None for v in given), dtype=bool, count=n)),
    ]
    if mapped is not None:
        node_cols.append(Column("doc_id", [i if m != i else None for i, m in zip(ids, mapped)]))
    extras = extra_columns(columns, ids)
    node_cols += extras
    layout = graph_layout(g)
    score = next((c for c in extras if c.name == "chokepoint_score"), None)
    scores = [0.0] * n if score is None else [0.0 if v is None else v for v in score.values()]
    top = max(scores, default=0.0) or 1.0
    size = np.asarray(scores, dtype=np.float64)
    node_cols += [
        Column("x", (layout.column * 250).astype(np.float64)),
        Column("y", python_round((0.5 - layout.position) * layout.height * 60.0, 3)),
        Column("size", python_round(8.0 + 32.0 * size / top, 3)),
        Column("color", [KIND_COLORS[k] for k in kinds], text=True),
    ]

    low = edges["share_low"].to_numpy(dtype=np.float64)
    high = edges["share_high"].to_numpy(dtype=np.float64)
    point = (low + high) / 2
    year = edges["year"].to_numpy(dtype=np.float64)
    has_year = ~np.isnan(year)
    supplies = edges["type"].to_numpy(dtype=object) == "supplies"
    index = None if mapped is None else dict(zip(ids, out_ids))
    frm, to = edges["from"].tolist(), edges["to"].tolist()
    edge_cols = [
        Column("type", edges["type"].to_numpy(dtype=object), text=True),
        Column("share", point),
        Column("basis", _text_array(edges["basis"]), text=True),
        Column("year", np.where(has_year, year, 0).astype(np.int64), has_year),
        Column("source", edges["source"].to_numpy(dtype=object), text=True),
        Column("fact", edges["fact"].to_numpy(dtype=object), text=True),
        Column("estimated", edges["estimated"].to_numpy(dtype=bool), supplies),
        Column("note", _text_array(edges["note"]), text=True),
        Column("share_low", low),
        Column("share_high", high),
        Column("share_level", edges["share_level"].to_numpy(dtype=object), text=True),
        Column("weight", point, point > 0),
    ]
    meta = graph_meta(g, scenario)
    if note:
        meta["analysis"] = note
    return ExportTable(meta, out_ids, node_cols,
                       frm if index is None else [index[i] for i in frm],
                       to if index is None else [index[i] for i in to], edge_cols, ends=g.columns.ends)


def table_from_digraph(digraph, *, csv_ids: bool = False) -> ExportTable:
    """Any networkx DiGraph as an export table: node and edge attributes as columns (in the order
    a value is first met), ids made NMTOKEN-safe with the original kept in ``doc_id`` (unless
    ``csv_ids``: CSV keeps the ids as they are), weights only where positive, edges in the order
    ``digraph.graph["_edge_order"]`` gives (else networkx's)."""
    node_items = list(digraph.nodes(data=True))
    raw_ids = [str(n) for n, _ in node_items]
    mapping = export_ids(raw_ids)
    attrs_list = []
    for node, attrs in node_items:
        if not csv_ids and mapping[str(node)] != node and "doc_id" not in attrs:
            attrs = {**attrs, "doc_id": node}
        attrs_list.append(attrs)
    edges = list(digraph.edges(data=True))
    order = digraph.graph.get("_edge_order")
    if order:
        edges.sort(key=lambda e: order.get((e[0], e[1]), len(order)))
    edge_attrs = []
    for _, _, attrs in edges:
        if "weight" in attrs and not _positive(_scalar(attrs["weight"])):
            attrs = {k: v for k, v in attrs.items() if k != "weight"}
        edge_attrs.append(attrs)
    if csv_ids:
        ids = raw_ids
        sources, targets = [str(u) for u, _, _ in edges], [str(v) for _, v, _ in edges]
    else:
        ids = [mapping[i] for i in raw_ids]
        sources, targets = [mapping[str(u)] for u, _, _ in edges], [mapping[str(v)] for _, v, _ in edges]
    return ExportTable(_public(digraph.graph), ids, _attr_columns(attrs_list), sources, targets,
                       _attr_columns(edge_attrs))


def _attr_columns(rows: list[dict]) -> list[Column]:
    """Columns of plain scalars from attribute mappings: names in the order an XML value is first
    met (as the writers order attributes that :data:`COLUMN_ORDER` does not list), then the rest."""
    seen: dict[str, None] = {}
    for attrs in rows:
        for name, raw in attrs.items():
            if str(name) not in seen and _scalar(raw) is not None:
                seen[str(name)] = None
    for attrs in rows:
        for name in attrs:
            seen.setdefault(str(name), None)
    by_name = {str(name): name for attrs in rows for name in attrs}
    return [Column(name, [_scalar(attrs.get(by_name[name]), xml=False) for attrs in rows]) for name in seen]


# --- GraphML ----------------------------------------------------------------------------------

def _distinct(column: Column) -> tuple[list, np.ndarray] | None:
    """(the distinct values, each row's index in them) of an array column, or of a text column with
    few distinct values (at most one row in eight), made once; None for other columns. The last
    value is None, the index of the rows without one; ``0.0`` and ``-0.0`` are two values."""
    if column.distinct is None:
        data = column.data
        if column.numeric:
            codes, unique = pd.factorize(data)
            values = unique.tolist()
            codes = codes.astype(np.int64)
            if data.dtype.kind == "f":
                zero = data == 0
                if zero.any():  # one value to a hash, two texts to repr
                    negative = zero & np.signbit(data)
                    codes[zero & ~negative] = len(values)
                    codes[negative] = len(values) + 1
                    values += [0.0, -0.0]
            codes[~column.present()] = len(values)
            values.append(None)
            column.distinct = (values, codes)
        elif column.text and len(data):
            codes, unique = pd.factorize(np.asarray(data, dtype=object))
            if len(unique) * 8 > len(data):
                column.distinct = False
            else:
                values = unique.tolist()
                codes = codes.astype(np.int64)
                codes[codes < 0] = len(values)
                values.append(None)
                column.distinct = (values, codes)
        else:
            column.distinct = False
    return column.distinct or None


def _coded_pieces(column: Column, start: int, stop: int, key, make) -> list[str] | None:
    """Each row's piece in ``start:stop`` from ``make(values) -> pieces`` applied once to the
    column's distinct values (``""`` for no value), cached under ``key``; None for a column
    without distinct values (see :func:`_distinct`)."""
    distinct = _distinct(column)
    if distinct is None:
        return None
    values, codes = distinct
    pieces = column.pieces.get(key)
    if pieces is None:
        pieces = column.pieces[key] = np.array(make(values[:-1]) + [""], dtype=object)
    return pieces[codes[start:stop]].tolist()


def _number_text(value) -> str:
    """A number or boolean of an array column as every writer writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)


def _empty(column: Column, start: int, stop: int) -> bool:
    """Whether no row in ``start:stop`` has a value (its pieces are all ``""``)."""
    distinct = _distinct(column)
    if distinct is not None:
        values, codes = distinct
        return bool((codes[start:stop] == len(values) - 1).all())
    return next(filter(lambda v: v is not None, column.values(start, stop)), None) is None


def _xml_pieces(column: Column, kind: str, start: int, stop: int, pre: str, post: str, attr: bool) -> list[str]:
    """``pre + text + post`` for each row with an XML value in ``start:stop``, ``""`` for the others."""
    def make(values):
        if not column.clean:
            values = _xml_strings(values, column.text)
        if kind == "double":
            texts = [None if v is None else repr(float(v)) for v in values]
        elif kind == "boolean":
            texts = [None if v is None else "true" if v else "false" for v in values]
        elif column.numeric:
            texts = [_number_text(v) for v in values]
        else:
            texts = values if column.text else [v if v is None or type(v) is str else _text(v, kind) for v in values]
            texts = _escape_list(texts, attr)
        return [pre + t + post if t is not None else "" for t in texts]

    pieces = _coded_pieces(column, start, stop, ("xml", pre, post), make)
    return make(column.values(start, stop)) if pieces is None else pieces


def _interleave(parts: list, rows: int) -> str:
    """The text of ``rows`` rows, each the concatenation of its piece in every part in order (a
    part is a list of one piece per row, or one text for every row). One flat list filled by
    slices and joined once: faster than zipping the parts."""
    width = len(parts)
    flat = [""] * (rows * width)
    for i, part in enumerate(parts):
        flat[i::width] = [part] * rows if isinstance(part, str) else part
    return "".join(flat)


def _blocks(count: int):
    return ((start, min(count, start + BLOCK)) for start in range(0, count, BLOCK))


class _Behind:
    """``out.write`` in a second thread, at most two blocks behind the text being made: the file
    stream encodes, hashes and writes (hashing and writing release the GIL) while the next block is
    formatted. Writes happen in order, all before :meth:`close` returns; an error in the thread is
    raised by the next :meth:`write` or by :meth:`close`."""

    def __init__(self, out):
        self.out, self.error = out, None
        self.queue: queue.Queue = queue.Queue(maxsize=2)
        self.thread = threading.Thread(target=self._run, name="chokepoint-export-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while (text := self.queue.get()) is not None:
            if self.error is None:
                try:
                    self.out.write(text)
                except BaseException as exc:  # noqa: BLE001 - handed to the writing thread
                    self.error = exc

    def write(self, text: str) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(text)

    def close(self, *, check: bool = True) -> None:
        self.queue.put(None)
        self.thread.join()
        if check and self.error is not None:
            raise self.error


@contextlib.contextmanager
def _written_behind(outs: list, rows: int):
    """The streams of ``outs`` written from a second thread (:class:`_Behind`) when there is more
    than a block of ``rows``; the streams themselves otherwise. Every write is done on leaving."""
    if rows <= BLOCK:
        yield outs
        return
    behind = [_Behind(out) for out in outs]
    try:
        yield behind
    except BaseException:
        for stream in behind:
            stream.close(check=False)
        raise
    for stream in behind:
        stream.close(check=False)
    for stream in behind:
        if stream.error is not None:
            raise stream.error


def write_graphml(table: ExportTable, out) -> None:
    """GraphML for Gephi 0.10 and Gephi Lite (see ``gephi.md``): byte-stable, scalars only.

    Key ids are ``n.<name>`` / ``e.<name>`` (never yEd's ``d3``/``d7``, which Gephi reads as
    labels); edges get ids ``e0, e1, ...``; ``weight`` is written only where finite and > 0.
    Graph attributes go to a JSON comment, not to graph-level ``<data>``. ``out.write`` gets the
    text a block of rows at a time.
    """
    with _written_behind([out], table.n_nodes + table.n_edges) as (behind,):
        _write_graphml(table, behind)


def _write_graphml(table: ExportTable, out) -> None:
    node_cols, edge_cols = table.columns("node"), table.columns("edge")
    node_keys, edge_keys = _key_ids(node_cols, "n."), _key_ids(edge_cols, "e.")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<!-- {MARKER} ({GENERATOR}) {OWNER_MARK} -->",
             f'<graphml xmlns="{GRAPHML_NS}">']
    meta = _public(table.meta)
    if meta:
        lines.append(f"  <!-- chokepoint-meta: {_comment_json(meta)} -->")
    for scope, cols, keys in (("node", node_cols, node_keys), ("edge", edge_cols, edge_keys)):
        for name, kind, _ in cols:
            lines.append(f'  <key id={_attr(keys[name])} for="{scope}" attr.name={_attr(name)} attr.type="{kind}"/>')
    lines.append('  <graph id="G" edgedefault="directed">')
    out.write("\n".join(lines) + "\n")
    for start, stop in _blocks(table.n_nodes):
        ids = _escape_list(table.ids[start:stop], True)
        parts = [['    <node id="' + i + '">\n' for i in ids]]
        out.write(_interleave(parts + _xml_data(node_cols, node_keys, start, stop) + ["    </node>\n"], stop - start))
    if table.ends is not None and table.n_edges:  # each end's text made once per node, picked by row
        ids = np.array(_escape_list(table.ids, True) + [""], dtype=object)
        src, dst = table.ends
        froms, tos = '" source="' + ids, '" target="' + ids + '">\n'
        for start, stop in _blocks(table.n_edges):
            parts = ['    <edge id="e', list(map(str, range(start, stop))), froms[src[start:stop]].tolist(),
                     tos[dst[start:stop]].tolist()]
            out.write(_interleave(parts + _xml_data(edge_cols, edge_keys, start, stop) + ["    </edge>\n"],
                                  stop - start))
    else:
        for start, stop in _blocks(table.n_edges):
            sources = _escape_list(table.sources[start:stop], True)
            targets = _escape_list(table.targets[start:stop], True)
            parts = [[f'    <edge id="e{k}" source="{u}" target="{v}">\n'
                      for k, u, v in zip(range(start, stop), sources, targets)]]
            out.write(_interleave(parts + _xml_data(edge_cols, edge_keys, start, stop) + ["    </edge>\n"],
                                  stop - start))
    out.write("  </graph>\n</graphml>\n")


def _xml_data(columns, keys: dict, start: int, stop: int) -> list:
    """The ``<data>`` pieces of rows ``start:stop``, a list per column with a value in them."""
    return [_xml_pieces(col, kind, start, stop, f"      <data key={_attr(keys[name])}>", "</data>\n", False)
            for name, kind, col in columns if not _empty(col, start, stop)]


# --- GEXF -------------------------------------------------------------------------------------

def write_gexf(table: ExportTable, out) -> None:
    """GEXF 1.2 with viz colours (integer r, g, b), sizes and positions (z = 0.0); byte-stable."""
    with _written_behind([out], table.n_nodes + table.n_edges) as (behind,):
        _write_gexf(table, behind)


def _write_gexf(table: ExportTable, out) -> None:
    all_nodes, all_edges = table.columns("node"), table.columns("edge")
    node_cols = [c for c in all_nodes if c[0] not in VISUAL and c[0] != "label"]
    edge_cols = [c for c in all_edges if c[0] not in VISUAL and c[0] != "label"]
    meta = _public(table.meta)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<!-- {MARKER} ({GENERATOR}) {OWNER_MARK} -->",
             '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:viz="http://www.gexf.net/1.2draft/viz" version="1.2">',
             "  <meta>", f"    <creator>{_esc(GENERATOR)}</creator>"]
    if meta.get("title"):
        lines.append(f"    <description>{_esc(_scalar(meta['title']) or '')}</description>")
    lines += ["  </meta>", '  <graph defaultedgetype="directed" mode="static">']
    for scope, cols in (("node", node_cols), ("edge", edge_cols)):
        if cols:
            lines.append(f'    <attributes class="{scope}" mode="static">')
            lines += [f'      <attribute id={_attr(n)} title={_attr(n)} type="{GEXF_TYPES[k]}"/>' for n, k, _ in cols]
            lines.append("    </attributes>")
    lines.append("    <nodes>")
    out.write("\n".join(lines) + "\n")
    by_name = {name: column for name, _, column in all_nodes}
    empty = Column("", [None] * table.n_nodes)
    label, doc_id = by_name.get("label", empty), by_name.get("doc_id", empty)
    color, kind = by_name.get("color", empty), by_name.get("kind", empty)
    x, y, size = by_name.get("x", empty), by_name.get("y", empty), by_name.get("size", empty)
    colors: dict = {}
    for start, stop in _blocks(table.n_nodes):
        ids = table.ids[start:stop]
        names = [str(a or b or i) for a, b, i in zip(_xml_strings(label.values(start, stop)),
                                                      _xml_strings(doc_id.values(start, stop)), ids)]
        opens = [f'      <node id="{i}" label="{t}">\n'
                 for i, t in zip(_escape_list(ids, True), _escape_list(names, True))]
        viz = [_viz_color(c or KIND_COLORS.get(k, "#999999"), colors)
               for c, k in zip(color.values(start, stop), kind.values(start, stop))]
        out.write(_interleave([opens, _attvalues(node_cols, start, stop), viz, _each(x, start, stop, "gexf x", _viz_x),
                               _each(y, start, stop, "gexf y", _viz_y), _each(size, start, stop, "gexf size", _viz_size)],
                              stop - start))
    out.write("    </nodes>\n    <edges>\n")
    weight = next((c for n, _, c in all_edges if n == "weight"), Column("", [None] * table.n_edges))
    for start, stop in _blocks(table.n_edges):
        opens = [f'      <edge id="{k}" source="{u}" target="{v}"{w}'
                 for k, u, v, w in zip(range(start, stop), _escape_list(table.sources[start:stop], True),
                                       _escape_list(table.targets[start:stop], True),
                                       _each(weight, start, stop, "gexf weight", _gexf_weight))]
        out.write(_interleave([opens, _attvalues(edge_cols, start, stop), "      </edge>\n"], stop - start))
    out.write("    </edges>\n  </graph>\n</gexf>\n")


def _each(column: Column, start: int, stop: int, key: str, text) -> list[str]:
    """``text(value)`` of each row's XML value (None for no value), made once per distinct value
    where the column has them (see :func:`_distinct`)."""
    distinct = _distinct(column)
    if distinct is None:
        return [text(v) for v in _xml_strings(column.values(start, stop))]
    values, codes = distinct
    pieces = column.pieces.get(key)
    if pieces is None:
        pieces = column.pieces[key] = np.array([text(v) for v in _xml_strings(values)], dtype=object)
    return pieces[codes[start:stop]].tolist()


def _viz_x(x) -> str:
    return f'        <viz:position x="{float(x or 0.0)!r}"'


def _viz_y(y) -> str:
    return f' y="{float(y or 0.0)!r}" z="0.0"/>\n'


def _viz_size(size) -> str:
    return f'        <viz:size value="{float(size if _positive(size) else 10.0)!r}"/>\n      </node>\n'


def _gexf_weight(weight) -> str:
    return f' weight="{float(weight)!r}">\n' if _positive(weight) else ">\n"


def _viz_color(color: str, cache: dict) -> str:
    line = cache.get(color)
    if line is None:
        r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        line = cache[color] = f'        <viz:color r="{r}" g="{g}" b="{b}"/>\n'
    return line


def _attvalues(columns, start: int, stop: int) -> list[str]:
    """Each row's ``<attvalues>`` block (``""`` when it has no value)."""
    if not columns:
        return [""] * (stop - start)
    parts = [_xml_pieces(col, kind, start, stop, f"          <attvalue for={_attr(name)} value=\"", "\"/>\n", True)
             for name, kind, col in columns if not _empty(col, start, stop)]
    if not parts:
        return [""] * (stop - start)
    return ["        <attvalues>\n" + text + "        </attvalues>\n" if text else ""
            for text in map("".join, zip(*parts))]


# --- CSV --------------------------------------------------------------------------------------

def _csv_cells(column: Column, start: int, stop: int) -> list:
    """A column's cells: numbers as ``csv.writer`` writes them (their ``repr``/``str``), booleans as
    ``true``/``false``, text made spreadsheet-safe, ``""`` for no value."""
    def make(values):
        if column.numeric:
            return [_number_text(v) for v in values]
        if column.text:
            return ["" if v is None else v for v in _spreadsheet_safe_list(values)]
        return ["" if v is None else spreadsheet_safe(v) if isinstance(v, str) else _text(v) for v in values]

    pieces = _coded_pieces(column, start, stop, ("csv",), make)
    return make(column.values(start, stop)) if pieces is None else pieces


@functools.cache
def _csv_quoted() -> re.Pattern:
    """The characters that make ``csv.writer`` (``lineterminator="\\n"``, the rest default) quote
    a cell, found by asking it once: which ones depends on the Python version."""
    special = []
    for code in range(128):
        buffer = _io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([f"a{chr(code)}b", "c"])
        if buffer.getvalue().startswith('"'):
            special.append(re.escape(chr(code)))
    return re.compile("[" + "".join(special) + "]")


def _csv_field(cell: str, quoted: re.Pattern) -> str:
    return '"' + cell.replace('"', '""') + '"' if quoted.search(cell) else cell


def _csv_lines(cells: list[list[str]]) -> str:
    """The CSV lines of a block of rows (a list of cells per column) as ``csv.writer`` writes them:
    cells with a character it quotes are quoted (``"`` doubled), one scan per column."""
    quoted = _csv_quoted()
    if len(cells) < 2:  # a row of one empty cell is written '""': left to the csv module
        buffer = _io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(zip(*cells))
        return buffer.getvalue()
    out = []
    for column in cells:
        if quoted.search("".join(column)):
            column = [_csv_field(c, quoted) for c in column]
        out.append(column)
    pieces = [out[0]]
    for column in out[1:]:
        pieces += [",", column]
    pieces.append("\n")
    return _interleave(pieces, len(out[0]))


def write_csv(table: ExportTable, nodes_out, edges_out) -> None:
    """``nodes.csv`` and ``edges.csv``: ``id`` / ``from, to`` then every data attribute, as
    ``csv.writer`` writes them.

    Text cells that a spreadsheet would run as a formula are written with a leading ``'``
    (:func:`spreadsheet_safe`); numbers are written as numbers.
    """
    with _written_behind([nodes_out, edges_out], table.n_nodes + table.n_edges) as behind:
        _write_csv(table, *behind)


def _write_csv(table: ExportTable, nodes_out, edges_out) -> None:
    for out, first, keys, scope, count in (
            (nodes_out, ("id",), (table.ids,), "node", table.n_nodes),
            (edges_out, ("from", "to"), (table.sources, table.targets), "edge", table.n_edges)):
        columns = [(name, col) for name, _, col in table.columns(scope) if name not in VISUAL]
        out.write(_csv_lines([[spreadsheet_safe(c)] for c in list(first) + [name for name, _ in columns]]))
        for start, stop in _blocks(count):
            cells = [_spreadsheet_safe_list([str(k) for k in key[start:stop]]) for key in keys]
            cells += [_csv_cells(col, start, stop) for _, col in columns]
            out.write(_csv_lines(cells))


# --- node-link JSON ---------------------------------------------------------------------------

_ENCODE = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a string with


def _json_pieces(column: Column, start: int, stop: int, pre: str) -> list[str]:
    def make(values):
        if column.numeric:
            return [pre + _number_text(v) for v in values]
        if column.text:
            return [pre + _ENCODE(v) if v is not None else "" for v in values]
        return [pre + json.dumps(v, ensure_ascii=False, allow_nan=False) if v is not None else "" for v in values]

    pieces = _coded_pieces(column, start, stop, ("json", pre), make)
    return make(column.values(start, stop)) if pieces is None else pieces


def write_json(table: ExportTable, out) -> None:
    """networkx node-link data, as ``json.dumps(data, indent=2, ensure_ascii=False)`` writes it;
    edge ends are ``from``/``to`` as in the file format, because ``source`` is the edge's citation.
    Read it with ``nx.node_link_graph(data, source="from", target="to")``. The generator carries
    the ownership stamp."""
    with _written_behind([out], table.n_nodes + table.n_edges) as (behind,):
        _write_json(table, behind)


def _write_json(table: ExportTable, out) -> None:
    graph = {"generator": f"{GENERATOR} {OWNER_MARK}"}
    graph.update({k: v for k, v in _public(table.meta).items() if k != "generator"})
    marks = ("\x00nodes\x00", "\x00edges\x00")
    text = json.dumps({"directed": True, "multigraph": False, "graph": graph, "nodes": marks[0], "edges": marks[1]},
                      indent=2, ensure_ascii=False, allow_nan=False)
    head, _, tail = text.rpartition(json.dumps(marks[1]))
    head, _, middle = head.rpartition(json.dumps(marks[0]))
    for prefix, ends, columns, count in (
            (head, [(table.ids, '    {\n      "id": ')], table.nodes, table.n_nodes),
            (middle, [(table.sources, '    {\n      "from": '), (table.targets, ',\n      "to": ')],
             table.edges, table.n_edges)):
        out.write(prefix)
        if not count:
            out.write("[]")
            continue
        out.write("[\n")
        skip = {"id"} if len(ends) == 1 else {"from", "to"}  # node-link data keeps the ends, not attributes so named
        for start, stop in _blocks(count):
            parts = [[pre + _ENCODE(str(i)) for i in key[start:stop]] for key, pre in ends]
            parts += [_json_pieces(col, start, stop, f",\n      {_ENCODE(col.name)}: ") for col in columns
                      if col.name not in skip and not _empty(col, start, stop)]
            parts.append(["\n    },\n"] * (stop - start - 1) + ["\n    }"])  # rows joined by ",\n"
            out.write((",\n" if start else "") + _interleave(parts, stop - start))
        out.write("\n  ]")
    out.write(tail + "\n")
