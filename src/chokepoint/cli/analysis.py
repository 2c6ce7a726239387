"""`analyse`, `target` and `cutoff`: chokepoints, the 65% test, and what a cutoff costs."""

from __future__ import annotations

from typing import List, Optional

import typer

from .app import (
    BLOC_HELP, COMPACT_PAST, COUNTRY_HELP, DEFAULT_THRESHOLD, FORCE_OPTION, GRAPH_HELP, SAMPLES_OPTION, SEED_OPTION,
    TABLE_FILE, app, echo_json, echo_json_text, stdout_is_ascii, wrote,
)
from .render import TABLE_ROWS, console, frame_table, more_rows, pct

ESTIMATE_LEGEND = ("~ estimated: the result rests on a level word, a range or a share marked estimated "
                   "(explain GRAPH NODE shows them); [low-high]: the remainder lost with the cut countries and "
                   "every share at its low end .. the remainder surviving")


def bounded(point, low, high, estimated: bool = False) -> str:
    """``17.5% [6.4-28.8]`` (the bounds when they differ from the point), ``~`` for an estimate."""
    text = pct(point)
    if low == low and high == high and (abs(high - point) > 5e-4 or abs(point - low) > 5e-4):
        text += f" [{100 * low:.1f}-{100 * high:.1f}]"
    return text + ("~" if estimated else "")


TARGET_JSON = ["id", "label", "stage", "top_country", "top_share", "top_share_low", "top_share_high", "hhi",
               "status", "margin", "capacity_needed", "share_unknown", "unknown_max", "why", "bases", "facts", "evidence"]


