"""DataFrame rows as JSON-safe dicts (what ``--json`` prints), whole or a block at a time."""

from __future__ import annotations

import pandas as pd

__all__ = ["iter_records", "records"]


def iter_records(frame: pd.DataFrame, size: int = 10_000):
    """:func:`records` in lists of at most ``size`` rows, read column by column (a large frame's
    rows are made a block at a time, not all at once)."""
    columns = [str(c) for c in frame.columns]
    for start in range(0, len(frame), size):
        block = frame.iloc[start:start + size]
        values = [_json_column(block[c]) for c in frame.columns]
        yield [dict(zip(columns, row)) for row in zip(*values)]


def _json_column(column: pd.Series) -> list:
    """A column as JSON-safe Python values, as :func:`records` makes them (NaN and NA -> None)."""
    kind = column.dtype
    if pd.api.types.is_float_dtype(kind) and kind != object:
        return [None if v != v else v for v in column.tolist()]
    if (pd.api.types.is_bool_dtype(kind) or pd.api.types.is_integer_dtype(kind)) and not column.hasnans:
        return column.tolist()
    return [_json_value(v) for v in column.tolist()]


def _json_value(value):
    """One cell as :func:`records` makes it."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, str)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA:
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as JSON-safe dicts: NaN becomes None, numpy scalars become Python ones."""
    return [{key: _json_value(value) for key, value in row.items()} for row in frame.to_dict(orient="records")]
