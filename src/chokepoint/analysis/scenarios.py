"""Country cutoffs and sweeps, evaluated on the compiled engine (:mod:`chokepoint.engine`).

A scenario names countries and/or blocs to cut off. Unknown codes and blocs are errors; a known
country that supplies nothing in the graph is reported as "no supply edges from XX", never as a
silent zero. Availabilities and months to shortage come from the engine (which agrees with the
reference, :mod:`chokepoint.engine.reference`); the chain that explains each product's loss
comes from :func:`~chokepoint.analysis.paths.loss_path`.
"""

from __future__ import annotations

import itertools
from collections import namedtuple
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import compile_graph, evaluate
from ..errors import InputError
from ..formats.results import json_records
from ..model import KINDS, Graph, country_name, resolve_bloc, resolve_country
from ..model.graph import gc_paused
from .evidence import bounds, chains_assumptions, grade
from .paths import chain_finder

PRODUCT_COLUMNS = ["id", "label", "availability", "availability_low", "availability_high", "loss", "loss_low",
                   "loss_high", "months_to_shortage", "path", "evidence", "assumptions"]
NODE_COLUMNS = ["id", "label", "kind", "availability", "availability_low", "availability_high", "months_to_shortage"]
SWEEP_COLUMNS = ["countries", "product", "availability", "availability_low", "availability_high"]


@dataclass(frozen=True)
class Cut:
    """Countries and blocs resolved once: every code cut, the canonical bloc names, and the
    countries named on their own (not through a bloc)."""

    codes: tuple[str, ...]
    blocs: tuple[str, ...]
    named: tuple[str, ...]


def resolve_cut(countries=(), blocs=()) -> Cut:
    """Expand codes/names and bloc names (unknown ones are errors)."""
    if isinstance(countries, str):
        countries = (countries,)
    if isinstance(blocs, str):
        blocs = (blocs,)
    named = {resolve_country(c) for c in countries}
    codes = set(named)
    names = []
    for bloc in blocs:
        canonical, members = resolve_bloc(bloc)
        if canonical not in names:
            names.append(canonical)
        codes |= set(members)
    return Cut(tuple(sorted(codes)), tuple(names), tuple(sorted(named)))


def resolve_countries(countries=(), blocs=()) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Expand codes/names and bloc names into (sorted alpha-2 codes, canonical bloc names)."""
    cut = resolve_cut(countries, blocs)
    return cut.codes, cut.blocs


def check_spare_capacity(spare_capacity: float) -> float:
    if not 0.0 <= spare_capacity <= 100:
        raise InputError(f"spare capacity {spare_capacity:g} must be between 0 and 100 "
                         "(a fraction of each supplier's share: 0.2 = suppliers grow by 20%)")
    return float(spare_capacity)


class _Frame:
    """A frame of :class:`CutoffResult`: the one given, or else made from the result's arrays on
    first use (and kept with them)."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, obj, owner=None):
        if obj is None:
            return None  # the field's default
        given = obj.__dict__.get(self.name)
        if given is not None or obj.arrays is None:
            return given
        return obj.arrays.frame(self.name)

    def __set__(self, obj, value):
        obj.__dict__[self.name] = value


