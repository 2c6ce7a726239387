"""CLI commands `import usgs` and `import table`: data in, a validated graph file out."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from ..errors import InputError
from .app import Group, app

import_app = typer.Typer(help="Build a graph file from published data (USGS MCS) or any shares table.",
                         no_args_is_help=True, cls=Group)
app.add_typer(import_app, name="import")

OUTPUT_HELP = "The graph file to write (.yaml or .json); replaced only if chokepoint wrote it, unless --force."


def _report(written) -> None:
    """What an import wrote, and what it skipped, by reason."""
    result = written.result
    typer.echo(f"{written.output}: {len(written.graph.document.nodes)} nodes, {written.supplies} supplies edges "
               f"({len(written.graph.items)} items); {len(result.skipped)} rows skipped")
    for line in result.summary:
        typer.echo(f"  {line}")
    by_reason = written.skipped_by_reason()
    if by_reason:
        typer.echo("skipped rows by reason: " + ", ".join(f"{n} {k}" for k, n in by_reason.items()))
        if written.skipped_report is None:
            typer.echo("  (--skipped-report FILE.csv lists each skipped row and why)")
    for warning in written.warnings:
        if "normalised" not in warning and "no product" not in warning:
            sys.stderr.write(f"warning: {warning}\n")


@import_app.command("usgs")
def import_usgs_cmd(
    path: Path = typer.Argument(..., help="The MCS data release folder, or MCS2025_World_Data.csv."),
    output: Path = typer.Option(..., "--output", "-o", help=OUTPUT_HELP),
    denominator: str = typer.Option("world", "--denominator",
                                    help="world: the published world total (as USGS computes shares); "
                                         "sum: the sum of the table's rows."),
    year: Optional[int] = typer.Option(None, "--year", help="2023 or 2024 (default: the latest with data)."),
    critical_only: bool = typer.Option(False, "--critical-only", help="Only the US critical minerals."),
    skipped_report: Optional[Path] = typer.Option(None, "--skipped-report", help="Write every skipped row to this CSV."),
    force: bool = typer.Option(False, "--force", help="Overwrite an output file chokepoint did not write."),
) -> None:
    """USGS Mineral Commodity Summaries world production -> one material per commodity and stage."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    if denominator not in ("world", "sum"):
        raise InputError(f"--denominator must be 'world' or 'sum', not '{denominator}'")
    result = api.import_usgs(path, denominator=denominator, year=year, critical_only=critical_only)
    _report(result.write(output, force=force, skipped_report=skipped_report))


@import_app.command("table")
def import_table_cmd(
    path: Path = typer.Argument(..., help="A tidy CSV or Excel table: one row per (item, stage, country, value)."),
    output: Path = typer.Option(..., "--output", "-o", help=OUTPUT_HELP),
    shares: bool = typer.Option(False, "--shares", help="Values are already shares in [0, 1] (default: quantities)."),
    item: str = typer.Option("item", "--item", help="Column holding the item."),
    stage: str = typer.Option("stage", "--stage", help="Column holding the processing stage (optional column)."),
    country: str = typer.Option("country", "--country", help="Column holding the country (name, alpha-2 or alpha-3)."),
    value: str = typer.Option("value", "--value", help="Column holding the quantity or share."),
    requires: Optional[Path] = typer.Option(None, "--requires", help="A table of (item, input) rows adding structure."),
    name: Optional[str] = typer.Option(None, "--name", help="The graph's name (default: from the file name)."),
    title: Optional[str] = typer.Option(None, "--title", help="The graph's title."),
    skipped_report: Optional[Path] = typer.Option(None, "--skipped-report", help="Write every skipped row to this CSV."),
    force: bool = typer.Option(False, "--force", help="Overwrite an output file chokepoint did not write."),
) -> None:
    """Any production-by-country table -> a graph: shares per item and stage, HHI-ready."""
    from .. import api  # start-up: loaded when a command runs, not for --help
    result = api.import_table(path, shares=shares, item=item, stage=stage, country=country, value=value,
                          requires=requires, name=name, title=title)
    _report(result.write(output, force=force, skipped_report=skipped_report))
