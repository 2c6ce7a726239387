"""`list`, `validate` and `show`: the bundled graphs, and a graph's validity and content."""

from __future__ import annotations

import typer

from .app import GRAPH_HELP, app, echo_json, echo_json_text, warn
from .render import console, frame_table


@app.command("list")
def list_graphs(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """The bundled graphs, with title and node and edge counts."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    frame = api.list_graphs()
    if as_json:
        echo_json(frame.to_dict(orient="records"))
        return
    console().print(frame_table(frame, "Bundled graphs"))


@app.command()
def validate(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Check a graph file; report errors and warnings (sums normalised, cycles, estimates)."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    result = api.validate(graph, strict=strict)
    if as_json:
        echo_json(result.to_dict())
        return
    loaded = result.graph
    warn(loaded.warnings)
    typer.echo(f"{loaded.origin}: valid: {loaded.n_nodes} nodes, {loaded.n_edges} edges, "
               f"{len(loaded.warnings)} warning{'s' if len(loaded.warnings) != 1 else ''}")


@app.command()
def show(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    as_json: bool = typer.Option(False, "--json", help="The whole document as JSON, with the file's field names."),
) -> None:
    """The validated graph: nodes, and edges with shares and citations."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    view = api.show(graph)
    if as_json:
        echo_json_text(view.json_text())
        return
    loaded = view.graph
    out = console()
    out.print(f"{loaded.title} ({loaded.name}): {loaded.n_nodes} nodes, {loaded.n_edges} edges")
    if loaded.document.description:
        out.print(loaded.document.description.strip())
    out.print(frame_table(view.nodes, "Nodes"))
    out.print(frame_table(view.edges, "Edges"))
    if loaded.document.sources:
        out.print("Sources:")
        for key, src in loaded.document.sources.items():
            bits = ", ".join(str(b) for b in (src.publisher, src.year, src.url) if b)
            out.print(f"  {key}: {src.title}" + (f" ({bits})" if bits else ""))