@dataclass(frozen=True)
class CutoffResult:
    """Availability of every node when ``countries`` are cut off.

    ``products`` (most loss first) and ``nodes`` (least available first) are frames; a cutoff made
    by :func:`cutoff` holds its answer as arrays (``arrays``) and makes each frame on first use
    (JSON and the first rows of a table are made from the arrays)."""

    graph: str
    countries: tuple[str, ...]
    blocs: tuple[str, ...]
    spare_capacity: float
    absent: tuple[str, ...]
    products: pd.DataFrame = _Frame("products")
    nodes: pd.DataFrame = _Frame("nodes")
    bases: dict = field(default_factory=dict)
    """Basis -> items upstream of the products hit whose shares are on that basis."""
    named: tuple[str, ...] = ()
    """The countries named on their own (not through a bloc), as codes."""
    intervals: pd.DataFrame | None = None
    """With Monte Carlo draws: per product id, the availability's ``p5``, ``p50`` and ``p95``."""
    samples: int = 0
    seed: int = 0
    arrays: CutoffArrays | None = None
    """The answer as arrays by compiled row (``None`` for a result made from frames)."""

    def __repr__(self) -> str:
        return (f"CutoffResult(graph={self.graph!r}, countries={self.countries!r}, blocs={self.blocs!r}, "
                f"spare_capacity={self.spare_capacity!r}, absent={self.absent!r}, named={self.named!r}, "
                f"samples={self.samples!r}, seed={self.seed!r})")

    @property
    def note(self) -> str:
        if not self.absent:
            return ""
        return "; ".join(f"no supply edges from {c} ({country_name(c)})" for c in self.absent)

    @property
    def bases_note(self) -> str:
        """Says so when the figures behind the products hit are shares on different bases."""
        if len(self.bases) < 2:
            return ""
        parts = [f"{basis} ({', '.join(items[:3])}{', ...' if len(items) > 3 else ''})"
                 for basis, items in self.bases.items()]
        return "combines shares on different bases: " + "; ".join(parts)

    def _from_arrays(self, name: str) -> bool:
        """Whether the frame ``name`` is (or would be) the one made from the arrays."""
        given = self.__dict__.get(name)
        return self.arrays is not None and (given is None or given is self.arrays.frame(name, make=False))

    @property
    def n_products(self) -> int:
        return len(self.arrays.product_rows) if self._from_arrays("products") else len(self.products)

    @property
    def n_nodes(self) -> int:
        return len(self.arrays.node_rows) if self._from_arrays("nodes") else len(self.nodes)

    def head(self, name: str, rows: int) -> pd.DataFrame:
        """The first ``rows`` rows of the frame ``name`` (``"products"`` or ``"nodes"``), made from
        the arrays when the whole frame is not needed."""
        if self._from_arrays(name) and self.arrays.frame(name, make=False) is None:
            return self.arrays.frame(name, limit=rows)
        return getattr(self, name).head(rows)

    def to_dict(self) -> dict:
        with gc_paused():
            return self._to_dict()

    def compact_json(self, longer_than: int = 0) -> str | None:
        """The compact JSON text of :meth:`to_dict` as orjson writes it, when orjson is installed
        and the text is longer than ``longer_than`` characters; else ``None``. The nodes' records
        are written column by column (:func:`~chokepoint.formats.results.json_records`), not made
        as a dict each."""
        if not self._from_arrays("nodes"):
            return None
        try:
            import orjson  # optional: the scale extra; to_dict and json say the same, slower
        except ImportError:
            return None
        with gc_paused():
            try:
                nodes = self.arrays.node_json()
                if nodes is None:
                    return None
                head = orjson.dumps(self._to_dict(nodes=False))
            except (TypeError, ValueError):  # what orjson does not take: json writes it (to_dict)
                return None
        if not head.endswith(b'"nodes":[]}'):  # pragma: no cover - orjson's compact form
            return None
        text = head[:-3].decode("utf-8") + nodes + "}"
        return text if len(text) > longer_than else None

    def _to_dict(self, nodes: bool = True) -> dict:
        if self._from_arrays("products"):
            products = self.arrays.product_records()
        else:
            products = []
            for row in _rows(self.products):
                products.append({
                    "id": row.id, "label": row.label, "availability": row.availability,
                    "availability_low": row.availability_low, "availability_high": row.availability_high,
                    "loss": row.loss, "loss_low": row.loss_low, "loss_high": row.loss_high,
                    "months_to_shortage": _months(row.months_to_shortage), "path": list(row.path),
                    "evidence": row.evidence, "assumptions": list(row.assumptions)})
        if self.intervals is not None:
            draws = self.intervals
            p5, p50, p95 = (dict(zip(draws.index.tolist(), draws[c].astype(float).tolist())) for c in ("p5", "p50", "p95"))
            for entry in products:
                key = entry["id"]
                entry.update(p5=p5[key], p50=p50[key], p95=p95[key])
        scenario = {"graph": self.graph, "countries": list(self.countries), "blocs": list(self.blocs),
                    "spare_capacity": self.spare_capacity, "absent": list(self.absent), "note": self.note,
                    "bases": {basis: list(items) for basis, items in self.bases.items()},
                    "bases_note": self.bases_note}
        if self.intervals is not None:
            scenario.update(samples=self.samples, seed=self.seed)
        if not nodes:
            nodes = []
        elif self._from_arrays("nodes"):
            nodes = self.arrays.node_records()
        else:
            nodes = [{"id": r.id, "availability": r.availability, "availability_low": r.availability_low,
                      "availability_high": r.availability_high, "months_to_shortage": _months(r.months_to_shortage)}
                     for r in _rows(self.nodes)]
        return {"scenario": scenario, "products": products, "nodes": nodes}


