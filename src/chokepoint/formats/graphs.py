"""Reading and writing graph files, and finding the bundled graphs.

``load_graph`` takes a bundled name (``quantum``) or a path to a YAML or JSON file, resolves
``include`` entries and validates the result. ``save_graph`` writes a document atomically.
"""

from __future__ import annotations

import json
import os
import re
import warnings
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError as PydanticError

try:  # optional dependency (the "scale" extra): parses large JSON several times faster
    import orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    orjson = None

from ..errors import InputError, ValidationError
from ..model import Graph, Node, Problems, parse_document, parse_includes, safe_json, safe_yaml
from ..model.columnar import columns_from_data
from ..model.graph import gc_paused
from .exchange import is_node_link, node_link_to_data, read_graphml
from .files import GENERATOR, OWNER_MARK, YAML_MARKER, atomic_write, check_output
from .tables import TABLE_SUFFIXES, is_table_path, read_table_graph

#: Files larger than this are refused unless the caller raises ``max_bytes`` (``--max-bytes``).
#: Reading and validating takes about 25 bytes of memory per byte of JSON: 256 MiB stays near
#: 6 GB, within a 24 GB machine with room to spare.
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
#: Graphs with more nodes than this are refused unless the caller raises ``max_nodes`` (``--max-nodes``).
DEFAULT_MAX_NODES = 2_000_000
#: The bounds in force; the CLI's global options set them for the whole run.
LIMITS = {"max_bytes": DEFAULT_MAX_BYTES, "max_nodes": DEFAULT_MAX_NODES}
GRAPH_SUFFIXES = (".yaml", ".yml", ".json")
#: What ``load_graph`` reads: graph files, the exports that read back losslessly, and table pairs.
READ_SUFFIXES = GRAPH_SUFFIXES + (".graphml",) + TABLE_SUFFIXES


def graphs_dir() -> Path:
    """The folder of bundled graphs: inside the installed package, or ``graphs/`` in a checkout."""
    packaged = resources.files("chokepoint").joinpath("graphs")
    if packaged.is_dir():
        return Path(str(packaged))
    checkout = Path(__file__).resolve().parents[3] / "graphs"
    if checkout.is_dir():
        return checkout
    raise InputError("the bundled graphs are missing from this installation (reinstall chokepoint)")


def bundled_names() -> list[str]:
    """Names of the bundled graphs, sorted."""
    return sorted(p.stem for p in graphs_dir().iterdir() if p.suffix in GRAPH_SUFFIXES)


def resolve_path(name_or_path: str | os.PathLike) -> Path:
    """A bundled graph's file for a name, or the given path when it is a file."""
    text = str(name_or_path)
    path = Path(text)
    bare = not path.suffix and os.sep not in text and "/" not in text
    if bare:  # a bundled name wins over a file or folder of that name in the current folder: said so
        for suffix in GRAPH_SUFFIXES:
            candidate = graphs_dir() / f"{text}{suffix}"
            if candidate.is_file():
                local = [p for p in (Path(text), *(Path(text + s) for s in GRAPH_SUFFIXES)) if os.path.lexists(p)]
                if local:
                    warnings.warn(f"'{text}' is the bundled graph {text}; {local[0]} in this folder is not read "
                                  f"(give ./{local[0]} to read it)", stacklevel=2)
                return candidate
        if not path.is_file() and not is_table_path(path):
            raise InputError(f"{text}: neither a file nor a bundled graph (bundled: {', '.join(bundled_names())})")
    if is_table_path(path):
        return path
    if path.suffix.lower() in TABLE_SUFFIXES and not path.is_file():
        raise InputError(f"{text}: no such table pair (expected {path.with_suffix('')}.nodes{path.suffix} and "
                         f"{path.with_suffix('')}.edges{path.suffix})")
    if not path.exists():
        raise InputError(f"{text}: no such file")
    if not path.is_file():
        raise InputError(f"{text}: not a file (a folder is read as a graph when it holds nodes.csv and edges.csv)")
    if path.suffix and path.suffix.lower() not in READ_SUFFIXES:
        raise InputError(f"{text}: unsupported file type '{path.suffix}' (graphs are read from "
                         f"{', '.join(READ_SUFFIXES)})")
    return path


