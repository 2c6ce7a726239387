"""Fuzzing the USGS and table importers with mutated real files (hypothesis, bounded examples).

Only the tool's own errors may come out; every crash found is kept in tests/fixtures/fuzz/ and
replayed by ``test_regression_fixtures``. Raise the bound with CHOKEPOINT_FUZZ_EXAMPLES.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chokepoint.errors import ChokepointError
from chokepoint.importers.table import import_table
from chokepoint.importers.usgs import import_usgs
from chokepoint.model.validate import parse_document

from conftest import FIXTURES, REPO

WORLD = REPO / "data" / "usgs-mcs-2025" / "MCS2025_World_Data.csv"
LINES = WORLD.read_bytes().splitlines(keepends=True)
EXAMPLES = int(os.environ.get("CHOKEPOINT_FUZZ_EXAMPLES", "120"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
CELLS = st.sampled_from(["", "W", "NA", ">90000000", "-5", "1e400", "nan", "0", "World total (rounded)",
                         "Other countries", "Korea, North", "Atlantis", "\u00a0", '"', "1,234", "x" * 300])


@st.composite
def mutated_usgs(draw) -> bytes:
    """A slice of the real file with rows dropped, duplicated, cut short, or cells replaced."""
    start = draw(st.integers(1, len(LINES) - 40))
    body = LINES[start:start + draw(st.integers(1, 40))]
    header = LINES[0]
    out = []
    for line in body:
        action = draw(st.sampled_from(["keep", "keep", "drop", "dup", "cut", "cell"]))
        if action == "drop":
            continue
        if action == "dup":
            out += [line, line]
        elif action == "cut":
            out.append(line[: draw(st.integers(0, len(line)))] + b"\n")
        elif action == "cell":
            cells = line.decode("utf-8", "replace").rstrip("\r\n").split(",")
            cells[draw(st.integers(0, len(cells) - 1))] = draw(CELLS)
            out.append((",".join(cells) + "\n").encode())
        else:
            out.append(line)
    if draw(st.booleans()):
        header = header.replace(draw(st.sampled_from([b"COUNTRY", b"TYPE", b"PROD_2023", b"UNIT_MEAS"])), b"X")
    return header + b"".join(out)


def run_importer(function, path, **options):
    try:
        result = function(path, **options)
    except ChokepointError:
        return None
    try:
        parse_document(result.document, path.name)
    except ChokepointError:
        pass  # e.g. a slice with no items at all: reported as a validation error, not a crash
    return result


@FUZZ
@given(mutated_usgs(), st.sampled_from(["world", "sum"]))
def test_usgs_importer_on_mutated_files(tmp_path_factory, blob, denominator):
    path = tmp_path_factory.mktemp("usgs") / "MCS2025_World_Data.csv"
    path.write_bytes(blob)
    run_importer(import_usgs, path, denominator=denominator)


ROWS = st.lists(st.tuples(st.sampled_from(["gallium", "cobalt", "", "x" * 50, "1"]),
                          st.sampled_from(["refining", "mining", ""]),
                          st.sampled_from(["China", "CN", "CHN", "Congo (Kinshasa)", "Narnia", "", "W"]),
                          st.one_of(st.sampled_from(["", "W", "-1", "nan", "inf", "0.5", "1.5", "45%"]),
                                    st.floats(allow_nan=True, allow_infinity=True).map(str))),
                max_size=25)


@FUZZ
@given(ROWS, st.booleans(), st.sampled_from([".csv", ".tsv"]))
def test_table_importer_on_generated_tables(tmp_path_factory, rows, shares, suffix):
    sep = "," if suffix == ".csv" else "\t"
    text = sep.join(["item", "stage", "country", "value"]) + "\n"
    text += "".join(sep.join(f'"{c}"' for c in row) + "\n" for row in rows)
    path = tmp_path_factory.mktemp("table") / f"t{suffix}"
    path.write_text(text, encoding="utf-8")
    result = run_importer(import_table, path, shares=shares)
    if result is not None:
        for edge in result.document["edges"]:
            if edge["type"] == "supplies":
                assert 0.0 <= edge["share"] <= 1.0


@pytest.mark.parametrize("path", sorted([*(FIXTURES / "fuzz").glob("*.*"), *(FIXTURES / "invalid").glob("fuzz_*")]),
                         ids=lambda p: p.name)
def test_regression_fixtures(path):
    """Inputs that once crashed an importer or loader: now a clean error or a clean import."""
    from chokepoint import load_graph

    if path.suffix == ".csv" and path.name.startswith("usgs"):
        run_importer(import_usgs, path)
    elif path.suffix in (".csv", ".tsv"):
        run_importer(import_table, path)
    else:
        try:
            load_graph(path)
        except ChokepointError:
            pass
