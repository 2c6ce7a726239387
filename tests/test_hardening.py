"""The catalogue of bad inputs: one line on stderr naming the file and the entry, exit code 1,
no traceback, and no output file written. Plus safe YAML, limits and atomic writes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chokepoint.errors import InputError
from chokepoint.formats.files import atomic_write
from chokepoint.formats.graphs import save_graph

from conftest import FIXTURES

INVALID = sorted((FIXTURES / "invalid").glob("*.yaml"))
VALID = (FIXTURES / "valid.yaml").read_text(encoding="utf-8")


def generated_bad_inputs(folder: Path) -> dict[str, tuple[Path, str]]:
    """Bad files that are easier to make than to keep: name -> (path, expected text in the error)."""
    cases = {}

    def put(name, content: bytes, expect):
        path = folder / name
        path.write_bytes(content)
        cases[name] = (path, expect.replace("FILE", str(path)))

    put("binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "FILE: a binary file, not YAML or JSON")
    put("latin1.yaml", VALID.replace("Holmium-copper", "Holmium-cuivre \xe9").encode("latin-1"),
        "FILE: not UTF-8 text")
    put("long_label.yaml", VALID.replace("label: Cryocooler", "label: " + "x" * 20_000).encode(),
        "nodes[4] (id 'cooler').label: String should have at most 10000 characters")
    put("long_id.yaml", VALID.replace("id: qc,", f"id: {'q' * 300},").encode(),
        "id: String should have at most 200 characters")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9))
    bomb += "".join(f"k{i}: [{', '.join(['*j'] * 100)}]\n" for i in range(12))
    put("alias_bomb.yaml", bomb.encode(), "aliases")
    put("only_comment.yaml", b"# nothing here\n", "FILE: a graph file must be a mapping")
    put("scalar.yaml", b"42\n", "FILE: a graph file must be a mapping with 'name', 'title' and 'nodes', not a int")
    put("wrong_type_year.yaml", VALID.replace("year: 2025", "year: twenty-five").encode(),
        "edges[0] (ho-plant -> ho-cu).year: expected a year as an integer, got 'twenty-five'")
    put("bool_share.yaml", VALID.replace("share: 0.9", "share: true").encode(),
        "edges[0] (ho-plant -> ho-cu).share: expected a number in [0, 1]")
    put("norway.yaml", VALID.replace("{id: JP, kind: country}", "{id: NO, kind: country}")
        .replace("from: JP", "from: NO").encode(), "")  # valid: NO stays Norway, not false
    return cases


@pytest.fixture(scope="module")
def bad_inputs(tmp_path_factory):
    return generated_bad_inputs(tmp_path_factory.mktemp("bad"))


def expectation(path: Path) -> str:
    first = path.read_text(encoding="utf-8", errors="replace").splitlines()[:1]
    return first[0].removeprefix("# expect: ").replace("tiny.yaml", str(path)) if first and first[0].startswith("# expect") else ""


def all_cases(bad):
    cases = [(p.stem, p, expectation(p)) for p in INVALID if expectation(p)]
    cases.append(("empty", FIXTURES / "invalid" / "empty.yaml", "empty file"))
    return cases


@pytest.mark.parametrize("command", [
    ["validate"], ["show"], ["analyse"], ["target"], ["cutoff", "--country", "CN"],
    ["export", "--format", "graphml", "-o", "OUT"],
])
def test_catalogue_every_bad_input_every_command(cli, tmp_path, bad_inputs, command):
    cases = all_cases(bad_inputs) + [(k, p, e) for k, (p, e) in bad_inputs.items() if e]
    tried = 0
    for name, path, expected in cases:
        out = tmp_path / f"{name}.graphml"
        args = [a if a != "OUT" else out for a in command]
        result = cli(args[0], path, *args[1:])
        assert result.code == 1, (name, result.err)
        assert "Traceback" not in result.err, name
        lines = result.err.splitlines()
        assert lines and all(line.startswith("error: ") for line in lines), (name, lines)
        assert any(expected in line for line in lines), (name, expected, lines)
        assert str(path) in lines[0] or path.name in lines[0], (name, lines[0])
        assert not out.exists(), name
        assert result.out == "", name
        tried += 1
    assert tried >= 40


def test_single_problem_fixtures_give_exactly_one_line(cli):
    multi = {"wrong_type"}  # a typed field can add pydantic's own second line: none expected here
    for path in INVALID:
        if not expectation(path):
            continue
        result = cli("validate", path)
        assert len(result.err.splitlines()) == 1 or path.stem in multi, (path.stem, result.err)


def test_norway_stays_a_country(bad_inputs, cli):
    path, _ = bad_inputs["norway.yaml"]
    result = cli("cutoff", path, "--country", "NO")
    assert result.code == 0, result.err
    assert "Cutoff of NO" in result.out


def test_limits_name_the_option_that_raises_them(cli):
    result = cli("--max-bytes", "1000", "analyse", "quantum")
    assert result.code == 1 and "raise it with --max-bytes" in result.err
    result = cli("--max-nodes", "5", "analyse", FIXTURES / "valid.yaml")
    assert result.code == 1 and "6 nodes is over the limit of 5 (raise it with --max-nodes)" in result.err
    assert cli("analyse", FIXTURES / "valid.yaml").code == 0  # limits do not leak into the next run


def test_atomic_write_failure_leaves_existing_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "graph.yaml"
    target.write_text("# written by chokepoint\nold: content\n")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(InputError, match="cannot write \\(No space left on device\\)"):
        atomic_write(target, "new content")
    assert target.read_text() == "# written by chokepoint\nold: content\n"
    assert [p.name for p in tmp_path.iterdir()] == ["graph.yaml"]


def test_save_graph_needs_force_for_a_file_it_did_not_write(tmp_path):
    from chokepoint import load_graph

    graph = load_graph(FIXTURES / "valid.yaml")
    target = tmp_path / "notes.yaml"
    target.write_text("my notes\n")
    with pytest.raises(InputError, match="pass --force"):
        save_graph(graph, target)
    assert target.read_text() == "my notes\n"
    save_graph(graph, target, force=True)
    save_graph(graph, target)  # ours now
    assert load_graph(target).document == graph.document
