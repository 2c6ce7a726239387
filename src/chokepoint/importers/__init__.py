"""Importers: turn published tables into graph documents.

Each importer returns an :class:`ImportResult`: a graph document as plain data (the pinned file
format of ``docs/file-format.md``, ready for ``yaml.safe_dump``/``json.dumps``), the rows it did
not turn into an edge (each with its row number and the reason), and a few summary lines.

- :func:`import_usgs`: the USGS Mineral Commodity Summaries world-production data release.
- :func:`import_table`: a tidy CSV or Excel table, one row per (item, stage, country, value).

An imported graph holds materials (or other items) and the countries that supply them; it has no
product nodes unless the table names some, and the importers add nothing artificial to make one.
"""

from .common import ImportResult, slugify
from .table import import_table
from .usgs import import_usgs

__all__ = ["ImportResult", "import_table", "import_usgs", "slugify"]
