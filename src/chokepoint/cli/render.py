"""Human output: rich tables from DataFrames and lists. Only the CLI imports this module."""

from __future__ import annotations

import math
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table


#: Columns that hold identifiers: never broken across lines.
NO_WRAP = {"id", "product", "country", "countries", "from", "to", "top_country", "worst_country", "name"}


def terminal_width(default: int = 200) -> int:
    """Columns for output that is not a terminal: ``COLUMNS`` when it is a sensible number, else ``default``."""
    text = os.environ.get("COLUMNS", "").strip()
    try:
        width = int(text)
    except ValueError:
        return default
    return width if 20 <= width <= 10_000 else default


def console(stderr: bool = False) -> Console:
    """A console that prints text literally: labels, titles and notes come from graph files, so
    ``[/]``, ``[est.]`` or ``[link=...]`` in them are text, never rich markup (``markup=False``)."""
    from rich.console import Console  # start-up: loaded when a table is drawn, not for --help
    stream = sys.stderr if stderr else sys.stdout
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        tty = False
    width = None if tty else terminal_width()
    return Console(file=stream, width=width, highlight=False, soft_wrap=False, emoji=False, markup=False)


def fmt(value) -> str:
    if value is None or type(value).__name__ == "NAType":  # pandas.NA
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, (list, tuple)):
        return " -> ".join(map(str, value))
    return str(value)


def frame_table(frame: pd.DataFrame, title: str | None = None, *, index: bool = False, formats=None) -> Table:
    """A rich table of a DataFrame; ``formats`` maps column -> callable(value) -> str."""
    import pandas as pd  # start-up: loaded when a table is drawn, not for --help
    from rich import box  # start-up: loaded when a table is drawn, not for --help
    from rich.table import Table  # start-up: loaded when a table is drawn, not for --help
    formats = formats or {}
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    data = frame.reset_index() if index else frame
    for column in data.columns:
        numeric = pd.api.types.is_numeric_dtype(data[column]) and not pd.api.types.is_bool_dtype(data[column])
        table.add_column(str(column), justify="right" if numeric else "left", overflow="fold",
                         no_wrap=str(column) in NO_WRAP)
    for row in data.itertuples(index=False):
        table.add_row(*[formats.get(col, fmt)(val) for col, val in zip(data.columns, row)])
    return table


#: Rows a long table shows (cutoff's products and nodes, analyse's target table) unless --top says.
TABLE_ROWS = 50


def more_rows(shown: int, total: int, what: str, *, written=None,
              how: str = "--top N, -o FILE.parquet|.csv or --json") -> str:
    """The line under a table cut to its first rows: how many there are, and where they all are
    (the file written with -o) or how to get them."""
    where = f"all of them are in {written}" if written is not None else f"all of them: {how}"
    return f"{shown:,} of {total:,} {what} shown; {where}"


def pct(value) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{100 * value:.1f}%"
