"""chokepoint: supply-chain dependency graphs from technology reports, and the questions to ask them.

The layers (``docs/architecture.md``): :mod:`chokepoint.model` (the document, its vocabulary,
validation) -> :mod:`chokepoint.formats` (files) -> :mod:`chokepoint.engine` (compiled
propagation) -> :mod:`chokepoint.analysis` -> :mod:`chokepoint.api` (the facade, re-exported
here) -> :mod:`chokepoint.plot` -> :mod:`chokepoint.cli`.
"""

from .version import __version__
from .errors import ChokepointError, InputError, UnknownCountryError, ValidationError
from .model import LEVELS, Document, Edge, Graph, Node, Share, Source, to_digraph
from .formats.graphs import bundled_names, load_graph, save_graph
from .api import (
    analyse, concentration, cutoff, edges_table, explain, export_graph, find_chokepoints, list_graphs,
    monte_carlo_cutoff, monte_carlo_target, nodes_table, plan, sensitivity, show, sweep, target, timeline, validate,
)

__all__ = [
    "__version__", "ChokepointError", "InputError", "UnknownCountryError", "ValidationError",
    "Graph", "to_digraph", "bundled_names", "load_graph", "save_graph",
    "LEVELS", "Document", "Edge", "Node", "Share", "Source",
    "analyse", "concentration", "cutoff", "edges_table", "export_graph", "find_chokepoints", "list_graphs",
    "nodes_table", "show", "sweep", "target", "validate", "monte_carlo_cutoff", "monte_carlo_target",
    "explain", "sensitivity", "timeline", "plan",
]
