"""CLI commands for scale: `sweep` (locally or on Dask, with Monte Carlo intervals) and `generate`."""

from __future__ import annotations

import sys
from typing import Optional

import pandas as pd
import typer

from .cli import GRAPH_HELP, _echo_json, app


@app.command()
def sweep(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    pairs: bool = typer.Option(False, "--pairs", help="Also cut off every pair of countries."),
    spare_capacity: float = typer.Option(0.0, "--spare-capacity", help="Surviving suppliers may grow by this fraction of their share."),
    samples: int = typer.Option(0, "--samples", help="Monte Carlo draws of the ranged shares: 5th-95th percentile intervals on each availability."),
    seed: int = typer.Option(0, "--seed", help="Seed of the Monte Carlo draws (same seed, same result)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Run on a local Dask cluster of N worker processes."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on the Dask cluster at ADDRESS (tcp://host:8786)."),
    block: Optional[int] = typer.Option(None, "--block", help="Scenarios (draws with --samples) per Dask task."),
    top: int = typer.Option(20, "--top", min=1, help="Scenarios shown in the table (most costly first)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Cut off each country in turn (and every pair): a products x countries availability matrix."""
    from .api import records
    from .io import load_graph
    from .errors import InputError
    from .scenarios import check_spare_capacity, sweep_matrix

    if samples < 0:
        raise InputError(f"--samples {samples} must be 0 (no Monte Carlo) or more")
    if seed < 0:
        raise InputError(f"--seed {seed} must be an integer >= 0")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers} must be at least 1")
    if block is not None and block < 1:
        raise InputError(f"--block {block} must be at least 1")
    if workers is not None and scheduler:
        raise InputError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    check_spare_capacity(spare_capacity)
    loaded = load_graph(graph)
    label = "sweep" if not samples else f"sweep x {samples} draws"
    with _progress(label, _total(loaded, pairs, samples)) as progress:
        if workers is not None or scheduler:
            from .distributed import sweep as dask_sweep

            frame = dask_sweep(loaded, pairs=pairs, spare_capacity=spare_capacity, samples=samples, seed=seed,
                               workers=workers, scheduler=scheduler, block=block, progress=progress)
        elif samples:
            from .montecarlo import monte_carlo_sweep

            frame = monte_carlo_sweep(loaded, pairs=pairs, spare_capacity=spare_capacity, samples=samples,
                                      seed=seed, progress=progress)
        else:
            from .api import sweep as api_sweep

            frame = api_sweep(loaded, pairs=pairs, spare_capacity=spare_capacity, progress=progress)
    if as_json:
        _echo_json(records(frame))
        return
    from .render import console, frame_table, pct

    out = console()
    if frame.empty:
        out.print(f"{loaded.origin}: no supplying countries: nothing to sweep")
        return
    matrix = sweep_matrix(frame)
    order = list((1 - matrix).mean().sort_values(ascending=False, kind="mergesort").index)
    shown = order[:top]
    more = f" ({len(order) - len(shown)} more scenarios with smaller losses: --top N or --json)" if len(order) > top else ""
    draws = f" [5th-95th percentile over {samples} draws, seed {seed}]" if samples else ""

    def cell(row):
        if not samples or (abs(row.p95 - row.p5) < 5e-4 and abs(row.p50 - row.availability) < 5e-4):
            return pct(row.availability)  # no uncertainty that shows at this precision
        return f"{pct(row.availability)} [{pct(row.p5)}-{pct(row.p95)}]"

    cells = frame.assign(cell=[cell(r) for r in frame.itertuples()])
    if matrix.shape[0] <= 8:
        # scenarios as rows (most costly first), products as columns
        table = cells.pivot(index="countries", columns="product", values="cell").loc[shown]
        table.insert(0, "mean loss", [pct(v) for v in (1 - matrix[shown]).mean()])
        out.print(frame_table(table.reset_index(), f"Availability of each product when a country is cut off{draws}{more}"))
        return
    # many products: one line per scenario
    rows = []
    for key in shown:
        column = matrix[key]
        worst = column.sort_values(kind="mergesort").index[0]
        rows.append({"countries": key, "mean loss": pct(1 - column.mean()),
                     "products hit": int((column < 1 - 1e-12).sum()), "hardest-hit product": worst,
                     "its availability": cells.set_index(["countries", "product"]).loc[(key, worst), "cell"]})
    out.print(frame_table(pd.DataFrame(rows), f"Country cutoffs ranked by mean product loss, {matrix.shape[0]} products"
                                              f"{draws}{more}"))


def _total(graph, pairs: bool, samples: int) -> int:
    n = len(graph.countries)
    scenarios = n + (n * (n - 1) // 2 if pairs else 0)
    return scenarios * (samples or 1)


@app.command()
def generate(
    nodes: int = typer.Option(..., "--nodes", help="Number of nodes (countries, facilities, items)."),
    edges: int = typer.Option(..., "--edges", help="Number of edges (supplies and requires)."),
    seed: int = typer.Option(0, "--seed", help="Seed: the same arguments give the same graph."),
    output: str = typer.Option(..., "--output", "-o", help="File to write: .json (fast to load) or .yaml."),
    countries: int = typer.Option(200, "--countries", help="At most this many countries (real ISO codes)."),
    cycles: Optional[int] = typer.Option(None, "--cycles", help="Short requires-cycles to add (default: about one per 2,000 items)."),
    force: bool = typer.Option(False, "--force", help="Overwrite a file that chokepoint did not write."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Write a seeded synthetic layered supply graph (benchmarks, tests): countries, facilities,
    tiers of items with fan-in, all/any nodes and a few cycles."""
    from .errors import InputError
    from .generate import generate as make

    if seed < 0:
        raise InputError(f"--seed {seed} must be an integer >= 0")
    if countries < 1:
        raise InputError(f"--countries {countries} must be at least 1")
    if cycles is not None and cycles < 0:
        raise InputError(f"--cycles {cycles} must be 0 or more")
    try:
        made = make(nodes, edges, seed, countries=countries, cycles=cycles)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    path = made.write(output, force=force)
    if as_json:
        _echo_json({"output": str(path), "name": made.name, "nodes": made.n_nodes, "edges": made.n_edges,
                    "seed": seed})
        return
    typer.echo(f"wrote {path}: {made.n_nodes:,} nodes, {made.n_edges:,} edges (seed {seed})")


class _progress:
    """A progress bar on stderr when it is a terminal; silent otherwise."""

    def __init__(self, label: str, total: int | None = None):
        self.label = label
        self.total = total
        self.bar = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            transient=True, console=Console(file=sys.stderr))
        self.bar.start()
        task = self.bar.add_task(self.label, total=self.total)
        return lambda done: self.bar.update(task, completed=done)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
