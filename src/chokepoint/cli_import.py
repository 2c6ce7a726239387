"""CLI commands `import usgs` and `import table`: data in, a validated graph file out."""

from __future__ import annotations

import csv
import io as _io
import sys
from pathlib import Path
from typing import Optional

import typer

from .cli import app
from .errors import InputError

import_app = typer.Typer(help="Build a graph file from published data (USGS MCS) or any shares table.",
                         no_args_is_help=True)
app.add_typer(import_app, name="import")

OUTPUT_HELP = "The graph file to write (.yaml or .json); replaced only if chokepoint wrote it, unless --force."


def _finish(result, output: Path, force: bool, skipped_report: Optional[Path]) -> None:
    """Validate the imported document, write it atomically, and report what was skipped."""
    from .graph import Graph
    from .io import atomic_write, check_overwrite, save_graph
    from .validate import parse_document

    document, warnings = parse_document(result.document, str(output))
    graph = Graph(document, origin=str(output), warnings=tuple(warnings))
    header = "\n".join(result.summary)
    report = None
    if skipped_report is not None:
        # checked before anything is written: a report that cannot be written stops the import
        check_overwrite(skipped_report, force=force)
        if not (skipped_report.parent if str(skipped_report.parent) else Path(".")).is_dir():
            raise InputError(f"{skipped_report}: folder {skipped_report.parent} does not exist")
        buffer = _io.StringIO()
        fields = ["row", "category", "reason"]
        fields += sorted({key for entry in result.skipped for key in entry} - set(fields))
        writer = csv.DictWriter(buffer, fieldnames=fields)
        writer.writeheader()
        writer.writerows(result.skipped)
        report = buffer.getvalue()
    save_graph(graph, output, force=force, header=header)
    if report is not None:
        atomic_write(skipped_report, report)
    supplies = sum(1 for e in document.edges if e.type == "supplies")
    typer.echo(f"{output}: {len(document.nodes)} nodes, {supplies} supplies edges "
               f"({len(graph.items)} items); {len(result.skipped)} rows skipped")
    for line in result.summary:
        typer.echo(f"  {line}")
    by_reason: dict[str, int] = {}
    for entry in result.skipped:
        key = entry.get("category") or entry.get("reason", "skipped")
        by_reason[key] = by_reason.get(key, 0) + 1
    if by_reason:
        typer.echo("skipped rows by reason: " + ", ".join(f"{n} {k}" for k, n in sorted(by_reason.items())))
        if skipped_report is None:
            typer.echo("  (--skipped-report FILE.csv lists each skipped row and why)")
    for warning in warnings:
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
    from .errors import InputError
    from .importers.usgs import import_usgs

    if denominator not in ("world", "sum"):
        raise InputError(f"--denominator must be 'world' or 'sum', not '{denominator}'")
    result = import_usgs(path, denominator=denominator, year=year, critical_only=critical_only)
    _finish(result, output, force, skipped_report)


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
    from .importers.table import import_table

    result = import_table(path, shares=shares, item=item, stage=stage, country=country, value=value,
                          requires=requires, name=name, title=title)
    _finish(result, output, force, skipped_report)