class CutoffArrays:
    """A cutoff's answer by compiled row: availability with its bounds and months to shortage of
    every node, and for the products (most loss first) the chain and the estimates it rests on.
    The frames of :class:`CutoffResult` and its JSON records are made from these, in one pass
    over columns."""

    def __init__(self, graph: Graph, compiled, avail, low, high, months, product_rows, paths, assumptions):
        self.graph, self.compiled = graph, compiled
        self.avail, self.low, self.high, self.months = avail, low, high, months
        self.product_rows = product_rows
        self.paths, self.assumptions = paths, assumptions
        self.node_rows = np.lexsort((compiled.id_rank, avail))  # least available first, then by id
        self._frames: dict = {}

    def labels(self, rows) -> list:
        order = self.compiled.order
        return self.graph.label_column(order[rows] if order is not None else None).tolist()

    def frame(self, name: str, *, limit: int | None = None, make: bool = True):
        """The frame ``products`` or ``nodes`` (kept once made); its first ``limit`` rows (not
        kept); with ``make=False`` only a frame already made, else ``None``."""
        if limit is None and (name in self._frames or not make):
            return self._frames.get(name)
        made = self._products_frame(limit) if name == "products" else self._nodes_frame(limit)
        if limit is None:
            self._frames[name] = made
        return made

    def _ids(self, rows) -> list:
        return self.compiled.id_array[rows].tolist()

    def _products_frame(self, limit=None) -> pd.DataFrame:
        rows = self.product_rows[:limit]
        count = len(rows)
        point, low, high = self.avail[rows], self.low[rows], self.high[rows]
        assumptions = self.assumptions[:count]
        return pd.DataFrame({
            "id": self._ids(rows), "label": self.labels(rows), "availability": point,
            "availability_low": low, "availability_high": high, "loss": 1.0 - point,
            "loss_low": 1.0 - high, "loss_high": 1.0 - low, "months_to_shortage": self.months[rows],
            "path": self.paths[:count], "evidence": [grade(a) for a in assumptions], "assumptions": assumptions,
        }, columns=PRODUCT_COLUMNS)

    def _nodes_frame(self, limit=None) -> pd.DataFrame:
        rows = self.node_rows[:limit]
        return pd.DataFrame({
            "id": self._ids(rows), "label": self.labels(rows),
            "kind": np.asarray(KINDS, dtype=object)[self.compiled.kind[rows]], "availability": self.avail[rows],
            "availability_low": self.low[rows], "availability_high": self.high[rows],
            "months_to_shortage": self.months[rows],
        }, columns=NODE_COLUMNS)

    def product_records(self) -> list[dict]:
        """The products as JSON records (what :meth:`CutoffResult.to_dict` lists)."""
        rows = self.product_rows
        point, low, high = self.avail[rows], self.low[rows], self.high[rows]
        columns = zip(self._ids(rows), self.labels(rows), point.tolist(), low.tolist(), high.tolist(),
                      (1.0 - point).tolist(), (1.0 - high).tolist(), (1.0 - low).tolist(),
                      _months_list(self.months[rows]), self.paths, self.assumptions)
        return [{"id": ident, "label": label, "availability": a, "availability_low": a_low,
                 "availability_high": a_high, "loss": loss, "loss_low": loss_low, "loss_high": loss_high,
                 "months_to_shortage": m, "path": list(path), "evidence": grade(assumed),
                 "assumptions": list(assumed)}
                for ident, label, a, a_low, a_high, loss, loss_low, loss_high, m, path, assumed in columns]

    def node_json(self) -> str | None:
        """:meth:`node_records` as compact JSON (see :func:`~chokepoint.formats.results.json_records`)."""
        rows = self.node_rows
        return json_records({"id": self.compiled.id_array[rows].tolist(), "availability": self.avail[rows],
                             "availability_low": self.low[rows], "availability_high": self.high[rows],
                             "months_to_shortage": self.months[rows]})

    def node_records(self) -> list[dict]:
        """The nodes as JSON records, least available first."""
        rows = self.node_rows
        return [{"id": ident, "availability": a, "availability_low": low, "availability_high": high,
                 "months_to_shortage": m}
                for ident, a, low, high, m in zip(self._ids(rows), self.avail[rows].tolist(), self.low[rows].tolist(),
                                                  self.high[rows].tolist(), _months_list(self.months[rows]))]