def read_data(path: Path, *, max_bytes: int | None = None, origin: str | None = None):
    """Read a YAML or JSON file into plain data, with one-line errors naming the file (as ``origin``)."""
    name = origin or str(path)
    max_bytes = LIMITS["max_bytes"] if max_bytes is None else max_bytes
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    if size > max_bytes:
        raise InputError(f"{name}: {size:,} bytes is over the limit of {max_bytes:,} (raise it with --max-bytes)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror})") from None
    if b"\x00" in raw[:8192]:
        raise InputError(f"{name}: a binary file, not YAML or JSON")
    if path.suffix.lower() == ".json":
        fast = _fast_json(raw)  # before decoding: orjson reads the bytes (and refuses what is not UTF-8)
        if fast is not None:
            return fast
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r})") from None
    if not text.strip():
        raise InputError(f"{name}: empty file")
    if path.suffix.lower() == ".json":
        try:
            return safe_json.loads(text)
        except (json.JSONDecodeError, safe_json.JSONError) as exc:
            raise InputError(f"{name}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        except RecursionError:
            raise InputError(f"{name}: nested too deeply to be a graph file") from None
    try:
        return safe_yaml.load(text)
    except RecursionError:
        raise InputError(f"{name}: nested too deeply to be a graph file") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = (exc.problem or exc.context or "syntax error").strip()
        if "could not determine a constructor" in problem:
            tag = problem.split("'")[1] if problem.count("'") >= 2 else problem
            tag = tag.replace("tag:yaml.org,2002:", "!!")
            problem = f"refused tag {tag} (only plain YAML is read; nothing was constructed)"
        raise InputError(f"{name}: invalid YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{name}: invalid YAML: {str(exc).splitlines()[0]}") from None


_KEY = re.compile(rb'"[ \t\n\r]*:')


def _fast_json(raw: bytes):
    """JSON parsed by orjson when it is installed and the text provably has no repeated key in
    any object (orjson, like ``json``, would keep the last silently); else None, and
    :func:`safe_json.loads` reads it (and says what is wrong).

    Every key is followed by a colon, so when the keys parsed equal the colons in the text (or,
    failing that, the quote-colon pairs), no key was dropped as a repeat.
    """
    if orjson is None or len(raw) < FAST_JSON_BYTES:
        return None
    try:
        data = orjson.loads(raw)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        return None
    counted = _keys(data)
    if counted is None:
        return None
    if raw.count(b":") == counted or _key_colons(raw) == counted:
        return data
    return None


def _key_colons(raw: bytes) -> int:
    """How many colons follow a quote, with only whitespace between (``_KEY``'s matches): when
    no quote is followed by whitespace anywhere, simply the quote-colon pairs (a fast count)."""
    if not any(pair in raw for pair in (b'" ', b'"\t', b'"\n', b'"\r')):
        return raw.count(b'":')
    return len(_KEY.findall(raw))


def _keys(data) -> int | None:
    """Keys in the document's objects; None for a shape the count does not cover."""
    if not isinstance(data, dict):
        return None
    total = len(data)
    for key, value in data.items():
        if key in ("nodes", "edges") and isinstance(value, list):
            if value and set(map(type, value)) != {dict}:
                return None
            total += sum(map(len, value))
            continue
        total += _nested_keys(value)
    return total


def _nested_keys(value) -> int:
    if isinstance(value, dict):
        return len(value) + sum(_nested_keys(v) for v in value.values())
    if isinstance(value, list):
        return sum(_nested_keys(v) for v in value)
    return 0


#: JSON smaller than this is read by the standard library (orjson's gain is not worth a second path).
FAST_JSON_BYTES = 1_000_000


def load_graph(name_or_path, *, max_bytes: int | None = None, max_nodes: int | None = None) -> Graph:
    """Load, resolve and validate a graph.

    Parameters
    ----------
    name_or_path
        A bundled graph's name (see :func:`bundled_names`) or the path of a YAML or JSON file.
    max_bytes
        Refuse files larger than this (default: ``LIMITS["max_bytes"]``, 1 GiB).
    max_nodes
        Refuse graphs with more nodes than this (default: ``LIMITS["max_nodes"]``, 5 million).

    Raises
    ------
    InputError, ValidationError
        With messages naming the file and the entry.
    """
    if isinstance(name_or_path, Graph):
        return name_or_path
    path = resolve_path(name_or_path)
    max_bytes = LIMITS["max_bytes"] if max_bytes is None else max_bytes
    max_nodes = LIMITS["max_nodes"] if max_nodes is None else max_nodes
    return _load_path(path.resolve(), str(path if not _is_bundled(path) else path.name), max_bytes, max_nodes, ())


def _is_bundled(path: Path) -> bool:
    try:
        return path.resolve().parent == graphs_dir().resolve()
    except InputError:
        return False


def _load_path(path: Path, origin: str, max_bytes: int, max_nodes, chain: tuple[str, ...]) -> Graph:
    with gc_paused():  # millions of small objects, none in cycles: no collector passes
        return _load_path_unguarded(path, origin, max_bytes, max_nodes, chain)


def _load_path_unguarded(path: Path, origin: str, max_bytes: int, max_nodes, chain: tuple[str, ...]) -> Graph:
    if is_table_path(path):
        return read_table_graph(path, origin=origin, max_bytes=max_bytes, max_nodes=max_nodes)
    if path.suffix.lower() == ".graphml":
        data = read_graphml(path, max_bytes=max_bytes)
    else:
        data = read_data(path, max_bytes=max_bytes, origin=origin)
        if path.suffix.lower() == ".json":
            if is_node_link(data):
                data = node_link_to_data(data, origin)
    if max_nodes is not None and isinstance(data, dict) and isinstance(data.get("nodes"), list):
        if len(data["nodes"]) > max_nodes:
            raise InputError(f"{origin}: {len(data['nodes']):,} nodes is over the limit of {max_nodes:,} (raise it with --max-nodes)")
    fast = columns_from_data(data, origin)
    if fast is not None:
        columns, warnings = fast
        return Graph(columns=columns, origin=origin, warnings=tuple(warnings))
    extra_nodes, extra_edges, extra_sources = _resolve_includes(data, origin, chain + (str(path),))
    document, warnings = parse_document(
        data, origin, extra_nodes=extra_nodes, extra_edges=extra_edges, extra_sources=extra_sources
    )
    if max_nodes is not None and len(document.nodes) > max_nodes:  # included nodes count too
        raise InputError(f"{origin}: {len(document.nodes):,} nodes is over the limit of {max_nodes:,} "
                         "(raise it with --max-nodes)")
    return Graph(document, origin=origin, warnings=tuple(warnings))


def _resolve_includes(data, origin: str, chain: tuple[str, ...]):
    if not isinstance(data, dict) or not data.get("include"):
        return (), (), {}
    problems = Problems(origin)
    includes = parse_includes(data, problems)
    if problems.errors:
        raise ValidationError(problems.errors)
    nodes, edges, sources, taken = [], [], {}, set()
    for index, include in enumerate(includes):
        entry = f"include[{index}] ({include.graph})"
        try:
            path = resolve_path(include.graph) if os.sep not in include.graph else None
        except InputError:
            path = None
        if path is None or not _is_bundled(path):
            raise ValidationError([f"{origin}: {entry}.graph: '{include.graph}' is not a bundled graph"])
        if str(path.resolve()) in chain:
            raise ValidationError([f"{origin}: {entry}.graph: include cycle through '{include.graph}'"])
        other = _load_path(path.resolve(), path.name, LIMITS["max_bytes"], LIMITS["max_nodes"], chain)
        missing = [ident for ident in include.nodes if ident not in other.nodes]
        if missing:
            raise ValidationError([f"{origin}: {entry}.nodes: {', '.join(missing)} not in graph '{include.graph}'"])
        keep = other.upstream(include.nodes)
        for node in other.document.nodes:
            if node.id in keep and node.id not in taken:
                taken.add(node.id)
                nodes.append((f"{entry} node '{node.id}'", node))
        for edge in other.document.edges:
            if edge.from_ in keep and edge.to in keep:
                edges.append((f"{entry} edge ({edge.from_} -> {edge.to})", edge))
                if edge.source:
                    sources[edge.source] = other.document.sources[edge.source]
    # a node declared here and also included is fine when both definitions agree (a country
    # declared for clarity, whatever its label); the included copy is dropped. A different definition is an error.
    raw_nodes = data.get("nodes") if isinstance(data.get("nodes"), list) else []
    own = {raw["id"]: raw for raw in raw_nodes if isinstance(raw, dict) and isinstance(raw.get("id"), str)}
    clash = []
    for entry, node in list(nodes):
        if node.id in own:
            try:
                mine = Node.model_validate(own[node.id])
                same = mine == node or (mine.kind == node.kind == "country")
            except PydanticError:
                same = False
            if not same:
                clash.append(node.id)
            nodes.remove((entry, node))
    if clash:
        raise ValidationError([f"{origin}: nodes: {', '.join(sorted(map(str, clash)))} redefined here "
                               "differently from the graph it is included from"])
    return nodes, edges, sources


def dump_document(document, fmt: str, *, header: str | None = None, owned: bool = False) -> str:
    """A document (a :class:`Graph`, a ``Document`` or plain data) as YAML or JSON text.

    ``header`` (YAML only) is written as comment lines after the ``# written by chokepoint`` line.
    ``owned``: the text is for a file, and carries the ownership mark (see
    :mod:`chokepoint.formats.files`) that the writer fills in.
    """
    if isinstance(document, Graph):
        data = document.document.to_dict()
    elif isinstance(document, dict):
        data = document
    else:
        data = document.to_dict()
    if fmt == "json":
        generator = f"{GENERATOR} {OWNER_MARK}" if owned else GENERATOR
        data = {"generator": generator, **{k: v for k, v in data.items() if k != "generator"}}
        return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    lines = [YAML_MARKER if owned else f"# {GENERATOR}"]
    lines += [f"# {line}".rstrip() for line in (header or "").splitlines()]
    return "\n".join(lines) + "\n" + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def graph_format(path) -> str:
    """``json`` or ``yaml`` for a graph file's path (suffixes in any case); an error for others."""
    suffix = Path(path).suffix.lower()
    if suffix not in GRAPH_SUFFIXES:
        raise InputError(f"{path}: a graph file ends in .yaml, .yml or .json")
    return "json" if suffix == ".json" else "yaml"


def save_graph(graph, path: str | os.PathLike, *, force: bool = False, header: str | None = None) -> Path:
    """Write a graph, document or document data as YAML or JSON (by the file's extension), atomically.

    An existing file is replaced when chokepoint wrote it; any other file only with ``force``.
    """
    target = Path(path)
    fmt = graph_format(target)
    check_output(target, force=force)
    return atomic_write(target, dump_document(graph, fmt, header=header, owned=True), force=force)
