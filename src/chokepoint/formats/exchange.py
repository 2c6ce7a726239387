"""Export a graph for Gephi (GraphML, GEXF), spreadsheets (CSV) and scripts (node-link JSON), and
read such exports back.

Every format is written from one table of node rows and edge rows (:func:`export_table`, see
:mod:`chokepoint.formats.export`): the document's fields under the file format's names, the
per-node columns an analysis adds (concentration, target status, chokepoint score, availability
under a cutoff; computed by :mod:`chokepoint.analysis.columns`, handed in here as a frame), and the
visual properties Gephi reads (``label``, ``x``, ``y``, ``size``, ``color``). The table is built
from the graph's columns and written in one streaming pass per file (:func:`write_export`). The
GraphML and GEXF writers are our own, so that the rules of ``gephi.md`` hold by construction and
the output is byte-stable: typed keys per attribute, plain scalars, nothing missing written,
weights only where positive, NMTOKEN ids, no graph-level data. :func:`to_export_digraph` gives
the same rows as a networkx DiGraph, and :func:`graphml_text` & co. write any DiGraph.

Document-level fields (name, title, description, sources) travel inside the file as a JSON
comment (``<!-- chokepoint-meta: {...} -->``), which every reader ignores; :func:`read_graphml`
and :func:`node_link_to_data` turn an export back into a graph document (analysis attributes
are dropped) that validates to the same :class:`~chokepoint.model.Document`.
"""

from __future__ import annotations

import io as _io
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..model import Graph, safe_json
from ..model.schema import LEVELS
from .export import (  # noqa: F401 - the writer's names, public here as before
    ANALYSIS_FIELDS, COLUMN_ORDER, CUTOFF_FIELDS, EDGE_FIELDS, FORMULA_STARTS, GEXF_TYPES, GRAPHML_NS, KIND_COLORS,
    KIND_ORDER, NODE_FIELDS, RESERVED, VISUAL, ExportTable, _public, _scalar, export_ids, export_table,
    spreadsheet_safe, table_from_digraph, write_csv, write_gexf, write_graphml, write_json)
from .files import GENERATOR, OWNER_MARK, atomic_writers, check_distinct, check_output

if TYPE_CHECKING:
    import networkx as nx

FORMATS = ("graphml", "gexf", "csv", "json")
SUFFIXES = {"graphml": ".graphml", "gexf": ".gexf", "json": ".json"}


def _edges(digraph: nx.DiGraph) -> list:
    """(u, v, attrs) in the document's order when the graph records it, else networkx's order."""
    edges = list(digraph.edges(data=True))
    order = digraph.graph.get("_edge_order")
    if order:
        edges.sort(key=lambda e: order.get((e[0], e[1]), len(order)))
    return edges


def graphml_text(digraph: nx.DiGraph) -> str:
    """GraphML of any DiGraph (see :func:`chokepoint.formats.export.write_graphml`): byte-stable, scalars only."""
    buffer = _io.StringIO()
    write_graphml(table_from_digraph(digraph), buffer)
    return buffer.getvalue()


def gexf_text(digraph: nx.DiGraph) -> str:
    """GEXF 1.2 of any DiGraph with viz colours, sizes and positions
    (see :func:`chokepoint.formats.export.write_gexf`)."""
    buffer = _io.StringIO()
    write_gexf(table_from_digraph(digraph), buffer)
    return buffer.getvalue()


def csv_texts(digraph: nx.DiGraph) -> tuple[str, str]:
    """``nodes.csv`` and ``edges.csv`` text of any DiGraph: ``id`` / ``from, to`` then every data attribute.

    Text cells that a spreadsheet would run as a formula are written with a leading ``'``
    (:func:`spreadsheet_safe`); numbers are written as numbers.
    """
    nodes, edges = _io.StringIO(), _io.StringIO()
    write_csv(table_from_digraph(digraph, csv_ids=True), nodes, edges)
    return nodes.getvalue(), edges.getvalue()


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


# --- CSV ---------------------------------------------------------------------------------------

def csv_paths(path) -> tuple[Path, Path]:
    """``PATH.nodes.csv``/``PATH.edges.csv`` for a ``PATH.csv`` prefix (any case), else ``PATH/nodes.csv``..."""
    target = Path(path)
    if target.suffix.lower() == ".csv":
        stem = target.with_suffix("")
        return Path(f"{stem}.nodes{target.suffix}"), Path(f"{stem}.edges{target.suffix}")
    return target / "nodes.csv", target / "edges.csv"


# --- the export graph ---------------------------------------------------------------------------

def to_export_digraph(g: Graph, columns=None, scenario: dict | None = None) -> nx.DiGraph:
    """The export (:func:`export_table`) as a clean DiGraph: document fields, analysis and visual
    attributes, plain scalars (none missing).

    Parameters
    ----------
    g
        The graph.
    columns
        The analysis and cutoff columns (see :func:`chokepoint.analysis.columns.node_columns`):
        a frame indexed by node id, or a mapping node id -> extra attributes.
    scenario
        The cutoff the columns describe (``{"countries": [...], "blocs": [...]}``), or None.

    Node ids that are not NMTOKEN-safe are mapped to ``<cleaned>_<hash>`` and the original is kept
    in ``doc_id``. Graph attributes hold the document-level fields (``name``, ``title``,
    ``description``, ``sources``) and the ``scenario``; ``_edge_order`` (private, never written)
    keeps the document's edge order, which networkx's adjacency order does not.
    """
    return table_digraph(export_table(g, columns, scenario))


def table_digraph(table: ExportTable) -> nx.DiGraph:
    """An export table as a networkx DiGraph (node and edge attributes in the order JSON writes them)."""
    import networkx as nx  # start-up: networkx (0.2 s) only for a DiGraph, not for loading a graph file
    out = nx.DiGraph()
    out.graph.update(table.meta)
    out.add_nodes_from(zip(table.ids, table.node_rows()))
    out.add_edges_from(zip(table.sources, table.targets, table.edge_rows()))
    out.graph["_edge_order"] = {key: i for i, key in enumerate(zip(table.sources, table.targets))}
    return out


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


def write_export(export, path, fmt: str, *, force: bool = False) -> list[Path]:
    """Write an export as ``fmt``; returns the paths written.

    ``export`` is an :class:`ExportTable` (:func:`export_table`) or any networkx DiGraph (such as
    :func:`to_export_digraph` gives). Each file is written in one streaming pass, whole or not at
    all, the CSV pair as a pair (temporary files and renames; see
    :func:`chokepoint.formats.files.atomic_writers`).
    """
    targets = export_targets(path, fmt, force=force)
    folder = targets[0].parent
    created = fmt == "csv" and not folder.exists()
    if created:
        try:
            folder.mkdir(parents=True)
        except OSError as exc:
            raise InputError(f"{folder}: cannot create the folder ({exc.strerror})") from None
    try:
        with atomic_writers(targets, force=force) as outs:
            _write(export, fmt, outs)
    except BaseException:
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise
    return targets


def _write(export, fmt: str, outs) -> None:
    if not isinstance(export, ExportTable):
        if fmt == "json":
            data = node_link(export)
            data["graph"]["generator"] = f"{GENERATOR} {OWNER_MARK}"
            outs[0].write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
            return
        export = table_from_digraph(export, csv_ids=fmt == "csv")
    if fmt == "graphml":
        write_graphml(export, outs[0])
    elif fmt == "gexf":
        write_gexf(export, outs[0])
    elif fmt == "json":
        write_json(export, outs[0])
    else:
        write_csv(export, outs[0], outs[1])
