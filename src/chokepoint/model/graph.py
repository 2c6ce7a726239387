"""A validated graph and the structure derived from it (suppliers, inputs, products).

:class:`Graph` wraps a :class:`~chokepoint.model.Document` or, for large graphs, its
:class:`~chokepoint.model.columnar.GraphColumns`; either is made from the other when asked for
(the pydantic document of a million edges costs seconds: the engine and the scale paths read the
columns). It is never mutated. ``to_digraph`` gives the networkx view (the model for small graphs
and the reference for results).
"""

from __future__ import annotations

import gc
import math
from collections import defaultdict
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from .columnar import GraphColumns
from .countries import country_name
from .document import Document, Edge, Node
from .schema import ITEM_KINDS

if TYPE_CHECKING:
    import networkx as nx


class Supply(NamedTuple):
    """One supplier of an item: ``share`` is the point value used in propagation (normalised).

    A named tuple (not a dataclass): a 1M-edge graph builds hundreds of thousands of them."""

    supplier: str
    country: str | None
    share: float
    edge: Edge


@contextmanager
def gc_paused():
    """The cyclic garbage collector off while many small objects are made: on a large graph each
    of its full passes walks the millions of objects of the document (seconds per pass)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _first_two(entry):
    return entry[0], entry[1]


class Graph:
    """A validated supply graph. Build it with :func:`chokepoint.load_graph` or ``Graph(document)``."""

    def __init__(self, document: Document | None = None, *, columns: GraphColumns | None = None,
                 origin: str | None = None, warnings: tuple[str, ...] = ()):
        if document is None and columns is None:
            raise TypeError("a Graph needs a document or its columns")
        if document is not None:
            self.__dict__["document"] = document
        if columns is not None:
            self.__dict__["columns"] = columns
        head = document if document is not None else columns
        self.name, self.title = head.name, head.title
        self.origin = origin or head.name
        self.warnings = tuple(warnings)

    def __repr__(self) -> str:
        return f"<Graph {self.name!r}: {self.n_nodes} nodes, {self.n_edges} edges>"

    @cached_property
    def document(self) -> Document:
        """The pydantic document (made from the columns on first use when the graph was read as columns)."""
        with gc_paused():
            return self.columns.to_document()

    @cached_property
    def columns(self) -> GraphColumns:
        """The nodes and edges as columns (made from the document on first use)."""
        with gc_paused():
            return GraphColumns.from_document(self.document)

    @property
    def n_nodes(self) -> int:
        return len(self.document.nodes) if "document" in self.__dict__ else len(self.columns.nodes)

    @property
    def n_edges(self) -> int:
        return len(self.document.edges) if "document" in self.__dict__ else len(self.columns.edges)

    @cached_property
    def labels(self) -> dict[str, str]:
        """Every node's label: its own, a country's name, or its id."""
        return dict(zip(self.columns.nodes["id"].tolist(), self.label_column().tolist()))

    def label_column(self, rows=None) -> np.ndarray:
        """The labels (see :attr:`labels`) of the nodes at ``rows`` (positions in the node table;
        all by default), as an object array."""
        nodes = self.columns.nodes
        label, ident = nodes["label"].to_numpy(dtype=object), nodes["id"].to_numpy(dtype=object)
        kind = nodes["kind"].to_numpy(dtype=object)
        if rows is not None:
            label, ident, kind = label[rows], ident[rows], kind[rows]
        label = label.copy()
        empty = np.flatnonzero([not value for value in label.tolist()])
        if len(empty):
            fill = ident[empty]
            country = np.flatnonzero(kind[empty] == "country")
            fill[country] = [country_name(code) for code in fill[country].tolist()]
            label[empty] = fill
        return label

    @cached_property
    def kinds(self) -> dict[str, str]:
        """Every node's kind by id."""
        nodes = self.columns.nodes
        return dict(zip(nodes["id"].tolist(), nodes["kind"].tolist()))

    @cached_property
    def nodes(self) -> dict[str, Node]:
        return {node.id: node for node in self.document.nodes}

    def label(self, node_id: str) -> str:
        return self.labels[node_id]

    def country_of(self, node_id: str) -> str | None:
        """The country a supplier stands for: itself, or a facility's country."""
        node = self.nodes[node_id]
        if node.kind == "country":
            return node.id
        if node.kind == "facility":
            return node.country
        return None

    @cached_property
    def supplies(self) -> dict[str, tuple[Supply, ...]]:
        """Suppliers of each item, with point shares scaled down when they sum past 1."""
        with gc_paused():
            raw: dict[str, list[tuple[float, str, Edge]]] = defaultdict(list)
            for edge in self.document.edges:
                if edge.type == "supplies":
                    raw[edge.to].append((-edge.share.point, edge.from_, edge))
            country = {n.id: n.id if n.kind == "country" else n.country for n in self.document.nodes
                       if n.kind in ("country", "facility")}
            result = {}
            for item, entries in raw.items():
                entries.sort(key=_first_two)  # by share, descending, then supplier
                total = -math.fsum(e[0] for e in entries)  # exact: independent of file order
                scale = 1.0 / total if total > 1.0 else 1.0
                result[item] = tuple(Supply(supplier, country.get(supplier), -neg * scale, edge)
                                     for neg, supplier, edge in entries)
            return result

    @cached_property
    def inputs(self) -> dict[str, tuple[str, ...]]:
        """Inputs (``requires`` edges) of each node, sorted by id."""
        with gc_paused():
            result: dict[str, list[str]] = defaultdict(list)
            for edge in self.document.edges:
                if edge.type == "requires":
                    result[edge.to].append(edge.from_)
            return {node: tuple(sorted(ids)) for node, ids in result.items()}

    def unknown_share(self, item: str) -> float:
        """The share of an item's supply left to other or unknown suppliers."""
        supplies = self.supplies.get(item, ())
        if not supplies:
            return 1.0
        return max(0.0, 1.0 - math.fsum(s.share for s in supplies))

    @cached_property
    def items(self) -> tuple[str, ...]:
        nodes = self.columns.nodes
        return tuple(nodes["id"][nodes["kind"].isin(ITEM_KINDS)].tolist())

    @cached_property
    def countries(self) -> tuple[str, ...]:
        """Countries that supply something, directly or through a facility, sorted."""
        nodes, edges = self.columns.nodes, self.columns.edges
        kind = nodes["kind"].to_numpy(dtype=object)
        country = dict(zip(nodes["id"][kind == "country"].tolist(), nodes["id"][kind == "country"].tolist()))
        facility = kind == "facility"
        country.update(zip(nodes["id"][facility].tolist(), nodes["country"][facility].tolist()))
        suppliers = set(edges["from"][edges["type"].to_numpy(dtype=object) == "supplies"].tolist())
        found = {country.get(s) for s in suppliers} | set(nodes["country"][facility].tolist())
        return tuple(sorted(c for c in found if c))

    @cached_property
    def products(self) -> tuple[str, ...]:
        """Product nodes; in a graph without any (an imported data table), its end items."""
        nodes, edges = self.columns.nodes, self.columns.edges
        products = nodes["id"][nodes["kind"].to_numpy(dtype=object) == "product"].tolist()
        if products:
            return tuple(products)
        used = set(edges["from"][edges["type"].to_numpy(dtype=object) == "requires"].tolist())
        return tuple(i for i in self.items if i not in used)

    @cached_property
    def aggregates(self) -> tuple[str, ...]:
        """Products whose inputs are other products (an "any modality" roll-up): reported, but not
        counted again in averages over products."""
        nodes, edges = self.columns.nodes, self.columns.edges
        src, dst = self.columns.ends
        product = nodes["kind"].to_numpy(dtype=object) == "product"
        requires = edges["type"].to_numpy(dtype=object) == "requires"
        ids = nodes["id"].tolist()
        fed = {ids[d] for d in dst[requires & product[src]].tolist()}
        return tuple(p for p in self.products if p in fed)

    @cached_property
    def evaluation_order(self) -> list[list[str]]:
        """Strongly connected components of the supply graph in topological order (ties by their
        smallest id; a node on no cycle is a component of its own)."""
        import networkx as nx  # start-up: networkx (0.2 s) only for the views that need it, not for a cutoff
        condensed = nx.condensation(self.digraph)
        key = lambda c: min(condensed.nodes[c]["members"])  # noqa: E731
        return [sorted(condensed.nodes[c]["members"]) for c in nx.lexicographical_topological_sort(condensed, key=key)]

    @cached_property
    def digraph(self) -> nx.DiGraph:
        return to_digraph(self)

    @cached_property
    def edge_index(self) -> dict[tuple[str, str], Edge]:
        """Every edge by its (from, to) pair."""
        with gc_paused():
            return {edge.key: edge for edge in self.document.edges}

    @cached_property
    def predecessors(self) -> dict[str, tuple[str, ...]]:
        """Every edge's ``from`` by its ``to``: the suppliers and inputs of each node."""
        with gc_paused():
            result: dict[str, list[str]] = defaultdict(list)
            for edge in self.document.edges:
                result[edge.to].append(edge.from_)
            return {node: tuple(ids) for node, ids in result.items()}

    @cached_property
    def _reverse(self):
        """(node ids, row of each id, CSR of every edge's ``from`` row by its ``to`` row, each node's
        country row for facilities (-1 otherwise)) from the columns."""
        nodes, edges = self.columns.nodes, self.columns.edges
        ids = nodes["id"].tolist()
        n = len(ids)
        row = dict(zip(ids, range(n)))
        src, dst = self.columns.ends
        order = np.argsort(dst, kind="stable")
        ptr = np.r_[0, np.cumsum(np.bincount(dst, minlength=n))]
        country = np.full(n, -1, dtype=np.int64)
        facility = np.flatnonzero(nodes["kind"].to_numpy(dtype=object) == "facility")
        located = nodes["country"].to_numpy(dtype=object)[facility].tolist()
        country[facility] = [row.get(c, -1) for c in located]
        return ids, row, ptr, src[order], country, dst

    def _upstream_rows(self, ids) -> np.ndarray:
        """A mask over the nodes: the given ones and everything they draw on."""
        names, row, ptr, src, country, _ = self._reverse
        keep = np.zeros(len(names), dtype=bool)
        frontier = np.unique(np.fromiter((row[i] for i in ids), dtype=np.int64))
        keep[frontier] = True
        while frontier.size:
            counts = ptr[frontier + 1] - ptr[frontier]
            total = int(counts.sum())
            if not total:
                break
            offsets = np.repeat(ptr[frontier] - np.cumsum(counts) + counts, counts) + np.arange(total)
            found = np.unique(src[offsets])
            frontier = found[~keep[found]]
            keep[frontier] = True
        located = country[keep & (country >= 0)]
        keep[located] = True
        return keep

    def upstream(self, ids) -> set[str]:
        """The given nodes and everything they draw on (suppliers, inputs, their suppliers...):
        one reverse traversal from all of them at once, over arrays."""
        names = self._reverse[0]
        return {names[i] for i in np.flatnonzero(self._upstream_rows(ids)).tolist()}

    def bases(self, ids=None) -> dict[str, tuple[str, ...]]:
        """Bases of the shares feeding ``ids`` (and everything upstream; all items by default):
        basis -> the items whose shares are on it. More than one key means mixed bases."""
        edges = self.columns.edges
        supplies = edges["type"].to_numpy(dtype=object) == "supplies"
        if ids is not None:
            dst = self._reverse[5]
            supplies &= self._upstream_rows(ids)[dst]
        if not supplies.any():
            return {}
        basis = edges["basis"].to_numpy(dtype=object)[supplies]
        basis[(basis == None) | (basis == "")] = "basis not given"  # noqa: E711
        pairs = pd.DataFrame({"basis": basis, "item": edges["to"].to_numpy(dtype=object)[supplies]})
        pairs = pairs.drop_duplicates().sort_values(["basis", "item"], kind="mergesort")
        return {basis: tuple(group.tolist()) for basis, group in pairs.groupby("basis", sort=True)["item"]}


def to_digraph(graph: Graph) -> nx.DiGraph:
    """The graph as a networkx DiGraph; node and edge attributes use the file format's names."""
    import networkx as nx  # start-up: networkx (0.2 s) only for the views that need it, not for a cutoff
    result = nx.DiGraph(name=graph.name, title=graph.title)
    for node in graph.document.nodes:
        attrs = node.model_dump(exclude_none=True)
        attrs.pop("id")
        attrs["label"] = graph.label(node.id)
        result.add_node(node.id, **attrs)
    for edge in graph.document.edges:
        attrs = edge.model_dump(by_alias=True, exclude_none=True)
        for key in ("from", "to"):
            attrs.pop(key)
        if edge.share is not None:
            attrs["share"] = edge.share.point
            attrs["share_low"] = edge.share.low
            attrs["share_high"] = edge.share.high
            if edge.share.level:
                attrs["share_level"] = edge.share.level
        result.add_edge(edge.from_, edge.to, **attrs)
    return result
