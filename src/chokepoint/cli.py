"""The command line: a thin layer that calls the library and renders what it returns."""

from __future__ import annotations

import json
import os
import sys
from typing import List, Optional

import typer

from . import __version__
from .errors import ChokepointError, ValidationError

app = typer.Typer(
    name="chokepoint",
    help="Question the supply-chain graphs built from technology dependency reports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

GRAPH_HELP = "A bundled graph's name (see `chokepoint list`) or a YAML/JSON graph file."


def _echo_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _warn(lines) -> None:
    for line in lines:
        sys.stderr.write(f"warning: {line}\n")


@app.callback()
def _root(version: bool = typer.Option(False, "--version", help="Print the version and exit.")) -> None:
    if version:
        typer.echo(__version__)
        raise typer.Exit()


@app.command("list")
def list_graphs(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The bundled graphs, with title and node and edge counts."""
    from .api import list_graphs as api_list

    frame = api_list()
    if as_json:
        _echo_json(frame.to_dict(orient="records"))
        return
    from .render import console, frame_table

    console().print(frame_table(frame, "Bundled graphs"))


@app.command()
def validate(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check a graph file; report errors and warnings (sums normalised, cycles, estimates)."""
    from .io import load_graph

    loaded = load_graph(graph)
    if as_json:
        _echo_json({"graph": loaded.origin, "valid": True, "nodes": len(loaded.nodes),
                    "edges": len(loaded.document.edges), "warnings": list(loaded.warnings)})
    else:
        _warn(loaded.warnings)
        typer.echo(f"{loaded.origin}: valid: {len(loaded.nodes)} nodes, {len(loaded.document.edges)} edges, "
                   f"{len(loaded.warnings)} warning{'s' if len(loaded.warnings) != 1 else ''}")
    if strict and loaded.warnings:
        raise ValidationError([f"{len(loaded.warnings)} warnings with --strict"])


@app.command()
def show(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    as_json: bool = typer.Option(False, "--json", help="The whole document as JSON, with the file's field names."),
) -> None:
    """The validated graph: nodes, and edges with shares and citations."""
    from .io import dump_document, load_graph

    loaded = load_graph(graph)
    if as_json:
        sys.stdout.write(dump_document(loaded, "json"))
        return
    from .api import edges_table, nodes_table
    from .render import console, frame_table

    out = console()
    out.print(f"{loaded.title} ({loaded.name}): {len(loaded.nodes)} nodes, {len(loaded.document.edges)} edges")
    if loaded.document.description:
        out.print(loaded.document.description.strip())
    out.print(frame_table(nodes_table(loaded), "Nodes"))
    out.print(frame_table(edges_table(loaded), "Edges"))
    if loaded.document.sources:
        out.print("Sources:")
        for key, src in loaded.document.sources.items():
            bits = ", ".join(str(b) for b in (src.publisher, src.year, src.url) if b)
            out.print(f"  {key}: {src.title}" + (f" ({bits})" if bits else ""))


def main() -> None:
    """Entry point: one line on stderr and exit 1 for user errors, never a traceback."""
    try:
        app(standalone_mode=False)
    except ValidationError as exc:
        for line in exc.problems:
            sys.stderr.write(f"error: {line}\n")
        sys.exit(1)
    except ChokepointError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        import click

        if isinstance(exc, click.exceptions.Exit):
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.stderr.write("aborted\n")
            sys.exit(1)
        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if os.environ.get("CHOKEPOINT_DEBUG"):
            raise
        sys.stderr.write(f"error: internal error ({type(exc).__name__}: {exc}); "
                         "set CHOKEPOINT_DEBUG=1 for the traceback and please report it\n")
        sys.exit(2)
