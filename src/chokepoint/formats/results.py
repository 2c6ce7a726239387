"""Result tables in files: the rows of a command's answer as Parquet or CSV (``sweep``, ``cutoff``,
``analyse`` with ``-o``).

The format follows the suffix: ``.parquet`` (needs pyarrow, the optional ``scale`` extra) or ``.csv``.
Files go through the atomic writers of :mod:`.files`; neither format carries a stamp, so the
folder's ``.chokepoint-files.json`` lists the file's hash: a later run replaces its own file, and a
user's file only with ``force``.

- CSV: a header, then one line per row; numbers in full precision (a float reads back as the same
  float), NaN as an empty cell; text that a spreadsheet would run as a formula gets a leading ``'``
  (:func:`~chokepoint.formats.exchange.spreadsheet_safe`).
- Parquet: the columns with their types (text, float64, int64, bool); NaN stays NaN.

A cell that holds a list or a mapping is written as its JSON text in both formats.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pandas as pd

from ..errors import InputError
from .exchange import FORMULA_STARTS, spreadsheet_safe
from .files import GENERATOR, atomic_write, check_output

#: Suffix -> format of a results table.
TABLE_FORMATS = {".parquet": "parquet", ".csv": "csv"}


def table_format(path) -> str:
    """``"parquet"`` or ``"csv"`` from the file's suffix; a one-line error for any other suffix, and
    for ``.parquet`` when pyarrow is not installed."""
    target = Path(path)
    suffix = target.suffix.lower()
    kind = TABLE_FORMATS.get(suffix)
    if kind is None:
        what = f"not '{suffix}'" if suffix else "and this name has no suffix"
        raise InputError(f"{target}: a results table is written as .parquet or .csv, {what}")
    if kind == "parquet":
        _parquet(target)
    return kind


def check_table_output(path, *, force: bool = False) -> Path:
    """Before the work: the suffix names a table format, and the target may be written
    (:func:`~chokepoint.formats.files.check_output`)."""
    table_format(path)
    return check_output(path, force=force)


def table_bytes(frame: pd.DataFrame, kind: str) -> bytes:
    """The file's content: ``kind`` is ``"parquet"`` or ``"csv"``."""
    frame = _plain(frame)
    if kind == "parquet":
        return _parquet_bytes(frame)
    if kind == "csv":
        return _csv_text(frame).encode("utf-8")
    raise ValueError(f"unknown table format {kind!r}")


def write_table(frame: pd.DataFrame, path, *, force: bool = False) -> Path:
    """Write ``frame`` (its columns, not its index) to ``path``: Parquet or CSV by the suffix."""
    kind = table_format(path)
    check_output(path, force=force)
    return atomic_write(path, table_bytes(frame, kind), force=force)


def _parquet(target: Path):
    try:
        import pyarrow  # optional: the scale extra
        import pyarrow.parquet  # noqa: F401 - optional: the scale extra
    except ImportError:
        raise InputError(f"{target}: writing Parquet needs pyarrow (pip install 'chokepoint[scale]'); "
                         "or write a .csv") from None
    return pyarrow


def _plain(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without its index, with list, tuple and mapping cells as JSON text."""
    frame = frame.reset_index(drop=True)
    out = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object and values.map(lambda v: isinstance(v, (list, tuple, dict))).any():
            values = values.map(lambda v: json.dumps(v, ensure_ascii=False) if isinstance(v, (list, tuple, dict))
                                else v)
        out[str(column)] = values
    return pd.DataFrame(out, index=frame.index)


def _parquet_bytes(frame: pd.DataFrame) -> bytes:
    pyarrow = _parquet(Path("table.parquet"))
    table = pyarrow.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}), b"generator": GENERATOR.encode()})
    sink = pyarrow.BufferOutputStream()
    pyarrow.parquet.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _csv_text(frame: pd.DataFrame) -> str:
    safe = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object:
            risky = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS)).astype(bool)
        elif pd.api.types.is_string_dtype(values):  # pandas' own text dtype: vectorised
            risky = values.str.startswith(FORMULA_STARTS).fillna(False).astype(bool)
        else:
            risky = None
        if risky is not None and risky.any():
            values = values.where(~risky, "'" + values.astype(str))
        safe[spreadsheet_safe(column)] = values
    buffer = io.StringIO()
    pd.DataFrame(safe, index=frame.index).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()
