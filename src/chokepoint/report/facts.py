"""The report figures behind the bundled graphs: ``graphs/facts.csv`` as shipped with the package.

An edge's ``fact`` names a row of that table (``F01``) or a row of a data release
(``USGS-T5:<mineral>``, ``USGS-MCS2025:<row>``) that is not in it; :func:`cited_facts` says which.
"""

from __future__ import annotations

from ..formats.facts import FACT_COLUMNS, facts_path, load_facts

__all__ = ["FACT_COLUMNS", "cited_facts", "facts_path", "load_facts"]


def cited_facts(graph, facts: dict[str, dict] | None = None) -> list[dict]:
    """The facts.csv rows the graph's edges cite, in facts.csv order (ids not in the table are left out)."""
    facts = load_facts() if facts is None else facts
    cited = {e.fact for e in graph.document.edges if e.fact}
    return [row for ident, row in facts.items() if ident in cited]
