"""Today's export writer (before the columnar, streaming rewrite), kept verbatim as the oracle of
``test_export_stream.py``: the new writers must give the same bytes. Copied from
``chokepoint.formats.exchange`` and ``chokepoint.formats.layout`` at commit 514b0a7; only the imports
changed. Not used by the package.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import json
import math
import re
from collections import Counter, defaultdict

import networkx as nx

from chokepoint.formats.files import GENERATOR, MARKER, OWNER_MARK
from chokepoint.analysis.chokepoints import find_chokepoints
from chokepoint.analysis.concentration import concentration, target
from chokepoint.analysis.scenarios import cutoff
from chokepoint.model import Graph
from chokepoint.model.schema import EDGE_FIELDS as EDGE_SCHEMA, KINDS, NODE_FIELDS as NODE_SCHEMA

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
GEXF_TYPES = {"boolean": "boolean", "int": "integer", "long": "long", "double": "double", "string": "string"}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


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
    layout = legacy_layout(g)
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


def legacy_layout(graph: Graph) -> dict[str, tuple[int, float]]:
    """Column and vertical position (0 top .. 1 bottom) of every node, suppliers left, products right.

    Columns go by kind (countries, facilities, materials, components, products); an item that
    requires another of its own kind sits in a column further right (longest chain, cycles
    condensed). Within a column nodes are ordered by the mean position of their neighbours
    (a few barycentre sweeps, ties by id), so that edges cross little. Deterministic.
    """
    g = graph
    depth: dict[str, int] = {}
    for kind in KIND_ORDER:
        members = [n for n, node in g.nodes.items() if node.kind == kind]
        sub = nx.DiGraph()
        sub.add_nodes_from(members)
        sub.add_edges_from((e.from_, e.to) for e in g.document.edges
                           if e.type == "requires" and e.from_ in sub and e.to in sub)
        cond = nx.condensation(sub)
        level = {}
        for comp in nx.topological_sort(cond):
            level[comp] = max((level[p] + 1 for p in cond.predecessors(comp)), default=0)
        for member, comp in cond.graph["mapping"].items():
            depth[member] = level[comp]
    slots = {slot: i for i, slot in enumerate(sorted({(KIND_ORDER.index(g.nodes[n].kind), depth[n]) for n in g.nodes}))}
    column = {n: slots[(KIND_ORDER.index(g.nodes[n].kind), depth[n])] for n in g.nodes}  # linear, not per column
    by_col: dict[int, list[str]] = defaultdict(list)
    for n in sorted(g.nodes):
        by_col[column[n]].append(n)
    preds = {n: [] for n in g.nodes}
    succs = {n: [] for n in g.nodes}
    for e in g.document.edges:
        preds[e.to].append(e.from_)
        succs[e.from_].append(e.to)
    rank = {n: i / max(1, len(ns) - 1) for ns in by_col.values() for i, n in enumerate(ns)}
    cols = sorted(by_col)
    for sweep in range(6):
        order, neighbours = (cols, preds) if sweep % 2 == 0 else (cols[::-1], succs)
        for col in order:
            def key(n, _nb=neighbours):
                near = [rank[m] for m in _nb[n] if column[m] != col]
                return (sum(near) / len(near) if near else rank[n], n)
            by_col[col].sort(key=key)
            count = len(by_col[col])
            for i, n in enumerate(by_col[col]):
                rank[n] = i / max(1, count - 1)
    return {n: (col, (i + 0.5) / len(ns)) for col, ns in by_col.items() for i, n in enumerate(ns)}




def legacy_texts(g: Graph, columns, scenario, fmt: str) -> list[str]:
    """The texts today's ``write_export`` wrote for ``fmt`` (unstamped: the atomic writer stamps)."""
    digraph = to_export_digraph(g, columns, scenario)
    if fmt == "graphml":
        return [graphml_text(digraph)]
    if fmt == "gexf":
        return [gexf_text(digraph)]
    if fmt == "json":
        data = node_link(digraph)
        data["graph"]["generator"] = f"{GENERATOR} {OWNER_MARK}"
        return [json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"]
    return list(csv_texts(digraph))


# --- today's analysis columns (chokepoint.analysis.columns), node id -> {name: value} -------------

def legacy_node_columns(g: Graph, *, with_cutoff=(), blocs=(), analysis: bool = True):
    """(node id -> columns, the cutoff scenario or None), as today's ``node_columns``."""
    extra: dict[str, dict] = defaultdict(dict)
    if analysis:
        _analysis(g, extra)
    scenario = None
    if with_cutoff or blocs:
        scenario = _cutoff(g, with_cutoff, blocs, extra)
    return extra, scenario


def _num(value) -> float:
    return round(float(value), 6) + 0.0


def _analysis(g: Graph, extra) -> None:
    for row in concentration(g).itertuples(index=False):
        extra[row.id].update(top_country=row.top_country, top_share=_num(row.top_share), hhi=_num(row.hhi),
                             share_unknown=_num(row.share_unknown))
    for row in target(g, all_items=True).itertuples(index=False):
        extra[row.id]["target_status"] = row.status
        if row.status != "no data":
            extra[row.id]["evidence"] = row.evidence
    for row in find_chokepoints(g).itertuples(index=False):
        values = {"chokepoint_score": _num(row.score), "knockout_loss": _num(row.knockout_loss),
                  "exposure": _num(row.exposure), "products_hit": int(row.products_hit)}
        if row.worst_country:
            values["worst_country"] = row.worst_country
        extra[row.id].update(values)


def _cutoff(g: Graph, countries, blocs, extra) -> dict:
    result = cutoff(g, countries=tuple(countries), blocs=tuple(blocs))
    for row in result.nodes.itertuples(index=False):
        values = {"availability": _num(row.availability), "availability_low": _num(row.availability_low),
                  "availability_high": _num(row.availability_high), "loss": _num(1.0 - row.availability),
                  "loss_low": _num(1.0 - row.availability_high), "loss_high": _num(1.0 - row.availability_low)}
        if row.months_to_shortage == row.months_to_shortage and math.isfinite(row.months_to_shortage):
            values["months_to_shortage"] = _num(row.months_to_shortage)
        extra[row.id].update(values)
    return {"countries": list(result.countries), "blocs": list(result.blocs)}
