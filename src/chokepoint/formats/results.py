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

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from .exchange import spreadsheet_safe
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
        return _csv_bytes(frame)
    raise ValueError(f"unknown table format {kind!r}")


def write_table(frame: pd.DataFrame, path, *, force: bool = False) -> Path:
    """Write ``frame`` (its columns, not its index) to ``path``: Parquet or CSV by the suffix."""
    kind = table_format(path)
    check_output(path, force=force)
    return atomic_write(path, table_bytes(frame, kind), force=force)


#: Text that a JSON string cannot hold as it is (a quote, a backslash, a control character), but
#: the line break that joins a column's values (counted instead).
_JSON_ESCAPED = re.compile(r'["\\\x00-\x09\x0b-\x1f]')


def json_records(columns: dict) -> str | None:
    """The compact JSON text of the records ``{name: value, ...}``, one per row (the columns given
    as lists or float64 arrays of equal length), as orjson writes the list of dicts; made column by
    column (orjson writes each float column at once; the pieces are then joined in one pass), not a
    dict per row. NaN is ``null``, as orjson writes it. ``None`` when orjson is not installed."""
    try:
        import orjson  # optional: the scale extra
    except ImportError:
        return None
    names = list(columns)
    count = len(columns[names[0]]) if names else 0
    if not count:
        return "[]"
    texts, quoted = [], []
    for name in names:
        values = columns[name]
        if isinstance(values, np.ndarray) and values.dtype == np.float64 and values.ndim == 1:
            text = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY).decode("ascii")[1:-1].split(",")
            quote = False
        else:
            text, quote = _json_strings(values.tolist() if isinstance(values, np.ndarray) else list(values), orjson)
        if len(text) != count:
            raise ValueError(f"column {name!r} has {len(text)} values, not {count}")
        texts.append(text)
        quoted.append(quote)
    keys = [orjson.dumps(name).decode("utf-8") + ":" for name in names]
    width = 2 * len(names)
    pieces = [""] * (width * count)
    for j, (key, text, quote) in enumerate(zip(keys, texts, quoted)):
        if j:
            before = ('"' if quoted[j - 1] else "") + ","
        else:  # the end of the row before
            before = ('"' if quoted[-1] else "") + "},{"
        pieces[2 * j::width] = [before + key + ('"' if quote else "")] * count
        pieces[2 * j + 1::width] = text
    pieces[0] = "[{" + keys[0] + ('"' if quoted[0] else "")
    return "".join(pieces) + ('"' if quoted[-1] else "") + "}]"


def _json_strings(values: list, orjson) -> tuple[list, bool]:
    """The JSON texts of a column of values: (the values themselves, True: they go between quotes)
    when every one is text that needs no escape (the usual case: one search of the column joined),
    else (each value's own JSON text, False)."""
    try:
        joined = "\n".join(values)
    except TypeError:  # not all text
        joined = None
    if joined is not None and _JSON_ESCAPED.search(joined) is None and joined.count("\n") == len(values) - 1:
        try:
            joined.encode("utf-8")
            return values, True
        except UnicodeEncodeError:  # a lone surrogate: orjson.dumps says so below
            pass
    return [orjson.dumps(v).decode("utf-8") for v in values], False


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


#: Rows formatted at a time: the text of a block is made, encoded and kept; the cells of only one
#: block are held as Python strings.
CSV_BLOCK = 100_000


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    """The CSV text of ``frame``, as the csv module writes it (minimal quoting, ``\\n`` line ends),
    floats as ``repr`` (the shortest text that reads back as the same float), NaN and missing as an
    empty cell; formatted column by column, a block of rows at a time (pandas' ``to_csv`` is ~5x
    slower on large tables)."""
    header = ",".join(_csv_text_cell(str(c)) for c in frame.columns)
    blocks = [(header + "\n").encode("utf-8")]
    for start in range(0, len(frame), CSV_BLOCK):
        part = frame.iloc[start:start + CSV_BLOCK]
        columns = [_csv_column(part[c]) for c in frame.columns]
        blocks.append(("\n".join(map(",".join, zip(*columns))) + "\n").encode("utf-8"))
    return b"".join(blocks)


def _csv_column(values: pd.Series) -> list[str]:
    """The cells of a column. Each distinct value is formatted once (a sweep's availabilities and
    names repeat: most products keep 1.0): ``factorize`` gives each cell the code of its value, -1 for
    a missing one, which picks the empty text appended last."""
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable cells (lists): one at a time
        return [_csv_cell(v) for v in values.tolist()]
    texts = [_csv_cell(v) for v in (uniques.tolist() if hasattr(uniques, "tolist") else list(uniques))]
    texts.append("")
    return [texts[code] for code in codes.tolist()]


def _csv_cell(value) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, str):
        return _csv_text_cell(value)
    if hasattr(value, "item"):  # a numpy scalar
        value = value.item()
    return repr(value) if isinstance(value, float) else _csv_text_cell(str(value))


def _csv_text_cell(text: str) -> str:
    """Text made safe for a spreadsheet (a leading ``'`` on what would run as a formula), then
    quoted as the csv module would (only when it holds a comma, a quote or a line break)."""
    text = spreadsheet_safe(text)
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text
