"""Reports: a self-contained HTML report (:mod:`.html`) and an Excel workbook (:mod:`.workbook`).

Both take a :class:`~chokepoint.graph.Graph` (or a bundled name or path) and the country
scenarios to precompute. Nothing here fetches anything: the report's JavaScript is the vendored
copy of cytoscape.js in ``vendor/`` (see ``vendor/PROVENANCE.md``).
"""

from __future__ import annotations

from .facts import cited_facts, load_facts
from .html import build_report, write_report
from .workbook import workbook_bytes, write_workbook

__all__ = ["build_report", "write_report", "workbook_bytes", "write_workbook", "load_facts", "cited_facts"]
