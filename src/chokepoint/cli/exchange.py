"""`export` and `plot`: the graph for Gephi, spreadsheets and scripts, and its figures."""

from __future__ import annotations

from typing import List, Optional

import typer

from ..errors import InputError
from .app import BLOC_HELP, DEFAULT_THRESHOLD, GRAPH_HELP, app

CUTOFF_HELP = "Add availability and loss per node with this country cut off (ISO code or name); repeat for several."


@app.command()
def export(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    output: str = typer.Option(..., "--output", "-o", help="File to write; for csv a folder or PREFIX.csv."),
    format: Optional[str] = typer.Option(None, "--format", "-f",
                                         help="graphml, gexf, csv, json or xlsx (default: from the output's suffix)."),
    with_cutoff: Optional[List[str]] = typer.Option(None, "--with-cutoff", help=CUTOFF_HELP),
    bloc: Optional[List[str]] = typer.Option(None, "--bloc", "-b", help=BLOC_HELP),
    analysis: Optional[bool] = typer.Option(
        None, "--analysis/--no-analysis", show_default=False,
        help="Add concentration, target status and chokepoint scores per node, or leave them out. "
             "Default: added up to 100,000 edges; a larger graph is written without them (they knock out "
             "every node in turn: about a minute at 1M edges), with a warning and a note in the file."),
    force: bool = typer.Option(False, "--force", help="Overwrite a file that chokepoint did not write."),
) -> None:
    """Write the graph for Gephi (GraphML, GEXF), spreadsheets (CSV) or scripts (node-link JSON)."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    from ..report import write_workbook  # start-up: loaded when a command runs, not for --help
    if (format or "").lower() == "xlsx" or (format is None and output.lower().endswith(".xlsx")):
        if bloc or analysis is False:
            raise InputError("--bloc and --no-analysis do not apply to xlsx (each --with-cutoff country gets a sheet)")
        typer.echo(f"wrote {write_workbook(graph, output, countries=tuple(with_cutoff or ()), force=force)}")
        return
    written = api.export_graph(graph, output, format=format, with_cutoff=tuple(with_cutoff or ()),
                           blocs=tuple(bloc or ()), analysis=analysis, force=force)
    for path in written:
        typer.echo(f"wrote {path}")


@app.command()
def plot(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    output: str = typer.Option(..., "--output", "-o", help="Figure to write: .png, .svg or .pdf."),
    kind: str = typer.Option("network", "--kind", "-k", help="network, exposure, sweep, target, tornado (the estimates that move a cutoff most) or timeline."),
    with_cutoff: Optional[List[str]] = typer.Option(
        None, "--with-cutoff", help="network: shade nodes by availability with this country cut off; "
                                    "tornado and timeline: the cutoff to study."),
    bloc: Optional[List[str]] = typer.Option(None, "--bloc", "-b", help=BLOC_HELP),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", help="target: the most one country may supply."),
    all_items: bool = typer.Option(False, "--all", help="target: every supplied item, not only critical minerals."),
    duration: float = typer.Option(12.0, "--duration", help="timeline: months the cutoff lasts."),
    force: bool = typer.Option(False, "--force", help="Overwrite a file that chokepoint did not write."),
) -> None:
    """Draw the network (layered), country exposure, the sweep matrix or the 65% target test."""
    from ..plot import plot_to_file  # start-up: loaded when a command runs, not for --help
    path = plot_to_file(graph, output, kind=kind, with_cutoff=tuple(with_cutoff or ()), blocs=tuple(bloc or ()),
                        threshold=threshold, all_items=all_items or None, duration=duration, force=force)
    typer.echo(f"wrote {path}")


@app.command()
def report(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    output: str = typer.Option(..., "--output", "-o", help="The HTML file to write (one self-contained file, works offline)."),
    country: Optional[List[str]] = typer.Option(None, "--country", "-c",
                                                help="A cutoff scenario to add (CC, or CC+CC cut together); repeat."),
    force: bool = typer.Option(False, "--force", help="Overwrite a file that chokepoint did not write."),
) -> None:
    """An interactive single-file HTML report: the graph in stage columns with sources on click,
    every single-country cutoff, the chokepoint and 65% tables, and the figures."""
    from ..report import write_report  # start-up: loaded when a command runs, not for --help
    typer.echo(f"wrote {write_report(graph, output, countries=tuple(country or ()), force=force)}")
