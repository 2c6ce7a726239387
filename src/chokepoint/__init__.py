"""chokepoint: supply-chain dependency graphs from technology reports, and the questions to ask them."""

__version__ = "0.1.0"

from .errors import ChokepointError, InputError, UnknownCountryError, ValidationError  # noqa: E402
from .graph import Graph, to_digraph  # noqa: E402
from .io import bundled_names, load_graph, save_graph  # noqa: E402
from .model import LEVELS, Document, Edge, Node, Share, Source  # noqa: E402
from .api import (  # noqa: E402
    analyse, concentration, cutoff, edges_table, find_chokepoints, list_graphs, monte_carlo_cutoff,
    monte_carlo_target, nodes_table, sweep, target,
)

__all__ = [
    "ChokepointError", "InputError", "UnknownCountryError", "ValidationError",
    "Graph", "to_digraph", "bundled_names", "load_graph", "save_graph",
    "LEVELS", "Document", "Edge", "Node", "Share", "Source",
    "analyse", "concentration", "cutoff", "edges_table", "find_chokepoints", "list_graphs", "nodes_table",
    "sweep", "target", "monte_carlo_cutoff", "monte_carlo_target",
]
