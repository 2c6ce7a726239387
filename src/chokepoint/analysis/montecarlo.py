"""Seeded Monte Carlo over ranged shares: intervals on cutoffs, sweeps, exposure and the target.

A share written as a range ``[low, high]`` (or a level word, which stands for one) is uncertain;
a point share is fixed. Draw ``d`` of edge ``e`` is uniform in ``[low, high]``; when an item's
drawn shares sum past 1 they are scaled down to sum to 1 (as the point values are). Every draw
is evaluated on the compiled engine with the reference's rule for overriding shares: the unknown
remainder is ``max(0, 1 - sum of the drawn shares)``.

Draw ``j`` depends only on ``(seed, j)``, never on how the draws are chunked or spread over
workers, so the same seed gives identical results locally and on a Dask cluster. Intervals are
percentiles over the draws (5th, 50th and 95th by default).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..model import DEFAULT_THRESHOLD, Graph
from ..errors import InputError
from ..engine import exact_row_sums
from ..engine import DEFAULT_MEMORY, compile_graph, default_chunk, evaluate
from .scenarios import check_spare_capacity, resolve_countries, scenario_combos, sweep_to_frame
from .concentration import EPS, target
from .evidence import bounds

QUANTILES = (0.05, 0.5, 0.95)
DEFAULT_SAMPLES = 1000


def quantile_columns(quantiles=QUANTILES) -> list[str]:
    """Column names for quantiles: 0.05 -> ``p5``, 0.5 -> ``p50``."""
    return [f"p{100 * q:g}" for q in quantiles]


def check_samples(samples: int, seed) -> tuple[int, int]:
    if int(samples) < 1:
        raise InputError(f"samples {samples} must be at least 1")
    if seed is None or int(seed) < 0:
        raise InputError(f"seed {seed} must be an integer >= 0")
    return int(samples), int(seed)


def draw_shares(compiled, samples: int, seed: int, *, start: int = 0) -> np.ndarray:
    """Draws ``start .. start + samples - 1`` of every supply edge's share: (supply edges x samples).

    Uniform within ``[low, high]`` for ranged shares, the point for the others; an item whose
    draws sum past 1 is scaled down to 1. Draw ``j`` is a function of ``(seed, j)`` alone.
    """
    low, high = compiled.sup_low, compiled.sup_high
    width = high - low
    ranged = np.flatnonzero(width > 0)
    m = len(low)
    out = np.empty((m, samples))
    for j in range(samples):
        column = low.copy()
        if len(ranged):
            rng = np.random.default_rng([int(seed), int(start + j)])
            column[ranged] += rng.random(len(ranged)) * width[ranged]
        out[:, j] = column
    counts = np.diff(compiled.sup_ptr)
    rows = np.flatnonzero(counts > 0)
    if len(rows) and m:
        totals = exact_row_sums(out, compiled.sup_ptr[rows], counts[rows])
        scale = np.where(totals > 1.0, 1.0 / np.where(totals > 0, totals, 1.0), 1.0)
        if (scale != 1.0).any():
            out *= np.repeat(scale, counts[rows], axis=0)
    return out


def share_overrides(compiled, draws: np.ndarray, j: int) -> dict:
    """Draw ``j`` as the reference's ``Scenario.shares`` mapping {(supplier, item): share}."""
    return dict(zip(compiled.supply_keys(), draws[:, j].tolist()))


