"""The Python API: one function per CLI command, with the same names and keywords.

Each function takes a :class:`~chokepoint.model.Graph`, a bundled graph's name or a path, loads
and validates it once, and returns a result the CLI renders (a frozen object with ``to_dict()``,
or a DataFrame). Everything the CLI can ask for (Monte Carlo draws, Dask workers, strict
validation) is a keyword here, so that a command is one call.

The functions live in a module per concern, and a command loads only its own module's imports
(``chokepoint cutoff`` does not load the linear programme's scipy.optimize, networkx's chokepoint
analysis or the exporters): :mod:`~chokepoint.api.graphs` (``list_graphs``, ``validate``, ``show``,
``nodes_table``, ``edges_table``), :mod:`~chokepoint.api.scenarios` (``cutoff``, ``sweep``),
:mod:`~chokepoint.api.targets` (``target``, ``concentration``), :mod:`~chokepoint.api.chokepoints`
(``find_chokepoints``, ``analyse``), :mod:`~chokepoint.api.evidence` (``explain``, ``sensitivity``),
:mod:`~chokepoint.api.remedies` (``timeline``, ``plan``), :mod:`~chokepoint.api.exchange` (``export_graph``),
:mod:`~chokepoint.api.build` (``generate``, ``import_usgs``, ``import_table``) and
:mod:`~chokepoint.api.rows` (``records``: rows for JSON). This package gives every one of their
public names (``chokepoint.api.cutoff``), each imported on first use (PEP 562) from the module
named in :data:`_LAZY`.
"""

from ..lazy import lazy_names

#: Each public name of the API, by the module of this package that holds it (tests/test_startup.py
#: checks that each resolves and that every module's ``__all__`` is here).
_LAZY = {
    **dict.fromkeys(["Graph", "GraphView", "Validation", "as_graph", "edges_table", "list_graphs", "load_graph",
                     "nodes_table", "show", "validate"], "graphs"),
    **dict.fromkeys(["iter_records", "records"], "rows"),
    **dict.fromkeys(["concentration", "monte_carlo_target", "target"], "targets"),
    **dict.fromkeys(["CutoffResult", "PRODUCT_COLUMNS", "SweepResult", "cutoff", "cutoff_table", "monte_carlo_cutoff",
                     "sweep", "write_table"], "scenarios"),
    **dict.fromkeys(["Analysis", "analyse", "find_chokepoints"], "chokepoints"),
    **dict.fromkeys(["Explanation", "Sensitivity", "explain", "sensitivity"], "evidence"),
    **dict.fromkeys(["PlanResult", "TimelineResult", "plan", "timeline"], "remedies"),
    **dict.fromkeys(["export_digraph", "export_graph"], "exchange"),
    **dict.fromkeys(["GeneratedFile", "ImportResult", "generate", "import_table", "import_usgs"], "build"),
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy_names(__name__, _LAZY)
