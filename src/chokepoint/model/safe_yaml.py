"""Safe YAML loading with YAML 1.2 booleans and a bound on aliases.

PyYAML follows YAML 1.1, where ``NO`` (Norway's country code), ``yes``, ``on`` and ``off`` are
booleans. Here only ``true``/``false`` are, so ``id: NO`` stays a string. Tags that construct
Python objects are refused (``SafeLoader``), and a document with more than ``MAX_ALIASES`` alias
references is refused to bound "billion laughs" expansion.
"""

from __future__ import annotations

import re

import yaml

MAX_ALIASES = 1000

try:  # libyaml's parser when present; construction stays SafeConstructor
    from yaml import CSafeLoader as _FastBase
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeLoader as _FastBase

_ANCHOR = re.compile(r"&[^\s]")


def _yaml12_booleans(cls):
    cls.yaml_implicit_resolvers = {
        key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
        for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    cls.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return cls


@_yaml12_booleans
class StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans that counts alias references as it composes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases = getattr(self, "_aliases", 0) + 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.YAMLError(f"more than {MAX_ALIASES} aliases (line {mark.line + 1}); "
                                     "refusing a possible alias bomb")
        return super().compose_node(parent, index)


@_yaml12_booleans
class FastSafeLoader(_FastBase):
    """libyaml-backed SafeLoader with YAML 1.2 booleans, for documents without anchors."""


def load(text: str):
    """Parse YAML text safely (see module docstring)."""
    loader = StrictSafeLoader if _ANCHOR.search(text) else FastSafeLoader
    return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclasses
