"""Export a graph for Gephi (GraphML, GEXF), spreadsheets (CSV) and scripts (node-link JSON).

Every format is built from one clean :class:`networkx.DiGraph` (:func:`to_export_digraph`): the
document's fields under the file format's names, the analysis an analyst colours and sizes by
(concentration, target status, chokepoint score, and availability under a cutoff), and the
visual properties Gephi reads (``label``, ``x``, ``y``, ``size``, ``color``). The GraphML and
GEXF writers are our own, so that the rules of ``gephi.md`` hold by construction and the output
is byte-stable: typed keys per attribute, plain scalars, nothing missing written, weights only
where positive, NMTOKEN ids, no graph-level data.

Document-level fields (name, title, description, sources) travel inside the file as a JSON
comment (``<!-- chokepoint-meta: {...} -->``), which every reader ignores; :func:`read_graphml`
and :func:`node_link_to_data` turn an export back into a graph document (analysis attributes
are dropped) that validates to the same :class:`~chokepoint.model.Document`.
"""


from __future__ import annotations

import json
import math
from collections import defaultdict
from pathlib import Path

import networkx as nx

from .errors import InputError
from .formats import (  # noqa: F401 - the formats' public names are the export's
    ANALYSIS_FIELDS, COLUMN_ORDER, CUTOFF_FIELDS, EDGE_FIELDS, FORMATS, GENERATOR, GRAPHML_NS, KIND_COLORS, KIND_ORDER,
    MARKER, NODE_FIELDS, RESERVED, SUFFIXES, VISUAL, csv_paths, csv_texts, gexf_text, graphml_text, is_node_link,
    _edges, _public, export_ids, node_link, node_link_to_data, read_graphml,
)
from .graph import Graph
from .io import atomic_write, check_overwrite, load_graph, written_by_chokepoint  # noqa: F401

# --- the export graph --------------------------------------------------------------------------

def to_export_digraph(graph, *, with_cutoff=(), blocs=(), analysis: bool = True) -> nx.DiGraph:
    """The graph as a clean DiGraph: document fields, analysis and visual attributes, plain scalars.

    Parameters
    ----------
    graph
        A :class:`~chokepoint.graph.Graph`, a bundled graph's name or a path.
    with_cutoff, blocs
        Countries and/or blocs cut off together (one scenario); adds ``availability``, ``loss``
        and ``months_to_shortage`` per node.
    analysis
        Add concentration, target status and chokepoint scores (slow on very large graphs).

    Node ids that are not NMTOKEN-safe are mapped to ``<cleaned>_<hash>`` and the original is kept
    in ``doc_id``. Graph attributes hold the document-level fields (``name``, ``title``,
    ``description``, ``sources``) and the ``scenario``; ``_edge_order`` (private, never written)
    keeps the document's edge order, which networkx's adjacency order does not.
    """
    g = graph if isinstance(graph, Graph) else load_graph(graph)
    ids = export_ids(list(g.nodes))
    extra = _analysis(g) if analysis else defaultdict(dict)
    scenario = None
    if with_cutoff or blocs:
        scenario = _cutoff(g, with_cutoff, blocs, extra)
    layout = layered_layout(g)
    columns = 1 + max((c for c, _ in layout.values()), default=0)
    height = max(1, max(sum(1 for c, _ in layout.values() if c == col) for col in range(columns)))
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





def _num(value) -> float:
    return round(float(value), 6) + 0.0


def _analysis(g: Graph) -> dict[str, dict]:
    from .api import concentration, find_chokepoints, target

    extra: dict[str, dict] = defaultdict(dict)
    for row in concentration(g).itertuples(index=False):
        extra[row.id].update(top_country=row.top_country, top_share=_num(row.top_share), hhi=_num(row.hhi),
                             share_unknown=_num(row.share_unknown))
    for row in target(g, all_items=True).itertuples(index=False):
        extra[row.id]["target_status"] = row.status
    for row in find_chokepoints(g).itertuples(index=False):
        values = {"chokepoint_score": _num(row.score), "knockout_loss": _num(row.knockout_loss),
                  "exposure": _num(row.exposure), "products_hit": int(row.products_hit)}
        if row.worst_country:
            values["worst_country"] = row.worst_country
        extra[row.id].update(values)
    return extra


