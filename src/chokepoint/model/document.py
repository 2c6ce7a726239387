"""The graph document: pydantic models whose field names are the file format's.

A document is parsed entry by entry (see :mod:`chokepoint.validate`), so that every problem in a
file is reported at once. The models here only know about one entry at a time; checks that span
entries (unknown nodes, sums of shares, cycles) live in :mod:`chokepoint.validate`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from .schema import KINDS, LEVELS, NODE_FIELDS, SUPPLY_ONLY_FIELDS


#: ``\Z``, not ``$``: ``$`` also matches before a final newline, and ``"qc\n"`` is not an id.
ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]+\Z")
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")

#: Longest free text accepted in one field (labels, notes, descriptions).
MAX_TEXT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def no_control_characters(value: str) -> str:
    found = _CONTROL.search(value)
    if found:
        raise ValueError(f"contains the control character {found.group()!r} at position {found.start()}")
    return value


Text = Annotated[str, Field(max_length=MAX_TEXT), AfterValidator(no_control_characters)]
#: Ids and references: a bounded string checked in pydantic's core (a bad reference is then an
#: unknown node, source or country, reported by the cross-entry checks).
Ident = Annotated[str, Field(min_length=1, max_length=200)]


class Share(BaseModel):
    """A supplier's share of an item: a point (``low == high``), a range, or a level word."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float
    high: float
    level: Optional[str] = None

    @property
    def point(self) -> float:
        """The value used in propagation: the midpoint of the range."""
        return (self.low + self.high) / 2

    @property
    def is_range(self) -> bool:
        return self.low != self.high

    def to_value(self):
        """The share as it is written in a file: a word, a number or ``[low, high]``."""
        if self.level is not None:
            return self.level
        if not self.is_range:
            return self.low
        return [self.low, self.high]

    def __str__(self) -> str:
        if self.level is not None:
            return f"{self.level} [{self.low:g}-{self.high:g}]"
        if not self.is_range:
            return f"{self.low:g}"
        return f"[{self.low:g}-{self.high:g}]"

    @classmethod
    def parse(cls, value) -> "Share":
        """Read a share as written in a file. Raises ``ValueError`` with a one-line reason."""
        if isinstance(value, Share):
            return value
        if isinstance(value, dict):
            # the form ``model_dump`` gives; checked like the written forms
            if not set(value) <= {"low", "high", "level"} or not {"low", "high"} <= set(value):
                raise ValueError(f"expected a number in [0, 1], a [low, high] range or a level word, got {value!r}")
            if value.get("level") is not None:
                share = cls.parse(value["level"])
                if (share.low, share.high) != (value["low"], value["high"]):
                    raise ValueError(f"level '{share.level}' stands for [{share.low:g}, {share.high:g}], "
                                     f"not [{value['low']}, {value['high']}]")
                return share
            return cls.parse([value["low"], value["high"]])
        if isinstance(value, str):
            word = value.strip().lower()
            if word in LEVELS:
                low, high = LEVELS[word]
                return cls.model_construct(low=low, high=high, level=word)
            try:
                float(word)
            except ValueError:
                raise ValueError(f"unknown level word '{value}' (known: {', '.join(LEVELS)})") from None
            raise ValueError(f"'{value}' is text, not a number: write the share without quotes")
        if isinstance(value, (list, tuple)):
            if len(value) != 2:
                raise ValueError(f"a range must be [low, high], got {len(value)} values")
            low, high = (_number(v) for v in value)
            if low > high:
                raise ValueError(f"range [{low:g}, {high:g}] has low > high")
            return cls.model_construct(low=low, high=high, level=None)
        number = _number(value)
        return cls.model_construct(low=number, high=number, level=None)  # checked by _number


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"expected a number in [0, 1], a [low, high] range or a level word, got {value!r}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if math.isnan(number) or not 0.0 <= number <= 1.0:
        text = repr(value) if len(repr(value)) <= 24 else f"{repr(value)[:12]}...({len(repr(value))} digits)"
        raise ValueError(f"{text} is outside [0, 1]")
    return number


class Source(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    title: Text
    publisher: Optional[Text] = None
    year: Optional[int] = None
    url: Optional[Text] = None

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, value):
        if isinstance(value, bool) or (value is not None and not isinstance(value, int)):
            raise ValueError(f"expected a year as an integer, got {value!r}")
        return value


