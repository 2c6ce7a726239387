"""The graph itself: the bundled graphs, validation, the graph as tables (``list``, ``validate``, ``show``);
and :func:`as_graph`, which every function of the API calls on its ``graph`` argument."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from ..errors import ValidationError
from ..formats.graphs import bundled_names, dump_document, load_graph
from ..model import Graph

__all__ = ["Graph", "GraphView", "Validation", "as_graph", "edges_table", "list_graphs", "load_graph", "nodes_table",
           "show", "validate"]


def as_graph(graph) -> Graph:
    """``graph`` itself when it is a :class:`~chokepoint.model.Graph`, else the graph loaded (and validated)
    from a bundled graph's name or a path."""
    return graph if isinstance(graph, Graph) else load_graph(graph)


def list_graphs() -> pd.DataFrame:
    """The bundled graphs: name, title, nodes, edges, products."""
    rows = []
    for name in bundled_names():
        loaded = load_graph(name)
        rows.append({"name": name, "title": loaded.title, "nodes": len(loaded.nodes),
                     "edges": loaded.n_edges, "products": len(loaded.products)})
    return pd.DataFrame(rows, columns=["name", "title", "nodes", "edges", "products"])


@dataclass(frozen=True)
class Validation:
    """A graph that validated: its size and its warnings."""

    graph: Graph

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.graph.warnings

    def to_dict(self) -> dict:
        return {"graph": self.graph.origin, "valid": True, "nodes": self.graph.n_nodes,
                "edges": self.graph.n_edges, "warnings": list(self.warnings)}


def validate(graph, *, strict: bool = False) -> Validation:
    """Load and validate a graph; with ``strict`` its warnings are errors (raised as one
    :class:`~chokepoint.errors.ValidationError` listing them all)."""
    g = as_graph(graph)
    if strict and g.warnings:
        count = len(g.warnings)
        raise ValidationError([*g.warnings, f"{g.origin}: {count} warning{'s' if count != 1 else ''} with --strict"])
    return Validation(g)


@dataclass(frozen=True)
class GraphView:
    """What ``chokepoint show`` shows: the validated graph as tables, or as the document's JSON."""

    graph: Graph

    @cached_property
    def nodes(self) -> pd.DataFrame:
        return nodes_table(self.graph)

    @cached_property
    def edges(self) -> pd.DataFrame:
        return edges_table(self.graph)

    def json_text(self) -> str:
        """The whole resolved document as JSON, with the file format's field names."""
        return dump_document(self.graph, "json")


def show(graph) -> GraphView:
    """The validated graph: nodes and edges as tables (built when asked for), or the document."""
    return GraphView(as_graph(graph))


def nodes_table(graph) -> pd.DataFrame:
    """One row per node: id, kind, label, stage, country, needs, critical_mineral, stockpile_months."""
    g = as_graph(graph)
    rows = [{
        "id": n.id, "kind": n.kind, "label": g.label(n.id), "stage": n.stage or "",
        "country": n.country or "", "needs": n.needs if n.id in g.inputs else "",
        "critical_mineral": n.critical_mineral, "stockpile_months": n.stockpile_months,
    } for n in g.document.nodes]
    return pd.DataFrame(rows)


def edges_table(graph) -> pd.DataFrame:
    """One row per edge with the share as written, its range, and its citation."""
    g = as_graph(graph)
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
