"""Graphs as a pair of tables: ``nodes`` and ``edges``, in CSV or Parquet.

The pair is what ``chokepoint export --format csv`` writes (``PATH.nodes.csv`` and
``PATH.edges.csv`` for ``PATH.csv``, or ``nodes.csv`` and ``edges.csv`` in a folder); the same
names with ``.parquet`` are read through pyarrow (the ``scale`` extra). Columns are the file
format's fields (``docs/file-format.md``), with the share as ``share`` (a number), or
``share_low``/``share_high``, or ``share_level`` (a level word); columns an export adds (the
analysis, the cutoff, the layout) are ignored, and ``doc_id`` gives back an id the export had to
rename. Sources are the keys the ``source`` column cites, each titled by its key (a table has no
place for more).

Cells are read as text and converted column by column; the graph's rules are then checked over
whole columns (:mod:`chokepoint.model.columnar`). When any cell or rule fails, the pair is read
again row by row into the file format's mappings and validated entry by entry, so the messages
are those of every other path, naming the row (``edges[12] (CN -> gallium)``: the 13th data row).
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import Graph, Source, parse_document
from ..model.columnar import MISSING, Coded, check_columns
from ..model.schema import LEVELS
from .exchange import ANALYSIS_FIELDS, CUTOFF_FIELDS, FORMULA_STARTS, VISUAL, _document
from .files import atomic_write_many, check_output

try:  # optional dependency (the "scale" extra): Parquet, and columns encoded in Arrow
    import pyarrow
    import pyarrow.compute as pc
    import pyarrow.csv as pyarrow_csv
    HAVE_PYARROW = True
except ImportError:  # pragma: no cover - exercised where pyarrow is not installed
    pyarrow = pc = pyarrow_csv = None
    HAVE_PYARROW = False

TABLE_SUFFIXES = (".csv", ".parquet")
NODE_FIELDS = ("id", "kind", "label", "stage", "country", "needs", "critical_mineral", "stockpile_months",
               "unknown_max_share", "note")
EDGE_FIELDS = ("from", "to", "type", "share", "share_low", "share_high", "share_level", "basis", "year", "source",
               "fact", "estimated", "note")
#: Columns an export writes besides the graph's own fields: read and ignored.
DERIVED = frozenset(VISUAL) | frozenset(ANALYSIS_FIELDS) | frozenset(CUTOFF_FIELDS) | {"share_unknown"}
_FLOATS = ("stockpile_months", "unknown_max_share", "share", "share_low", "share_high")
_BOOLS = ("critical_mineral", "estimated", "label_default")
_WORDS = {"true": True, "1": True, "false": False, "0": False}


def table_pair(path) -> tuple[Path, Path] | None:
    """The (nodes, edges) files a path names, when they both exist; else None.

    ``X.csv`` or ``X.parquet`` (a prefix), ``X.nodes.csv`` (either file of the pair), or a folder
    holding ``nodes.csv``/``edges.csv`` or ``nodes.parquet``/``edges.parquet``.
    """
    target = Path(path)
    candidates = []
    if target.is_dir():
        candidates = [(target / f"nodes{s}", target / f"edges{s}") for s in TABLE_SUFFIXES]
    elif target.suffix.lower() in TABLE_SUFFIXES:
        suffix = target.suffix
        stem = target.with_suffix("")
        for part in (".nodes", ".edges"):
            if stem.name.lower().endswith(part):
                stem = stem.with_name(stem.name[: -len(part)])
        candidates = [(Path(f"{stem}.nodes{suffix}"), Path(f"{stem}.edges{suffix}"))]
    for nodes, edges in candidates:
        if nodes.is_file() and edges.is_file():
            return nodes, edges
    return None


def read_table_graph(path, *, origin: str | None = None, max_bytes: int, max_nodes: int | None) -> Graph:
    """Read and validate a table pair (see the module docstring)."""
    pair = table_pair(path)
    origin = origin or str(path)
    if pair is None:
        raise InputError(f"{origin}: no nodes and edges tables found (expected PATH.nodes.csv and PATH.edges.csv, "
                         "or nodes.csv and edges.csv in a folder; .parquet likewise)")
    size = sum(p.stat().st_size for p in pair)
    if size > max_bytes:
        raise InputError(f"{origin}: {size:,} bytes is over the limit of {max_bytes:,} (raise it with --max-bytes)")
    nodes = _read(pair[0], origin)
    edges = _read(pair[1], origin)
    if max_nodes is not None and len(nodes) > max_nodes:
        raise InputError(f"{origin}: {len(nodes):,} nodes is over the limit of {max_nodes:,} (raise it with --max-nodes)")
    _check_columns(nodes, NODE_FIELDS + ("doc_id", "label_default"), pair[0])
    _check_columns(edges, EDGE_FIELDS, pair[1])
    stem = Path(str(path).rstrip("/\\")).name
    stem = re.sub(r"\.(nodes|edges)$", "", Path(stem).stem if Path(stem).suffix.lower() in TABLE_SUFFIXES else stem,
                  flags=re.IGNORECASE)
    name = re.sub(r"[^a-z0-9-]+", "-", stem.lower()).strip("-") or "graph"
    coded_nodes = _coded(nodes)
    fast = _fast(origin, name, stem, coded_nodes, _coded(edges, nodes.get("id"), coded_nodes.get("id")))
    if fast is not None:
        columns, warnings = fast
        return Graph(columns=columns, origin=origin, warnings=tuple(warnings))
    typed_nodes, typed_edges = _typed(nodes), _typed(edges)
    data = _document(_node_rows(typed_nodes), _edge_rows(typed_edges), {}, stem, origin=origin)
    data["name"], data["title"] = name, stem
    document, warnings = parse_document(data, origin)
    return Graph(document, origin=origin, warnings=tuple(warnings))


def _read(path: Path, origin: str) -> pd.DataFrame:
    """Every cell as text ("" where empty), in file order."""
    try:
        if path.suffix.lower() == ".parquet":
            if not HAVE_PYARROW:
                raise InputError(f"{path}: reading Parquet needs pyarrow (pip install 'chokepoint[scale]')")
            frame = pd.read_parquet(path)
            frame.columns = [str(c) for c in frame.columns]
            return frame
        with open(path, "rb") as handle:
            head = handle.read(8192)
        if b"\x00" in head:
            raise InputError(f"{path}: a binary file, not CSV")
        frame = _read_csv_arrow(path) if HAVE_PYARROW else None
        if frame is None:  # pandas' reader: the same cells, and the messages for what is not a table
            frame = pd.read_csv(path, engine="c", dtype=str, keep_default_na=False, na_filter=False)
    except InputError:
        raise
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: empty file") from None
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: not a CSV table: {str(exc).splitlines()[0]}") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: cannot read: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    frame.columns = [str(c) for c in frame.columns]
    if frame.columns.duplicated().any():
        raise InputError(f"{path}: column '{frame.columns[frame.columns.duplicated()][0]}' appears twice")
    return frame


def _read_csv_arrow(path: Path) -> pd.DataFrame | None:
    """A CSV table read by pyarrow (several times faster than pandas' reader), every cell as text;
    None when pyarrow refuses it or its header is not plain (empty or repeated names, which
    pandas renames): pandas' reader then reads it, and says what is wrong."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle))
    except (OSError, UnicodeDecodeError, StopIteration, csv.Error):
        return None
    if not header or "" in header or len(set(header)) != len(header):
        return None
    try:
        table = pyarrow_csv.read_csv(
            path, parse_options=pyarrow_csv.ParseOptions(newlines_in_values=True),
            convert_options=pyarrow_csv.ConvertOptions(
                column_types={name: pyarrow.string() for name in header}, strings_can_be_null=False,
                quoted_strings_can_be_null=False))
    except Exception:  # noqa: BLE001 - anything pyarrow refuses goes to pandas' reader and its message
        return None
    if table.column_names != header or not table.num_rows:
        return None
    return table.to_pandas()


def _check_columns(frame: pd.DataFrame, known, path: Path) -> None:
    first = "id" if "id" in known else "from"
    required = ("id", "kind") if first == "id" else ("from", "to", "type")
    for column in required:
        if column not in frame.columns:
            raise InputError(f"{path}: no '{column}' column (a {'nodes' if first == 'id' else 'edges'} table "
                             f"has {', '.join(required)} and the fields of docs/file-format.md)")
    for column in frame.columns:
        if column not in known and column not in DERIVED:
            raise InputError(f"{path}: unknown column '{_short(column)}' (known: {', '.join(known)})")


def _short(text: str, limit: int = 60) -> str:
    text = text if text.isprintable() else repr(text)[1:-1]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _unprotect(text: str) -> str:
    """Undo the export's spreadsheet protection: a leading ``'`` before a formula character."""
    return text[1:] if len(text) > 1 and text[0] == "'" and text[1] in FORMULA_STARTS else text


_NUMBER = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")
_INTEGER = re.compile(r"\s*[+-]?\d{1,18}\s*")


def _convert(text: str, column: str):
    """One distinct cell as its value: None where empty; a number, a year or a flag where the
    column holds one and the text is one; otherwise the text (which the checks then refuse)."""
    if text == "":
        return None
    if column in _FLOATS:
        return float(text) if _NUMBER.fullmatch(text) else text
    if column == "year":
        return int(text) if _INTEGER.fullmatch(text) else text
    if column in _BOOLS:
        return _WORDS.get(text.strip().lower(), text)
    return text


def _factorized(series: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray]:
    """(codes, the distinct cells as values): each distinct cell converted once, and one object
    per distinct cell (a column of ten million "supplies" holds one string, not ten million)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    texts = [_unprotect(v) if isinstance(v, str) else ("" if v is None or v != v else str(v))
             for v in uniques.tolist()]
    values = np.empty(len(texts) + 1, dtype=object)  # one spare: a 1-D object array even when empty
    values[:-1] = [_convert(t, column) for t in texts]
    return codes, values


def _typed(frame: pd.DataFrame) -> dict[str, list]:
    """Each column as Python values: None where empty; numbers and booleans converted, a cell that
    does not convert kept as its text (the checks then refuse it)."""
    out = {}
    for column in frame.columns:
        if column in DERIVED:
            continue
        series = frame[column]
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            out[column] = _typed_numbers(series, column)  # a Parquet column: typed already
            continue
        codes, values = _factorized(series, column)
        out[column] = values[codes].tolist()
    return out


def _typed_numbers(series: pd.Series, column: str) -> list:
    """A typed (Parquet) column as Python values: None where missing; a whole float in ``year`` is
    the integer it stands for (pandas writes a year column with gaps as floats)."""
    if pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=object)
        values[pd.isna(series).to_numpy()] = None
        return values.tolist()
    numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
    missing = np.isnan(numbers)
    if column == "year" or pd.api.types.is_integer_dtype(series):
        whole = ~missing & np.isfinite(numbers) & (numbers == np.round(numbers)) & (np.abs(numbers) < 2 ** 53)
        values = numbers.astype(object)
        values[whole] = numbers[whole].astype(np.int64).tolist() if whole.any() else []
    else:
        values = numbers.astype(object)
    if column in _BOOLS and not pd.api.types.is_bool_dtype(series):
        values = series.to_numpy(dtype=object)  # 0/1 as written: the checks say what a flag must be
    values[missing] = None
    return values.tolist()


# --- the column path: each column coded once per distinct cell -----------------------------------

def _coded(frame: pd.DataFrame, ids: pd.Series | None = None, coded_ids: Coded | None = None) -> dict[str, Coded]:
    """Each column (but the derived ones) as codes into its distinct cells, each cell converted
    once, as :func:`_typed` converts it. With the nodes' ``ids`` (and their coded column), the
    edge ends are coded by node row when every end is a node's id cell."""
    out = {}
    ends = None
    if ids is not None and coded_ids is not None and "from" in frame and "to" in frame:
        ends = _id_rows(frame["from"], frame["to"], ids)
    for column in frame.columns:
        if column in DERIVED:
            continue
        series = frame[column]
        if column in ("from", "to") and ends is not None:  # the same cell text as a node's id: its value
            out[column] = Coded(ends[column == "to"], coded_ids.tolist())
            continue
        if pd.api.types.is_bool_dtype(series) or pd.api.types.is_numeric_dtype(series):
            out[column] = _coded_numbers(series, column)
        else:
            codes, texts = _text_codes(series, distinct=column != "id")
            if texts and "\n'" in "\n" + "\n".join(texts):  # a protected cell: undo it (rare)
                texts = [_unprotect(t) for t in texts]
            if column in _FLOATS or column == "year" or column in _BOOLS:
                values = [_convert(t, column) for t in texts]
            else:
                values = [None if t == "" else t for t in texts]
            out[column] = Coded(codes, values)
    return out


def _text_codes(series: pd.Series, distinct: bool = True) -> tuple[np.ndarray, list[str]]:
    """(codes, the distinct cells as text; "" for an empty or missing cell), each distinct cell
    once; with ``distinct`` false (the ids: distinct when the graph is valid) a code per row."""
    if HAVE_PYARROW and isinstance(series.array, pd.arrays.ArrowStringArray):
        chunks = pyarrow.array(series.array)
        array = chunks.combine_chunks() if isinstance(chunks, pyarrow.ChunkedArray) else chunks
        if not distinct and (pyarrow.types.is_string(array.type) or pyarrow.types.is_large_string(array.type)):
            if array.null_count:
                array = pc.fill_null(array, "")
            return np.arange(len(array), dtype=np.intp), array.to_pylist()
        if pyarrow.types.is_string(array.type) or pyarrow.types.is_large_string(array.type):
            encoded = array.dictionary_encode()
            texts = encoded.dictionary.to_pylist()
            indices = encoded.indices
            if indices.null_count:
                indices = pc.fill_null(indices, len(texts))
                texts.append("")
            return indices.to_numpy(zero_copy_only=False).astype(np.intp), texts
    codes, uniques = pd.factorize(series, use_na_sentinel=False)
    texts = [v if isinstance(v, str) else ("" if v is None or v != v else str(v)) for v in uniques.tolist()]
    return codes, texts


def _id_rows(frm: pd.Series, to: pd.Series, ids: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """Each edge end's row among the node ids' cells (the first of equal cells), in one look-up;
    None when pyarrow is missing, a column is not text, or a cell is no id's cell."""
    if not (HAVE_PYARROW and all(isinstance(s.array, pd.arrays.ArrowStringArray) for s in (frm, to, ids))):
        return None
    columns = [pyarrow.array(s.array) for s in (frm, to, ids)]
    columns = [c.combine_chunks() if isinstance(c, pyarrow.ChunkedArray) else c for c in columns]
    if len({c.type for c in columns}) != 1:
        return None
    rows = pc.index_in(pyarrow.concat_arrays(columns[:2]), value_set=columns[2])
    if rows.null_count:
        return None
    rows = rows.to_numpy(zero_copy_only=False).astype(np.intp)
    return rows[:len(frm)], rows[len(frm):]


def _coded_numbers(series: pd.Series, column: str) -> Coded:
    """A typed (Parquet) column, coded by each distinct bit pattern: the values of :func:`_typed_numbers`."""
    if pd.api.types.is_bool_dtype(series):
        missing = pd.isna(series).to_numpy()
        codes = series.to_numpy(dtype=object, na_value=False).astype(bool).astype(np.intp)
        codes[missing] = 2
        return _compacted(codes, [False, True, None])
    numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
    codes, bits = pd.factorize(numbers.view(np.int64))
    distinct = np.asarray(bits, dtype=np.int64).view(np.float64)
    if column in _BOOLS:  # numbers in a flag column: as written (the checks refuse them)
        return Coded(codes, [None if x != x else x for x in distinct.tolist()])
    missing = np.isnan(distinct)
    values = distinct.astype(object)
    if column == "year" or pd.api.types.is_integer_dtype(series):
        whole = ~missing & np.isfinite(distinct) & (distinct == np.round(distinct)) & (np.abs(distinct) < 2 ** 53)
        if whole.any():
            values[whole] = distinct[whole].astype(np.int64).tolist()
    values[missing] = None
    return Coded(codes, values.tolist())


def _compacted(codes: np.ndarray, values: list) -> Coded:
    """Only the values some row uses (a value no row holds must not fail a type check)."""
    used = np.bincount(codes, minlength=len(values)) > 0
    if used.all():
        return Coded(codes, values)
    new = np.cumsum(used) - 1
    return Coded(new[codes], [v for v, u in zip(values, used.tolist()) if u])


def _nothing(count: int) -> Coded:
    return Coded(np.zeros(count, dtype=np.intp), [None] if count else [])


def _fast(origin, name, title, nodes: dict, edges: dict):
    """The column checks on coded tables; None when anything needs the row-by-row path."""
    n = len(nodes["id"])
    ids = nodes["id"].tolist()
    renamed = {}
    if "doc_id" in nodes:
        renamed = {i: d for i, d in zip(ids, nodes["doc_id"].tolist()) if d is not None}
        ids = [renamed.get(i, i) for i in ids]
    label = nodes.get("label", _nothing(n))
    if "label_default" in nodes:
        if any(d is not None and not isinstance(d, bool) for d in nodes["label_default"].values):
            return None
        label = [None if d is True else v for v, d in zip(label.tolist(), nodes["label_default"].tolist())]
    node_columns = {"id": ids, "kind": nodes["kind"], "label": label}
    for column in ("stage", "country", "note"):
        node_columns[column] = nodes.get(column, _nothing(n))
    node_columns["needs"] = nodes.get("needs", _nothing(n)).map(lambda v: MISSING if v is None or v == "all" else v)
    node_columns["critical_mineral"] = nodes.get("critical_mineral", _nothing(n)).map(
        lambda v: MISSING if v is None or v is False else v)
    for column in ("stockpile_months", "unknown_max_share"):
        node_columns[column] = nodes.get(column, _nothing(n))
    if renamed and any(v is not None and not isinstance(v, str) for v in ids):
        return None
    if not renamed and set(map(type, nodes["id"].values)) != {str}:
        return None

    m = len(edges["from"])
    shares = _share_columns(edges, m)
    if shares is None:
        return None
    low, high, level = shares
    estimated = edges.get("estimated", _nothing(m))
    if any(v is not None and not isinstance(v, bool) for v in estimated.values):
        return None
    frm, to = edges["from"], edges["to"]
    if renamed:
        frm, to = (end.map(lambda e: renamed.get(e, e)) for end in (frm, to))
    edge_columns = {"from": frm, "to": to, "type": edges["type"], "share_low": low,
                    "share_high": high, "share_level": level, "estimated": estimated.mask(lambda v: v is True)}
    for column in ("basis", "year", "source", "fact", "note"):
        edge_columns[column] = edges.get(column, _nothing(m))
    cited = sorted({s for s in edge_columns["source"].values if isinstance(s, str) and s})
    sources = {key: Source.model_construct(title=key, publisher=None, year=None, url=None) for key in cited}
    return check_columns(origin, name, title, None, sources, node_columns, edge_columns)


_LEVEL_WORDS = list(LEVELS)
_LEVEL_PAIRS = np.array([LEVELS[w] for w in _LEVEL_WORDS], dtype=np.float64).reshape(-1, 2)


def _share_columns(edges: dict, m: int):
    """(low, high, level) from the share columns, as the row-by-row reader takes them: a known
    ``share_level`` word, else ``share_low`` and ``share_high``, else ``share``; None when a
    cell needs the row-by-row reader's message."""
    words, lows, highs, points = (edges.get(c, _nothing(m)) for c in ("share_level", "share_low", "share_high",
                                                                      "share"))
    low, high = np.full(m, np.nan), np.full(m, np.nan)
    level = np.full(m, len(_LEVEL_WORDS), dtype=np.intp)  # codes into the words, and None
    found = np.append([_LEVEL_WORDS.index(w) if isinstance(w, str) and w in LEVELS else -1 for w in words.values],
                      -1).astype(np.intp)[words.codes]
    worded = found >= 0
    if worded.any():
        low[worded], high[worded] = _LEVEL_PAIRS[found[worded], 0], _LEVEL_PAIRS[found[worded], 1]
        level[worded] = found[worded]
    ranged = np.zeros(m, dtype=bool)
    if "share_low" in edges and "share_high" in edges:
        ranged = ~worded & (lows.mask(lambda v: v is not None) | highs.mask(lambda v: v is not None))
    if ranged.any():
        if not (lows.mask(lambda v: type(v) is float)[ranged].all() and highs.mask(lambda v: type(v) is float)[ranged].all()):
            return None
        a, b = _float_values(lows)[ranged], _float_values(highs)[ranged]
        if not np.all((0.0 <= a) & (a <= b) & (b <= 1.0)):
            return None
        low[ranged], high[ranged] = a, b
    rest = ~worded & ~ranged & points.mask(lambda v: v is not None)
    if rest.any():
        # each distinct cell: a level word (its index), a number in [0, 1] (-1), or refused (-2)
        status, numbers = [], []
        for v in points.values:
            x = np.nan
            if isinstance(v, str):
                word = v.strip().lower()
                code = _LEVEL_WORDS.index(word) if word in LEVELS else -2
            elif type(v) is float:
                code, x = (-1, v) if 0.0 <= v <= 1.0 else (-2, v)
            else:
                code = -2 if v is not None else -3
            status.append(code)
            numbers.append(x)
        row_status = np.asarray(status, dtype=np.intp)[points.codes][rest]
        if np.any(row_status == -2):
            return None
        texts = row_status >= 0
        where = np.flatnonzero(rest)
        if texts.any():
            chosen = row_status[texts]
            low[where[texts]], high[where[texts]] = _LEVEL_PAIRS[chosen, 0], _LEVEL_PAIRS[chosen, 1]
            level[where[texts]] = chosen
        values = np.asarray(numbers, dtype=np.float64)[points.codes][rest][~texts]
        low[where[~texts]] = high[where[~texts]] = values
    return low, high, Coded(level, _LEVEL_WORDS + [None])


def _float_values(column: Coded) -> np.ndarray:
    return np.append(np.array([v if type(v) is float else np.nan for v in column.values], dtype=np.float64),
                     np.nan)[column.codes]


def _node_rows(nodes: dict):
    names = list(nodes)
    for values in zip(*(nodes[c] for c in names)):
        attrs = {k: v for k, v in zip(names, values) if v is not None}
        ident = attrs.pop("id", None)
        yield ident if ident is not None else "", attrs


def _edge_rows(edges: dict):
    names = list(edges)
    for values in zip(*(edges[c] for c in names)):
        attrs = {k: v for k, v in zip(names, values) if v is not None}
        yield attrs.pop("from", ""), attrs.pop("to", ""), attrs


def is_table_path(path) -> bool:
    """Whether a path names a table pair (see :func:`table_pair`)."""
    text = str(path)
    return (Path(text).suffix.lower() in TABLE_SUFFIXES or os.path.isdir(text)) and table_pair(text) is not None


# --- writing ------------------------------------------------------------------------------------

def pair_paths(path) -> tuple[Path, Path]:
    """Where a table pair goes: ``X.nodes.csv``/``X.edges.csv`` for ``X.csv`` (``.parquet``
    likewise), ``nodes.csv``/``edges.csv`` in a folder otherwise."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix in TABLE_SUFFIXES:
        stem = target.with_suffix("")
        return Path(f"{stem}.nodes{target.suffix}"), Path(f"{stem}.edges{target.suffix}")
    return target / "nodes.csv", target / "edges.csv"


def _protected(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells a spreadsheet would run as a formula get a leading ``'`` (read back without it)."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            cells = values.to_numpy(dtype=object)
            risky = np.fromiter((isinstance(v, str) and v.startswith(FORMULA_STARTS) for v in cells), dtype=bool,
                                count=len(cells))
            if risky.any():
                cells = cells.copy()
                cells[risky] = ["'" + v for v in cells[risky]]
                out[column] = cells
    return out


def table_bytes(frame: pd.DataFrame, suffix: str) -> bytes:
    """A table as CSV (protected against formula injection) or Parquet bytes."""
    if suffix.lower() == ".parquet":
        if not HAVE_PYARROW:
            raise InputError("writing Parquet needs pyarrow (pip install 'chokepoint[scale]')")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        return buffer.getvalue()
    return _protected(frame).to_csv(index=False, lineterminator="\n").encode()


def write_table_pair(nodes: pd.DataFrame, edges: pd.DataFrame, path, *, force: bool = False) -> list[Path]:
    """Write a graph's nodes and edges tables as a pair, whole or not at all (see :func:`pair_paths`)."""
    targets = pair_paths(path)
    for target in targets:
        check_output(target, force=force)
    folder = targets[0].parent
    if not folder.is_dir():
        raise InputError(f"{folder}: no such folder")
    suffix = targets[0].suffix
    atomic_write_many([(t, table_bytes(f, suffix)) for t, f in zip(targets, (nodes, edges))], force=force)
    return list(targets)
