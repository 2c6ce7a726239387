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

SAMPLES_OPTION = typer.Option(0, "--samples", min=0,
                              help="Monte Carlo draws of the ranged shares: 5th-95th percentile intervals.")
SEED_OPTION = typer.Option(0, "--seed", min=0, help="Seed of the Monte Carlo draws (same seed, same result).")
GRAPH_HELP = "A bundled graph's name (see `chokepoint list`) or a YAML/JSON graph file."


def _echo_json(data) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n")


def _warn(lines) -> None:
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
    max_bytes: int = typer.Option(1024 ** 3, "--max-bytes", min=1, help="Refuse graph files larger than this."),
    max_nodes: int = typer.Option(5_000_000, "--max-nodes", min=1, help="Refuse graphs with more nodes than this."),
) -> None:
    """Question the supply-chain graphs built from technology dependency reports."""
    from .io import LIMITS

    LIMITS.update(max_bytes=max_bytes, max_nodes=max_nodes)


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


COUNTRY_HELP = "Country to cut off: ISO alpha-2 code (CN) or name; repeat for several."
BLOC_HELP = "Bloc to cut off (G7, EU, Quad, 'Chip 4', NATO, ...); repeat for several."


@app.command()
def analyse(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    top: int = typer.Option(10, "--top", min=1, help="How many chokepoints to show."),
    threshold: float = typer.Option(0.65, "--threshold", help="Target: the most one country may supply."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """One screen: top chokepoints with why, target results, costliest country cutoffs."""
    from .api import analyse as api_analyse

    result = api_analyse(graph, top=top, threshold=threshold)
    if as_json:
        _echo_json(result.to_dict())
        return
    from .render import console, frame_table, pct

    out = console()
    out.print(f"{result.title} ({result.graph})")
    if len(result.bases) > 1:
        out.print("note: this graph combines shares on different bases: "
                  + "; ".join(f"{basis} ({len(items)} items)" for basis, items in result.bases.items()))
    choke = result.chokepoints[["id", "label", "score", "knockout_loss", "exposure", "worst_country"]].copy()
    choke.insert(0, "#", range(1, len(choke) + 1))
    out.print(frame_table(choke, f"Top {len(choke)} chokepoints (score = knockout loss x single-country exposure)",
                          formats={"knockout_loss": pct, "exposure": pct, "score": lambda v: f"{v:.3f}"}))
    out.print("Why:")
    for rank, row in enumerate(result.chokepoints.itertuples(), start=1):
        out.print(f" {rank:>2}. {row.id}: {row.reason}", overflow="ignore", crop=False)
    out.print()
    _print_target(out, result.target, threshold, title="Target: no more than "
                  f"{100 * threshold:g}% from one country")
    exp = result.exposure
    summary = exp.groupby("country", sort=False).agg(mean_loss=("mean_loss", "first"))
    worst = exp.sort_values(["availability", "product"]).groupby("country", sort=False).first()
    table = summary.join(worst[["product", "availability"]]).reset_index()
    table.columns = ["country", "mean product loss", "hardest-hit product", "its availability"]
    out.print(frame_table(table, "Costliest single-country cutoffs",
                          formats={"mean product loss": pct, "its availability": pct}))


def _print_target(out, frame, threshold, title):
    from .render import frame_table, pct

    def share(row):
        if row.top_share != row.top_share:
            return ""
        text = pct(row.top_share)
        if abs(row.top_share_high - row.top_share_low) > 1e-12:
            text += f" [{pct(row.top_share_low)}-{pct(row.top_share_high)}]"
        return text

    if frame.empty:
        out.print(f"{title}: no items tested (no critical minerals; use --all)")
        return
    def facts(text):
        ids = [f for f in str(text or "").split(", ") if f]
        return ", ".join(ids[:3]) + (f" +{len(ids) - 3} more" if len(ids) > 3 else "")

    show = frame.copy()
    show["top share"] = [share(r) for r in frame.itertuples()]
    show["facts"] = show["facts"].map(facts)
    columns = ["id", "stage", "top_country", "top share", "hhi", "share_unknown", "status", "capacity_needed",
               "bases", "facts"]
    names = ["id", "stage", "top", "share", "HHI", "unknown", "status", "new capacity", "basis", "facts"]
    if "pass_rate" in show.columns:
        columns.insert(7, "pass_rate")
        names.insert(7, "pass rate")
    show = show[columns]
    show.columns = names
    out.print(frame_table(show, title, formats={"new capacity": pct, "unknown": pct, "pass rate": pct,
                                                "HHI": lambda v: "" if v != v else f"{v:,.0f}"}))
    out.print("new capacity: capacity needed outside the top country to comply, as a share of today's total "
              "(top / threshold - 1)")


@app.command()
def target(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    threshold: float = typer.Option(0.65, "--threshold", help="The most one country may supply (inclusive)."),
    all_items: bool = typer.Option(False, "--all", help="Test every supplied item, not only critical minerals."),
    samples: int = SAMPLES_OPTION,
    seed: int = SEED_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Test each material and stage against 'no more than 65% from any single country'."""
    from .api import monte_carlo_target, records, target as api_target

    frame = api_target(graph, threshold=threshold, all_items=all_items)
    if samples:
        mc = monte_carlo_target(graph, threshold=threshold, all_items=all_items, samples=samples, seed=seed)
        mc = mc.set_index("id")[["p5", "p95", "pass_rate"]].rename(columns={"p5": "top_share_p5", "p95": "top_share_p95"})
        frame = frame.join(mc, on="id")
    if as_json:
        cols = ["id", "label", "stage", "top_country", "top_share", "top_share_low", "top_share_high", "hhi",
                "status", "margin", "capacity_needed", "share_unknown", "bases", "facts"]
        if samples:
            cols += ["top_share_p5", "top_share_p95", "pass_rate"]
        _echo_json(records(frame[cols]))
        return
    from .render import console

    out = console()
    title = f"Target: no more than {100 * threshold:g}% from one country"
    if samples:
        title += f" (pass rate over {samples} draws of the ranged shares, seed {seed})"
    _print_target(out, frame, threshold, title)
    counts = frame["status"].value_counts()
    out.print(", ".join(f"{counts.get(s, 0)} {s}" for s in ("fail", "undetermined", "pass", "no data")))


@app.command()
def cutoff(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    country: Optional[List[str]] = typer.Option(None, "--country", "-c", help=COUNTRY_HELP),
    bloc: Optional[List[str]] = typer.Option(None, "--bloc", "-b", help=BLOC_HELP),
    spare_capacity: float = typer.Option(0.0, "--spare-capacity", help="Surviving suppliers may grow by this fraction of their share."),
    show_nodes: bool = typer.Option(False, "--nodes", help="Also list every node's availability."),
    samples: int = SAMPLES_OPTION,
    seed: int = SEED_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Cut off countries and/or blocs: which products lose how much, after how long, and why."""
    from .api import cutoff as api_cutoff, monte_carlo_cutoff

    result = api_cutoff(graph, countries=country or (), blocs=bloc or (), spare_capacity=spare_capacity)
    intervals = None
    if samples:
        intervals = monte_carlo_cutoff(graph, countries=country or (), blocs=bloc or (),
                                       spare_capacity=spare_capacity, samples=samples, seed=seed).set_index("id")
    if as_json:
        data = result.to_dict()
        if intervals is not None:
            data["scenario"].update(samples=samples, seed=seed)
            for product in data["products"]:
                row = intervals.loc[product["id"]]
                product.update(p5=float(row.p5), p50=float(row.p50), p95=float(row.p95))
        _echo_json(data)
        return
    from .render import console, frame_table, pct

    out = console()
    who = ", ".join(result.countries)
    if result.blocs:
        who = f"{' + '.join([*result.blocs, *result.named])} ({who})"
    out.print(f"Cutoff of {who} in {result.graph}" + (f", spare capacity {result.spare_capacity:g}" if result.spare_capacity else ""))
    if result.note:
        out.print(result.note)
    if result.bases_note:
        out.print(f"note: {result.bases_note}")
    products = result.products.copy()
    products["months_to_shortage"] = products["months_to_shortage"].map(lambda m: "" if m != m or m is None else f"{m:g}")
    columns = ["id", "availability", "loss", "months_to_shortage", "path"]
    title = "Products"
    if intervals is not None:
        products["5th-95th"] = [f"{pct(intervals.loc[i, 'p5'])}-{pct(intervals.loc[i, 'p95'])}" for i in products["id"]]
        columns.insert(2, "5th-95th")
        title += f" (availability: point value, and its 5th-95th percentile over {samples} draws, seed {seed})"
    out.print(frame_table(products[columns], title, formats={"availability": pct, "loss": pct}))
    if show_nodes:
        out.print(frame_table(result.nodes, "Nodes", formats={"availability": pct}))



def main() -> None:
    """Entry point: one line on stderr and exit 1 for user errors, never a traceback.

    Usage errors (an unknown option, a missing argument) are typer's own: usage and the error on
    stderr, exit code 2.
    """
    import warnings

    from .io import LIMITS

    def show_warning(message, category, *args, **kwargs):
        sys.stderr.write(f"warning: {message}\n")

    warnings.showwarning = show_warning
    saved = dict(LIMITS)
    try:
        app()
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
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("CHOKEPOINT_DEBUG"):
            raise
        sys.stderr.write(f"error: internal error ({type(exc).__name__}: {exc}); "
                         "set CHOKEPOINT_DEBUG=1 for the traceback and please report it\n")
        sys.exit(2)
    finally:
        LIMITS.update(saved)


# Commands defined in their own modules register themselves on ``app``.
from . import cli_export, cli_import, cli_scale  # noqa: E402,F401
