"""The architecture, kept by a test (see docs/architecture.md).

Every import in ``src/chokepoint`` is parsed, those inside functions included, and the test fails on:
- an import cycle between modules;
- an import from a lower layer to a higher one;
- a private name (``_x``) imported across subpackages;
- a package import inside a function, or a third-party one without a comment saying why
  (an optional dependency, or a measured start-up cost); the one exception: in the ``cli`` package a
  package import inside a command may carry a comment saying "start-up" (``--help`` must not load the
  library: see tests/test_startup.py);
- a library that only some commands need (networkx, scipy.optimize, matplotlib, openpyxl, dask) imported
  at the top of a module other than those that exist for it (:data:`WHERE_USED`): elsewhere it is imported
  inside the function that uses it, so that loading a graph and running a scenario does not load it;
- a name of a lazy table (``_LAZY`` of ``chokepoint`` and ``chokepoint.api``, ``COMMANDS`` of the CLI) that
  names a module of a higher layer, or no module;
- more than 10 modules at the top level.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "chokepoint"

#: Layer of each top-level module or subpackage: an import may only go to the same layer or a lower one.
LAYERS = {
    "version": 0, "errors": 0, "lazy": 0,
    "model": 1,
    "formats": 2,
    "engine": 3,
    "analysis": 4, "importers": 4, "generate": 4, "remedies": 4,
    "api": 5,
    "plot": 6, "report": 6,
    "cli": 7,
    "__init__": 8, "__main__": 8,
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1] or ["__init__"]
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(SRC.rglob("*.py"))}


def package_of(name: str, path: Path) -> list[str]:
    parts = name.split(".") if name != "__init__" else []
    return parts if path.name == "__init__.py" else parts[:-1]


def imports(name: str, path: Path):
    """(target module, imported names, line number, inside a function, line text) of each package import."""
    tree = ast.parse(path.read_text())
    lines = path.read_text().splitlines()
    known = modules()
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package_of(name, path)
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    target = ".".join(base + ([child.module] if child.module else []))
                elif child.module and child.module.split(".")[0] == "chokepoint":
                    target = child.module[len("chokepoint."):] if child.module != "chokepoint" else ""
                else:
                    found.append((None, child.module, [a.name for a in child.names], child.lineno, in_function,
                                  lines[child.lineno - 1]))
                    continue
                for alias in child.names:
                    sub = f"{target}.{alias.name}" if target else alias.name
                    resolved = sub if sub in known else (target or "__init__")
                    found.append((resolved, None, [alias.name], child.lineno, in_function, lines[child.lineno - 1]))
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "chokepoint":
                        found.append((alias.name[len("chokepoint."):] or "__init__", None, [], child.lineno,
                                      in_function, lines[child.lineno - 1]))
                    else:
                        found.append((None, alias.name, [], child.lineno, in_function, lines[child.lineno - 1]))
            visit(child, inner)

    visit(tree, False)
    return found


def layer(module: str) -> int:
    return LAYERS[module.split(".")[0]]


def all_imports():
    for name, path in modules().items():
        for entry in imports(name, path):
            yield name, entry


def test_every_module_has_a_layer():
    unknown = sorted({name.split(".")[0] for name in modules()} - set(LAYERS))
    assert not unknown, f"modules with no layer in LAYERS (and docs/architecture.md): {unknown}"


def test_no_import_cycles():
    graph = nx.DiGraph()
    for name, (target, _, _, _, _, _) in all_imports():
        if target is not None and target != name:
            graph.add_edge(name, target)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_imports_go_down_the_layers():
    upward = [f"{name} -> {target} (line {line})" for name, (target, _, _, line, _, _) in all_imports()
              if target is not None and layer(target) > layer(name)]
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_no_private_name_crosses_a_subpackage():
    crossing = []
    for name, (target, _, names, line, _, _) in all_imports():
        if target is None:
            continue
        for imported in names:
            if imported.startswith("_") and not imported.startswith("__") and \
                    name.split(".")[0] != target.split(".")[0]:
                crossing.append(f"{name} imports {target}.{imported} (line {line})")
    assert not crossing, "\n".join(crossing)


def comment(text: str) -> str:
    """The comment at the end of an import line ('' when there is none)."""
    return text.partition("#")[2]


def hidden_imports(entries) -> list[str]:
    """The in-function imports that break the rule, from (module, import entry) pairs."""
    hidden = []
    for name, (target, external, _, line, in_function, text) in entries:
        if not in_function:
            continue
        if target is not None:
            if name.split(".")[0] == "cli" and "start-up" in comment(text):
                continue  # the command line loads the library when a command runs, not for --help
            hidden.append(f"{name}:{line}: package import inside a function: {text.strip()}")
        elif not any(word in comment(text) for word in ("optional", "start-up")):
            hidden.append(f"{name}:{line}: {external} imported inside a function without a comment "
                          f"saying why (optional dependency or measured start-up cost)")
    return hidden


def test_imports_sit_at_the_top():
    hidden = hidden_imports(all_imports())
    assert not hidden, "\n".join(hidden)


@pytest.mark.parametrize("module, source, allowed", [
    ("cli.scale", "def f():\n    from .. import api  # start-up: not for --help\n", True),
    ("cli.scale", "def f():\n    from .. import api\n", False),
    ("cli.scale", "def f():\n    from .. import api  # the start-up is slow\n", True),
    ("cli.scale", "def f():\n    from .. import api  # optional\n", False),
    ("analysis.scenarios", "def f():\n    from ..engine import evaluate  # start-up: not for --help\n", False),
    ("api", "def f():\n    from . import plot  # start-up\n", False),
    ("api", "def f():\n    import dask  # optional\n", True),
    ("api", "def f():\n    import pandas\n", False),
    ("api", "def f():\n    import pandas  # pandas, start-up\n", True),
    ("cli.render", "def f():\n    return 'start-up'; import os\n", False),
])
def test_the_checker_sees_hidden_imports(tmp_path, module, source, allowed):
    """Only the cli package may import the library inside a function, and only with a "start-up" comment;
    a third-party import inside a function needs a comment saying "optional" or "start-up"."""
    path = tmp_path / (module.split(".")[-1] + ".py")
    path.write_text(source)
    entries = [(module, entry) for entry in imports(module, path)]
    assert entries and all(entry[4] for _, entry in entries)  # each seen, and seen inside the function
    assert (hidden_imports(entries) == []) is allowed


#: The libraries that only some commands need (0.2-0.3 s each to import), and the modules that exist for them
#: and may import them at the top; anywhere else they are imported inside the function that uses them.
WHERE_USED = {
    "networkx": {"engine.reference"},
    "scipy.optimize": set(),
    "matplotlib": {"plot", "remedies.figures", "report.html"},
    "openpyxl": {"report.workbook"},
    "dask": set(), "distributed": set(),
}


def top_level_imports(path: Path):
    """(library, line) of each import at the top of a module (in ``if``/``try`` blocks too, not under
    ``if TYPE_CHECKING:``), a ``from scipy import optimize`` as ``scipy.optimize``."""
    def visit(body):
        for node in body:
            if isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    yield from visit(node.body)
                yield from visit(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody, *(h.body for h in node.handlers)):
                    yield from visit(block)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    yield alias.name, node.lineno
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                yield node.module, node.lineno
                for alias in node.names:
                    yield f"{node.module}.{alias.name}", node.lineno
    yield from visit(ast.parse(path.read_text()).body)


def heavy_at_the_top(name: str, path: Path) -> list[str]:
    found = []
    for library, line in top_level_imports(path):
        for heavy, allowed in WHERE_USED.items():
            if (library == heavy or library.startswith(heavy + ".")) and name not in allowed:
                found.append(f"{name}:{line}: {library} at the top (import it in the function that uses it, "
                             f"with a 'start-up' comment)")
    return found


def test_heavy_libraries_are_imported_where_used():
    found = [line for name, path in modules().items() for line in heavy_at_the_top(name, path)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("module, source, allowed", [
    ("model.graph", "import networkx as nx\n", False),
    ("model.graph", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import networkx as nx\n", True),
    ("model.graph", "def f():\n    import networkx as nx  # start-up\n", True),
    ("remedies.plan", "from scipy import optimize\n", False),
    ("remedies.plan", "try:\n    from scipy.optimize import milp\nexcept ImportError:\n    pass\n", False),
    ("remedies.plan", "from scipy import sparse\n", True),
    ("engine.reference", "import networkx as nx\n", True),
    ("analysis.chokepoints", "import networkx as nx\n", False),
    ("formats.graphs", "import matplotlib.pyplot\n", False),
])
def test_the_checker_sees_a_heavy_import(tmp_path, module, source, allowed):
    path = tmp_path / "m.py"
    path.write_text(source)
    assert (heavy_at_the_top(module, path) == []) is allowed


def test_the_lazy_tables_name_modules_of_the_same_layer_or_lower():
    """The names resolved on first use (PEP 562) and the CLI's commands are imported by name, which the
    import checks above cannot see: each table names modules that exist, of the same layer or lower."""
    import chokepoint
    from chokepoint import api, cli

    known = modules()
    tables = [("__init__", "", chokepoint._LAZY.values()), ("api", "api.", api._LAZY.values()),
              ("cli", "cli.", cli.COMMANDS.values())]
    for owner, prefix, targets in tables:
        for target in set(targets):
            assert prefix + target in known, f"{owner}: no module {prefix + target}"
            assert layer(prefix + target) <= layer(owner), f"{owner} -> {prefix + target}"


def test_at_most_ten_modules_at_the_top_level():
    top = sorted(p.name for p in SRC.glob("*.py"))
    assert len(top) <= 10, top


@pytest.mark.parametrize("source, message", [
    ("from ..cli import app\n", "lower to a higher"),
])
def test_the_checker_sees_an_upward_import(tmp_path, source, message):
    """The checks are real: an engine module importing the CLI is an upward import."""
    path = SRC / "engine" / "compile.py"
    found = imports("engine.compile", path) + [("cli", None, ["app"], 1, False, source)]
    assert any(t is not None and layer(t) > layer("engine.compile") for t, *_ in found)
