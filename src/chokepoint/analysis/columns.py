"""The per-node columns an export carries: concentration, target status, chokepoint scores, and
availability under one cutoff. One frame indexed by node id, for
:func:`chokepoint.formats.exchange.export_table`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..formats.export import python_round
from ..model import Graph
from .chokepoints import find_chokepoints
from .concentration import concentration, target
from .scenarios import cutoff


def node_columns(g: Graph, *, with_cutoff=(), blocs=(), analysis: bool = True) -> tuple[pd.DataFrame, dict | None]:
    """(the columns, the cutoff scenario or None).

    The frame has a row per node (indexed by id, in the graph's order) and, with ``analysis``,
    ``top_country``, ``top_share``, ``hhi``, ``share_unknown`` (items with suppliers),
    ``target_status`` and ``evidence`` (items; no evidence where there is no data),
    ``chokepoint_score``, ``knockout_loss``, ``exposure``, ``products_hit`` and ``worst_country``
    (the nodes :func:`find_chokepoints` ranks); with a cutoff, ``availability`` (and its low and
    high ends), ``loss`` (likewise) and ``months_to_shortage`` (where finite). A node without a
    value has NaN (numbers), ``<NA>`` (``products_hit``) or None (text). Numbers are rounded to 6
    decimals.
    """
    index = pd.Index(g.columns.nodes["id"].tolist(), dtype=object)
    data: dict[str, object] = {}
    if analysis:
        _analysis(g, index, data)
    scenario = None
    if with_cutoff or blocs:
        scenario = _cutoff(g, with_cutoff, blocs, index, data)
    return pd.DataFrame(data, index=index), scenario


def _num(values) -> np.ndarray:
    """``round(float(v), 6) + 0.0`` of each value (Python's correctly rounded ``round``, not numpy's)."""
    return python_round(values, 6)


def _texts(series: pd.Series) -> list:
    return [None if v is None or v != v else v for v in series.to_numpy(dtype=object).tolist()]


def _put(data: dict, name: str, index: pd.Index, ids, values, kind: str) -> None:
    """Set ``values`` at the rows of ``ids`` in column ``name`` (``kind``: "float", "int" or "text"),
    made empty (NaN, <NA>, None) where it does not exist yet."""
    rows = index.get_indexer(pd.Index(list(ids), dtype=object))
    keep = rows >= 0
    n = len(index)
    if kind == "float":
        column = data.setdefault(name, np.full(n, np.nan))
        column[rows[keep]] = np.asarray(values, dtype=np.float64)[keep]
    elif kind == "int":
        column = data.setdefault(name, pd.arrays.IntegerArray(np.zeros(n, dtype=np.int64), np.ones(n, dtype=bool)))
        column[rows[keep]] = np.asarray(values, dtype=np.int64)[keep]
    else:
        column = data.setdefault(name, np.full(n, None, dtype=object))
        array = np.empty(len(values), dtype=object)
        array[:] = values
        column[rows[keep]] = array[keep]


def _analysis(g: Graph, index: pd.Index, data: dict) -> None:
    rows = concentration(g)
    ids = rows["id"].tolist()
    _put(data, "top_country", index, ids, _texts(rows["top_country"]), "text")
    for name in ("top_share", "hhi", "share_unknown"):
        _put(data, name, index, ids, _num(rows[name]), "float")
    rows = target(g, all_items=True)
    ids = rows["id"].tolist()
    status = _texts(rows["status"])
    _put(data, "target_status", index, ids, status, "text")
    evidence = [e if s != "no data" else None for s, e in zip(status, _texts(rows["evidence"]))]
    _put(data, "evidence", index, ids, evidence, "text")
    rows = find_chokepoints(g)
    ids = rows["id"].tolist()
    _put(data, "chokepoint_score", index, ids, _num(rows["score"]), "float")
    _put(data, "knockout_loss", index, ids, _num(rows["knockout_loss"]), "float")
    _put(data, "exposure", index, ids, _num(rows["exposure"]), "float")
    _put(data, "products_hit", index, ids, rows["products_hit"].to_numpy(dtype=np.int64), "int")
    worst = [w if w else None for w in _texts(rows["worst_country"])]
    _put(data, "worst_country", index, ids, worst, "text")


def _cutoff(g: Graph, countries, blocs, index: pd.Index, data: dict) -> dict:
    result = cutoff(g, countries=tuple(countries), blocs=tuple(blocs))
    rows = result.nodes
    ids = rows["id"].tolist()
    availability = rows["availability"].to_numpy(dtype=np.float64)
    low = rows["availability_low"].to_numpy(dtype=np.float64)
    high = rows["availability_high"].to_numpy(dtype=np.float64)
    for name, values in (("availability", availability), ("availability_low", low), ("availability_high", high),
                         ("loss", 1.0 - availability), ("loss_low", 1.0 - high), ("loss_high", 1.0 - low)):
        _put(data, name, index, ids, _num(values), "float")
    months = rows["months_to_shortage"].to_numpy(dtype=np.float64)
    _put(data, "months_to_shortage", index, ids, _num(np.where(np.isfinite(months), months, np.nan)), "float")
    return {"countries": list(result.countries), "blocs": list(result.blocs)}
