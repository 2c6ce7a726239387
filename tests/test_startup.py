"""Start-up: `chokepoint --help`, `--version` and `CMD --help` do not load the library.

The heavy modules (pandas, networkx, scipy, matplotlib, numpy; pydantic for the top-level help) cost
about half a second before the first line of help; the CLI imports the library inside each command
(docs/architecture.md, rule 3). What is imported is checked here with ``python -X importtime``, in a
fresh interpreter each time; the time itself is not asserted (it would be flaky on a shared machine).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
FIXTURES = Path(__file__).parent / "fixtures"

HEAVY = {"pandas", "networkx", "scipy", "matplotlib", "numpy", "pydantic"}
#: typer (0.2x) checks the top-level --help flag's value with a pydantic TypeAdapter while it parses
#: `CMD --help`, so pydantic is imported by typer there, not by chokepoint.
HEAVY_FOR_COMMAND_HELP = HEAVY - {"pydantic"}
LIBRARY = {"chokepoint.api", "chokepoint.model", "chokepoint.engine", "chokepoint.analysis", "chokepoint.formats.graphs"}


def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-X", "importtime"] + (["-c", code] if code else ["-m", "chokepoint", *args])
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def imported(stderr: str) -> set[str]:
    """Every module named in ``-X importtime`` output (a line per import: 'import time: self | total | name')."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


def tops(names: set[str]) -> set[str]:
    return {name.split(".")[0] for name in names}


@pytest.mark.parametrize("args", [("--help",), ("--version",), ()])
def test_help_and_version_do_not_load_the_library(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    names = imported(result.stderr)
    assert "chokepoint.cli" in names  # the check is real: the CLI itself was imported and timed
    assert not tops(names) & HEAVY, sorted(tops(names) & HEAVY)
    assert not names & LIBRARY, sorted(names & LIBRARY)
    if args == ("--version",):
        from chokepoint import __version__
        assert result.stdout.strip() == __version__
    else:
        assert "Usage:" in result.stdout and "cutoff" in result.stdout and "sweep" in result.stdout


@pytest.mark.parametrize("args", [("sweep", "--help"), ("cutoff", "--help"), ("analyse", "--help"),
                                  ("export", "--help"), ("import", "usgs", "--help")])
def test_command_help_does_not_load_the_library(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    names = imported(result.stderr)
    assert not tops(names) & HEAVY_FOR_COMMAND_HELP, sorted(tops(names) & HEAVY_FOR_COMMAND_HELP)
    assert not names & LIBRARY, sorted(names & LIBRARY)
    assert "Usage:" in result.stdout and "--help" in result.stdout


def test_a_command_loads_the_library_and_takes_the_limits():
    """The other side: a command that runs imports the library, and --max-nodes set before the library
    is loaded still applies (cli.app._root imports it to set the limit)."""
    result = run("--max-nodes", "5", "validate", str(FIXTURES / "valid.yaml"))
    assert result.returncode == 1
    assert "over the limit of 5 (raise it with --max-nodes)" in result.stderr
    assert "chokepoint.api" in imported(result.stderr)
    result = run("validate", str(FIXTURES / "valid.yaml"))
    assert result.returncode == 0 and "valid" in result.stdout, result.stderr[-2000:]


def test_import_chokepoint_is_light_and_every_public_name_resolves():
    probe = ("import sys, chokepoint\n"
             "heavy = sorted({m.split('.')[0] for m in sys.modules} & %r)\n"
             "print('heavy:', heavy)\n"
             "from chokepoint import *\n"
             "print('names:', sorted(n for n in chokepoint.__all__ if n not in globals()))\n" % (HEAVY,))
    result = run(code=probe)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "heavy: []" in result.stdout
    assert "names: []" in result.stdout  # `from chokepoint import *` gives every public name

    import chokepoint
    from chokepoint import api, model
    from chokepoint.formats import graphs
    for name in chokepoint.__all__:
        assert getattr(chokepoint, name) is not None
        assert name in dir(chokepoint)
    assert chokepoint.cutoff is api.cutoff and chokepoint.Graph is model.Graph
    assert chokepoint.load_graph is graphs.load_graph
    with pytest.raises(AttributeError, match="no attribute 'no_such_name'"):
        chokepoint.no_such_name  # noqa: B018


def test_the_help_defaults_are_the_librarys():
    """The CLI writes out the defaults its help shows (so as not to import the library for them)."""
    app = importlib.import_module("chokepoint.cli.app")  # the module (chokepoint.cli.app is also the typer app)
    from chokepoint.formats.graphs import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES
    from chokepoint.model import DEFAULT_THRESHOLD
    assert (app.DEFAULT_MAX_BYTES, app.DEFAULT_MAX_NODES, app.DEFAULT_THRESHOLD) == \
        (DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES, DEFAULT_THRESHOLD)


def test_the_cli_still_sets_the_matplotlib_backend():
    """cli/__init__.py sets MPLBACKEND=Agg before anything can import matplotlib, whatever it was."""
    probe = "import os; os.environ['MPLBACKEND'] = 'bogus'; import chokepoint.cli; print(os.environ['MPLBACKEND'])"
    result = run(code=probe)
    assert result.returncode == 0 and result.stdout.strip() == "Agg", result.stderr[-2000:]
