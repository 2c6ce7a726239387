"""The vocabulary of the graph file as data: one table for kinds, fields, edge types, level words
and thresholds.

Everything that names a node kind, says which fields a kind takes, reads a level word or tests
the 65% target takes it from here: the pydantic models (:mod:`chokepoint.model.document`), the
cross-entry checks (:mod:`chokepoint.model.validate`), the export columns
(:mod:`chokepoint.formats.exchange`), the synthetic generator, and the tables of
``docs/file-format.md``, which :func:`markdown_tables` writes and a test compares.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Node kinds in flow order: suppliers first, end products last (also the column order of layouts).
KINDS: tuple[str, ...] = ("country", "facility", "material", "component", "product")
#: Kinds that supply (the ``from`` of a ``supplies`` edge).
SUPPLIER_KINDS: tuple[str, ...] = ("country", "facility")
#: Kinds that are supplied and consumed: the items.
ITEM_KINDS: tuple[str, ...] = ("material", "component", "product")
#: Kinds that have inputs (everything but countries).
INPUT_KINDS: tuple[str, ...] = ("facility", *ITEM_KINDS)

#: Level words: a supplier named without a number stands for a range of shares.
LEVELS: dict[str, tuple[float, float]] = {
    "sole": (0.95, 1.00),
    "dominant": (0.70, 0.95),
    "main": (0.50, 0.90),
    "major": (0.20, 0.50),
    "minor": (0.01, 0.10),
}
#: How each level word reads in a report (for the docs).
LEVEL_READINGS: dict[str, str] = {
    "sole": "the only producer, or as good as",
    "dominant": "near-monopoly; \"dominates the market\"",
    "main": "the largest supplier, \"main supplier\", \"mainly from\"",
    "major": "a key supplier among several",
    "minor": "\"some\", \"small quantities\"",
}

#: The policy target: no more than this share of an item from any one country.
DEFAULT_THRESHOLD = 0.65
#: Shares into one item may sum to this much (published tables round) before it is an error.
SUM_TOLERANCE = 1.05


@dataclass(frozen=True)
class FieldSpec:
    """One key of a node or an edge: which kinds (or edge types) take it, whether it is required."""

    name: str
    applies: tuple[str, ...]
    required: tuple[str, ...]
    meaning: str

    def takes(self, kind: str) -> bool:
        return kind in self.applies


NODE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("id", KINDS, KINDS,
              "unique in the graph; for a country its ISO 3166-1 alpha-2 code (`CN`, `JP`, `GB`); otherwise made "
              "of `[A-Za-z0-9._:-]` (safe as a GraphML id), e.g. `graphite-refining`"),
    FieldSpec("kind", KINDS, KINDS, "`" + "`, `".join(KINDS[:-1]) + f"` or `{KINDS[-1]}`"),
    FieldSpec("label", KINDS, INPUT_KINDS, "human name; optional for countries (defaults to the ISO name)"),
    FieldSpec("stage", ITEM_KINDS, (),
              "processing stage: `mining`, `refining`, `separation`, `alloy production`, ... The 65% target "
              "is tested per material and stage"),
    FieldSpec("country", ("facility",), ("facility",), "alpha-2 code of the country the facility sits in"),
    FieldSpec("needs", INPUT_KINDS, (),
              "how inputs combine: `all` (default; every input is needed) or `any` (alternatives)"),
    FieldSpec("critical_mineral", ("material",), (), "`true` when the 65% target covers it (default `false`)"),
    FieldSpec("stockpile_months", INPUT_KINDS, (), "months of cover held (number >= 0)"),
    FieldSpec("unknown_max_share", ITEM_KINDS, (),
              "the most any one unnamed supplier can have of the item (number in [0, 1]), when the source "
              "bounds it (USGS lists the leading producers: none unnamed is larger than the smallest listed); "
              "by default the whole unattributed remainder could be one country's"),
    FieldSpec("note", KINDS, (), "free text"),
)

#: Edge types: what each connects (from kinds, to kinds) and what it means.
EDGE_TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...], str]] = {
    "supplies": (SUPPLIER_KINDS, ITEM_KINDS, "a country or facility supplies an item"),
    "requires": (INPUT_KINDS, INPUT_KINDS, "`from` is an input that `to` needs"),
}

EDGE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("from", tuple(EDGE_TYPES), tuple(EDGE_TYPES), "node id: the supplier, or the input"),
    FieldSpec("to", tuple(EDGE_TYPES), tuple(EDGE_TYPES), "node id: the item supplied, or the node that needs the input"),
    FieldSpec("type", tuple(EDGE_TYPES), tuple(EDGE_TYPES),
              " or ".join(f"`{name}` ({meaning})" for name, (_, _, meaning) in EDGE_TYPES.items())),
    FieldSpec("share", ("supplies",), ("supplies",),
              "the supplier's share of the item: a number in [0, 1], a range `[low, high]`, or a level word"),
    FieldSpec("basis", ("supplies",), (),
              "what the share is a share of: `global production`, `US imports`, `market share`, ..."),
    FieldSpec("year", ("supplies",), (), "the year the figure describes (integer)"),
    FieldSpec("source", ("supplies",), (), "a key of `sources`"),
    FieldSpec("fact", ("supplies",), (),
              "the figure's id in the project's table of source figures (`graphs/facts.csv`), e.g. `F01`"),
    FieldSpec("estimated", ("supplies",), (),
              "`true` when the share is an estimate (a level word, or a split the report does not give); "
              "say why in `note`"),
    FieldSpec("note", tuple(EDGE_TYPES), (), "free text"),
)

#: Edge fields that only ``supplies`` edges take.
SUPPLY_ONLY_FIELDS: tuple[str, ...] = tuple(f.name for f in EDGE_FIELDS if f.applies == ("supplies",))


def node_field(name: str) -> FieldSpec:
    return next(f for f in NODE_FIELDS if f.name == name)


def fields_not_taken(kind: str) -> tuple[str, ...]:
    """Node fields a kind does not take (in table order)."""
    return tuple(f.name for f in NODE_FIELDS if not f.takes(kind))


def _kinds_text(kinds: tuple[str, ...], universe: tuple[str, ...], plural: str = "all") -> str:
    if kinds == universe:
        return plural
    return ", ".join(kinds)


def markdown_tables() -> dict[str, str]:
    """The tables of ``docs/file-format.md``, made from this schema: ``nodes``, ``edges``, ``levels``."""
    def row(*cells):
        return "| " + " | ".join(cells) + " |"

    nodes = [row("key", "applies to", "required for", "meaning"), row("---", "---", "---", "---")]
    for spec in NODE_FIELDS:
        required = _kinds_text(spec.required, KINDS) if spec.required else "-"
        nodes.append(row(f"`{spec.name}`", _kinds_text(spec.applies, KINDS), required, spec.meaning))
    edges = [row("key", "applies to", "required for", "meaning"), row("---", "---", "---", "---")]
    types = tuple(EDGE_TYPES)
    for spec in EDGE_FIELDS:
        required = _kinds_text(spec.required, types) if spec.required else "-"
        edges.append(row(f"`{spec.name}`", _kinds_text(spec.applies, types), required, spec.meaning))
    levels = [row("word", "range", "reads as"), row("---", "---", "---")]
    for word, (low, high) in LEVELS.items():
        levels.append(row(f"`{word}`", f"[{low:.2f}, {high:.2f}]", LEVEL_READINGS[word]))
    connects = [row("type", "from", "to", "meaning"), row("---", "---", "---", "---")]
    for name, (sources, targets, meaning) in EDGE_TYPES.items():
        connects.append(row(f"`{name}`", ", ".join(sources), ", ".join(targets), meaning))
    return {"nodes": "\n".join(nodes), "edges": "\n".join(edges), "edge types": "\n".join(connects),
            "levels": "\n".join(levels)}
