"""The tables of docs/file-format.md are made from the schema (chokepoint.model.schema).

Set CHOKEPOINT_UPDATE_DOCS=1 to rewrite them after changing the schema.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from chokepoint.model.document import Node
from chokepoint.model.schema import KINDS, LEVELS, NODE_FIELDS, markdown_tables

DOC = Path(__file__).resolve().parents[1] / "docs" / "file-format.md"
BLOCK = re.compile(r"(<!-- schema:(?P<key>[a-z ]+) \(.*?\) -->\n)(?P<body>.*?)(\n<!-- /schema:(?P=key) -->)", re.S)


def test_file_format_tables_are_the_schema():
    text = DOC.read_text()
    tables = markdown_tables()
    found = {m.group("key"): m.group("body") for m in BLOCK.finditer(text)}
    assert set(found) == set(tables), "docs/file-format.md lacks a schema table"
    if os.environ.get("CHOKEPOINT_UPDATE_DOCS"):
        DOC.write_text(BLOCK.sub(lambda m: m.group(1) + tables[m.group("key")] + m.group(4), text))
        return
    for key, body in found.items():
        assert body == tables[key], f"the '{key}' table of docs/file-format.md is out of date (CHOKEPOINT_UPDATE_DOCS=1)"


@pytest.mark.parametrize("kind", KINDS)
def test_validation_follows_the_schema(kind):
    """Every field a kind takes is accepted on it, every other one refused: the table drives the model."""
    values = {"stage": "refining", "country": "CN", "needs": "any", "critical_mineral": True,
              "stockpile_months": 3, "unknown_max_share": 0.2, "note": "n", "label": "x"}
    base = {"id": "CN" if kind == "country" else "n1", "kind": kind}
    for spec in NODE_FIELDS:
        if spec.name in ("id", "kind"):
            continue
        entry = {**base, "label": "x", "country": "CN"} if kind == "facility" else {**base, "label": "x"}
        entry[spec.name] = values[spec.name]
        if spec.takes(kind):
            Node.model_validate(entry)
        else:
            with pytest.raises(ValueError):
                Node.model_validate(entry)


def test_level_words_table_lists_every_word():
    assert all(f"`{word}`" in markdown_tables()["levels"] for word in LEVELS)
