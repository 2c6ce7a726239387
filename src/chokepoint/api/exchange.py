"""Files for other tools (``export``): GraphML, GEXF, CSV and node-link JSON, with the analysis columns."""

from __future__ import annotations

from pathlib import Path

from ..analysis import columns as _columns
from ..formats.exchange import export_format, export_table, export_targets, to_export_digraph, write_export
from .graphs import as_graph

__all__ = ["export_digraph", "export_graph"]


def export_graph(graph, path, *, format: str | None = None, with_cutoff=(), blocs=(), analysis: bool = True,
                 force: bool = False) -> list[Path]:
    """Write ``graph`` as GraphML, GEXF, CSV (nodes.csv + edges.csv) or node-link JSON.

    Parameters
    ----------
    graph
        A :class:`~chokepoint.model.Graph`, a bundled graph's name or a path.
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

    Returns the paths written. Each file is written in one streaming pass from the graph's columns,
    whole or not at all (temporary file and rename).
    """
    fmt = export_format(path, format)
    export_targets(path, fmt, force=force)  # refused before anything is computed
    g = as_graph(graph)
    columns, scenario = _columns.node_columns(g, with_cutoff=with_cutoff, blocs=blocs, analysis=analysis)
    return write_export(export_table(g, columns, scenario), path, fmt, force=force)


def export_digraph(graph, *, with_cutoff=(), blocs=(), analysis: bool = True):
    """The clean networkx DiGraph every export format is written from: the document's fields, the
    analysis columns (with ``analysis``), availability under a cutoff (``with_cutoff``/``blocs``)
    and the visual attributes Gephi reads. See :func:`chokepoint.formats.exchange.to_export_digraph`."""
    g = as_graph(graph)
    columns, scenario = _columns.node_columns(g, with_cutoff=with_cutoff, blocs=blocs, analysis=analysis)
    return to_export_digraph(g, columns, scenario)
