"""CLI commands for scale: `sweep` (locally or on Dask) and `generate`."""

from __future__ import annotations

import sys

import typer

from .cli import GRAPH_HELP, _echo_json, app


@app.command()
def sweep(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    pairs: bool = typer.Option(False, "--pairs", help="Also cut off every pair of countries."),
    spare_capacity: float = typer.Option(0.0, "--spare-capacity", help="Surviving suppliers may grow by this fraction of their share."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Cut off each country in turn (and every pair): a products x countries availability matrix."""
    from .api import records, sweep as api_sweep
    from .scenarios import sweep_matrix

    with _progress("sweep") as progress:
        frame = api_sweep(graph, pairs=pairs, spare_capacity=spare_capacity, progress=progress)
    if as_json:
        _echo_json(records(frame))
        return
    from .render import console, frame_table, pct

    matrix = sweep_matrix(frame)
    order = (1 - matrix).mean().sort_values(ascending=False, kind="mergesort").index
    out = console()
    out.print(frame_table(matrix[order].reset_index(), "Availability of each product when a country is cut off",
                          formats={c: pct for c in matrix.columns}))


class _progress:
    """A progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, label: str):
        self.label = label
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True, console=None)
        self.bar.start()
        task = self.bar.add_task(self.label, total=None)
        return lambda done: self.bar.update(task, completed=done)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
