"""Safe YAML loading: the YAML 1.2 core schema, no duplicate keys, and a bound on aliases.

PyYAML follows YAML 1.1, where ``NO`` (Norway's country code), ``yes``, ``on`` and ``off`` are
booleans, ``012`` is octal 10, ``1:30`` is the sexagesimal 90, ``1_000`` is 1000, ``2025-01-01``
is a date and ``9e-1`` is a string. Here plain scalars resolve as in the YAML 1.2 core schema:

- booleans are only ``true``/``false`` (any case form the spec allows), nulls ``null``/``~``/empty;
- integers are decimal ``[-+]?[0-9]+``, octal ``0o17`` and hexadecimal ``0x1F``; everything
  YAML 1.1 also read as a number (``1:30``, ``1_000``, ``0b101``) is a string;
- floats are ``1.5``, ``.5``, ``9e-1``, ``1E3``, ``.inf``, ``.nan``; no timestamps.

A decimal with a leading zero (``012``) is refused: YAML 1.1 reads it as octal 10 and YAML 1.2
as 12, and ids written that way were meant as text; quoting it or dropping the zero says which.
Integers of more than :data:`MAX_DIGITS` digits are refused (Python will not convert them).

A mapping that repeats a key is refused with both lines: PyYAML would silently keep the last.

Tags that construct Python objects are refused (``SafeConstructor``). Aliases are bounded twice:
at most :data:`MAX_ALIASES` alias references, and the document they expand to (every alias
counted as a full copy of what it names) at most :data:`MAX_EXPANDED` nodes, so that a "billion
laughs" document is refused before anything downstream walks it. Recursive aliases are refused.

Parsing is libyaml's (``CSafeLoader``) when present, whatever the text contains; construction is
always the Python ``SafeConstructor`` with the checks above.
"""

from __future__ import annotations

import re

import yaml
from yaml.constructor import ConstructorError

MAX_ALIASES = 1000
#: Nodes the document may have once every alias is expanded (a copy per alias).
MAX_EXPANDED = 2_000_000
#: Longest integer literal read (Python's own limit for int(str)).
MAX_DIGITS = 4300

try:  # libyaml's parser when present; construction stays SafeConstructor
    from yaml import CSafeLoader as _Base
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _Base

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_NULL = "tag:yaml.org,2002:null"
_MERGE = "tag:yaml.org,2002:merge"

#: YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution).
CORE_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
CORE_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
CORE_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
CORE_FLOAT = re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9]+$")


def _core_resolvers() -> dict:
    resolvers: dict = {}

    def add(tag, regexp, first):
        for ch in first:
            resolvers.setdefault(ch, []).append((tag, regexp))

    add(_BOOL, CORE_BOOL, "tTfF")
    add(_NULL, CORE_NULL, ["~", "n", "N", ""])
    add(_INT, CORE_INT, "-+0123456789")
    add(_FLOAT, CORE_FLOAT, "-+0123456789.")
    add(_MERGE, re.compile(r"^(?:<<)$"), "<")
    return resolvers


def _mark(node) -> str:
    return f"line {node.start_mark.line + 1}"


class CoreSafeLoader(_Base):
    """A safe loader with the YAML 1.2 core schema, no duplicate keys and bounded aliases."""

    yaml_implicit_resolvers = _core_resolvers()

    def construct_yaml_int(self, node):
        text = self.construct_scalar(node)
        if _LEADING_ZERO.match(text):
            sign = "-" if text.startswith("-") else ""
            digits = sign + (text.lstrip("+-").lstrip("0") or "0")
            body = text.lstrip("+-")
            old = f"octal {sign}{int(body, 8)}" if set(body) <= set("01234567") else "text"
            raise ConstructorError(None, None, f"'{text}' has a leading zero: YAML 1.1 reads it as {old} and "
                                   f"YAML 1.2 as {digits}; quote it ('{text}') for text, or write {digits} "
                                   "for the number", node.start_mark)
        body = text.lstrip("+-")
        if body.startswith("0o"):
            return int(body[2:], 8) * (-1 if text.startswith("-") else 1)
        if body.startswith("0x"):
            return int(body[2:], 16) * (-1 if text.startswith("-") else 1)
        if len(body) > MAX_DIGITS:
            raise ConstructorError(None, None, f"an integer of {len(body):,} digits is too long to read "
                                   f"(at most {MAX_DIGITS:,})", node.start_mark)
        return int(text)

    def construct_yaml_float(self, node):
        text = self.construct_scalar(node).lower()
        if text.endswith(".inf"):
            return float("-inf") if text.startswith("-") else float("inf")
        if text == ".nan":
            return float("nan")
        return float(text)

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE:
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    first = seen.setdefault(key, key_node)
                except TypeError:  # an unhashable key: SafeConstructor's own error follows
                    continue
                if first is not key_node:
                    shown = key if isinstance(key, str) else repr(key)
                    shown = shown if len(shown) <= 60 else shown[:57] + "..."
                    raise ConstructorError(None, None, f"duplicate key '{shown}' (first at {_mark(first)}); "
                                           "a repeated key would silently replace the first",
                                           key_node.start_mark)
        return super().construct_mapping(node, deep=deep)

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            check_aliases(node)
        return node


CoreSafeLoader.add_constructor(_INT, CoreSafeLoader.construct_yaml_int)
CoreSafeLoader.add_constructor(_FLOAT, CoreSafeLoader.construct_yaml_float)


def check_aliases(root) -> None:
    """Refuse a node graph with too many aliases, a recursive alias, or too large an expansion.

    Aliases compose to the same node object appearing again; the expanded size counts every
    appearance as a full copy. Iterative (deeply nested documents do not recurse here).
    """
    size: dict[int, int] = {}
    aliases = 0
    state: dict[int, int] = {}  # 1 visiting, 2 done
    referenced = {id(root)}  # nodes met so far: meeting one again is an alias
    stack = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        children = _children(node)
        if leaving:
            total = 1 + sum(size[id(c)] for c in children)
            if isinstance(node, yaml.ScalarNode):
                total += len(node.value) // 1000
            size[key] = total
            state[key] = 2
            if total > MAX_EXPANDED:
                raise yaml.YAMLError(f"aliases expand the document past {MAX_EXPANDED:,} nodes ({_mark(node)}); "
                                     "refusing a possible alias bomb")
            continue
        if state.get(key) == 2:
            continue
        state[key] = 1
        stack.append((node, True))
        for child in children:
            ck = id(child)
            if ck in referenced:
                aliases += 1
                if aliases > MAX_ALIASES:
                    raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases ({_mark(child)}); "
                                         "refusing a possible alias bomb")
                if state.get(ck) == 1:
                    raise yaml.YAMLError(f"a recursive alias ({_mark(child)}): a node that contains itself")
                if ck in state:
                    continue
            referenced.add(ck)
            stack.append((child, False))


def _children(node) -> list:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load(text: str):
    """Parse YAML text safely (see module docstring)."""
    return yaml.load(text, Loader=CoreSafeLoader)  # noqa: S506 - a SafeLoader subclass
