"""The Python API: the functions the CLI calls, with the same names and keywords."""

from __future__ import annotations

import pandas as pd

from .graph import Graph
from .io import bundled_names, load_graph


def _graph(graph) -> Graph:
    return graph if isinstance(graph, Graph) else load_graph(graph)


def list_graphs() -> pd.DataFrame:
    """The bundled graphs: name, title, nodes, edges, products."""
    rows = []
    for name in bundled_names():
        loaded = load_graph(name)
        rows.append({"name": name, "title": loaded.title, "nodes": len(loaded.nodes),
                     "edges": len(loaded.document.edges), "products": len(loaded.products)})
    return pd.DataFrame(rows, columns=["name", "title", "nodes", "edges", "products"])


def nodes_table(graph) -> pd.DataFrame:
    """One row per node: id, kind, label, stage, country, needs, critical_mineral, stockpile_months."""
    g = _graph(graph)
    rows = [{
        "id": n.id, "kind": n.kind, "label": g.label(n.id), "stage": n.stage or "",
        "country": n.country or "", "needs": n.needs if n.id in g.inputs else "",
        "critical_mineral": n.critical_mineral, "stockpile_months": n.stockpile_months,
    } for n in g.document.nodes]
    return pd.DataFrame(rows)


def edges_table(graph) -> pd.DataFrame:
    """One row per edge with the share as written, its range, and its citation."""
    g = _graph(graph)
    rows = []
    for e in g.document.edges:
        rows.append({
            "from": e.from_, "to": e.to, "type": e.type,
            "share": str(e.share) if e.share else "",
            "basis": e.basis or "", "year": e.year, "source": e.source or "",
            "fact": e.fact or "", "estimated": e.estimated,
        })
    frame = pd.DataFrame(rows, columns=["from", "to", "type", "share", "basis", "year", "source", "fact", "estimated"])
    frame["year"] = frame["year"].astype("Int64")
    return frame
