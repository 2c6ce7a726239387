"""The lowest layer: the graph document, its vocabulary, validation, countries and blocs.

Nothing here reads files or runs an analysis; :mod:`chokepoint.formats` reads the files and hands
plain data to :func:`parse_document`.
"""

from .countries import country_name, is_country_code, resolve_bloc, resolve_country
from .document import Document, Edge, Include, Node, Share, Source
from .graph import Graph, Supply, to_digraph
from .schema import DEFAULT_THRESHOLD, ITEM_KINDS, KINDS, LEVELS, SUM_TOLERANCE, SUPPLIER_KINDS
from .validate import Problems, parse_document, parse_includes

__all__ = [
    "country_name", "is_country_code", "resolve_bloc", "resolve_country",
    "Document", "Edge", "Include", "Node", "Share", "Source", "Graph", "Supply", "to_digraph",
    "DEFAULT_THRESHOLD", "ITEM_KINDS", "KINDS", "LEVELS", "SUM_TOLERANCE", "SUPPLIER_KINDS",
    "Problems", "parse_document", "parse_includes",
]