class Include(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    graph: str
    nodes: list[str]


class Node(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Ident
    kind: Literal[KINDS]
    label: Optional[Text] = None
    stage: Optional[Text] = None
    country: Optional[Ident] = None
    needs: Literal["all", "any"] = "all"
    critical_mineral: StrictBool = False
    stockpile_months: Optional[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = None
    unknown_max_share: Optional[Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]] = None
    note: Optional[Text] = None

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            shown = repr(value) if value.isprintable() is False else f"'{value}'"  # a newline shows as \n
            raise ValueError(f"{shown} may only contain letters, digits and . _ : -")
        return value

    @field_validator("stockpile_months", "unknown_max_share", mode="before")
    @classmethod
    def _no_bool(cls, value):
        if isinstance(value, bool) or isinstance(value, str):  # '1_000', '1:30': YAML 1.2 text, not numbers
            raise ValueError(f"expected a number, got {value!r}")
        return value

    @model_validator(mode="after")
    def _kind_fields(self) -> "Node":
        """The fields a kind takes and needs, from :data:`~chokepoint.model.schema.NODE_FIELDS`."""
        given = [spec for spec in NODE_FIELDS if self._given(spec.name)]
        extra = [spec for spec in given if not spec.takes(self.kind)]
        if extra and self.kind == "country":
            raise ValueError(f"{', '.join(s.name for s in extra)} do not apply to a country "
                             "(it supplies; it has no inputs)")
        if extra:
            spec = extra[0]
            if len(spec.applies) == 1:
                raise ValueError(f"'{spec.name}' is only for {_plural(spec.applies[0])}")
            kinds = [_plural(k) for k in spec.applies]
            raise ValueError(f"'{spec.name}' is for {', '.join(kinds[:-1])} and {kinds[-1]}, not {_plural(self.kind)}")
        for spec in NODE_FIELDS:
            if self.kind in spec.required and not self._given(spec.name):
                raise ValueError("a label is required" if spec.name == "label" else
                                 f"a {self.kind} needs a '{spec.name}'")
        return self

    def _given(self, name: str) -> bool:
        if name == "needs":
            return "needs" in self.model_fields_set
        value = getattr(self, name)
        return value not in (None, False, "")


def _plural(kind: str) -> str:
    return "facilities" if kind == "facility" else f"{kind}s"


class Edge(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    from_: Ident = Field(alias="from")
    to: Ident
    type: Literal["supplies", "requires"]
    share: Optional[Share] = None
    basis: Optional[Text] = None
    year: Optional[Annotated[int, Field(ge=1800, le=2200)]] = None
    source: Optional[Ident] = None
    fact: Optional[Annotated[str, Field(min_length=1, max_length=200), AfterValidator(no_control_characters)]] = None
    estimated: StrictBool = False
    note: Optional[Text] = None

    @field_validator("share", mode="before")
    @classmethod
    def _share(cls, value):
        return None if value is None else Share.parse(value)

    @field_validator("year", mode="before")
    @classmethod
    def _year(cls, value):
        if isinstance(value, bool) or (value is not None and not isinstance(value, int)):
            raise ValueError(f"expected a year as an integer, got {value!r}")
        return value

    @model_validator(mode="after")
    def _type_fields(self) -> "Edge":
        share = self.share
        if self.type == "supplies":
            if share is None:
                raise ValueError("a supplies edge needs a 'share'")
            if share.level is not None and not self.estimated:
                raise ValueError(f"share '{share.level}' is a level word: mark the edge 'estimated: true'")
        else:
            extra = [name for name in SUPPLY_ONLY_FIELDS if getattr(self, name) not in (None, False)]
            if extra:
                raise ValueError(f"{', '.join(extra)} only apply to supplies edges")
        return self

    @property
    def key(self) -> tuple[str, str]:
        return (self.from_, self.to)


class Document(BaseModel):
    """A validated graph document (includes resolved). Build it with :func:`chokepoint.load_graph`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    title: str
    description: Optional[str] = None
    sources: dict[str, Source] = Field(default_factory=dict)
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...] = ()

    def to_dict(self) -> dict:
        """The document as plain data with the file format's field names (round-trips)."""
        data = self.model_dump(mode="python", by_alias=True, exclude_none=True)
        data["nodes"] = [_compact_node(node) for node in self.nodes]
        data["edges"] = [_compact_edge(edge) for edge in self.edges]
        data["sources"] = {key: src.model_dump(exclude_none=True) for key, src in self.sources.items()}
        if not data["sources"]:
            del data["sources"]
        return data


def _compact_node(node: Node) -> dict:
    data = node.model_dump(exclude_none=True)
    if data.get("needs") == "all":
        del data["needs"]
    if not data.get("critical_mineral"):
        data.pop("critical_mineral", None)
    return data


def _compact_edge(edge: Edge) -> dict:
    data = edge.model_dump(by_alias=True, exclude_none=True)
    if edge.share is not None:
        data["share"] = edge.share.to_value()
    if not data.get("estimated"):
        data.pop("estimated", None)
    return data