def _months_list(months: np.ndarray) -> list:
    """Months to shortage for JSON: ``None`` where there is no shortage (NaN)."""
    values = months.astype(object)
    values[np.isnan(months)] = None
    return values.tolist()


def _rows(frame: pd.DataFrame):
    """A frame's rows as named tuples of plain Python values, read column by column (what
    ``itertuples`` gives, without its per-cell cost on large frames)."""
    Row = namedtuple("Row", list(frame.columns))
    return [Row(*values) for values in zip(*(frame[c].tolist() for c in frame.columns))]


def _months(value) -> float | None:
    """Months to shortage for JSON: ``None`` where there is no shortage."""
    return None if value is None or value != value else float(value)


def cutoff(graph: Graph, *, countries=(), blocs=(), spare_capacity: float = 0.0) -> CutoffResult:
    """Cut off countries and/or blocs; the products ranked by loss with the chain that explains each."""
    with gc_paused():
        return _cutoff(graph, countries, blocs, spare_capacity)


def _cutoff(graph: Graph, countries, blocs, spare_capacity) -> CutoffResult:
    cut = countries if isinstance(countries, Cut) else resolve_cut(countries, blocs)
    codes, names = cut.codes, cut.blocs
    if not codes:
        raise InputError("name at least one country (--country) or bloc (--bloc) to cut off")
    spare = check_spare_capacity(spare_capacity)
    compiled = compile_graph(graph)
    present = set(compiled.country_codes)
    absent = tuple(c for c in codes if c not in present)
    avail, months, low, high = _evaluate_one(compiled, codes, spare)
    rows = compiled.products.astype(np.int64)
    loss = 1.0 - avail[rows]
    rows = rows[np.lexsort((compiled.id_rank[rows], -loss))]  # most loss first, then by id
    lost = np.flatnonzero(avail[rows] < 1.0 - 1e-12)  # the products that lose something: their chains
    flat, length = chain_finder(compiled).chain_rows(rows[lost], avail)
    found = chains_assumptions(graph, compiled, flat, length)
    chain_ids = compiled.id_array[flat].tolist()
    paths, assumptions = [()] * len(rows), [()] * len(rows)
    for place, end, count, assumed in zip(lost.tolist(), np.cumsum(length).tolist(), length.tolist(), found):
        paths[place] = tuple(chain_ids[end - count:end])
        assumptions[place] = assumed
    hit = rows[1.0 - avail[rows] > 1e-12]
    bases = supply_bases(graph, compiled, hit) if len(hit) else {}
    arrays = CutoffArrays(graph, compiled, avail, low, high, months, rows, paths, assumptions)
    return CutoffResult(graph.name, codes, names, spare, absent, bases=bases, named=cut.named, arrays=arrays)


