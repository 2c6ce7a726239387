"""`sweep` (locally or on Dask, with Monte Carlo intervals) and `generate`: commands for scale."""

from __future__ import annotations

import sys
from typing import Optional

import typer

from ..errors import InputError
from .app import FORCE_OPTION, GRAPH_HELP, MAX_SAMPLES, TABLE_FILE, app, echo_json, echo_json_rows, wrote
from .render import console, frame_table, pct


@app.command()
def sweep(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    pairs: bool = typer.Option(False, "--pairs", help="Also cut off every pair of countries."),
    spare_capacity: float = typer.Option(0.0, "--spare-capacity", help="Surviving suppliers may grow by this fraction of their share."),
    samples: int = typer.Option(0, "--samples", min=0, max=MAX_SAMPLES,
                                help="Monte Carlo draws of the ranged shares: 5th-95th percentile intervals on "
                                     f"each availability (at most {MAX_SAMPLES:,})."),
    seed: int = typer.Option(0, "--seed", help="Seed of the Monte Carlo draws (same seed, same result)."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Run on a local Dask cluster of N worker processes."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Run on the Dask cluster at ADDRESS (tcp://host:8786)."),
    block: Optional[int] = typer.Option(None, "--block", help="Scenarios per Dask task (with --samples too: each task reduces its scenarios' draws)."),
    top: int = typer.Option(20, "--top", min=1, help="Scenarios shown in the table (most costly first)."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", help="Also write the whole long table (one row per scenario and product: countries, "
                                     "product, availability and its bounds, with --samples the percentiles) to a "
                                     f"{TABLE_FILE}."),
    force: bool = FORCE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Cut off each country in turn (and every pair): a products x countries availability matrix."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    label = "sweep" if not samples else f"sweep x {samples} draws"
    with _progress(label) as progress:
        result = api.sweep(graph, pairs=pairs, spare_capacity=spare_capacity, samples=samples, seed=seed,
                           workers=workers, scheduler=scheduler, block=block, progress=progress,
                           output=output, force=force)
    frame = result.frame
    if as_json:
        echo_json_rows(result.iter_records())
        if result.written is not None:
            wrote(result.written, len(frame), as_json=True)
        return
    out = console()
    if frame.empty:
        out.print(f"{result.graph.origin}: no supplying countries: nothing to sweep")
    else:
        _print_sweep(out, result, top)
    if result.written is not None:
        wrote(result.written, len(frame), as_json=False)


def _print_sweep(out, result, top: int) -> None:
    import pandas as pd  # start-up: loaded when a command runs, not for --help
    frame, samples, seed = result.frame, result.samples, result.seed
    matrix = result.matrix
    ranked = result.ranked.set_index("countries")
    order = list(ranked.index)
    shown = order[:top]
    pairs_shown = any("+" in key for key in shown)
    where = f"all in {result.written}" if result.written is not None else "--top N, -o FILE or --json"
    more = f" ({len(order) - len(shown):,} more scenarios with smaller losses: {where})" if len(order) > top else ""
    draws = (f" [5th-95th percentile over {samples} draws, seed {seed}]" if samples else
             " [low-high: remainder lost with the cut countries .. remainder surviving]")
    if result.graph.aggregates:
        draws += f"; mean loss leaves out {', '.join(result.graph.aggregates)} (made of other products)"

    def cell(row):
        if samples and not (abs(row.p95 - row.p5) < 5e-4 and abs(row.p50 - row.availability) < 5e-4):
            return f"{pct(row.availability)} [{pct(row.p5)}-{pct(row.p95)}]"
        low, high = getattr(row, "availability_low", row.availability), getattr(row, "availability_high", row.availability)
        if abs(high - row.availability) > 5e-4 or abs(row.availability - low) > 5e-4:
            return f"{pct(row.availability)} [{100 * low:.1f}-{100 * high:.1f}]"
        return pct(row.availability)  # no uncertainty that shows at this precision

    shown_rows = frame[frame["countries"].isin(shown)]  # cells only for the scenarios shown
    if matrix.shape[0] <= 8:
        cells = shown_rows.assign(cell=[cell(r) for r in shown_rows.itertuples()])
        # scenarios as rows (most costly first), products as columns
        table = cells.pivot(index="countries", columns="product", values="cell").loc[shown]
        table.insert(0, "mean loss", [pct(v) for v in ranked.loc[shown, "mean_loss"]])
        if pairs_shown:
            table.insert(1, "beyond worse single", [pct(v) if v == v else "" for v in ranked.loc[shown, "excess"]])
        table.insert(0, "rank", list(ranked.loc[shown, "rank"]))
        out.print(frame_table(table.reset_index(), (f"Availability of each product when a country is cut off{draws}{more}")))
        return
    # many products: one line per scenario
    rows = []
    by_key = shown_rows.set_index(["countries", "product"])  # one cell per line: the hardest-hit product's
    for key in shown:
        column = matrix[key]
        worst = column.sort_values(kind="mergesort").index[0]
        rows.append({"rank": ranked.loc[key, "rank"], "countries": key, "mean loss": pct(ranked.loc[key, "mean_loss"]),
                     **({"beyond worse single": pct(ranked.loc[key, "excess"]) if "+" in key else ""}
                        if pairs_shown else {}),
                     "products hit": int((column < 1 - 1e-12).sum()), "hardest-hit product": worst,
                     "its availability": cell(by_key.loc[(key, worst)])})
    out.print(frame_table(pd.DataFrame(rows), (f"Country cutoffs ranked by mean product loss, {matrix.shape[0]} products"
                                                     f"{draws}{more}")))


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
    from .. import api  # start-up: loaded when a command runs, not for --help
    from ..formats.graphs import LIMITS  # start-up: loaded when a command runs, not for --help
    if nodes > LIMITS["max_nodes"]:
        raise InputError(f"--nodes {nodes:,} is over the limit of {LIMITS['max_nodes']:,} nodes a graph may have "
                         "(raise it with --max-nodes)")
    made = api.generate(nodes, edges, seed=seed, countries=countries, cycles=cycles, output=output, force=force)
    if as_json:
        echo_json(made.to_dict())
        return
    typer.echo(f"wrote {made.path}: {made.nodes:,} nodes, {made.edges:,} edges (seed {seed})")


class _progress:
    """A progress bar on stderr when it is a terminal; silent otherwise.

    The bar is a callable taking the number done; the library sets its ``total`` once it knows it.
    """

    def __init__(self, label: str):
        self.label = label
        self.bar = None
        self.task = None

    def __enter__(self):
        if not sys.stderr.isatty():
            return None
        from rich.console import Console  # start-up: loaded when a command runs, not for --help
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # start-up: loaded when a command runs, not for --help
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                            transient=True, console=Console(file=sys.stderr))
        self.bar.start()
        self.task = self.bar.add_task(self.label, total=None)
        return self

    @property
    def total(self):
        return self.bar.tasks[0].total if self.bar is not None else None

    @total.setter
    def total(self, value) -> None:
        self.bar.update(self.task, total=value)

    def __call__(self, done: int) -> None:
        self.bar.update(self.task, completed=done)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()
        return False
