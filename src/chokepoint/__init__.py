"""chokepoint: supply-chain dependency graphs from technology reports, and the questions to ask them.

The layers (``docs/architecture.md``): :mod:`chokepoint.model` (the document, its vocabulary,
validation) -> :mod:`chokepoint.formats` (files) -> :mod:`chokepoint.engine` (compiled
propagation) -> :mod:`chokepoint.analysis` -> :mod:`chokepoint.api` (the facade, re-exported
here) -> :mod:`chokepoint.plot` -> :mod:`chokepoint.cli`.
"""

from .lazy import lazy_names

from .version import __version__
from .errors import ChokepointError, InputError, UnknownCountryError, ValidationError

#: The public names that load the library (pydantic, pandas, networkx: half a second), by the module that
#: holds them; they are imported on first use (PEP 562), so that `chokepoint --help` and `import chokepoint`
#: stay fast. tests/test_startup.py checks that each resolves.
_LAZY = {
    **dict.fromkeys(["LEVELS", "Document", "Edge", "Graph", "Node", "Share", "Source", "to_digraph"], "model"),
    **dict.fromkeys(["bundled_names", "load_graph", "save_graph"], "formats.graphs"),
    **dict.fromkeys([
        "analyse", "concentration", "cutoff", "edges_table", "explain", "export_graph", "find_chokepoints",
        "list_graphs", "monte_carlo_cutoff", "monte_carlo_target", "nodes_table", "plan", "sensitivity", "show",
        "sweep", "target", "timeline", "validate", "write_table",
    ], "api"),
}

__all__ = [
    "__version__", "ChokepointError", "InputError", "UnknownCountryError", "ValidationError",
    "Graph", "to_digraph", "bundled_names", "load_graph", "save_graph",
    "LEVELS", "Document", "Edge", "Node", "Share", "Source",
    "analyse", "concentration", "cutoff", "edges_table", "export_graph", "find_chokepoints", "list_graphs",
    "nodes_table", "show", "sweep", "target", "validate", "monte_carlo_cutoff", "monte_carlo_target",
    "explain", "sensitivity", "timeline", "plan", "write_table",
]


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
