"""Evidence: the figures behind a node (``explain``) and which estimate matters (``sensitivity``)."""

from __future__ import annotations

from ..analysis.explain import Explanation, check_node, explain as _explain
from ..analysis.scenarios import resolve_cut
from ..analysis.sensitivity import Sensitivity, sensitivity as _sensitivity
from ..formats.facts import load_facts
from .graphs import as_graph
from .scenarios import cutoff

__all__ = ["Explanation", "Sensitivity", "explain", "sensitivity"]


def explain(graph, node: str, *, countries=(), blocs=()) -> Explanation:
    """The evidence behind ``node`` (see :func:`chokepoint.analysis.explain.explain`).

    For each supplies edge into it: the share as written, its range, ``reported``/``estimated``,
    basis, year, source title and the cited fact's row of ``graphs/facts.csv`` (report, item,
    statement, seed file and line); for each requires edge: its note. With ``countries``/``blocs``,
    also the chain that explains the node's loss under that cutoff, with the assumptions on it.
    """
    g = as_graph(graph)
    check_node(g, node)
    facts = load_facts()
    if not (countries or blocs):
        return _explain(g, node, facts)
    result = cutoff(g, countries=countries, blocs=blocs)
    avail = dict(zip(result.nodes["id"], result.nodes["availability"].astype(float)))
    return _explain(g, node, facts, avail=avail, countries=result.countries, blocs=result.blocs)


def sensitivity(graph, *, countries=(), blocs=(), products=(), top: int = 10) -> Sensitivity:
    """Rank the products' availability swings, under a cutoff, as each estimated share goes from
    the low to the high end of its range (see :func:`chokepoint.analysis.sensitivity.sensitivity`)."""
    g = as_graph(graph)
    cut = resolve_cut(countries, blocs)
    return _sensitivity(g, cut.codes, blocs=cut.blocs, products=tuple(products or ()), top=top)
