"""Start-up: `chokepoint --help`, `--version` and `CMD --help` do not load the library, and a command
loads only what it needs.

The heavy modules (pandas, networkx, scipy, matplotlib, numpy, pydantic) cost about half a second before
the first line of help; the CLI imports the library inside each command (docs/architecture.md, rule 3),
`--version` does not load typer, and `CMD` registers only its own module's commands. A command imports
only its own part of the API (the ``chokepoint.api`` modules by concern), and the libraries only some
commands need (networkx, scipy.optimize, matplotlib, openpyxl, dask) are imported where they are used.
What is imported is checked here with ``python -X importtime``, in a fresh interpreter each time; the time
itself is not asserted (it would be flaky on a shared machine).
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chokepoint.cli import COMMANDS

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"
FIXTURES = Path(__file__).parent / "fixtures"

HEAVY = {"pandas", "networkx", "scipy", "matplotlib", "numpy", "pydantic"}
LIBRARY = {"chokepoint.api", "chokepoint.model", "chokepoint.engine", "chokepoint.analysis", "chokepoint.formats.graphs"}


#: What the console script does (``from chokepoint.cli import main; main()``), then the modules loaded, on
#: stderr: ``-X importtime`` does not see a module imported by ``importlib.import_module`` (the CLI's command
#: modules, the API's parts), sys.modules does.
COMMAND = ("import sys\n"
           "sys.argv = ['chokepoint', *sys.argv[1:]]\n"
           "try:\n"
           "    from chokepoint.cli import main\n"
           "    main()\n"
           "finally:\n"
           "    sys.stderr.write('\\nloaded: ' + ' '.join(sorted(sys.modules)) + '\\n')\n")


def run(*args: str, code: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")])}
    command = [sys.executable, "-X", "importtime", "-c", code or COMMAND, *([] if code else args)]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=120)


def imported(stderr: str) -> set[str]:
    """Every module named in ``-X importtime`` output (a line per import: 'import time: self | total | name')
    and in the ``loaded:`` line of :data:`COMMAND`."""
    names = set()
    for line in stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
        elif line.startswith("loaded: "):
            names.update(line.split()[1:])
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
        assert result.stdout == __version__ + "\n"
        assert "typer" not in tops(names)  # answered before the command line is parsed
    else:
        assert "Usage:" in result.stdout and "cutoff" in result.stdout and "sweep" in result.stdout


@pytest.mark.parametrize("args", [("sweep", "--help"), ("cutoff", "--help"), ("analyse", "--help"),
                                  ("export", "--help"), ("import", "usgs", "--help")])
def test_command_help_does_not_load_the_library(args):
    result = run(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    names = imported(result.stderr)
    assert not tops(names) & HEAVY, sorted(tops(names) & HEAVY)  # pydantic too: typer would check the defaults
    assert not names & LIBRARY, sorted(names & LIBRARY)
    assert "Usage:" in result.stdout and "--help" in result.stdout
    modules = {name for name in names if name.startswith("chokepoint.cli.")} - {"chokepoint.cli.app",
                                                                               "chokepoint.cli.render"}
    assert modules == {f"chokepoint.cli.{COMMANDS[args[0]]}"}  # only the command's own module


def test_the_command_table_is_what_the_modules_register():
    """cli.COMMANDS (which module to import for a command, and the order --help lists them) is what the
    command modules register, and --help lists them in that order whichever command was registered first."""
    from chokepoint.cli import COMMANDS, app
    registered = {(info.name or info.callback.__name__.replace("_", "-")): info.callback.__module__
                  for info in app.registered_commands}
    for group in app.registered_groups:
        registered[group.name] = {info.callback.__module__ for info in group.typer_instance.registered_commands}.pop()
    assert registered == {name: f"chokepoint.cli.{module}" for name, module in COMMANDS.items()}
    probe = ("import sys; from chokepoint.cli import main\n"
             "for args in (['sweep', '--help'], ['--help']):\n"
             "    sys.argv = ['chokepoint', *args]\n"
             "    try:\n        main()\n    except SystemExit:\n        pass\n")
    result = run(code=probe)
    assert result.returncode == 0, result.stderr[-2000:]
    listed = [line.split()[0] for line in result.stdout.split("Commands:")[1].splitlines() if line.startswith("  ")]
    assert listed == list(COMMANDS)


@pytest.mark.parametrize("args", [("--max-nodes", "0", "cutoff", "--help"), ("--max-bytes", "x", "validate", "x")])
def test_a_top_level_option_given_is_still_checked(args):
    """Only the defaults skip typer's check (cli.app.Group): a value on the command line is refused as before."""
    result = run(*args)
    assert result.returncode == 1 and "Invalid value for '--max-" in result.stderr, result.stderr[-2000:]


#: What only some commands need: the linear programme, figures, the workbook, Dask, networkx (chokepoint
#: scores, the export's DiGraph), and the modules of the other commands.
NOT_FOR_A_SCENARIO = {"scipy.optimize", "matplotlib", "openpyxl", "dask", "distributed", "networkx",
                      "chokepoint.plot", "chokepoint.report", "chokepoint.remedies", "chokepoint.analysis.columns",
                      "chokepoint.analysis.chokepoints", "chokepoint.api.exchange", "chokepoint.api.chokepoints",
                      "chokepoint.api.remedies", "chokepoint.importers", "chokepoint.generate"}


def _loaded(names: set[str], prefixes) -> list[str]:
    return sorted(n for n in names if any(n == p or n.startswith(p + ".") for p in prefixes))


@pytest.mark.parametrize("args, only", [
    (("cutoff", str(FIXTURES / "valid.yaml"), "-c", "CN", "--json"), "chokepoint.api.scenarios"),
    (("validate", str(FIXTURES / "valid.yaml"), "--json"), "chokepoint.api.graphs"),
    (("sweep", str(FIXTURES / "valid.yaml"), "--json"), "chokepoint.api.scenarios"),
])
def test_a_scenario_loads_only_what_it_needs(args, only):
    """cutoff, validate and sweep run (the command's module, its part of the API, the graph, the engine)
    without the linear programme, figures, networkx, the exporters or the other commands' modules."""
    result = run(*args)
    assert result.returncode == 0, result.stderr[-2000:]
    names = imported(result.stderr)
    assert only in names and "pandas" in names  # the check is real: the command ran and loaded the library
    assert not _loaded(names, NOT_FOR_A_SCENARIO), _loaded(names, NOT_FOR_A_SCENARIO)
    api_parts = {n for n in names if n.startswith("chokepoint.api.")} - {only, "chokepoint.api.graphs",
                                                                        "chokepoint.api.rows"}
    assert not api_parts, sorted(api_parts)
    if args[0] == "validate":
        assert not _loaded(names, ["chokepoint.engine", "chokepoint.analysis"])


def test_the_api_names_each_module_once():
    """chokepoint.api resolves each public name from the module that holds it (docs/architecture.md): every
    module's __all__ is in its table, no name is also a module's (the import system would replace it)."""
    from chokepoint import api
    modules = sorted(p.stem for p in (SRC / "chokepoint" / "api").glob("*.py") if p.stem != "__init__")
    table = api._LAZY
    assert sorted(set(table.values())) == modules
    for module in modules:
        held = importlib.import_module(f"chokepoint.api.{module}")
        assert sorted(held.__all__) == sorted(n for n, m in table.items() if m == module), module
    assert not set(table) & set(modules)
    for name in api.__all__:
        assert getattr(api, name) is getattr(importlib.import_module(f"chokepoint.api.{table[name]}"), name)


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
