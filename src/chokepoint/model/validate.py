"""Validation at the boundary: plain data in, a :class:`Document` and its warnings out.

Every entry is parsed on its own and every cross-entry rule is checked, so a file with several
problems reports all of them at once, each naming the file and the entry
(``quantum.yaml: edges[12] (CN -> holmium-copper).share: 1.2 is outside [0, 1]``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import count, repeat

import numpy as np
from pydantic import TypeAdapter, ValidationError as PydanticError
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

from ..errors import ValidationError
from .countries import is_country_code
from .document import MAX_TEXT, NAME_PATTERN, Document, Edge, Include, Node, Source, no_control_characters
from .schema import ITEM_KINDS, SUM_TOLERANCE, SUPPLIER_KINDS

TOP_LEVEL = ("generator", "name", "title", "description", "sources", "include", "nodes", "edges")
#: Warnings of one kind listed one by one before the rest are counted in one line.
MAX_LISTED = 50
#: Errors kept for the message; past this many they are only counted.
MAX_ERRORS = 1000


@dataclass
class Problems:
    """Collects errors and warnings, each already prefixed with the file name."""

    origin: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    more: int = 0

    def error(self, entry, message: str, field: str | None = None) -> None:
        if len(self.errors) >= MAX_ERRORS:
            self.more += 1  # counted, not kept: a huge broken file must not fill the memory
            return
        self.errors.append(self._line(entry, message, field))

    def raise_errors(self) -> None:
        """Raise the errors found (if any) as one :class:`ValidationError`."""
        if self.errors:
            raise ValidationError(self.errors, more=self.more)

    def warn(self, entry, message: str, field: str | None = None) -> None:
        self.warnings.append(self._line(entry, message, field))

    def _line(self, entry, message: str, field: str | None) -> str:
        where = label(entry) + (f".{field}" if field else "")
        return f"{self.origin}: {where}: {message}" if where else f"{self.origin}: {message}"

    def pydantic(self, entry: str, exc: PydanticError) -> None:
        for err in exc.errors():
            loc = ".".join(str(part) for part in err["loc"])
            message = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                message = "unknown key"
            elif err["type"] == "missing":
                message = "missing required key"
            self.error(entry, message, field=loc or None)


def _short(value, limit: int = 60) -> str:
    text = str(value)
    if not text.isprintable():  # a newline or a tab in an id is shown, not printed
        text = repr(text)[1:-1]
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
                no_control_characters(value)
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


def label(entry) -> str:
    """The label of an entry reference: ``(name function, index, raw)`` made lazily, or a string."""
    if isinstance(entry, tuple):
        name, index, raw = entry
        return name(index, raw)
    return str(entry) if entry else ""


_LIST_ADAPTERS: dict = {}


def parse_entries(raw_list, model, entry_name, problems: Problems):
    """Parse each entry of a list with ``model``; returns [(entry label, parsed)].

    The whole list is validated in one call; only when that fails is it parsed entry by entry,
    so that every problem is reported with its entry.
    """
    if not isinstance(raw_list, list):
        return []
    if all(type(raw) is dict for raw in raw_list):
        adapter = _LIST_ADAPTERS.get(model)
        if adapter is None:
            adapter = _LIST_ADAPTERS[model] = TypeAdapter(list[model])
        try:
            models = adapter.validate_python(raw_list)
        except PydanticError:
            pass
        else:
            # entry references are tuples built in C; labels are made only for messages
            return list(zip(zip(repeat(entry_name), count(), raw_list), models))
    parsed = []
    for index, raw in enumerate(raw_list):
        entry = (entry_name, index, raw)
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
            problems.error(entry, f"duplicate id '{node.id}'", field="id")
            continue
        by_id[node.id] = node
        if node.kind == "country" and not is_country_code(node.id):
            problems.error(entry, f"unknown country code '{node.id}' (countries use ISO 3166-1 alpha-2 codes)", field="id")
        if node.kind == "facility" and node.country and not is_country_code(node.country):
            problems.error(entry, f"unknown country code '{node.country}'", field="country")
    for entry, node in nodes:
        if node.kind == "facility" and node.country and is_country_code(node.country):
            if node.country not in by_id:
                problems.error(entry, f"'{node.country}' is not a node of this graph (declare it with kind: country)", field="country")
            elif by_id[node.country].kind != "country":
                problems.error(entry, f"'{node.country}' is a {by_id[node.country].kind}, not a country", field="country")
    return by_id


def check_edges(edges, by_id: dict[str, Node], sources: dict[str, Source], problems: Problems,
                broken: frozenset[str] = frozenset()) -> list[Edge]:
    """Check edges against the nodes; ``broken`` holds ids of nodes already reported as invalid."""
    seen: dict[tuple[str, str], object] = {}
    good = []
    append = good.append
    for entry, edge in edges:
        head, tail = by_id.get(edge.from_), by_id.get(edge.to)
        key = (edge.from_, edge.to)
        if head is None or tail is None or edge.from_ == edge.to or key in seen or \
                (edge.source is not None and edge.source not in sources):
            _edge_problems(entry, edge, head, tail, seen, sources, problems, broken)
            seen.setdefault(key, entry)
            continue
        seen[key] = entry
        if edge.type == "supplies":
            if head.kind not in SUPPLIER_KINDS:
                problems.error(entry, f"'{edge.from_}' is a {head.kind}: only countries and facilities supply", field="from")
                continue
            if tail.kind not in ITEM_KINDS:
                problems.error(entry, f"'{edge.to}' is a {tail.kind}: supplies go to a material, component or product", field="to")
                continue
        else:
            if head.kind == "country":
                problems.error(entry, f"'{edge.from_}' is a country: a requires edge never starts at a country", field="from")
                continue
            if tail.kind == "country":
                problems.error(entry, f"'{edge.to}' is a country: a country requires nothing", field="to")
                continue
        append((entry, edge))
    return good


def _edge_problems(entry, edge, head, tail, seen, sources, problems: Problems, broken) -> None:
    for end, ident, node in (("from", edge.from_, head), ("to", edge.to, tail)):
        if node is None and ident not in broken:
            problems.error(entry, f"unknown node '{_short(ident)}'", field=end)
    if edge.from_ == edge.to:
        problems.error(entry, "an edge from a node to itself (self-loop)")
    if (edge.from_, edge.to) in seen:
        problems.error(entry, f"duplicate edge {edge.from_} -> {edge.to} (first at {label(seen[(edge.from_, edge.to)])})")
    if edge.source is not None and edge.source not in sources:
        problems.error(entry, f"unknown source '{_short(edge.source)}' (not a key of 'sources')", field="source")


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
            listed = ", ".join(f"{e.from_} {e.share}" for _, e in supplies[:MAX_LISTED])
            listed += f" and {len(supplies) - MAX_LISTED:,} more" if len(supplies) > MAX_LISTED else ""
            problems.error(label, f"shares of its {len(supplies)} suppliers sum to {_distinct(low, SUM_TOLERANCE)}, "
                                  f"past 1 by more than rounding explains (at most {SUM_TOLERANCE:g} is "
                                  f"accepted): {listed}")
        elif point > 1 + 1e-9:
            problems.warn(label, f"shares sum to {point:.3g}; normalised to 1")
        bases = sorted({edge.basis for _, edge in supplies if edge.basis})
        if len(bases) > 1:
            problems.warn(label, f"shares on different bases are combined: {'; '.join(bases)}")
    estimated = [(entry, edge) for entry, edge in edges if edge.type == "supplies" and edge.estimated]
    uncited = [(entry, edge) for entry, edge in edges
               if edge.type == "supplies" and not edge.estimated and edge.source is None]
    for entry, edge in estimated[:MAX_LISTED]:
        problems.warn(entry, f"estimated share {edge.share}" + ("" if edge.note else " with no note giving the reasoning"))
    if len(estimated) > MAX_LISTED:
        problems.warn("edges", f"... and {len(estimated) - MAX_LISTED:,} more estimated shares")
    for entry, _ in uncited[:MAX_LISTED]:
        problems.warn(entry, "share cites no source and is not marked estimated")
    if len(uncited) > MAX_LISTED:
        problems.warn("edges", f"... and {len(uncited) - MAX_LISTED:,} more shares that cite no source")


def _distinct(value: float, other: float) -> str:
    """``value`` with as few digits as show it differs from ``other`` (1.05000001, not 1.05)."""
    for digits in range(3, 18):
        text = f"{value:.{digits}g}"
        if float(text) != other:
            return text
    return repr(value)


def strongly_connected(ids: list[str], keys: list[tuple[str, str]]) -> list[list[str]]:
    """Cycles: the strongly connected components of more than one node, each sorted, in order."""
    if not keys:
        return []
    index = {ident: i for i, ident in enumerate(ids)}
    rows = np.fromiter((index[a] for a, _ in keys), dtype=np.int64, count=len(keys))
    cols = np.fromiter((index[b] for _, b in keys), dtype=np.int64, count=len(keys))
    matrix = csr_matrix((np.ones(len(keys), dtype=np.int8), (rows, cols)), shape=(len(ids), len(ids)))
    count, labels = connected_components(matrix, directed=True, connection="strong")
    sizes = np.bincount(labels, minlength=count)
    members: dict[int, list[str]] = {}
    for i in np.flatnonzero(sizes[labels] > 1):
        members.setdefault(int(labels[i]), []).append(ids[i])
    return sorted(sorted(group) for group in members.values())


def check_structure(by_id: dict[str, Node], edges, problems: Problems) -> None:
    cycles = strongly_connected(list(by_id), [edge.key for _, edge in edges])  # may run through supplies
    for cycle in cycles[:MAX_LISTED]:
        problems.warn("edges", f"cycle among {', '.join(cycle)} (allowed; availability is a fixed point)")
    if len(cycles) > MAX_LISTED:
        problems.warn("edges", f"... and {len(cycles) - MAX_LISTED:,} more cycles")
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
        problems.raise_errors()
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
        problems.raise_errors()
    document = Document.model_construct(  # every part validated above
        name=data["name"],
        title=data["title"],
        description=data.get("description"),
        sources=sources,
        nodes=tuple(node for _, node in nodes),
        edges=tuple(edge for _, edge in edges),
    )
    return document, problems.warnings