def sample_availability(compiled, cuts, *, samples: int, seed: int, spare_capacity: float = 0.0, rows=None,
                        sample_start: int = 0, progress=None, chunk=None, memory=None) -> np.ndarray:
    """Availability under each cut for each draw: (rows x scenarios x samples).

    Columns are evaluated sample-major (all scenarios of a draw together), so a chunk needs the
    draws of only a few samples.
    """
    cuts = [list(c) for c in cuts]
    n_scen = len(cuts)
    total = n_scen * samples
    cache: dict = {}

    def block(start, stop):
        first, last = start // n_scen, (stop - 1) // n_scen
        key = (first, last)
        if key not in cache:
            cache.clear()
            cache[key] = draw_shares(compiled, last - first + 1, seed, start=sample_start + first)
        draws = cache[key]
        return draws[:, np.arange(start, stop) // n_scen - first]

    all_cuts = cuts * samples
    options = {"memory": memory} if memory else {}
    if chunk is None and n_scen:
        # whole draws per chunk where it fits

        per = default_chunk(compiled, total, memory=memory or DEFAULT_MEMORY)
        chunk = max(1, (per // n_scen) * n_scen) if per >= n_scen else per
    result = evaluate(compiled, all_cuts, spare_capacity=spare_capacity, shares=block, rows=rows, chunk=chunk,
                      progress=progress, **options) if total else np.zeros((0, 0))
    n_rows = result.shape[0] if total else (compiled.n_nodes if rows is None else len(rows))
    return np.ascontiguousarray(result.reshape(n_rows, samples, n_scen).transpose(0, 2, 1))


def _intervals(values: np.ndarray, quantiles) -> dict:
    """Quantiles and mean over the last axis (of a C-contiguous copy: the same sums, whatever the layout)."""
    values = np.ascontiguousarray(values)
    qs = np.quantile(values, quantiles, axis=-1)
    out = {name: qs[i] for i, name in enumerate(quantile_columns(quantiles))}
    out["mean"] = values.mean(axis=-1)
    return out


def monte_carlo_cutoff(graph: Graph, *, countries=(), blocs=(), spare_capacity: float = 0.0,
                       samples: int = DEFAULT_SAMPLES, seed: int = 0, quantiles=QUANTILES,
                       nodes: bool = False) -> pd.DataFrame:
    """Intervals on each product's availability (every node's with ``nodes``) under a cutoff.

    Columns: ``id``, ``label``, ``availability`` (the point result of :func:`cutoff`), one column
    per quantile (``p5``, ``p50``, ``p95``), ``mean``. Sorted as the cutoff's products (largest
    point loss first).
    """
    samples, seed = check_samples(samples, seed)
    codes, _ = resolve_countries(countries, blocs)
    if not codes:
        raise InputError("name at least one country (--country) or bloc (--bloc) to cut off")
    spare = check_spare_capacity(spare_capacity)
    compiled = compile_graph(graph)
    ids = list(graph.nodes) if nodes else list(graph.products)
    point = evaluate(compiled, [list(codes)], spare_capacity=spare, rows=ids)[:, 0]
    values = sample_availability(compiled, [codes], samples=samples, seed=seed, spare_capacity=spare, rows=ids)[:, 0, :]
    frame = pd.DataFrame({"id": ids, "label": [graph.label(i) for i in ids], "availability": point,
                          **_intervals(values, quantiles)})
    frame["_loss"] = 1.0 - frame["availability"]
    frame = frame.sort_values(["_loss", "id"], ascending=[False, True], kind="mergesort")
    return frame.drop(columns="_loss").reset_index(drop=True)


def monte_carlo_sweep(graph: Graph, *, pairs: bool = False, countries=None, spare_capacity: float = 0.0,
                      samples: int = DEFAULT_SAMPLES, seed: int = 0, quantiles=QUANTILES, progress=None,
                      values: np.ndarray | None = None) -> pd.DataFrame:
    """Each country (and pair) cut in turn, with intervals: the :func:`sweep` frame plus one column
    per quantile and ``mean``. ``progress`` is called with the number of scenario-draws done.
    """
    samples, seed = check_samples(samples, seed)
    spare = check_spare_capacity(spare_capacity)
    combos = scenario_combos(graph, pairs=pairs, countries=countries)
    point, values = _sweep_values(graph, combos, spare, samples, seed, progress, values)
    low, high = bounds(compile_graph(graph), [list(c) for c in combos], spare_capacity=spare,
                       rows=list(graph.products), point=point)
    frame = sweep_to_frame(graph, combos, point, low, high)
    for name, column in _intervals(values, quantiles).items():
        frame[name] = column.T.reshape(-1)
    return frame


def _sweep_values(graph, combos, spare, samples, seed, progress=None, values=None):
    compiled = compile_graph(graph)
    products = list(graph.products)
    point = evaluate(compiled, [list(c) for c in combos], spare_capacity=spare, rows=products)
    if values is None:
        values = sample_availability(compiled, combos, samples=samples, seed=seed, spare_capacity=spare,
                                     rows=products, progress=progress)
    return point, values


def monte_carlo_exposure(graph: Graph, *, countries=None, spare_capacity: float = 0.0,
                         samples: int = DEFAULT_SAMPLES, seed: int = 0, quantiles=QUANTILES,
                         values: np.ndarray | None = None) -> pd.DataFrame:
    """Countries ranked by the mean product loss of their cutoff, with intervals over the draws.

    Columns: ``country``, ``mean_loss`` (point), one per quantile, ``mean``.
    """
    samples, seed = check_samples(samples, seed)
    spare = check_spare_capacity(spare_capacity)
    combos = scenario_combos(graph, countries=countries)
    point, values = _sweep_values(graph, combos, spare, samples, seed, None, values)
    if not len(graph.products):
        point_loss = np.zeros(len(combos))
        draws = np.zeros((len(combos), samples))
    else:
        point_loss = 1.0 - point.mean(axis=0)
        draws = 1.0 - values.mean(axis=0)  # scenarios x samples
    frame = pd.DataFrame({"country": ["+".join(c) for c in combos], "mean_loss": point_loss,
                          **_intervals(draws, quantiles)})
    frame = frame.sort_values(["mean_loss", "country"], ascending=[False, True], kind="mergesort")
    return frame.reset_index(drop=True)


def monte_carlo_target(graph: Graph, *, samples: int = DEFAULT_SAMPLES, seed: int = 0, threshold: float = DEFAULT_THRESHOLD,
                       all_items: bool = False, quantiles=QUANTILES) -> pd.DataFrame:
    """The 65% target under uncertainty: per tested item, the top single-country share's
    intervals over the draws and ``pass_rate``, the share of draws in which the item passes
    (top share at most ``threshold``). ``status`` is the point test of :func:`target`.
    """
    samples, seed = check_samples(samples, seed)
    point = target(graph, threshold=threshold, all_items=all_items)
    compiled = compile_graph(graph)
    tested = [i for i in point["id"] if i in graph.supplies]
    names = quantile_columns(quantiles)
    columns = ["id", "label", "stage", "top_country", "top_share", *names, "mean", "pass_rate", "status"]
    if point.empty:
        return pd.DataFrame(columns=columns)
    top = np.zeros((len(tested), samples))
    if tested:
        draws = draw_shares(compiled, samples, seed)
        owner = np.repeat(np.arange(compiled.n_nodes), np.diff(compiled.sup_ptr))
        supplier = compiled.sup_src.astype(np.int64)
        country = np.where(compiled.country[supplier] >= 0, compiled.country[supplier], supplier)
        rows = compiled.rows(tested)
        position = np.full(compiled.n_nodes, -1)
        position[rows] = np.arange(len(rows))
        keep = np.flatnonzero(position[owner] >= 0)
        pair = position[owner[keep]] * compiled.n_nodes + country[keep]
        pairs, inverse = np.unique(pair, return_inverse=True)
        sums = np.zeros((len(pairs), samples))
        np.add.at(sums, inverse, draws[keep])
        sums = np.minimum(sums, 1.0)
        item_of_pair = pairs // compiled.n_nodes
        starts = np.flatnonzero(np.r_[True, item_of_pair[1:] != item_of_pair[:-1]])
        top[item_of_pair[starts]] = np.maximum.reduceat(sums, starts, axis=0)
    stats = _intervals(top, quantiles) if tested else {n: np.zeros(0) for n in [*names, "mean"]}
    by_id = {ident: k for k, ident in enumerate(tested)}
    rows_out = []
    for row in point.itertuples(index=False):
        k = by_id.get(row.id)
        entry = {"id": row.id, "label": row.label, "stage": row.stage, "top_country": row.top_country,
                 "top_share": row.top_share, "status": row.status}
        if k is None:
            entry.update({n: float("nan") for n in [*names, "mean", "pass_rate"]})
        else:
            entry.update({n: float(stats[n][k]) for n in [*names, "mean"]})
            entry["pass_rate"] = float(np.mean(top[k] <= threshold + EPS))
        rows_out.append(entry)
    return pd.DataFrame(rows_out, columns=columns)