def supply_bases(graph: Graph, compiled, rows) -> dict[str, tuple[str, ...]]:
    """:meth:`Graph.bases` of the nodes at compiled ``rows``, over the compiled graph's arrays: the
    bases of the supply edges into those nodes and everything upstream of them, basis -> the items
    (both sorted)."""
    n = compiled.n_nodes
    keep = np.zeros(n, dtype=bool)
    frontier = np.unique(np.asarray(rows, dtype=np.int64))
    keep[frontier] = True
    while frontier.size:  # one reverse traversal from all of them at once
        found = np.concatenate([_slots_of(compiled.sup_ptr, compiled.sup_src, frontier),
                                _slots_of(compiled.in_ptr, compiled.in_src, frontier)])
        before = keep.copy()
        keep[found] = True
        frontier = np.flatnonzero(keep & ~before)
    owner = np.repeat(np.arange(n), np.diff(compiled.sup_ptr))
    slots = np.flatnonzero(keep[owner])
    if not len(slots):
        return {}
    basis = graph.columns.edges["basis"].to_numpy(dtype=object)[compiled.sup_edge[slots]]
    items = owner[slots]
    codes, names = pd.factorize(basis, use_na_sentinel=True)
    names = ["basis not given" if v == "" else v for v in names.tolist()]
    missing = np.flatnonzero(codes < 0)
    if len(missing):  # None: not given; another missing value (NaN) is left out, as a group key is
        codes[missing[np.equal(basis[missing], None).astype(bool)]] = len(names)
        names.append("basis not given")
    given = codes >= 0
    codes, items = codes[given], items[given]
    labels = sorted(set(names))
    place = {name: i for i, name in enumerate(labels)}
    group = np.array([place[name] for name in names], dtype=np.int64)[codes]
    rank = compiled.id_rank[items]
    if len(labels) * n <= 8 * max(len(items), n):  # a mask per basis over the ranks
        mark = np.zeros((len(labels), n), dtype=bool)
        mark[group, rank] = True
        group, rank = np.nonzero(mark)
    else:
        key = np.unique(group * n + rank)
        group, rank = key // n, key % n
    members = compiled.id_array[np.argsort(compiled.id_rank)[rank]].tolist()
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1], True]).tolist()
    return {labels[int(group[a])]: tuple(members[a:b]) for a, b in zip(bounds[:-1], bounds[1:])}