def _cutoff(g: Graph, countries, blocs, extra) -> dict:
    from .api import cutoff

    result = cutoff(g, countries=tuple(countries), blocs=tuple(blocs))
    for row in result.nodes.itertuples(index=False):
        values = {"availability": _num(row.availability), "loss": _num(1.0 - row.availability)}
        if row.months_to_shortage == row.months_to_shortage and math.isfinite(row.months_to_shortage):
            values["months_to_shortage"] = _num(row.months_to_shortage)
        extra[row.id].update(values)
    return {"countries": list(result.countries), "blocs": list(result.blocs)}


def _meta(g: Graph, scenario) -> dict:
    data = g.document.to_dict()
    meta = {"generator": GENERATOR, "name": data["name"], "title": data["title"]}
    for key in ("description", "sources"):
        if key in data:
            meta[key] = data[key]
    if scenario:
        meta["scenario"] = scenario
    return meta


def layered_layout(graph) -> dict[str, tuple[int, float]]:
    """Column and vertical position (0 top .. 1 bottom) of every node, suppliers left, products right.

    Columns go by kind (countries, facilities, materials, components, products); an item that
    requires another of its own kind sits in a column further right (longest chain, cycles
    condensed). Within a column nodes are ordered by the mean position of their neighbours
    (a few barycentre sweeps, ties by id), so that edges cross little. Deterministic.
    """
    g = graph if isinstance(graph, Graph) else load_graph(graph)
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
    slots = sorted({(KIND_ORDER.index(g.nodes[n].kind), depth[n]) for n in g.nodes})
    column = {n: slots.index((KIND_ORDER.index(g.nodes[n].kind), depth[n])) for n in g.nodes}
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


def export_graph(graph, path, *, format: str | None = None, with_cutoff=(), blocs=(), analysis: bool = True,
                 force: bool = False) -> list[Path]:
    """Write ``graph`` as GraphML, GEXF, CSV (nodes.csv + edges.csv) or node-link JSON.

    Parameters
    ----------
    graph
        A :class:`~chokepoint.graph.Graph`, a bundled graph's name or a path.
    path
        The file to write; for CSV a folder (created) or a ``PREFIX.csv``.
    format
        ``graphml``, ``gexf``, ``csv`` or ``json``; by default from the suffix.
    with_cutoff, blocs
        Add ``availability``/``loss`` under this cutoff (countries and blocs together).
    analysis
        Add concentration, target status and chokepoint scores.
    force
        Overwrite files chokepoint did not write (ours are always replaced).

    Returns the paths written. Each file is written whole or not at all (temporary file and rename).
    """
    fmt = export_format(path, format)
    targets = list(csv_paths(path)) if fmt == "csv" else [Path(path)]
    for target in targets:
        check_overwrite(target, force=force)
    digraph = to_export_digraph(graph, with_cutoff=with_cutoff, blocs=blocs, analysis=analysis)
    if fmt == "graphml":
        contents = [graphml_text(digraph)]
    elif fmt == "gexf":
        contents = [gexf_text(digraph)]
    elif fmt == "json":
        contents = [json.dumps(node_link(digraph), indent=2, ensure_ascii=False, allow_nan=False) + "\n"]
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
        for target, content in zip(targets, contents):
            atomic_write(target, content, force=True)
    except OSError as exc:
        if created and not any(folder.iterdir()):
            folder.rmdir()
        raise InputError(f"{targets[0]}: cannot write ({exc.strerror or exc})") from None
    return targets

