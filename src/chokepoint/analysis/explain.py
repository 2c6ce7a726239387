"""Why a node is what it is: the figures behind it, the judgments behind its inputs, and, under a
cutoff, the chain that explains its loss with the assumptions on that chain.

For every ``supplies`` edge into the node: the share as written (level word, number or range),
its range, its evidence (:mod:`chokepoint.analysis.evidence`), basis, year, the source's title and
the citation behind its ``fact``. For every ``requires`` edge: the note that justifies it. Under a
cutoff (availabilities passed in, e.g. from :func:`chokepoint.api.cutoff`): the chain of
:func:`~chokepoint.analysis.paths.loss_path` from the cut country to the node, each link with the
edge it follows, and the assumptions the loss rests on: every estimated share into an item on the
chain (whether the chain runs through it or it is a surviving alternative) and every unnamed
remainder, which the point value assumes survives.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ..errors import InputError
from ..model import Edge, Graph
from .evidence import ESTIMATED, REPORTED, Citation, cite, evidence_of, is_estimate, share_as_written, source_titles
from .paths import loss_path

#: Availability this close to 1 is no loss.
EPS = 1e-12


@dataclass(frozen=True)
class SupplyEvidence:
    """One supplies edge into the node, with what its share rests on."""

    supplier: str
    supplier_label: str
    country: str | None
    share: object
    """The share as written: a level word, a number or ``[low, high]``."""
    share_text: str
    low: float
    high: float
    point: float
    """The value propagation uses (the midpoint, scaled down when the item's shares sum past 1)."""
    evidence: str
    basis: str | None
    year: int | None
    source: str | None
    source_title: str
    note: str | None
    citation: Citation

    @property
    def fact(self) -> str | None:
        return self.citation.fact

    def to_dict(self) -> dict:
        return {"from": self.supplier, "label": self.supplier_label, "country": self.country,
                "share": self.share, "share_text": self.share_text, "low": self.low, "high": self.high,
                "point": self.point, "evidence": self.evidence, "basis": self.basis, "year": self.year,
                "source": self.source, "source_title": self.source_title, "fact": self.fact,
                "citation": self.citation.to_dict(), "note": self.note}


@dataclass(frozen=True)
class InputEvidence:
    """One requires edge into the node: the input and the note that justifies it (``None``: no note)."""

    input: str
    label: str
    note: str | None

    def to_dict(self) -> dict:
        return {"input": self.input, "label": self.label, "note": self.note}


@dataclass(frozen=True)
class ChainLink:
    """One step of the loss chain, upstream to downstream: ``supplies``, ``requires`` or ``hosts``
    (a country and a facility in it), with the availability at each end under the cutoff."""

    from_: str
    to: str
    link: str
    availability_from: float
    availability_to: float
    share_text: str = ""
    evidence: str | None = None
    fact: str | None = None
    note: str | None = None

    def to_dict(self) -> dict:
        return {"from": self.from_, "to": self.to, "link": self.link,
                "availability_from": self.availability_from, "availability_to": self.availability_to,
                "share": self.share_text or None, "evidence": self.evidence, "fact": self.fact, "note": self.note}


@dataclass(frozen=True)
class Assumption:
    """An estimated share into an item on the loss chain (``on_chain``: the chain runs through it),
    or an item's unnamed remainder (``from_`` is ``None``), which the point value assumes survives."""

    from_: str | None
    to: str
    share_text: str
    low: float
    high: float
    fact: str | None
    note: str | None
    on_chain: bool

    @property
    def what(self) -> str:
        if self.from_ is None:
            return f"{self.to}: unnamed remainder {100 * self.low:.3g}% assumed to survive the cutoff"
        return f"{self.from_} -> {self.to}: share {self.share_text}"

    def to_dict(self) -> dict:
        return {"from": self.from_, "to": self.to, "share": self.share_text, "low": self.low, "high": self.high,
                "fact": self.fact, "note": self.note, "on_chain": self.on_chain, "what": self.what}


@dataclass(frozen=True)
class LossChain:
    """The node under a cutoff: its availability, the chain explaining its loss and its assumptions."""

    countries: tuple[str, ...]
    blocs: tuple[str, ...]
    availability: float
    path: tuple[str, ...]
    links: tuple[ChainLink, ...]
    assumptions: tuple[Assumption, ...]

    @property
    def loss(self) -> float:
        return 1.0 - self.availability

    @property
    def evidence(self) -> str:
        """``estimated`` when an estimated share lies under the chain, else ``reported``."""
        return ESTIMATED if any(a.from_ is not None for a in self.assumptions) else REPORTED

    def to_dict(self) -> dict:
        return {"countries": list(self.countries), "blocs": list(self.blocs), "availability": self.availability,
                "loss": self.loss, "path": list(self.path), "evidence": self.evidence if self.path else None,
                "links": [link.to_dict() for link in self.links],
                "assumptions": [a.to_dict() for a in self.assumptions]}


@dataclass(frozen=True)
class Explanation:
    """What ``chokepoint explain`` shows for one node."""

    graph: str
    node: str
    label: str
    kind: str
    stage: str | None
    country: str | None
    needs: str | None
    note: str | None
    supplies: tuple[SupplyEvidence, ...]
    requires: tuple[InputEvidence, ...]
    unknown_share: float | None
    """The share left to other or unknown suppliers (``None`` for a node nobody supplies)."""
    chain: LossChain | None = field(default=None)

    @property
    def estimated(self) -> int:
        return sum(1 for s in self.supplies if s.evidence == ESTIMATED)

    def to_dict(self) -> dict:
        return {"graph": self.graph, "node": self.node, "label": self.label, "kind": self.kind,
                "stage": self.stage, "country": self.country, "needs": self.needs, "note": self.note,
                "supplies": [s.to_dict() for s in self.supplies], "unknown_share": self.unknown_share,
                "requires": [r.to_dict() for r in self.requires],
                "cutoff": self.chain.to_dict() if self.chain is not None else None}


def check_node(graph: Graph, node: str) -> str:
    """``node`` if the graph has it; otherwise a one-line error naming the graph and the node."""
    if node in graph.nodes:
        return node
    close = difflib.get_close_matches(node, list(graph.nodes), n=3)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    raise InputError(f"{graph.origin}: no node '{node}'{hint}")


def explain(graph: Graph, node: str, facts: dict[str, dict], *, avail: dict[str, float] | None = None,
            countries: tuple[str, ...] = (), blocs: tuple[str, ...] = ()) -> Explanation:
    """The evidence behind ``node``; with ``avail`` (availability of every node under the cutoff of
    ``countries``/``blocs``) also the chain that explains its loss and the assumptions on it.

    ``facts`` is facts.csv as ``{id: row}`` (:func:`chokepoint.formats.facts.load_facts`).
    """
    check_node(graph, node)
    n = graph.nodes[node]
    supplies = tuple(supply_evidence(graph, s.edge, s.share, facts) for s in graph.supplies.get(node, ()))
    requires = tuple(InputEvidence(e.from_, graph.label(e.from_), e.note)
                     for e in sorted(_requires_into(graph, node), key=lambda e: e.from_))
    unknown = graph.unknown_share(node) if supplies else None
    chain = loss_chain(graph, node, avail, countries, blocs) if avail is not None else None
    return Explanation(graph.name, node, graph.label(node), n.kind, n.stage, n.country,
                       n.needs if n.kind != "country" else None, n.note, supplies, requires, unknown, chain)


def supply_evidence(graph: Graph, edge: Edge, point: float, facts: dict[str, dict]) -> SupplyEvidence:
    """One supplies edge with its evidence and citation (``point``: its share in propagation)."""
    share = edge.share
    return SupplyEvidence(edge.from_, graph.label(edge.from_), graph.country_of(edge.from_),
                          share_as_written(edge), str(share), share.low, share.high, point, evidence_of(edge),
                          edge.basis, edge.year, edge.source, source_titles(graph, edge.source), edge.note,
                          cite(graph, edge, facts))


def _requires_into(graph: Graph, node: str) -> list[Edge]:
    return [e for e in graph.document.edges if e.type == "requires" and e.to == node]


def loss_chain(graph: Graph, node: str, avail: dict[str, float], countries=(), blocs=()) -> LossChain:
    """The chain that explains ``node``'s loss under ``avail`` and the assumptions on it."""
    a = avail[node]
    if a >= 1.0 - EPS:
        return LossChain(tuple(countries), tuple(blocs), a, (), (), ())
    path = tuple(loss_path(graph, avail, node))
    edges = {(e.from_, e.to): e for e in graph.document.edges}
    links = []
    for up, down in zip(path, path[1:]):
        edge = edges.get((up, down))
        if edge is None:  # loss_path steps from a facility to the country it sits in
            links.append(ChainLink(up, down, "hosts", avail[up], avail[down]))
        elif edge.type == "supplies":
            links.append(ChainLink(up, down, "supplies", avail[up], avail[down], str(edge.share),
                                   evidence_of(edge), edge.fact, edge.note))
        else:
            links.append(ChainLink(up, down, "requires", avail[up], avail[down], note=edge.note))
    on_chain = set(zip(path, path[1:]))
    assumptions = []
    for item in path:
        supplies = graph.supplies.get(item, ())
        for s in supplies:
            if is_estimate(s.edge):
                e = s.edge
                assumptions.append(Assumption(e.from_, item, str(e.share), e.share.low, e.share.high, e.fact,
                                              e.note, (e.from_, item) in on_chain))
        remainder = graph.unknown_share(item) if supplies else 0.0
        if remainder > EPS:
            assumptions.append(Assumption(None, item, f"{remainder:.4g}", remainder, remainder, None, None, False))
    return LossChain(tuple(countries), tuple(blocs), a, path, tuple(links), tuple(assumptions))
