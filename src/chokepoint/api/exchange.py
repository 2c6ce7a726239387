"""Files for other tools (``export``): GraphML, GEXF, CSV and node-link JSON, with the analysis columns."""

from __future__ import annotations

import warnings
from pathlib import Path

from ..analysis import columns as _columns
from ..formats.exchange import export_format, export_table, export_targets, to_export_digraph, write_export
from ..formats.export import analysis_left_out
from .graphs import as_graph

__all__ = ["export_digraph", "export_graph"]


def export_graph(graph, path, *, format: str | None = None, with_cutoff=(), blocs=(), analysis: bool | None = None,
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
        Add concentration, target status and chokepoint scores (True), or not (False). By default
        (None) they are added to graphs of at most
        :data:`~chokepoint.formats.export.ANALYSIS_MAX_EDGES` (100,000) edges; a larger graph is
        written without them, with a warning, and the file says why in its ``analysis`` graph
        attribute (GraphML's metadata comment, node-link JSON's ``graph``).
    force
        Overwrite files chokepoint did not write (ours are always replaced).

    Returns the paths written. Each file is written in one streaming pass from the graph's columns,
    whole or not at all (temporary file and rename).
    """
    fmt = export_format(path, format)
    export_targets(path, fmt, force=force)  # refused before anything is computed
    g = as_graph(graph)
    note = None
    if analysis is None:
        note = analysis_left_out(len(g.columns.edges))
        analysis = note is None
        if note is not None:
            warnings.warn(note, stacklevel=2)
    columns, scenario = _columns.node_columns(g, with_cutoff=with_cutoff, blocs=blocs, analysis=analysis)
    return write_export(export_table(g, columns, scenario, note=note), path, fmt, force=force)


def export_digraph(graph, *, with_cutoff=(), blocs=(), analysis: bool = True):
    """The clean networkx DiGraph every export format is written from: the document's fields, the
    analysis columns (with ``analysis``), availability under a cutoff (``with_cutoff``/``blocs``)
    and the visual attributes Gephi reads. See :func:`chokepoint.formats.exchange.to_export_digraph`."""
    g = as_graph(graph)
    columns, scenario = _columns.node_columns(g, with_cutoff=with_cutoff, blocs=blocs, analysis=analysis)
    return to_export_digraph(g, columns, scenario)
