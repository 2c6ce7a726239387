"""The compiled propagation engine: a graph compiled once to arrays, many scenarios evaluated at once.

Public names: :func:`compile_graph` (from a :class:`~chokepoint.model.Graph`),
:func:`compile_tables` and :func:`compile_arrays` (from columns), :class:`CompiledGraph`,
:func:`evaluate` and :func:`shortage_months`; :func:`knockout_batches` (every node knocked out in
turn, only where it changes anything, under several share vectors at once).
:mod:`chokepoint.engine.reference` is the node-by-node reference propagation: the oracle the tests
hold the engine to.
"""

from .compile import (
    COMPONENT, COUNTRY, FACILITY, KIND_CODES, MATERIAL, PRODUCT, REQUIRES, SUPPLIES, CompiledGraph, compile_arrays,
    compile_graph, compile_tables, exact_row_sums,
)
from .evaluate import DEFAULT_MEMORY, default_chunk, evaluate, evaluate_scenarios, scenario_matrix, shortage_months
from .knockout import knockout_batches, knockout_products
from .settle import MAX_ITERATIONS, TOLERANCE

__all__ = [
    "COMPONENT", "COUNTRY", "FACILITY", "KIND_CODES", "MATERIAL", "PRODUCT", "REQUIRES", "SUPPLIES",
    "CompiledGraph", "compile_arrays", "compile_graph", "compile_tables", "exact_row_sums",
    "DEFAULT_MEMORY", "default_chunk", "evaluate", "evaluate_scenarios", "scenario_matrix", "shortage_months",
    "MAX_ITERATIONS", "TOLERANCE", "knockout_batches", "knockout_products",
]
