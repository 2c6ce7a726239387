"""Export a graph for Gephi (GraphML, GEXF), spreadsheets (CSV) and scripts (node-link JSON).

Every format is built from one clean :class:`networkx.DiGraph` (:func:`to_export_digraph`): the
document's fields under the file format's names, the per-node columns an analysis adds
(concentration, target status, chokepoint score, availability under a cutoff; computed by
:mod:`chokepoint.analysis.columns`, handed in here as plain values), and the visual properties
Gephi reads (``label``, ``x``, ``y``, ``size``, ``color``). The GraphML and GEXF writers are our
own, so that the rules of ``gephi.md`` hold by construction and the output is byte-stable: typed
keys per attribute, plain scalars, nothing missing written, weights only where positive, NMTOKEN
ids, no graph-level data.

Document-level fields (name, title, description, sources) travel inside the file as a JSON
comment (``<!-- chokepoint-meta: {...} -->``), which every reader ignores; :func:`read_graphml`
and :func:`node_link_to_data` turn an export back into a graph document (analysis attributes
are dropped) that validates to the same :class:`~chokepoint.model.Document`.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
import hashlib
import io as _io
import json
import math
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx

from ..errors import InputError
from ..model import Graph, safe_json
from ..model.schema import EDGE_FIELDS as EDGE_SCHEMA, KINDS, LEVELS, NODE_FIELDS as NODE_SCHEMA
from .files import GENERATOR, MARKER, OWNER_MARK, atomic_write_many, check_distinct, check_output
from .layout import layered_layout

FORMATS = ("graphml", "gexf", "csv", "json")
SUFFIXES = {"graphml": ".graphml", "gexf": ".gexf", "json": ".json"}
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

_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]+")
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)


def _edges(digraph: nx.DiGraph) -> list:
    """(u, v, attrs) in the document's order when the graph records it, else networkx's order."""
    edges = list(digraph.edges(data=True))
    order = digraph.graph.get("_edge_order")
    if order:
        edges.sort(key=lambda e: order.get((e[0], e[1]), len(order)))
    return edges


def _public(meta: dict) -> dict:
    """Graph attributes to write: private ones (leading underscore) stay in memory."""
    return {k: v for k, v in meta.items() if not str(k).startswith("_")}


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


def _columns(items, scope: str) -> list[tuple[str, str]]:
    """(name, type) of every attribute with a value to write, in :data:`COLUMN_ORDER`, then
    first-seen order; one type per attribute; reserved names checked."""
    values: dict[str, list] = {}
    for attrs in items:
        for name, raw in attrs.items():
            value = _scalar(raw)
            if value is not None and (name != "weight" or scope != "edge" or _positive(value)):
                values.setdefault(str(name), []).append(value)
    order = COLUMN_ORDER[scope]
    columns = []
    for name in sorted(values, key=lambda n: order.index(n) if n in order else len(order)):
        kind = _attr_type(values[name])
        _check_reserved(scope, name, kind, values[name])
        columns.append((name, kind))
    return columns


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


# --- GraphML ----------------------------------------------------------------------------------

def _esc(text: str) -> str:
    """Element text: raw characters, except CR as ``&#13;`` (parsers turn a raw CR into LF)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _attr(text: str) -> str:
    return '"' + _esc(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;") + '"'


def _key_ids(columns, prefix: str) -> dict[str, str]:
    ids, taken = {}, set()
    for name, _ in columns:
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


def _comment_json(meta: dict) -> str:
    """JSON for an XML comment, every value kept exactly: ``--`` (not allowed in a comment)
    is written ``-\\u002d``, which JSON reads back as ``--``; no value can end the comment."""
    text = _meta_json(meta)
    while "--" in text:
        text = text.replace("--", "-\\u002d")
    return text


def graphml_text(digraph: nx.DiGraph) -> str:
    """GraphML for Gephi 0.10 and Gephi Lite (see ``gephi.md``): byte-stable, scalars only.

    Key ids are ``n.<name>`` / ``e.<name>`` (never yEd's ``d3``/``d7``, which Gephi reads as
    labels); edges get ids ``e0, e1, ...``; ``weight`` is written only where finite and > 0.
    Graph attributes go to a JSON comment, not to graph-level ``<data>``.
    """
    ids, nodes = _safe_nodes(digraph)
    node_cols = _columns((a for _, a in nodes), "node")
    edge_cols = _columns((a for _, _, a in _edges(digraph)), "edge")
    node_keys, edge_keys = _key_ids(node_cols, "n."), _key_ids(edge_cols, "e.")
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<!-- {MARKER} ({GENERATOR}) {OWNER_MARK} -->"]
    lines.append(f'<graphml xmlns="{GRAPHML_NS}">')
    if _public(digraph.graph):
        lines.append(f"  <!-- chokepoint-meta: {_comment_json(_public(digraph.graph))} -->")
    for scope, cols, keys in (("node", node_cols, node_keys), ("edge", edge_cols, edge_keys)):
        for name, kind in cols:
            lines.append(f'  <key id={_attr(keys[name])} for="{scope}" attr.name={_attr(name)} attr.type="{kind}"/>')
    lines.append('  <graph id="G" edgedefault="directed">')
    for node, attrs in nodes:
        lines.append(f"    <node id={_attr(node)}>")
        lines.extend(_data_lines(attrs, node_cols, node_keys, "node"))
        lines.append("    </node>")
    for index, (u, v, attrs) in enumerate(_edges(digraph)):
        lines.append(f'    <edge id="e{index}" source={_attr(ids[str(u)])} target={_attr(ids[str(v)])}>')
        lines.extend(_data_lines(attrs, edge_cols, edge_keys, "edge"))
        lines.append("    </edge>")
    lines += ["  </graph>", "</graphml>", ""]
    return "\n".join(lines)


def _safe_nodes(digraph: nx.DiGraph):
    """NMTOKEN ids for the nodes, and (id, attrs) with ``doc_id`` added where an id was mapped."""
    ids = export_ids([str(n) for n in digraph.nodes])
    nodes = []
    for node, attrs in digraph.nodes(data=True):
        if ids[str(node)] != node and "doc_id" not in attrs:
            attrs = {**attrs, "doc_id": str(node)}
        nodes.append((ids[str(node)], attrs))
    return ids, nodes


def _data_lines(attrs, columns, keys, scope):
    out = []
    for name, kind in columns:
        value = _scalar(attrs.get(name))
        if value is None or (scope == "edge" and name == "weight" and not _positive(value)):
            continue
        out.append(f"      <data key={_attr(keys[name])}>{_esc(_text(value, kind))}</data>")
    return out


def _meta_json(meta: dict) -> str:
    return json.dumps(meta, ensure_ascii=True, separators=(", ", ": "), default=str)


def read_graphml(path, *, max_bytes: int = 256 * 1024 * 1024) -> dict:
    """A GraphML export (ours, or one Gephi saved) as a graph document dict in the file format.

    Document fields come back under their names (``share`` from ``share_level``, or from
    ``share_low``/``share_high``); analysis and visual attributes are dropped; ``doc_id`` restores
    mapped ids. Name, title, description and sources come from the ``chokepoint-meta`` comment;
    without it (a file Gephi re-saved) the name is the file's stem and cited sources get stubs.

    The file is parsed as a stream (elements are dropped once read), so memory follows the graph,
    not the XML. Refused with a one-line :class:`InputError`: files over ``max_bytes``, encodings
    other than UTF-8 (or ASCII, Latin-1), document type declarations, nested graphs, hyperedges,
    undirected edges, nodes without an id, edges without both ends, a key given twice in one
    element, and values that do not parse as their key's type.
    """
    path = Path(path)
    raw = _read_bytes(path, max_bytes)
    reader = _GraphMLReader(path)
    parser = ET.XMLPullParser(events=("end", "comment"))  # no start events: a third faster
    try:
        view = memoryview(raw)
        for offset in range(0, len(raw), 1 << 16):  # small blocks: measured faster than large ones
            parser.feed(view[offset:offset + (1 << 16)])
            reader.consume(parser.read_events())
        parser.close()
        reader.consume(parser.read_events())
    except ET.ParseError as exc:
        raise InputError(f"{path}: invalid GraphML ({exc})") from None
    view.release()
    del view, raw, parser  # the text is not needed to build the document
    return reader.document()


#: Element tags (with and without the GraphML namespace) -> local names, for the ones read.
_TAGS = {tag: name for name in ("graphml", "key", "default", "graph", "node", "edge", "data", "hyperedge")
         for tag in (name, f"{{{GRAPHML_NS}}}{name}")}


class _GraphMLReader:
    """The streaming half of :func:`read_graphml`: end events in, nodes, edges and keys out.

    An element is read when it ends (its children are complete) and then emptied, and the list
    of finished nodes and edges is dropped from the tree after each batch of events.
    """

    def __init__(self, path: Path):
        self.path = path
        self.root = None
        self.graphs = 0
        self.meta: dict = {}
        self.keys: dict[str, tuple[str, str, str]] = {}  # id -> (name, type, for)
        self.defaults: dict[str, str] = {}  # key id -> default text
        self.nodes: list = []  # (id, [(key, text, where)])
        self.edges: list = []  # (source, target, [(key, text, where)])
        self.pending: list = []  # finished node and edge elements, to drop from their graph

    def fail(self, message: str):
        raise InputError(f"{self.path}: {message}")

    def consume(self, events) -> None:
        tags = _TAGS
        for event, element in events:
            if event == "comment":
                text = (element.text or "").strip()
                if text.startswith("chokepoint-meta:") and not self.meta:
                    try:
                        self.meta = safe_json.loads(text[len("chokepoint-meta:"):])
                    except (json.JSONDecodeError, safe_json.JSONError) as exc:
                        self.fail(f"the chokepoint-meta comment is not valid JSON ({exc.msg})")
                    if not isinstance(self.meta, dict):
                        self.fail("the chokepoint-meta comment is not a JSON object")
                continue
            name = tags.get(element.tag)
            if name == "node":
                self.node(element)
            elif name == "edge":
                self.edge(element)
            elif name == "key":
                self.key(element)
            elif name == "graph":
                self.graph(element)
            elif name == "hyperedge":
                self.fail("a hyperedge (an edge joining more than two nodes) is not supported: "
                          "supply graphs have edges from one node to another")
            self.root = element  # the last element to end is the root
        if self.pending:
            for element in self.pending:
                element.clear()
            self.pending.clear()

    def graph(self, element) -> None:
        self.graphs += 1
        if self.graphs > 1:
            self.fail("more than one <graph>; chokepoint reads one flat directed graph")
        if element.get("edgedefault", "directed") != "directed":
            self.fail("an undirected graph; supply graphs are directed")
        del element[:]  # its nodes and edges were read as they ended

    def nested(self, element, where: str) -> None:
        for child in element:
            if tags_name(child.tag) == "graph":
                self.fail(f"{where} holds a nested graph: chokepoint reads one flat directed graph")

    def key(self, element) -> None:
        ident = element.get("id")
        if ident is None:
            self.fail("a <key> without an id")
        if ident in self.keys:
            self.fail(f"key '{_short(ident)}' is declared twice")
        kind = element.get("attr.type", "string")
        if kind not in ("boolean", "int", "long", "float", "double", "string"):
            self.fail(f"key '{_short(ident)}' has the unknown attr.type '{_short(kind)}'")
        self.keys[ident] = (element.get("attr.name") or ident, kind, element.get("for", "all"))
        for child in element:
            if _TAGS.get(child.tag) == "default":
                self.defaults[ident] = child.text or ""

    def node(self, element) -> None:
        ident = element.get("id")
        if ident is None:
            self.fail(f"node {len(self.nodes) + 1} (the {_ordinal(len(self.nodes) + 1)} <node>) has no id")
        if len(element):
            self.nested(element, f"node '{_short(ident)}'")
        self.nodes.append((ident, self.data(element, ("node", ident))))
        self.pending.append(element)

    def edge(self, element) -> None:
        source, target = element.get("source"), element.get("target")
        where = ("edge", element.get("id") or str(len(self.edges)), source, target)
        if source is None or target is None:
            self.fail(f"edge {where[1]} has no {'source' if source is None else 'target'}")
        if element.get("directed", "true") == "false":
            self.fail(f"{_where(where)} is undirected; supply graphs are directed")
        if len(element):
            self.nested(element, _where(where))
        self.edges.append((source, target, self.data(element, where)))
        self.pending.append(element)

    def data(self, element, where: tuple) -> tuple:
        """``(where, (key, text), ...)``: the element's values, and where it is for messages."""
        values = [where]
        seen = set()
        for child in element:
            if _TAGS.get(child.tag) != "data":
                continue
            key = child.get("key")
            if key in seen:
                self.fail(f"{_where(where)}: two values for key '{_short(key)}'")
            seen.add(key)
            values.append((key, "".join(child.itertext()) if len(child) else (child.text or "")))
        return tuple(values)

    def document(self) -> dict:
        if self.root is None or _TAGS.get(self.root.tag) != "graphml":
            self.fail(f"not GraphML (root element <{self.root.tag if self.root is not None else ''}>)")
        if self.graphs != 1:
            self.fail("expected one <graph>, found none")
        defaults = {"node": {}, "edge": {}}
        for ident, text in self.defaults.items():
            name, kind, scope = self.keys[ident]
            for target in (("node", "edge") if scope == "all" else (scope,)):
                if target in defaults:
                    defaults[target][name] = self.parse(text, kind, f"key '{_short(ident)}' default", name)
        keys = self.keys

        def attrs(values, scope):
            out = dict(defaults[scope])
            for key, text in values[1:]:
                found = keys.get(key)
                if found is not None:
                    name, kind, _ = found
                    out[name] = text if kind == "string" else self.parse(text, kind, values[0], name)
            return out

        nodes = [(ident, attrs(values, "node")) for ident, values in self.nodes]
        edges = [(source, target, attrs(values, "edge")) for source, target, values in self.edges]
        return _document(nodes, edges, self.meta, self.path, origin=self.path)

    def parse(self, text: str, kind: str, where, name: str):
        try:
            return _parse(text, kind)
        except ValueError:
            place = where if isinstance(where, str) else _where(where)
            self.fail(f"{place}: {name} '{_short(text)}' is not a{'n' if kind[0] in 'aeiou' else ''} {kind}")


def _where(where: tuple) -> str:
    """``node 'x'`` or ``edge e3 (a -> b)`` from the reader's compact record of an element."""
    if where[0] == "node":
        return f"node '{_short(where[1])}'"
    return f"edge {where[1]} ({_short(where[2])} -> {_short(where[3])})"


def tags_name(tag) -> str | None:
    """The local name of a GraphML element read (see ``_TAGS``), or None."""
    return _TAGS.get(tag)


def _short(value, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


#: Encodings a GraphML file may declare: those in which markup is plain ASCII bytes.
_XML_ENCODINGS = {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1"}
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"{path}: {size:,} bytes is over the limit of {max_bytes:,} (raise it with --max-bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None
    if len(raw) > max_bytes:
        raise InputError(f"{path}: {len(raw):,} bytes is over the limit of {max_bytes:,} (raise it with --max-bytes)")
    head = raw[:4]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in raw[:1024]:
        raise InputError(f"{path}: GraphML in UTF-16 or UTF-32 is not read; save it as UTF-8")
    body = raw[3:] if raw.startswith(b"\xef\xbb\xbf") else raw
    declared = _DECLARED.match(body.lstrip())
    if declared and declared.group(1).decode("ascii").lower() not in _XML_ENCODINGS:
        raise InputError(f"{path}: GraphML declared as {declared.group(1).decode('ascii')} is not read; "
                         "save it as UTF-8")
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:  # markup only: in values they are escaped
        raise InputError(f"{path}: a document type declaration is not accepted in GraphML")
    return raw


def _parse(text: str, kind: str):
    if kind == "boolean":
        word = text.strip().lower()
        if word in ("true", "1"):
            return True
        if word in ("false", "0"):
            return False
        raise ValueError(text)
    if kind in ("int", "long"):
        word = text.strip()
        if len(word.lstrip("+-")) > 4300:
            raise ValueError(text)
        return int(word)
    if kind in ("float", "double"):
        return float(text)
    return text


def _ident(value, where: str, origin) -> str:
    """A node id or edge end as text: a string, or an integer written as one; else an error."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise InputError(f"{origin}: {where} must be text, not {_type_name(value)}")


def _type_name(value) -> str:
    return {dict: "a mapping", list: "a list", bool: "a boolean", float: "a number", type(None): "empty"}.get(
        type(value), type(value).__name__)


def _document(nodes, edges, meta: dict, path, origin=None) -> dict:
    """Graph document dict from (id, attrs) nodes and (source, target, attrs) edges of an export.

    Ids, ends and share columns of the wrong type are one-line errors naming ``origin`` (the file)
    and the node or edge; every other field is checked by the document's validation.
    """
    origin = origin if origin is not None else path
    real = {}
    out_nodes = []
    for index, (ident, attrs) in enumerate(nodes):
        ident = _ident(ident, f"nodes[{index}].id", origin)
        doc_id = _ident(attrs.get("doc_id", ident), f"nodes[{index}] (id '{_short(ident)}').doc_id", origin)
        real[ident] = doc_id
        node = {"id": doc_id}
        if "label" in attrs and not attrs.get("label_default"):
            node["label"] = attrs["label"]
        for name in NODE_FIELDS:
            if name in attrs and attrs[name] is not None:
                node[name] = attrs[name]
        if node.get("needs") == "all":
            del node["needs"]
        if node.get("critical_mineral") is False:
            node.pop("critical_mineral", None)
        out_nodes.append(node)
    out_edges = []
    for index, (source, target, attrs) in enumerate(edges):
        source = _ident(source, f"edges[{index}].from", origin)
        target = _ident(target, f"edges[{index}] ({_short(source)} -> ?).to", origin)
        where = f"edges[{index}] ({_short(source)} -> {_short(target)})"
        edge = {"from": real.get(source, source), "to": real.get(target, target), "type": attrs.get("type")}
        level = attrs.get("share_level")
        if isinstance(level, str) and level in LEVELS:
            edge["share"] = level
        elif "share_low" in attrs and "share_high" in attrs:
            low, high = attrs["share_low"], attrs["share_high"]
            for name, value in (("share_low", low), ("share_high", high)):
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise InputError(f"{origin}: {where}.{name}: expected a number, got {_short(repr(value))}")
            low, high = float(low), float(high)
            edge["share"] = low if low == high else [low, high]
        elif "share" in attrs:
            edge["share"] = attrs["share"]
        for name in ("basis", "year", "source", "fact", "note"):
            if attrs.get(name) is not None:
                edge[name] = attrs[name]
        if attrs.get("estimated") is not None and attrs.get("estimated") is not False:
            edge["estimated"] = attrs["estimated"]
        out_edges.append(edge)
    stem = re.sub(r"[^a-z0-9-]+", "-", Path(str(path)).stem.lower()).strip("-") or "graph"
    data = {"name": meta.get("name", stem), "title": meta.get("title", stem)}
    if meta.get("description") is not None:
        data["description"] = meta["description"]
    sources = meta.get("sources") or {}
    if not isinstance(sources, dict):
        raise InputError(f"{origin}: the graph's sources must be a mapping, not {_type_name(sources)}")
    sources = dict(sources)
    if not meta:
        for edge in out_edges:
            cited = edge.get("source")
            if isinstance(cited, str) and cited and cited not in sources:
                sources[cited] = {"title": cited}
    if sources:
        data["sources"] = sources
    data["nodes"] = out_nodes
    data["edges"] = out_edges
    return data


# --- node-link JSON ---------------------------------------------------------------------------

def node_link(digraph: nx.DiGraph) -> dict:
    """networkx node-link data; edge ends are ``from``/``to`` as in the file format, because
    ``source`` is the edge's citation. Read it with
    ``nx.node_link_graph(data, source="from", target="to")``.
    """
    def entry(ends: dict, attrs: dict) -> dict:
        values = ((k, _scalar(v, xml=False)) for k, v in attrs.items() if k not in ends)
        return {**ends, **{k: v for k, v in values if v is not None}}

    nodes = [entry({"id": n}, a) for n, a in digraph.nodes(data=True)]
    edges = [entry({"from": u, "to": v}, a) for u, v, a in _edges(digraph)]
    graph = {"generator": GENERATOR}
    graph.update({k: v for k, v in _public(digraph.graph).items() if k != "generator"})
    return {"directed": True, "multigraph": False, "graph": graph, "nodes": nodes, "edges": edges}


def node_link_to_data(data, origin: str = "node-link JSON") -> dict:
    """A node-link JSON export as a graph document dict.

    Edges under ``edges`` or ``links``, with ends ``from``/``to`` (ours) or ``source``/``target``
    (networkx's default; an edge attribute ``source`` cannot exist then). Errors name ``origin``.
    """
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise InputError(f"{origin}: expected an object with a 'nodes' list")
    links = data.get("edges", data.get("links", []))
    if not isinstance(links, list):
        raise InputError(f"{origin}: 'edges' must be a list of objects, not {_type_name(links)}")
    meta = data.get("graph") or {}
    if not isinstance(meta, dict):
        raise InputError(f"{origin}: 'graph' must be an object, not {_type_name(meta)}")
    nodes, edges = [], []
    for index, n in enumerate(data["nodes"]):
        if not isinstance(n, dict):
            raise InputError(f"{origin}: nodes[{index}] must be an object, not {_type_name(n)}")
        if "id" not in n:
            raise InputError(f"{origin}: nodes[{index}] has no id")
        nodes.append((n["id"], {k: v for k, v in n.items() if k != "id"}))
    for index, e in enumerate(links):
        if not isinstance(e, dict):
            raise InputError(f"{origin}: edges[{index}] must be an object, not {_type_name(e)}")
        ends = ("from", "to") if "from" in e else ("source", "target")
        missing = [end for end in ends if end not in e]
        if missing:
            raise InputError(f"{origin}: edges[{index}] has no '{missing[0]}'")
        edges.append((e[ends[0]], e[ends[1]], {k: v for k, v in e.items() if k not in ends}))
    name = meta.get("name", "graph")
    return _document(nodes, edges, meta if "name" in meta else {}, name if isinstance(name, str) else "graph",
                     origin=origin)


def is_node_link(data) -> bool:
    """Whether parsed JSON is node-link data (a graph document never has ``directed``)."""
    return isinstance(data, dict) and "directed" in data and isinstance(data.get("nodes"), list)


# --- GEXF -------------------------------------------------------------------------------------

GEXF_TYPES = {"boolean": "boolean", "int": "integer", "long": "long", "double": "double", "string": "string"}


def gexf_text(digraph: nx.DiGraph) -> str:
    """GEXF 1.2 with viz colours (integer r, g, b), sizes and positions (z = 0.0); byte-stable."""
    ids, nodes = _safe_nodes(digraph)
    node_cols = [(n, k) for n, k in _columns((a for _, a in nodes), "node")
                 if n not in VISUAL and n != "label"]
    edge_cols = [(n, k) for n, k in _columns((a for _, _, a in _edges(digraph)), "edge")
                 if n not in VISUAL and n != "label"]
    meta = _public(digraph.graph)
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', f"<!-- {MARKER} ({GENERATOR}) {OWNER_MARK} -->",
             '<gexf xmlns="http://www.gexf.net/1.2draft" xmlns:viz="http://www.gexf.net/1.2draft/viz" version="1.2">',
             "  <meta>", f"    <creator>{_esc(GENERATOR)}</creator>"]
    if meta.get("title"):
        lines.append(f"    <description>{_esc(_scalar(meta['title']) or '')}</description>")
    lines += ["  </meta>", '  <graph defaultedgetype="directed" mode="static">']
    for scope, cols in (("node", node_cols), ("edge", edge_cols)):
        if cols:
            lines.append(f'    <attributes class="{scope}" mode="static">')
            lines += [f'      <attribute id={_attr(n)} title={_attr(n)} type="{GEXF_TYPES[k]}"/>' for n, k in cols]
            lines.append("    </attributes>")
    lines.append("    <nodes>")
    for node, attrs in nodes:
        label = _scalar(attrs.get("label")) or _scalar(attrs.get("doc_id")) or node
        lines.append(f"      <node id={_attr(node)} label={_attr(str(label))}>")
        lines += _attvalues(attrs, node_cols)
        color = attrs.get("color") or KIND_COLORS.get(attrs.get("kind"), "#999999")
        r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
        lines.append(f'        <viz:color r="{r}" g="{g}" b="{b}"/>')
        x, y = _scalar(attrs.get("x")) or 0.0, _scalar(attrs.get("y")) or 0.0
        lines.append(f'        <viz:position x="{float(x)!r}" y="{float(y)!r}" z="0.0"/>')
        size = _scalar(attrs.get("size"))
        lines.append(f'        <viz:size value="{float(size if _positive(size) else 10.0)!r}"/>')
        lines.append("      </node>")
    lines += ["    </nodes>", "    <edges>"]
    for index, (u, v, attrs) in enumerate(_edges(digraph)):
        weight = _scalar(attrs.get("weight"))
        extra = f' weight="{float(weight)!r}"' if _positive(weight) else ""
        lines.append(f'      <edge id="{index}" source={_attr(ids[str(u)])} target={_attr(ids[str(v)])}{extra}>')
        lines += _attvalues(attrs, edge_cols)
        lines.append("      </edge>")
    lines += ["    </edges>", "  </graph>", "</gexf>", ""]
    return "\n".join(lines)


def _attvalues(attrs, columns) -> list[str]:
    values = []
    for name, kind in columns:
        value = _scalar(attrs.get(name))
        if value is not None:
            values.append(f"          <attvalue for={_attr(name)} value={_attr(_text(value, kind))}/>")
    if not values:
        return []
    return ["        <attvalues>", *values, "        </attvalues>"]


# --- CSV --------------------------------------------------------------------------------------

#: A text cell starting with one of these is a formula to a spreadsheet (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell that a spreadsheet shows as text: a string starting like a formula gets a
    leading ``'`` (OWASP's advice); numbers, booleans and other strings are unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_texts(digraph: nx.DiGraph) -> tuple[str, str]:
    """``nodes.csv`` and ``edges.csv`` text: ``id`` / ``from, to`` then every data attribute.

    Text cells that a spreadsheet would run as a formula are written with a leading ``'``
    (:func:`spreadsheet_safe`); numbers are written as numbers.
    """
    def table(first, rows, scope):
        columns = [n for n, _ in _columns((a for _, a in rows), scope) if n not in VISUAL]
        buffer = _io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([spreadsheet_safe(c) for c in list(first) + columns])
        for key, attrs in rows:
            cells = [_scalar(attrs.get(c), xml=False) for c in columns]
            writer.writerow([spreadsheet_safe(str(k)) for k in key] +
                            ["" if c is None else spreadsheet_safe(c) if isinstance(c, str) else _text(c)
                             for c in cells])
        return buffer.getvalue()

    nodes = table(("id",), [((n,), a) for n, a in digraph.nodes(data=True)], "node")
    edges = table(("from", "to"), [((u, v), a) for u, v, a in _edges(digraph)], "edge")
    return nodes, edges


def csv_paths(path) -> tuple[Path, Path]:
    """``PATH.nodes.csv``/``PATH.edges.csv`` for a ``PATH.csv`` prefix (any case), else ``PATH/nodes.csv``..."""
    target = Path(path)
    if target.suffix.lower() == ".csv":
        stem = target.with_suffix("")
        return Path(f"{stem}.nodes{target.suffix}"), Path(f"{stem}.edges{target.suffix}")
    return target / "nodes.csv", target / "edges.csv"


# --- the export graph ---------------------------------------------------------------------------

def to_export_digraph(g: Graph, columns=None, scenario: dict | None = None) -> nx.DiGraph:
    """The graph as a clean DiGraph: document fields, analysis and visual attributes, plain scalars.

    Parameters
    ----------
    g
        The graph.
    columns
        Node id -> extra attributes (analysis and cutoff columns, see
        :func:`chokepoint.analysis.columns.node_columns`).
    scenario
        The cutoff the columns describe (``{"countries": [...], "blocs": [...]}``), or None.

    Node ids that are not NMTOKEN-safe are mapped to ``<cleaned>_<hash>`` and the original is kept
    in ``doc_id``. Graph attributes hold the document-level fields (``name``, ``title``,
    ``description``, ``sources``) and the ``scenario``; ``_edge_order`` (private, never written)
    keeps the document's edge order, which networkx's adjacency order does not.
    """
    ids = export_ids(list(g.nodes))
    extra = defaultdict(dict, columns or {})
    layout = layered_layout(g)
    height = max(1, max(Counter(c for c, _ in layout.values()).values(), default=1))  # the fullest column
    scores = [extra[n].get("chokepoint_score", 0.0) for n in g.nodes]
    top_score = max(scores, default=0.0) or 1.0

    base = g.digraph  # the document's fields under the file format's names
    out = nx.DiGraph()
    out.graph.update(_meta(g, scenario))
    for node in g.document.nodes:
        attrs = dict(base.nodes[node.id])
        if node.kind == "country":
            attrs.pop("needs")
        if node.kind != "material":
            attrs.pop("critical_mineral")
        if node.label is None:
            attrs["label_default"] = True
        if ids[node.id] != node.id:
            attrs["doc_id"] = node.id
        attrs.update(extra[node.id])
        col, y = layout[node.id]
        attrs["x"] = float(col * 250)
        attrs["y"] = round((0.5 - y) * height * 60.0, 3) + 0.0
        attrs["size"] = round(8.0 + 32.0 * extra[node.id].get("chokepoint_score", 0.0) / top_score, 3)
        attrs["color"] = KIND_COLORS[node.kind]
        out.add_node(ids[node.id], **attrs)
    for edge in g.document.edges:
        attrs = dict(base.edges[edge.from_, edge.to])
        if edge.type == "requires":
            attrs.pop("estimated")
        if edge.share is not None and edge.share.point > 0:
            attrs["weight"] = edge.share.point
        out.add_edge(ids[edge.from_], ids[edge.to], **attrs)
    out.graph["_edge_order"] = {(ids[e.from_], ids[e.to]): i for i, e in enumerate(g.document.edges)}
    return out


def _meta(g: Graph, scenario) -> dict:
    data = g.document.to_dict()
    meta = {"generator": GENERATOR, "name": data["name"], "title": data["title"]}
    for key in ("description", "sources"):
        if key in data:
            meta[key] = data[key]
    if scenario:
        meta["scenario"] = scenario
    return meta


# --- writing ----------------------------------------------------------------------------------

def export_format(path, format: str | None) -> str:
    """The format to write: ``format`` if given (checked against the suffix), else from the suffix."""
    suffix = Path(path).suffix.lower()
    if format is None:
        for fmt, ext in SUFFIXES.items():
            if suffix == ext:
                return fmt
        if suffix == ".csv" or not suffix:
            return "csv"
        raise InputError(f"{path}: cannot tell the format from '{suffix}'; pass --format ({'|'.join(FORMATS)})")
    fmt = format.lower()
    if fmt not in FORMATS:
        raise InputError(f"unknown format '{format}' (choose from {', '.join(FORMATS)})")
    if fmt in SUFFIXES and suffix != SUFFIXES[fmt]:
        raise InputError(f"{path}: a {fmt} file must end in {SUFFIXES[fmt]} (Gephi Lite picks its reader by extension)")
    if fmt == "csv" and suffix not in ("", ".csv"):
        raise InputError(f"{path}: csv output is a folder or a PREFIX.csv, not '{suffix}'")
    return fmt


def export_targets(path, fmt: str, *, force: bool = False) -> list[Path]:
    """The files an export of ``fmt`` to ``path`` writes, each checked before anything is computed."""
    targets = list(csv_paths(path)) if fmt == "csv" else [Path(path)]
    check_distinct(*targets)
    if fmt == "csv" and not csv_paths(path)[0].parent.exists():
        if os.path.lexists(csv_paths(path)[0].parent):
            check_output(csv_paths(path)[0].parent, force=force)  # a dangling link: refused
        return targets  # a folder made by the export
    for target in targets:
        check_output(target, force=force)
    return targets


def write_export(digraph: nx.DiGraph, path, fmt: str, *, force: bool = False) -> list[Path]:
    """Write an export graph (:func:`to_export_digraph`) as ``fmt``; returns the paths written.

    The files are written whole or not at all, the CSV pair as a pair (temporary files and
    renames; see :func:`chokepoint.formats.files.atomic_write_many`).
    """
    targets = export_targets(path, fmt, force=force)
    if fmt == "graphml":
        contents = [graphml_text(digraph)]
    elif fmt == "gexf":
        contents = [gexf_text(digraph)]
    elif fmt == "json":
        data = node_link(digraph)
        data["graph"]["generator"] = f"{GENERATOR} {OWNER_MARK}"
        contents = [json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"]
    else:
        contents = list(csv_texts(digraph))
    folder = targets[0].parent
    created = fmt == "csv" and not folder.exists()
    if created:
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise InputError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    try:
        atomic_write_many(list(zip(targets, contents)), force=force)
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise
    return targets
