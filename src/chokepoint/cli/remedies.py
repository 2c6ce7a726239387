"""`timeline` and `plan`: how long a cutoff hurts, and the cheapest set of actions that fixes it."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from ..errors import InputError
from .app import BLOC_HELP, COUNTRY_HELP, GRAPH_HELP, app, echo_json
from .render import console, frame_table, pct


def _months(value) -> str:
    return "" if value is None or value != value else f"{value:.2f}"


def _stockpiles(entries) -> dict[str, float]:
    out = {}
    for entry in entries or ():
        item, sep, months = entry.partition("=")
        try:
            value = float(months)
        except ValueError:
            value = float("nan")
        if not sep or not item or value != value or value < 0:
            raise InputError(f"--stockpile {entry!r}: expected ITEM=MONTHS with MONTHS a number >= 0")
        out[item.strip()] = value
    return out


@app.command()
def timeline(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    country: Optional[List[str]] = typer.Option(None, "--country", "-c", help=COUNTRY_HELP),
    bloc: Optional[List[str]] = typer.Option(None, "--bloc", "-b", help=BLOC_HELP),
    duration: float = typer.Option(..., "--duration", help="Months the cutoff lasts."),
    stockpile: Optional[List[str]] = typer.Option(None, "--stockpile", help="ITEM=MONTHS of stock (overrides the graph's stockpile_months); repeat."),
    ramp: Optional[float] = typer.Option(None, "--ramp", help="Months for replacement supply to grow (linearly) to cover the lost share."),
    ramp_share: Optional[float] = typer.Option(None, "--ramp-share", help="Cap on the replacement, as a share of the item's supply."),
    spare_capacity: float = typer.Option(0.0, "--spare-capacity", help="Surviving suppliers may grow by this fraction of their share."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output (with the month-by-month series)."),
) -> None:
    """A cutoff over time: when each product runs short, for how long, the unmet demand and the
    stockpile that would have prevented it."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    result = api.timeline(graph, countries=country or (), blocs=bloc or (), duration=duration,
                          stockpile=_stockpiles(stockpile), ramp=ramp, ramp_share=ramp_share,
                          spare_capacity=spare_capacity)
    if as_json:
        echo_json(result.to_dict())
        return
    out = console()
    who = ", ".join(result.countries)
    out.print((f"Cutoff of {who} in {result.graph} for {result.duration:g} months"
                     + (f", ramp {result.ramp:g} months" if result.ramp else "")
                     + (f" (capped at {result.ramp_share:g})" if result.ramp_share is not None else "")))
    table = result.table.copy()
    for column in ("months_to_shortage", "shortage_months", "unmet_months", "buffer_needed_months", "stockpile_months"):
        table[column] = table[column].map(_months)
    table["supply_loss"] = table["supply_loss"].map(pct)
    table["lowest_availability"] = table["lowest_availability"].map(pct)
    columns = ["id", "role", "supply_loss", "stockpile_months", "months_to_shortage", "shortage_months",
               "unmet_months", "buffer_needed_months", "lowest_availability"]
    out.print(frame_table(table[columns], f"Months ({result.method}: "
                          + ("closed forms" if result.method == "exact" else "month by month") + ")"))
    out.print("unmet_months: unmet demand in months of supply; buffer_needed_months: the stockpile that would "
              "have prevented any shortage")
    for note in result.notes:
        out.print(f"note: {(note)}")


@app.command()
def plan(
    graph: str = typer.Argument(..., help=GRAPH_HELP),
    target: Optional[float] = typer.Option(None, "--target", help="Every failing item must pass this test (e.g. 0.65)."),
    keep: Optional[float] = typer.Option(None, "--keep", help="Every product keeps at least this availability under each cutoff."),
    against: Optional[List[str]] = typer.Option(None, "--against", help="Cutoffs to survive: 'single' (each country in turn; default), CC, CC+CC or a bloc; repeat."),
    ally: Optional[List[str]] = typer.Option(None, "--allies", "--ally", help="Countries or blocs new capacity may go to (default: any supplier but the one cut); repeat."),
    duration: float = typer.Option(12.0, "--duration", help="Months a cutoff lasts (stockpile months / duration counts as supply)."),
    costs: Optional[Path] = typer.Option(None, "--costs", help="CSV of item,country,capacity_cost,stockpile_cost (blanks: 1)."),
    budget: Optional[float] = typer.Option(None, "--budget", help="Maximise the worst availability at no more than this cost."),
    write: Optional[Path] = typer.Option(None, "--write", help="Write the graph with the plan applied (.yaml or .json)."),
    force: bool = typer.Option(False, "--force", help="Overwrite a --write file chokepoint did not write."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """The cheapest new capacity and stockpiles that meet the 65% target and/or keep every product
    available through the cutoffs: a linear programme solved with HiGHS."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    againsts = []
    for entry in against or ["single"]:
        againsts.append(entry if entry == "single" or "+" not in entry else entry.split("+"))
    result = api.plan(graph, target=target, keep=keep, against=againsts[0] if againsts == ["single"] else againsts,
                      allies=ally or None, duration=duration, costs=costs, budget=budget, write=write, force=force)
    if as_json:
        echo_json(result.to_dict())
        return
    out = console()
    cost = "" if result.cost is None else f", cost {result.cost:.4g}"
    worst = "" if result.worst_availability is None else f", worst availability {pct(result.worst_availability)}"
    out.print((f"Plan for {result.graph}: {result.status}{cost}{worst} ({result.method})"))
    if not result.actions.empty:
        out.print(frame_table(result.actions, "Actions (new capacity as a share of today's supply; stockpiles in months)"))
    if not result.binding.empty:
        out.print(frame_table(result.binding.head(15), "Binding constraints (shadow price: the cost of tightening by one unit)"))
    if not result.conflicts.empty:
        out.print(frame_table(result.conflicts, "Conflicting constraints (smallest violations that make it feasible)"))
    if not result.needs_data.empty:
        out.print(frame_table(result.needs_data, "Undetermined items: need data, not capacity"))
    for note in result.notes:
        out.print(f"note: {(note)}")
    if write is not None and result.status == "optimal":
        out.print((f"wrote {write}"))
