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
from ..model import KINDS, Graph, country_name, resolve_bloc, resolve_country
from ..model.graph import gc_paused
from .evidence import bounds, chain_assumptions, grade
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


@dataclass(frozen=True)
class CutoffResult:
    """Availability of every node when ``countries`` are cut off."""

    graph: str
    countries: tuple[str, ...]
    blocs: tuple[str, ...]
    spare_capacity: float
    absent: tuple[str, ...]
    products: pd.DataFrame = field(repr=False)
    nodes: pd.DataFrame = field(repr=False)
    bases: dict = field(default_factory=dict, repr=False)
    """Basis -> items upstream of the products hit whose shares are on that basis."""
    named: tuple[str, ...] = ()
    """The countries named on their own (not through a bloc), as codes."""
    intervals: pd.DataFrame | None = field(default=None, repr=False)
    """With Monte Carlo draws: per product id, the availability's ``p5``, ``p50`` and ``p95``."""
    samples: int = 0
    seed: int = 0

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

    def to_dict(self) -> dict:
        with gc_paused():
            return self._to_dict()

    def _to_dict(self) -> dict:
        products = []
        for row in _rows(self.products):
            entry = {"id": row.id, "label": row.label, "availability": row.availability,
                     "availability_low": row.availability_low, "availability_high": row.availability_high,
                     "loss": row.loss, "loss_low": row.loss_low, "loss_high": row.loss_high,
                     "months_to_shortage": _months(row.months_to_shortage),
                     "path": list(row.path), "evidence": row.evidence, "assumptions": list(row.assumptions)}
            if self.intervals is not None:
                draws = self.intervals.loc[row.id]
                entry.update(p5=float(draws.p5), p50=float(draws.p50), p95=float(draws.p95))
            products.append(entry)
        scenario = {"graph": self.graph, "countries": list(self.countries), "blocs": list(self.blocs),
                    "spare_capacity": self.spare_capacity, "absent": list(self.absent), "note": self.note,
                    "bases": {basis: list(items) for basis, items in self.bases.items()},
                    "bases_note": self.bases_note}
        if self.intervals is not None:
            scenario.update(samples=self.samples, seed=self.seed)
        return {
            "scenario": scenario,
            "products": products,
            "nodes": [{"id": r.id, "availability": r.availability, "availability_low": r.availability_low,
                       "availability_high": r.availability_high, "months_to_shortage": _months(r.months_to_shortage)}
                      for r in _rows(self.nodes)],
        }


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
    present = set(graph.countries)
    absent = tuple(c for c in codes if c not in present)
    compiled = compile_graph(graph)
    avail, months, low, high = _evaluate_one(compiled, codes, spare)
    ids = compiled.ids
    finder = chain_finder(compiled)
    by_row = avail.tolist()
    paths, assumptions = [], []
    rows = compiled.products.tolist()
    lost = [row for row in rows if by_row[row] < 1.0 - 1e-12]
    chains = dict(zip(lost, finder.chains(lost, by_row)))
    for row in rows:
        chain = chains.get(row, [])
        paths.append(tuple(ids[r] for r in chain))
        assumptions.append(tuple(chain_assumptions(graph, compiled, chain)))
    labels = graph.labels
    point = avail[rows]
    products = pd.DataFrame({
        "id": [ids[r] for r in rows], "label": [labels[ids[r]] for r in rows], "availability": point,
        "availability_low": low[rows], "availability_high": high[rows], "loss": 1.0 - point,
        "loss_low": 1.0 - high[rows], "loss_high": 1.0 - low[rows], "months_to_shortage": months[rows],
        "path": paths, "evidence": [grade(a) for a in assumptions], "assumptions": assumptions,
    }, columns=PRODUCT_COLUMNS)
    products = products.sort_values(["loss", "id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)
    kinds = np.asarray(KINDS, dtype=object)[compiled.kind]
    nodes = pd.DataFrame({
        "id": list(ids), "label": [labels[i] for i in ids], "kind": kinds, "availability": avail,
        "availability_low": low, "availability_high": high, "months_to_shortage": months,
    }, columns=NODE_COLUMNS)
    nodes = nodes.sort_values(["availability", "id"], kind="mergesort").reset_index(drop=True)
    hit = [p for p, loss in zip(products["id"], products["loss"]) if loss > 1e-12]
    bases = graph.bases(hit) if hit else {}
    return CutoffResult(graph.name, codes, names, spare, absent, products, nodes, bases, cut.named)


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
    return matrix[list(dict.fromkeys(frame["countries"]))]


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
