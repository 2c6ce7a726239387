"""Validation at the boundary: plain data in, a :class:`Document` and its warnings out.

Every entry is parsed on its own and every cross-entry rule is checked, so a file with several
problems reports all of them at once, each naming the file and the entry
(``quantum.yaml: edges[12] (CN -> holmium-copper).share: 1.2 is outside [0, 1]``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
from pydantic import ValidationError as PydanticError

from .countries import is_country_code
from .errors import ValidationError
from .model import (
    ITEM_KINDS,
    MAX_TEXT,
    _no_control_characters,
    NAME_PATTERN,
    SUPPLIER_KINDS,
    Document,
    Edge,
    Include,
    Node,
    Source,
)

TOP_LEVEL = ("generator", "name", "title", "description", "sources", "include", "nodes", "edges")
#: Shares into one item may sum to this much (published tables round) before it is an error.
SUM_TOLERANCE = 1.05


@dataclass
class Problems:
    """Collects errors and warnings, each already prefixed with the file name."""

    origin: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, entry: str, message: str) -> None:
        self.errors.append(f"{self.origin}: {entry}: {message}" if entry else f"{self.origin}: {message}")

    def warn(self, entry: str, message: str) -> None:
        self.warnings.append(f"{self.origin}: {entry}: {message}" if entry else f"{self.origin}: {message}")

    def pydantic(self, entry: str, exc: PydanticError) -> None:
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            elif err["type"] == "missing":
                message = "missing required key"
            self.error(f"{entry}.{loc}" if loc else entry, message)


def _short(value, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def node_entry(index: int, raw) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    return f"nodes[{index}] (id '{_short(ident)}')" if ident is not None else f"nodes[{index}]"


def edge_entry(index: int, raw) -> str:
    if isinstance(raw, dict) and "from" in raw and "to" in raw:
        return f"edges[{index}] ({_short(raw['from'])} -> {_short(raw['to'])})"
    return f"edges[{index}]"


def check_top_level(data, problems: Problems) -> bool:
    """Check the document is a mapping with the known keys. False when nothing more can be read."""
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        problems.error("", f"a graph file must be a mapping with 'name', 'title' and 'nodes', not {kind}")
        return False
    for key in data:
        if key not in TOP_LEVEL:
            problems.error(_short(key), "unknown key")
    for key in ("name", "title", "nodes"):
        if key not in data:
            problems.error(key, "missing required key")
    name = data.get("name", "")
    if "name" in data and not (isinstance(name, str) and NAME_PATTERN.match(name)):
        problems.error("name", f"{_short(repr(name))} must be lower-case letters, digits and hyphens")
    if "generator" in data and not isinstance(data["generator"], str):
        problems.error("generator", "must be a string")
    for key, limit in (("title", MAX_TEXT), ("description", 10 * MAX_TEXT)):
        if key not in data or (key == "description" and data[key] is None):
            continue
        value = data[key]
        if not isinstance(value, str):
            problems.error(key, "must be a string")
        elif len(value) > limit:
            problems.error(key, f"{len(value):,} characters is longer than the limit of {limit:,}")
        else:
            try:
                _no_control_characters(value)
            except ValueError as exc:
                problems.error(key, str(exc))
    for key, kind in (("nodes", list), ("edges", list), ("sources", dict), ("include", list)):
        if data.get(key) is not None and not isinstance(data[key], kind):
            problems.error(key, f"must be a {'list' if kind is list else 'mapping'}")
    return True


def parse_sources(data: dict, problems: Problems) -> dict[str, Source]:
    sources = {}
    raw = data.get("sources") or {}
    if not isinstance(raw, dict):
        return sources
    for key, entry in raw.items():
        try:
            sources[str(key)] = Source.model_validate(entry)
        except PydanticError as exc:
            problems.pydantic(f"sources.{key}", exc)
    return sources


def parse_includes(data: dict, problems: Problems) -> list[Include]:
    includes = []
    raw = data.get("include") or []
    if not isinstance(raw, list):
        return includes
    for index, entry in enumerate(raw):
        try:
            includes.append(Include.model_validate(entry))
        except PydanticError as exc:
            problems.pydantic(f"include[{index}]", exc)
    return includes


def parse_entries(raw_list, model, entry_name, problems: Problems, labels=None):
    """Parse each entry of a list with ``model``; returns [(entry label, parsed)]."""
    parsed = []
    if not isinstance(raw_list, list):
        return parsed
    for index, raw in enumerate(raw_list):
        entry = labels[index] if labels else entry_name(index, raw)
        if not isinstance(raw, dict):
            problems.error(entry, f"must be a mapping, not {type(raw).__name__}")
            continue
        try:
            parsed.append((entry, model.model_validate(raw)))
        except PydanticError as exc:
            problems.pydantic(entry, exc)
    return parsed


def check_nodes(nodes: list[tuple[str, Node]], problems: Problems) -> dict[str, Node]:
    by_id: dict[str, Node] = {}
    for entry, node in nodes:
        if node.id in by_id:
            problems.error(f"{entry}.id", f"duplicate id '{node.id}'")
            continue
        by_id[node.id] = node
        if node.kind == "country" and not is_country_code(node.id):
            problems.error(f"{entry}.id", f"unknown country code '{node.id}' (countries use ISO 3166-1 alpha-2 codes)")
        if node.kind == "facility" and node.country and not is_country_code(node.country):
            problems.error(f"{entry}.country", f"unknown country code '{node.country}'")
    for entry, node in nodes:
        if node.kind == "facility" and node.country and is_country_code(node.country):
            if node.country not in by_id:
                problems.error(f"{entry}.country", f"'{node.country}' is not a node of this graph (declare it with kind: country)")
            elif by_id[node.country].kind != "country":
                problems.error(f"{entry}.country", f"'{node.country}' is a {by_id[node.country].kind}, not a country")
    return by_id


def check_edges(edges, by_id: dict[str, Node], sources: dict[str, Source], problems: Problems,
                broken: frozenset[str] = frozenset()) -> list[Edge]:
    """Check edges against the nodes; ``broken`` holds ids of nodes already reported as invalid."""
    seen: dict[tuple[str, str], str] = {}
    good = []
    for entry, edge in edges:
        ok = True
        for end, ident in (("from", edge.from_), ("to", edge.to)):
            if ident not in by_id:
                if ident not in broken:
                    problems.error(f"{entry}.{end}", f"unknown node '{ident}'")
                ok = False
        if edge.from_ == edge.to:
            problems.error(entry, "an edge from a node to itself (self-loop)")
            ok = False
        if edge.key in seen:
            problems.error(entry, f"duplicate edge {edge.from_} -> {edge.to} (first at {seen[edge.key]})")
            ok = False
        seen.setdefault(edge.key, entry)
        if edge.source is not None and edge.source not in sources:
            problems.error(f"{entry}.source", f"unknown source '{edge.source}' (not a key of 'sources')")
            ok = False
        if not ok:
            continue
        head, tail = by_id[edge.from_], by_id[edge.to]
        if edge.type == "supplies":
            if head.kind not in SUPPLIER_KINDS:
                problems.error(f"{entry}.from", f"'{edge.from_}' is a {head.kind}: only countries and facilities supply")
                continue
            if tail.kind not in ITEM_KINDS:
                problems.error(f"{entry}.to", f"'{edge.to}' is a {tail.kind}: supplies go to a material, component or product")
                continue
        else:
            if head.kind == "country":
                problems.error(f"{entry}.from", f"'{edge.from_}' is a country: a requires edge never starts at a country")
                continue
            if tail.kind == "country":
                problems.error(f"{entry}.to", f"'{edge.to}' is a country: a country requires nothing")
                continue
        good.append((entry, edge))
    return good


def check_supply_sums(edges, by_id: dict[str, Node], problems: Problems) -> None:
    into: dict[str, list[tuple[str, Edge]]] = defaultdict(list)
    for entry, edge in edges:
        if edge.type == "supplies":
            into[edge.to].append((entry, edge))
    for item, supplies in into.items():
        low = math.fsum(edge.share.low for _, edge in supplies)
        point = math.fsum(edge.share.point for _, edge in supplies)
        label = f"node '{item}'"
        if low > SUM_TOLERANCE + 1e-9:
            problems.error(label, f"shares of its {len(supplies)} suppliers sum to {low:.3g}, past 1 "
                                  f"(tolerance {SUM_TOLERANCE:g}): {', '.join(f'{e.from_} {e.share}' for _, e in supplies)}")
        elif point > 1 + 1e-9:
            problems.warn(label, f"shares sum to {point:.3g}; normalised to 1")
        bases = sorted({edge.basis for _, edge in supplies if edge.basis})
        if len(bases) > 1:
            problems.warn(label, f"shares on different bases are combined: {'; '.join(bases)}")
    for entry, edge in edges:
        if edge.type != "supplies":
            continue
        if edge.estimated:
            problems.warn(entry, f"estimated share {edge.share}" + ("" if edge.note else " with no note giving the reasoning"))
        elif edge.source is None:
            problems.warn(entry, "share cites no source and is not marked estimated")


def check_structure(by_id: dict[str, Node], edges, problems: Problems) -> None:
    graph = nx.DiGraph()
    graph.add_edges_from(edge.key for _, edge in edges)  # a cycle may run through a facility's supplies
    for cycle in sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1):
        problems.warn("edges", f"cycle among {', '.join(cycle)} (allowed; availability is a fixed point)")
    if problems.errors:
        return  # a graph whose entries did not all parse: its shape would be misjudged
    if not any(node.kind in ITEM_KINDS for node in by_id.values()):
        problems.error("nodes", "no materials, components or products: nothing to analyse")
    elif not any(node.kind == "product" for node in by_id.values()):
        problems.warn("nodes", "no product nodes: the end items (those nothing requires) stand in for products")


def parse_document(data, origin: str, *, extra_nodes=(), extra_edges=(), extra_sources=None) -> tuple[Document, list[str]]:
    """Validate plain data as a graph document.

    Parameters
    ----------
    data
        The file's content (a mapping).
    origin
        The file name used in messages.
    extra_nodes, extra_edges, extra_sources
        Already-validated entries brought in by ``include`` (labelled ``(entry label, model)``).

    Returns
    -------
    (Document, warnings)

    Raises
    ------
    ValidationError
        With every problem found, one line each.
    """
    problems = Problems(origin)
    if not check_top_level(data, problems):
        raise ValidationError(problems.errors)
    sources = dict(extra_sources or {})
    sources.update(parse_sources(data, problems))
    raw_nodes = data.get("nodes") if isinstance(data.get("nodes"), list) else []
    raw_edges = data.get("edges") if isinstance(data.get("edges"), list) else []
    nodes = parse_entries(raw_nodes, Node, node_entry, problems) + list(extra_nodes)
    edges = parse_entries(raw_edges, Edge, edge_entry, problems) + list(extra_edges)
    by_id = check_nodes(nodes, problems)
    raw_ids = {raw.get("id") for raw in raw_nodes if isinstance(raw, dict) and isinstance(raw.get("id"), str)}
    broken = frozenset(i for i in raw_ids if i not in by_id)
    good_edges = check_edges(edges, by_id, sources, problems, broken)
    check_supply_sums(good_edges, by_id, problems)
    check_structure(by_id, good_edges, problems)
    if problems.errors:
        raise ValidationError(problems.errors)
    document = Document(
        name=data["name"],
        title=data["title"],
        description=data.get("description"),
        sources=sources,
        nodes=tuple(node for _, node in nodes),
        edges=tuple(edge for _, edge in edges),
    )
    return document, problems.warnings