@app.command()
def analyse(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    top: int = typer.Option(10, "--top", min=1, help="How many chokepoints to show."),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", help="Target: the most one country may supply."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", help="Also write the chokepoint table of every scored node (not only the --top: "
                                     "scores, knockout loss and exposure with their bounds, why) to a "
                                     f"{TABLE_FILE}."),
    force: bool = FORCE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """One screen: top chokepoints with why, target results, costliest country cutoffs."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    result = api.analyse(graph, top=top, threshold=threshold, output=output, force=force)
    if as_json:
        echo_json(result.to_dict())
        if result.written is not None:
            wrote(result.written, result.scored, as_json=True)
        return
    out = console()
    out.print(f"{result.title} ({result.graph})")
    if len(result.bases) > 1:
        out.print("note: this graph combines shares on different bases: "
                  + "; ".join(f"{basis} ({len(items)} items)" for basis, items in result.bases.items()))
    choke = result.chokepoints[["id", "label", "score", "knockout_loss", "exposure", "worst_country"]].copy()
    choke.insert(0, "#", range(1, len(choke) + 1))
    out.print(frame_table(choke, f"Top {len(choke)} chokepoints (score = knockout loss x single-country exposure)",
                          formats={"knockout_loss": pct, "exposure": pct, "score": lambda v: f"{v:.3f}"}))
    if result.scored > len(choke):
        out.print(more_rows(len(choke), result.scored, "scored nodes", written=result.written))
    for note in result.chokepoints.attrs.get("notes", ()):
        out.print(f"note: {note}")
    out.print("Why:")
    for rank, row in enumerate(result.chokepoints.itertuples(), start=1):
        out.print(f" {rank:>2}. {row.id}: {row.reason}", overflow="ignore", crop=False)
    out.print()
    print_target(out, result.target, title=f"Target: no more than {100 * threshold:g}% from one country",
                 limit=TABLE_ROWS)
    costliest = result.costliest()
    table = costliest[["country", "mean_loss", "product"]].copy()
    table["availability"] = [bounded(r.availability, getattr(r, "availability_low", r.availability),
                                     getattr(r, "availability_high", r.availability)) for r in costliest.itertuples()]
    table.columns = ["country", "mean product loss", "hardest-hit product", "its availability"]
    note = f"; mean loss leaves out {', '.join(result.aggregates)}" if result.aggregates else ""
    out.print(frame_table(table, (f"Costliest single-country cutoffs [low-high]{note}"),
                          formats={"mean product loss": pct}))
    if result.written is not None:
        wrote(result.written, result.scored, as_json=False)


def print_target(out, frame, title, limit: int | None = None):
    """The target table: one row per tested item and stage (the first ``limit``), and what the capacity
    column means."""
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

    total = len(frame)
    frame = frame.head(limit) if limit else frame
    show = frame.copy()
    show["top share"] = [share(r) for r in frame.itertuples()]
    show["facts"] = show["facts"].map(facts)
    show["status"] = [r.status + ("~" if getattr(r, "evidence", "") == "estimated" else "") for r in frame.itertuples()]
    columns = ["id", "stage", "top_country", "top share", "hhi", "share_unknown", "status", "why", "capacity_needed",
               "bases", "facts"]
    names = ["id", "stage", "top", "share", "HHI", "unknown", "status", "why", "new capacity", "basis", "facts"]
    if "pass_rate" in show.columns:
        columns.insert(8, "pass_rate")
        names.insert(8, "pass rate")
    show = show[columns]
    show.columns = names
    out.print(frame_table(show, title, formats={"new capacity": pct, "unknown": pct, "pass rate": pct,
                                                "HHI": lambda v: "" if v != v else f"{v:,.0f}"}))
    if total > len(frame):
        out.print(more_rows(len(frame), total, "tested items", how="chokepoint target GRAPH --json"))
    out.print("new capacity: capacity needed outside the top country to comply, as a share of today's total "
              "(top / threshold - 1); shares as the sources state them; ~ a share that is an estimate")


@app.command()
def target(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    threshold: float = typer.Option(DEFAULT_THRESHOLD, "--threshold", help="The most one country may supply (inclusive)."),
    all_items: bool = typer.Option(False, "--all", help="Test every supplied item, not only critical minerals."),
    samples: int = SAMPLES_OPTION,
    seed: int = SEED_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Test each material and stage against 'no more than 65% from any single country'."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    frame = api.target(graph, threshold=threshold, all_items=all_items, samples=samples, seed=seed)
    if as_json:
        cols = TARGET_JSON + (["top_share_p5", "top_share_p95", "pass_rate"] if samples else [])
        echo_json(api.records(frame[cols]))
        return
    out = console()
    title = f"Target: no more than {100 * threshold:g}% from one country"
    if samples:
        title += f" (pass rate over {samples} draws of the ranged shares, seed {seed})"
    print_target(out, frame, title)
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
    top: int = typer.Option(TABLE_ROWS, "--top", min=1, help="Rows shown in each table (products by loss, nodes)."),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", help="Also write one row per node (availability and its bounds, months to shortage; "
                                     "for products also the loss, the chain as A -> B -> C, the evidence and "
                                     f"assumptions) to a {TABLE_FILE}."),
    force: bool = FORCE_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Cut off countries and/or blocs: which products lose how much, after how long, and why."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    result = api.cutoff(graph, countries=country or (), blocs=bloc or (), spare_capacity=spare_capacity,
                        samples=samples, seed=seed, output=output, force=force)
    written = output
    if as_json:
        # a large answer: its compact text made from the result's columns (what echo_json writes)
        text = None if stdout_is_ascii() else result.compact_json(longer_than=COMPACT_PAST)
        if text is not None:
            echo_json_text(text + "\n")
        else:
            echo_json(result.to_dict())
        if written is not None:
            wrote(written, result.n_nodes, as_json=True)
        return
    out = console()
    who = ", ".join(result.countries)
    if result.blocs:
        who = f"{' + '.join([*result.blocs, *result.named])} ({who})"
    out.print(f"Cutoff of {who} in {result.graph}" + (f", spare capacity {result.spare_capacity:g}" if result.spare_capacity else ""))
    if result.note:
        out.print(result.note)
    if result.bases_note:
        out.print(f"note: {result.bases_note}")
    products = result.head("products", top).copy()
    products["months_to_shortage"] = products["months_to_shortage"].map(lambda m: "" if m != m or m is None else f"{m:g}")
    products["availability"] = [bounded(r.availability, r.availability_low, r.availability_high,
                                        r.evidence == "estimated") for r in products.itertuples()]
    columns = ["id", "availability", "loss", "months_to_shortage", "path"]
    title = "Products"
    intervals = result.intervals
    if intervals is not None:
        products["5th-95th"] = [f"{pct(intervals.loc[i, 'p5'])}-{pct(intervals.loc[i, 'p95'])}" for i in products["id"]]
        columns.insert(2, "5th-95th")
        title += f" (availability: point value, and its 5th-95th percentile over {samples} draws, seed {seed})"
    out.print(frame_table(products[columns], title, formats={"loss": pct}))
    if result.n_products > len(products):
        out.print(more_rows(len(products), result.n_products, "products (most loss first)", written=written))
    out.print(ESTIMATE_LEGEND)
    if show_nodes:
        nodes = result.head("nodes", top).copy()
        nodes["availability"] = [bounded(r.availability, r.availability_low, r.availability_high)
                                 for r in nodes.itertuples()]
        out.print(frame_table(nodes[["id", "label", "kind", "availability", "months_to_shortage"]], "Nodes"))
        if result.n_nodes > len(nodes):
            out.print(more_rows(len(nodes), result.n_nodes, "nodes", written=written))
    if written is not None:
        wrote(written, result.n_nodes, as_json=False)