def _slots_of(ptr: np.ndarray, values: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``values[ptr[r]:ptr[r + 1]]`` of each of ``rows``, concatenated."""
    count = ptr[rows + 1] - ptr[rows]
    total = int(count.sum())
    if not total:
        return np.zeros(0, dtype=np.int64)
    return values[np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count - ptr[rows], count)].astype(np.int64)


def sweep(graph: Graph, *, pairs: bool = False, countries=None, spare_capacity: float = 0.0,
          progress=None) -> pd.DataFrame:
    """Each supplying country cut off in turn (and every pair with ``pairs``).

    Returns a long frame with columns ``countries`` ("CN" or "CN+JP"), ``product`` and
    ``availability``; :func:`sweep_matrix` pivots it to products x scenarios. ``progress`` is
    called with the number of scenarios done after each one.
    """
    spare = check_spare_capacity(spare_capacity)
    combos = scenario_combos(graph, pairs=pairs, countries=countries)
    point = _sweep_matrix(graph, combos, spare, progress)
    compiled = compile_graph(graph)
    low, high = bounds(compiled, [list(c) for c in combos], spare_capacity=spare, rows=list(graph.products),
                       point=point)
    return sweep_to_frame(graph, combos, point, low, high)


def scenario_combos(graph: Graph, *, pairs: bool = False, countries=None) -> list[tuple[str, ...]]:
    """The scenarios of a sweep: each country of the pool (sorted), then every pair."""
    pool = tuple(sorted(resolve_country(c) for c in countries)) if countries else graph.countries
    combos = [(c,) for c in pool]
    if pairs:
        combos += list(itertools.combinations(pool, 2))
    return combos


def sweep_to_frame(graph: Graph, combos, matrix, low=None, high=None) -> pd.DataFrame:
    """The long sweep frame from (products x scenarios) availability matrices: the point value,
    and its bounds when given."""
    products = list(graph.products)
    keys = ["+".join(combo) for combo in combos]
    data = {
        "countries": np.repeat(np.array(keys, dtype=object), len(products)).tolist(),
        "product": products * len(keys),
        "availability": np.asarray(matrix, dtype=np.float64).T.reshape(-1),
    }
    if low is not None:
        data["availability_low"] = np.asarray(low, dtype=np.float64).T.reshape(-1)
        data["availability_high"] = np.asarray(high, dtype=np.float64).T.reshape(-1)
    return pd.DataFrame(data, columns=list(data))


def _sweep_matrix(graph: Graph, combos, spare: float, progress=None):
    compiled = compile_graph(graph)
    reported = [0]

    def chunk_done(done):
        for count in range(reported[0] + 1, done + 1):
            progress(count)
        reported[0] = done

    return evaluate(compiled, [list(c) for c in combos], spare_capacity=spare, rows=list(graph.products),
                    progress=chunk_done if progress is not None else None)


def _evaluate_one(compiled, codes, spare: float):
    """Availability, months to shortage (NaN: none), and the availability's low and high bounds of
    every node (arrays by compiled row) when ``codes`` are cut."""
    avail, months = evaluate(compiled, [list(codes)], spare_capacity=spare, months=True)
    low, high = bounds(compiled, [list(codes)], spare_capacity=spare, point=avail)
    return avail[:, 0], months[:, 0], low[:, 0], high[:, 0]


def sweep_matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """Products x scenarios availability matrix from a :func:`sweep` frame (scenario order kept)."""
    matrix = frame.pivot(index="product", columns="countries", values="availability")
    return matrix[list(frame["countries"].unique())]  # in order of appearance (not per-cell Python)


def mean_loss(frame: pd.DataFrame, exclude=()) -> pd.Series:
    """Scenarios ranked by the mean loss of the products: the one ranking of cutoffs.

    ``frame`` is a long sweep frame (``countries``, ``product``, ``availability``); ``exclude``
    names products not to average (aggregates of other products, which would count their inputs
    twice). Returns the mean loss per scenario, most costly first; ties keep the sweep's order
    (countries sorted, then pairs).
    """
    matrix = sweep_matrix(frame)
    keep = [p for p in matrix.index if p not in set(exclude)] or list(matrix.index)
    means = (1.0 - matrix.loc[keep]).mean()
    return means.sort_values(ascending=False, kind="mergesort").rename("mean_loss")


def rank_scenarios(frame: pd.DataFrame, exclude=()) -> pd.DataFrame:
    """Single cutoffs by mean product loss, then pairs by the loss beyond the worse of their two
    single cutoffs (``excess``): what cutting both adds. ``rank`` shows ties as ties (``3=``)."""
    means = mean_loss(frame, exclude)
    singles = [k for k in means.index if "+" not in k]
    pairs = [k for k in means.index if "+" in k]
    rows = [{"countries": k, "mean_loss": float(means[k]), "excess": float("nan")} for k in singles]
    pair_rows = []
    for key in pairs:
        a, b = key.split("+", 1)
        worse = max(float(means.get(a, 0.0)), float(means.get(b, 0.0)))
        pair_rows.append({"countries": key, "mean_loss": float(means[key]), "excess": float(means[key]) - worse})
    pair_rows.sort(key=lambda r: -round(r["excess"], 12))
    table = pd.DataFrame(rows + pair_rows, columns=["countries", "mean_loss", "excess"])
    table["rank"] = _tied_ranks(list(table["mean_loss"][: len(rows)])) + \
        _tied_ranks(list(table["excess"][len(rows):]))
    return table


def _tied_ranks(values) -> list[str]:
    """1, 2, 2=, ... : equal values (to 1e-12) share a rank, marked with '='."""
    ranks, counts = [], {}
    position = 0
    for i, value in enumerate(values):
        if i and abs(value - values[i - 1]) <= 1e-12:
            ranks.append(ranks[-1])
        else:
            position = i + 1
            ranks.append(position)
        counts[ranks[-1]] = counts.get(ranks[-1], 0) + 1
    return [f"{r}=" if counts[r] > 1 else str(r) for r in ranks]


def exposure(graph: Graph, sweep_frame: pd.DataFrame | None = None, *, top: int | None = None) -> pd.DataFrame:
    """Countries ranked by what their cutoff costs the products (mean loss), one row per product."""
    frame = sweep_frame if sweep_frame is not None else sweep(graph)
    ranked = mean_loss(frame, graph.aggregates)
    if top is not None:
        ranked = ranked.head(top)
    ranked = ranked.rename_axis("country").reset_index()
    out = ranked.merge(frame.rename(columns={"countries": "country"}), on="country")
    out["rank"] = out["country"].map({c: i for i, c in enumerate(ranked["country"])})
    out = out.sort_values(["rank", "availability", "product"], kind="mergesort")
    columns = ["country", "product", "availability", "mean_loss"]
    if "availability_low" in out.columns:
        columns[3:3] = ["availability_low", "availability_high"]
    return out[columns].reset_index(drop=True)
