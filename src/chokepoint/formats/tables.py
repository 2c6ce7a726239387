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

import io
import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import Graph, Source, parse_document
from ..model.columnar import MISSING, check_columns
from ..model.schema import LEVELS
from .exchange import ANALYSIS_FIELDS, CUTOFF_FIELDS, FORMULA_STARTS, VISUAL, _document
from .files import atomic_write_many, check_output

try:  # optional dependency (the "scale" extra): Parquet, and a faster CSV reader
    import pyarrow  # noqa: F401
    HAVE_PYARROW = True
except ImportError:  # pragma: no cover - exercised where pyarrow is not installed
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
    typed_nodes, typed_edges = _typed(nodes), _typed(edges)
    fast = _fast(origin, name, stem, typed_nodes, typed_edges)
    if fast is not None:
        columns, warnings = fast
        return Graph(columns=columns, origin=origin, warnings=tuple(warnings))
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
        kwargs = dict(dtype=str, keep_default_na=False, na_filter=False)
        if HAVE_PYARROW:
            try:
                frame = pd.read_csv(path, engine="pyarrow", **kwargs)
            except Exception:  # noqa: BLE001 - pyarrow's reader refuses what the C reader explains: read again
                frame = pd.read_csv(path, engine="c", **kwargs)
        else:  # pragma: no cover - without the scale extra
            frame = pd.read_csv(path, engine="c", **kwargs)
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
    does not convert kept as its text (the checks then refuse it). The codes of the edge ends are
    kept under ``("codes", column)`` for :func:`_fast`."""
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
        if column in ("from", "to"):
            out[("codes", column)] = (codes, values[:-1])
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


def _fast(origin, name, title, nodes: dict, edges: dict):
    """The column checks on typed tables; None when anything needs the row-by-row path."""
    n = len(nodes["id"])
    ids = nodes["id"]
    renamed = {}
    if "doc_id" in nodes:
        renamed = {i: d for i, d in zip(ids, nodes["doc_id"]) if d is not None}
        ids = [renamed.get(i, i) for i in ids]
    label = nodes.get("label", [None] * n)
    if "label_default" in nodes:
        if any(d is not None and not isinstance(d, bool) for d in nodes["label_default"]):
            return None
        label = [None if d is True else v for v, d in zip(label, nodes["label_default"])]
    node_columns = {"id": ids, "kind": nodes["kind"], "label": label}
    for column in ("stage", "country", "note"):
        node_columns[column] = nodes.get(column, [None] * n)
    needs = nodes.get("needs", [None] * n)
    node_columns["needs"] = [MISSING if v is None or v == "all" else v for v in needs]
    critical = nodes.get("critical_mineral", [None] * n)
    node_columns["critical_mineral"] = [MISSING if v is None or v is False else v for v in critical]
    for column in ("stockpile_months", "unknown_max_share"):
        node_columns[column] = nodes.get(column, [None] * n)
    if any(v is not None and not isinstance(v, str) for v in ids):
        return None

    m = len(edges["from"])
    shares = _share_columns(edges, m)
    if shares is None:
        return None
    low, high, level = shares
    estimated = edges.get("estimated", [None] * m)
    if any(v is not None and not isinstance(v, bool) for v in estimated):
        return None
    ends = edges["from"], edges["to"]
    if renamed:
        ends = tuple([renamed.get(e, e) for e in column] for column in ends)
    rows = None
    if ("codes", "from") in edges and not renamed:  # the ends as rows: one lookup per distinct id
        index = dict(zip(ids, range(n)))
        rows = []
        for end in ("from", "to"):
            codes, distinct = edges[("codes", end)]
            found = np.fromiter((index.get(v, -1) if isinstance(v, str) else -1 for v in distinct.tolist()),
                                dtype=np.int64, count=len(distinct))
            rows.append(found[codes] if len(codes) else np.zeros(0, dtype=np.int64))
    edge_columns = {"from": ends[0], "to": ends[1], "type": edges["type"], "share_low": low,
                    "share_high": high, "share_level": level,
                    "estimated": np.array([v is True for v in estimated], dtype=bool)}
    for column in ("basis", "year", "source", "fact", "note"):
        edge_columns[column] = edges.get(column, [None] * m)
    cited = sorted({s for s in edge_columns["source"] if isinstance(s, str) and s})
    sources = {key: Source.model_construct(title=key, publisher=None, year=None, url=None) for key in cited}
    return check_columns(origin, name, title, None, sources, node_columns, edge_columns,
                         ends=tuple(rows) if rows is not None else None)


def _share_columns(edges: dict, m: int):
    """(low, high, level) from the share columns, as the row-by-row reader takes them: a known
    ``share_level`` word, else ``share_low`` and ``share_high``, else ``share``; None when a
    cell needs the row-by-row reader's message."""
    def column(name):
        values = edges.get(name)
        return np.full(m, None, dtype=object) if values is None else np.asarray(values + [None], dtype=object)[:-1]

    words, lows, highs, points = column("share_level"), column("share_low"), column("share_high"), column("share")
    low, high = np.full(m, np.nan), np.full(m, np.nan)
    level = np.full(m, None, dtype=object)
    worded = pd.Series(words, dtype=object).isin(list(LEVELS)).to_numpy()
    if worded.any():
        pairs = np.array([LEVELS[w] for w in words[worded].tolist()])
        low[worded], high[worded] = pairs[:, 0], pairs[:, 1]
        level[worded] = words[worded]
    ranged = np.zeros(m, dtype=bool)
    if "share_low" in edges and "share_high" in edges:
        ranged = ~worded & ((lows != None) | (highs != None))  # noqa: E711
    if ranged.any():
        a, b = lows[ranged], highs[ranged]
        if not set(map(type, a.tolist())) | set(map(type, b.tolist())) <= {float}:
            return None
        a, b = a.astype(np.float64), b.astype(np.float64)
        if not np.all((0.0 <= a) & (a <= b) & (b <= 1.0)):
            return None
        low[ranged], high[ranged] = a, b
    rest = np.flatnonzero(~worded & ~ranged & (points != None))  # noqa: E711
    if len(rest):
        values = points[rest]
        kinds = np.fromiter(map(type, values.tolist()), dtype=object, count=len(rest))
        texts = kinds == str
        for i, word in zip(rest[texts].tolist(), values[texts].tolist()):
            word = word.strip().lower()
            if word not in LEVELS:
                return None
            level[i] = word
            low[i], high[i] = LEVELS[word]
        numbers = ~texts
        if numbers.any():
            if not set(kinds[numbers].tolist()) <= {float}:
                return None
            x = values[numbers].astype(np.float64)
            if not np.all((0.0 <= x) & (x <= 1.0)):
                return None
            low[rest[numbers]] = high[rest[numbers]] = x
    return low, high, level.tolist()


def _node_rows(nodes: dict):
    names = list(nodes)
    for values in zip(*(nodes[c] for c in names)):
        attrs = {k: v for k, v in zip(names, values) if v is not None}
        ident = attrs.pop("id", None)
        yield ident if ident is not None else "", attrs


def _edge_rows(edges: dict):
    names = [k for k in edges if isinstance(k, str)]
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
