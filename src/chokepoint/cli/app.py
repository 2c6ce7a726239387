"""The one typer app every command module registers on, the options they share, and JSON output."""

from __future__ import annotations

import json
import sys

import typer
from typer.core import TyperGroup

from ..version import __version__

# The library's defaults that --help shows, written out here so that --help does not import the library
# (pydantic, pandas, networkx: half a second); tests/test_startup.py holds them equal to the library's
# (chokepoint.formats.graphs.DEFAULT_MAX_BYTES and DEFAULT_MAX_NODES, chokepoint.model.DEFAULT_THRESHOLD).
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
DEFAULT_MAX_NODES = 2_000_000
DEFAULT_THRESHOLD = 0.65


class Group(TyperGroup):
    """A group of commands (the app, ``import``) whose options left at their defaults are taken as they are
    (then only their callback runs): typer (0.2x) checks every option's value with a pydantic TypeAdapter,
    the group's unset ``--help`` too, 0.2 s before ``chokepoint CMD --help`` could print a line. The defaults
    are ours (the library's, held equal to it by tests/test_startup.py); a value given on the command line
    is checked as before."""

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if "process_value" not in vars(param):
                param.process_value = _default_as_given(param, param.process_value)
        return params


def _default_as_given(param, process):
    def process_value(ctx, value):
        source = ctx.get_parameter_source(param.name)
        if getattr(source, "name", None) == "DEFAULT" and value == param.default and type(value) is type(param.default):
            return value if param.callback is None else param.callback(ctx, param, value)
        return process(ctx, value)
    return process_value


app = typer.Typer(
    name="chokepoint",
    cls=Group,
    help="Question the supply-chain graphs built from technology dependency reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

GRAPH_HELP = ("A bundled graph's name (see `chokepoint list`), a graph file (YAML, JSON, or GraphML an export wrote), "
              "or a table pair, CSV or Parquet: X.csv or X.parquet for X.nodes.* and X.edges.*, or a folder "
              "holding nodes.* and edges.*.")
COUNTRY_HELP = "Country to cut off: ISO alpha-2 code (CN) or name; repeat for several."
BLOC_HELP = "Bloc to cut off (G7, EU, Quad, 'Chip 4', NATO, ...); repeat for several."


#: Most Monte Carlo draws a command takes (each draw is a full evaluation; the results are kept
#: per draw until the percentiles are taken).
MAX_SAMPLES = 100_000
SAMPLES_OPTION = typer.Option(0, "--samples", min=0, max=MAX_SAMPLES,
                              help="Monte Carlo draws of the ranged shares: 5th-95th percentile intervals "
                                   f"(at most {MAX_SAMPLES:,}).")
SEED_OPTION = typer.Option(0, "--seed", min=0, help="Seed of the Monte Carlo draws (same seed, same result).")
FORCE_OPTION = typer.Option(False, "--force", help="Overwrite a file that chokepoint did not write.")
#: What -o takes: the suffix picks the format.
TABLE_FILE = ".parquet (needs pyarrow: pip install 'chokepoint[scale]') or .csv file"


def wrote(path, rows: int, *, as_json: bool) -> None:
    """Say where a table went: after the table, or on stderr when stdout holds JSON."""
    line = f"wrote {path} ({rows:,} row{'s' if rows != 1 else ''})"
    if as_json:
        sys.stderr.write(line + "\n")
    else:
        typer.echo(line)


def stdout_is_ascii() -> bool:
    """Whether stdout cannot take text beyond ASCII (``PYTHONIOENCODING=ascii``, a latin-1 terminal):
    JSON is then written with ``\\u`` escapes, which every reader decodes, instead of raw characters."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        "\u2013\u00e9\u4e2d".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return True
    return False


#: JSON output longer than this (compact) is written compact: indented output goes through
#: json's pure-Python encoder, 5-10x slower (seconds on a large graph's cutoff).
COMPACT_PAST = 1 << 20


def _orjson():
    """orjson when installed (the ``scale`` extra: 5-10x faster than json), else None."""
    try:
        import orjson  # optional: the scale extra; json does the same, slower
    except ImportError:
        return None
    return orjson


def json_bytes(data, *, indent: bool) -> bytes | None:
    """``data`` as JSON by orjson (None when orjson is missing, stdout takes only ASCII, or orjson
    cannot encode it: :func:`echo_json` then uses json). Same keys and numbers as json's; NaN -> null."""
    orjson = _orjson()
    if orjson is None or stdout_is_ascii():
        return None
    try:
        return orjson.dumps(data, option=orjson.OPT_INDENT_2 if indent else 0)
    except TypeError:  # orjson.JSONEncodeError: a type or a number orjson does not take (an int past 64 bits)
        return None


def _json_text(data, *, indent: bool) -> str:
    fast = json_bytes(data, indent=indent)
    if fast is not None:
        return fast.decode("utf-8")
    if indent:
        return json.dumps(data, indent=2, ensure_ascii=stdout_is_ascii(), allow_nan=False)
    return json.dumps(data, ensure_ascii=stdout_is_ascii(), allow_nan=False, separators=(",", ":"))


def echo_json(data) -> None:
    """``data`` as JSON on stdout: indented, or compact when that is over :data:`COMPACT_PAST`."""
    text = _json_text(data, indent=False)
    if len(text) <= COMPACT_PAST:
        text = _json_text(data, indent=True)
    sys.stdout.write(text + "\n")


def echo_json_rows(blocks) -> None:
    """A JSON array made of lists of rows (``blocks``), written as it is made: what :func:`echo_json`
    writes for the whole list (indented when the compact text is at most :data:`COMPACT_PAST`,
    else compact), without holding the whole text, or all the rows, past that size."""
    held, parts, size = [], [], 1  # the rows and their compact text until the output is known to be large
    blocks = iter(blocks)
    for block in blocks:
        if not block:
            continue
        text = _json_text(block, indent=False)[1:-1]
        held.extend(block)
        parts.append(text)
        size += len(text) + 1
        if size > COMPACT_PAST:
            break
    else:
        echo_json(held)
        return
    write = sys.stdout.write
    write("[" + ",".join(parts))
    del held, parts
    for block in blocks:
        if block:
            write("," + _json_text(block, indent=False)[1:-1])
    write("]\n")


def echo_json_text(text: str) -> None:
    """Write JSON text already made, re-escaped when stdout is ASCII-only (see :func:`stdout_is_ascii`)."""
    if stdout_is_ascii():
        text = json.dumps(json.loads(text), indent=2, ensure_ascii=True, allow_nan=False) + "\n"
    sys.stdout.write(text)


def warn(lines) -> None:
    for line in lines:
        sys.stderr.write(f"warning: {line}\n")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(__version__)
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                 help="Print the version and exit."),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", min=1, help="Refuse graph files larger than this."),
    max_nodes: int = typer.Option(DEFAULT_MAX_NODES, "--max-nodes", min=1, help="Refuse graphs with more nodes than this."),
) -> None:
    """Question the supply-chain graphs built from technology dependency reports."""
    # This runs before `CMD --help` too: the library is imported only when a limit differs from its
    # default or the library is loaded already (main() restores the limits after each run).
    if (max_bytes, max_nodes) != (DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES) or "chokepoint.formats.graphs" in sys.modules:
        from ..formats.graphs import LIMITS  # start-up: pydantic and networkx, not needed by --help
        LIMITS.update(max_bytes=max_bytes, max_nodes=max_nodes)
