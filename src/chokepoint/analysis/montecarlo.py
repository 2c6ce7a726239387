"""Seeded Monte Carlo over ranged shares: intervals on cutoffs, sweeps, exposure and the target.

A share written as a range ``[low, high]`` (or a level word, which stands for one) is uncertain;
a point share is fixed. Draw ``d`` of edge ``e`` is uniform in ``[low, high]``; when an item's
drawn shares sum past 1 they are scaled down to sum to 1 (as the point values are). Every draw
is evaluated on the compiled engine with the reference's rule for overriding shares: the unknown
remainder is ``max(0, 1 - sum of the drawn shares)``.

Draw ``j`` depends only on ``(seed, j)``, never on how the draws are chunked or spread over
workers, so the same seed gives identical results locally and on a Dask cluster. Intervals are
percentiles over the draws (5th, 50th and 95th by default).

Memory is bounded by a block, not by the number of draws. The scenarios are taken in blocks, as
many as fit in ``memory`` bytes of sampled values (rows kept x scenarios x draws); every draw of a
block is evaluated, the block's quantiles and means are taken, and only those are kept (the
engine's working memory, :data:`PAIR_MEMORY` per thread, comes out of the same budget). In
float64 a block is evaluated a chunk of draws at a time, every scenario at once
(:class:`chokepoint.engine.evaluate.ScenarioDraws`): each draw's baseline (nothing cut) once, and
per scenario only the rows its cut reaches, the draws as the inner axis; with numba installed
(``chokepoint[fast]``) its loops are compiled, with the same operations in the same order. In
float32 a block of many scenarios is evaluated draw by draw (one engine call per draw) and a block
of few as columns of draws. Each (scenario, draw) column is computed as if alone (see
:mod:`chokepoint.engine.evaluate`), so the results do not depend on the block size, the path, the
number of threads or Dask workers, and are those of evaluating every column at once, to the last bit.

Only the part of the graph that the rows kept depend on is evaluated (a sweep keeps the
products: items no product needs are left out), compiled once per call with the same suppliers
in the same order and every cycle whole, so the values are the whole graph's to the last bit.
Draws are evaluated on threads (numpy releases the GIL), by default one per core, at most four.
``dtype=np.float32`` runs the engine in single precision: about three times faster, within 1e-6
(in float32 an item that loses nothing may come out as 0.99999994 rather than 1).
"""

from __future__ import annotations

import os
import threading
import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.sparse import csr_array

from ..model import DEFAULT_THRESHOLD, Graph
from ..errors import InputError
from ..engine import (
    DEFAULT_MEMORY, REQUIRES, SUPPLIES, compile_arrays, compile_graph, default_chunk, evaluate,
    scenario_matrix,
)
from ..engine.evaluate import ScenarioDraws, row_sums
from .scenarios import check_spare_capacity, resolve_countries, scenario_combos, sweep_to_frame
from .concentration import EPS, target
from .evidence import bounds

QUANTILES = (0.05, 0.5, 0.95)
DEFAULT_SAMPLES = 1000
#: Sampled values held at once: rows kept x scenarios of a block x draws, in bytes.
MEMORY = 1 << 30
#: A block of at least this many scenarios is evaluated draw by draw (one engine call per draw);
#: a smaller one as columns of draws (the engine's per-call cost would dominate).
PER_DRAW = 16
#: Draws made at once when evaluating draw by draw.
DRAW_CHUNK = 32
#: Draws evaluated at once on the pairs path (fewer when the pairs of a block need more memory).
PAIR_DRAWS = 64
#: Working memory of one thread on the pairs path (its values of every row and pair for a chunk
#: of draws); taken from ``memory`` before the block's sampled values.
PAIR_MEMORY = 128 << 20
#: Values reduced to quantiles at once (np.quantile works on a copy).
REDUCE_BYTES = 64 << 20


def quantile_columns(quantiles=QUANTILES) -> list[str]:
    """Column names for quantiles: 0.05 -> ``p5``, 0.5 -> ``p50``."""
    return [f"p{100 * q:g}" for q in quantiles]


def check_samples(samples: int, seed) -> tuple[int, int]:
    if int(samples) < 1:
        raise InputError(f"samples {samples} must be at least 1")
    if seed is None or int(seed) < 0:
        raise InputError(f"seed {seed} must be an integer >= 0")
    return int(samples), int(seed)


def default_threads() -> int:
    """Threads for local Monte Carlo: the machine's cores, at most 4 (numpy releases the GIL)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(4, cores))


# ---------------------------------------------------------------------------------------------
# draws


@dataclass(frozen=True)
class _DrawPlan:
    """What drawing needs, computed once per compiled graph."""

    low: np.ndarray
    width: np.ndarray
    ranged: np.ndarray      # edges with a range
    edges: np.ndarray       # edges of the items whose drawn shares may sum past 1, item by item
    first: np.ndarray       # each such item's first position in ``edges``
    deg: np.ndarray         # and its number of edges


_DRAW_PLANS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_DRAW_LOCK = threading.Lock()


def _draw_plan(compiled) -> _DrawPlan:
    with _DRAW_LOCK:
        plan = _DRAW_PLANS.get(compiled)
        if plan is None:
            plan = _DRAW_PLANS[compiled] = _build_draw_plan(compiled)
        return plan


def _build_draw_plan(compiled) -> _DrawPlan:
    low, high = compiled.sup_low, compiled.sup_high
    width = high - low
    counts = np.diff(compiled.sup_ptr)
    items = np.flatnonzero(counts > 0)
    # An item can be scaled down only when its drawn shares can sum past 1. A draw is at most
    # high * (1 + 5 ulp) (low + u * width rounded, u < 1), so an item whose highs sum to at most
    # 1 - 1e-9 never is: its factor would be exactly 1. Only the others are summed per draw.
    if len(items):
        highs = np.add.reduceat(np.maximum(low, high), compiled.sup_ptr[items])
        items = items[highs > 1.0 - 1e-9]
    deg = counts[items]
    first = np.r_[0, np.cumsum(deg)[:-1]].astype(np.int64) if len(items) else np.zeros(0, dtype=np.int64)
    edges = (np.repeat(compiled.sup_ptr[items] - first, deg) + np.arange(int(deg.sum()))).astype(np.int64)
    return _DrawPlan(low, width, np.flatnonzero(width > 0), edges, first, deg)


def _draw_rows(compiled, count: int, seed: int, start: int = 0) -> np.ndarray:
    """Draws ``start .. start + count - 1`` as rows: (draws x supply edges), C-contiguous."""
    plan = _draw_plan(compiled)
    out = np.empty((count, len(plan.low)))
    out[:] = plan.low
    ranged = plan.ranged
    if len(ranged) and count:
        noise = np.empty((count, len(ranged)))
        for j in range(count):
            noise[j] = np.random.default_rng([int(seed), int(start + j)]).random(len(ranged))
        noise *= plan.width[ranged]
        out[:, ranged] = plan.low[ranged] + noise  # low + u * width, as one draw at a time
    if len(plan.edges) and count:
        totals = row_sums(np.ascontiguousarray(out[:, plan.edges].T), plan.first, plan.deg)
        scaled = np.flatnonzero((totals > 1.0).any(axis=1))
        if len(scaled):
            total = totals[scaled]
            scale = np.where(total > 1.0, 1.0 / np.where(total > 0, total, 1.0), 1.0)
            edges = plan.edges[_ranges(np.r_[plan.first, len(plan.edges)], scaled)]
            out[:, edges] *= np.repeat(scale, plan.deg[scaled], axis=0).T
    return out


def draw_shares(compiled, samples: int, seed: int, *, start: int = 0) -> np.ndarray:
    """Draws ``start .. start + samples - 1`` of every supply edge's share: (supply edges x samples).

    Uniform within ``[low, high]`` for ranged shares, the point for the others; an item whose
    draws sum past 1 is scaled down to 1. Draw ``j`` is a function of ``(seed, j)`` alone.
    """
    return np.ascontiguousarray(_draw_rows(compiled, samples, seed, start).T)


def share_overrides(compiled, draws: np.ndarray, j: int) -> dict:
    """Draw ``j`` as the reference's ``Scenario.shares`` mapping {(supplier, item): share}."""
    return dict(zip(compiled.supply_keys(), draws[:, j].tolist()))


# ---------------------------------------------------------------------------------------------
# the rows an answer needs


@dataclass(frozen=True)
class _Target:
    """What the draws are evaluated on: the compiled graph, or the part of it that the rows kept
    depend on (``edges``: each of its supply edges' position in the whole graph's draws)."""

    compiled: object
    rows: np.ndarray             # the rows kept, in ``compiled``
    edges: np.ndarray | None     # None: the whole graph


def _upstream(compiled, rows: np.ndarray) -> np.ndarray:
    """Rows ``rows`` depend on (themselves included), and every cyclic row with what it depends on."""
    n = compiled.n_nodes
    need = np.zeros(n, dtype=bool)
    need[rows] = True
    for level in range(compiled.n_levels):
        need[compiled.cyclic_ptr[level]:compiled.level_ptr[level + 1]] = True
    frontier = np.flatnonzero(need)
    while frontier.size:
        found = [compiled.country[frontier][compiled.country[frontier] >= 0].astype(np.int64)]
        for ptr, src in ((compiled.sup_ptr, compiled.sup_src), (compiled.in_ptr, compiled.in_src)):
            found.append(src[_ranges(ptr, frontier)].astype(np.int64))
        found = np.concatenate(found)
        frontier = np.unique(found[~need[found]])
        need[frontier] = True
    return need


def _ranges(ptr: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Positions ``ptr[r]:ptr[r + 1]`` of every row ``r`` of ``rows``, concatenated."""
    counts = ptr[rows + 1] - ptr[rows]
    total = int(counts.sum())
    return np.repeat(ptr[rows] - np.cumsum(counts) + counts, counts) + np.arange(total, dtype=np.int64)


def _target(compiled, row_idx: np.ndarray) -> _Target:
    """The graph restricted to what ``row_idx`` depends on, when that leaves rows out.

    Every row is computed from its suppliers, inputs and country only, and all of those are kept,
    in the same order, with the same shares and remainders, so each kept row's value is the
    whole graph's to the last bit. Cycles are kept whole (the engine iterates the cyclic rows of
    a level as one block until all of them settle), and levels do not change (a kept row's
    ancestors are all kept). The restricted graph's supply edges map back to the whole graph's
    draws (``sup_edge``); where that or a check fails, the whole graph is used.
    """
    whole = _Target(compiled, row_idx, None)
    need = _upstream(compiled, row_idx)
    if need.all():
        return whole
    kept = np.flatnonzero(need)
    new = np.full(compiled.n_nodes, -1, dtype=np.int64)
    new[kept] = np.arange(len(kept))
    s_edges = _ranges(compiled.sup_ptr, kept)
    i_edges = _ranges(compiled.in_ptr, kept)
    s_owner = np.repeat(kept, (compiled.sup_ptr[kept + 1] - compiled.sup_ptr[kept]))
    i_owner = np.repeat(kept, (compiled.in_ptr[kept + 1] - compiled.in_ptr[kept]))
    n_s, n_i = len(s_edges), len(i_edges)
    country = compiled.country[kept].astype(np.int64)
    country = np.where(country >= 0, new[np.maximum(country, 0)], -1)
    codes = tuple(code for code, row in zip(compiled.country_codes, compiled.country_rows.tolist()) if need[row])
    products = compiled.products[need[compiled.products]].astype(np.int64)
    sub = compile_arrays(
        ids=[compiled.ids[r] for r in kept.tolist()], kind=compiled.kind[kept],
        edge_src=new[np.concatenate([compiled.sup_src[s_edges], compiled.in_src[i_edges]]).astype(np.int64)],
        edge_dst=new[np.concatenate([s_owner, i_owner])],
        edge_type=np.r_[np.full(n_s, SUPPLIES, dtype=np.int8), np.full(n_i, REQUIRES, dtype=np.int8)],
        share_low=np.r_[compiled.sup_low[s_edges], np.zeros(n_i)],
        share_high=np.r_[compiled.sup_high[s_edges], np.zeros(n_i)],
        supply_share=np.r_[compiled.sup_share[s_edges], np.zeros(n_i)], remainder=compiled.remainder[kept],
        country=country, needs_any=compiled.needs_any[kept], stockpile=compiled.stockpile[kept],
        name=compiled.name, products=new[products], countries=codes,
        edge_rows=np.r_[s_edges, np.full(n_i, -1, dtype=np.int64)],
    )
    edges = getattr(sub, "sup_edge", None)
    sub_of = np.full(compiled.n_nodes, -1, dtype=np.int64)
    sub_of[kept] = sub.rows([compiled.ids[r] for r in kept.tolist()])
    if edges is None or len(edges) != n_s:
        return whole
    owner = np.repeat(np.arange(compiled.n_nodes), np.diff(compiled.sup_ptr))
    sub_owner = np.repeat(np.arange(sub.n_nodes), np.diff(sub.sup_ptr))
    at = sub_of[kept]
    same = (np.array_equal(sub_of[compiled.sup_src[edges]], sub.sup_src)
            and np.array_equal(sub_of[owner[edges]], sub_owner)
            and np.array_equal(sub.level[at], compiled.level[kept])
            and np.array_equal(_cyclic(sub)[at], _cyclic(compiled)[kept]))
    return _Target(sub, sub_of[row_idx], edges) if same else whole


def _cyclic(compiled) -> np.ndarray:
    """Whether each row belongs to its level's cycle block."""
    return np.arange(compiled.n_nodes) >= compiled.cyclic_ptr[compiled.level]


# ---------------------------------------------------------------------------------------------
# sampled availability, block by block


def _draws_for(compiled, target: _Target, seed: int):
    """``draw(count, start)``: draws ``start ..`` as rows, over the target's supply edges."""
    def draw(count, start):
        rows = _draw_rows(compiled, count, seed, start)
        return rows if target.edges is None else np.ascontiguousarray(rows[:, target.edges])

    return draw


def _values_by_draw(compiled, cuts, out, row_idx, *, draw, sample_start, spare, dtype, threads, progress):
    """Fill ``out`` (rows x scenarios x draws): one engine call per draw over all the scenarios."""
    n_scen, samples = len(cuts), out.shape[2]
    zeros = scenario_matrix(compiled, cuts)
    # a chunk of draws is gathered draw-major, then written into ``out`` at once: one draw
    # written straight into ``out`` would touch one value per (row, scenario), a cache line each
    buffer = np.empty((min(DRAW_CHUNK, samples), out.shape[0], n_scen), dtype=out.dtype)

    def one(i, shares):
        def keep(start, stop, values):
            buffer[i, :, start:stop] = values[row_idx]

        evaluate(compiled, zeros, shares=shares, spare_capacity=spare, dtype=dtype, on_chunk=keep)

    pool = ThreadPoolExecutor(threads) if threads > 1 else None
    try:
        for d0 in range(0, samples, DRAW_CHUNK):
            count = min(DRAW_CHUNK, samples - d0)
            draws = draw(count, sample_start + d0)
            if pool is None:
                for i in range(count):
                    one(i, draws[i])
                    if progress is not None:
                        progress(n_scen)
            else:
                for future in [pool.submit(one, i, draws[i]) for i in range(count)]:
                    future.result()
                    if progress is not None:
                        progress(n_scen)
            out[:, :, d0:d0 + count] = buffer[:count].transpose(1, 2, 0)
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _values_by_pairs(compiled, cuts, out, row_idx, *, draw, sample_start, spare, threads, progress):
    """Fill ``out`` (rows x scenarios x draws) a chunk of draws at a time, every scenario at once:
    each draw's baseline once, and per scenario only the rows its cut reaches
    (:class:`chokepoint.engine.evaluate.ScenarioDraws`, the same values to the last bit)."""
    n_scen, samples = len(cuts), out.shape[2]
    draws_of = ScenarioDraws(compiled, cuts, rows=row_idx)
    per = max(1, min(samples, PAIR_DRAWS, PAIR_MEMORY // max(1, draws_of.nbytes(1))))
    chunks = [(d0, min(samples, d0 + per)) for d0 in range(0, samples, per)]
    local = threading.local()  # each thread's working buffer, reused from chunk to chunk

    def one(bound):
        d0, d1 = bound
        if getattr(local, "work", None) is None:
            local.work = np.empty(draws_of.nbytes(per) // 8)
        out[:, :, d0:d1] = draws_of.evaluate(draw(d1 - d0, sample_start + d0).T, spare, work=local.work)
        if progress is not None:
            progress(n_scen * (d1 - d0))

    if threads > 1 and len(chunks) > 1:
        with ThreadPoolExecutor(min(threads, len(chunks))) as pool:
            list(pool.map(one, chunks))
    else:
        for bound in chunks:
            one(bound)


def _values_by_column(compiled, cuts, out, row_idx, *, draw, sample_start, spare, dtype, chunk, progress):
    """Fill ``out`` (rows x scenarios x draws): columns (draw, scenario), draw-major, chunk by chunk,
    each chunk with the draws it needs as a share matrix."""
    n_scen, samples = len(cuts), out.shape[2]
    total = n_scen * samples
    if chunk is None:
        per = default_chunk(compiled, total, itemsize=np.dtype(dtype).itemsize)
        # the chunk's share matrix (supply edges x columns) stays within the engine's default memory
        per = max(1, min(per, DEFAULT_MEMORY // max(1, 8 * len(compiled.sup_src))))
        chunk = max(1, (per // n_scen) * n_scen) if per >= n_scen else per  # whole draws where they fit
    cache: dict = {}

    def shares(start, stop):
        first, last = start // n_scen, (stop - 1) // n_scen
        if (first, last) not in cache:
            cache.clear()
            cache[(first, last)] = draw(last - first + 1, sample_start + first)
        draws = cache[(first, last)]
        return np.ascontiguousarray(draws[np.arange(start, stop) // n_scen - first].T)

    def keep(start, stop, values):
        cols = np.arange(start, stop)
        out[:, cols % n_scen, cols // n_scen] = values[row_idx]

    done = [0]

    def step(count):
        if progress is not None:
            progress(count - done[0])
        done[0] = count

    evaluate(compiled, scenario_matrix(compiled, [list(c) for c in cuts] * samples), shares=shares,
             spare_capacity=spare, dtype=dtype, chunk=chunk, on_chunk=keep, progress=step)


def _block_values(compiled, cuts, row_idx, *, samples, seed, sample_start=0, spare=0.0, dtype=np.float64,
                  threads=1, chunk=None, progress=None, target: _Target | None = None,
                  buffer: np.ndarray | None = None) -> np.ndarray:
    """Availability of rows ``row_idx`` under each cut for each draw: (rows x scenarios x draws).
    ``target``: evaluate on it (the rows it needs, see :func:`_target`) instead of the whole
    graph. ``progress`` is called with the scenario-draws done since its last call. ``buffer``:
    a flat array to hold the values in (reused from block to block), when it is large enough."""
    target = target or _Target(compiled, np.asarray(row_idx), None)
    shape = (len(target.rows), len(cuts), samples)
    size = shape[0] * shape[1] * shape[2]
    if buffer is not None and buffer.dtype == np.dtype(dtype) and buffer.size >= size:
        out = buffer[:size].reshape(shape)
    else:
        out = np.empty(shape, dtype=dtype)
    if not len(cuts) or not samples:
        return out
    options = dict(draw=_draws_for(compiled, target, seed), sample_start=sample_start, spare=spare, dtype=dtype,
                   progress=progress)
    if chunk is None and np.dtype(dtype) == np.float64:
        _values_by_pairs(target.compiled, cuts, out, target.rows, threads=threads, draw=options["draw"],
                         sample_start=sample_start, spare=spare, progress=progress)
    elif chunk is None and len(cuts) >= PER_DRAW:
        _values_by_draw(target.compiled, cuts, out, target.rows, threads=threads, **options)
    else:
        _values_by_column(target.compiled, cuts, out, target.rows, chunk=chunk, **options)
    return out


def sample_availability(compiled, cuts, *, samples: int, seed: int, spare_capacity: float = 0.0, rows=None,
                        sample_start: int = 0, progress=None, chunk=None, memory=None, threads: int = 1,
                        dtype=np.float64) -> np.ndarray:
    """Availability under each cut for each draw: (rows x scenarios x samples), all of it.

    For reductions over many draws use :func:`sample_intervals`, whose memory is bounded by a
    block. ``chunk``: columns (draw, scenario) per engine call, evaluating draws as columns;
    by default many scenarios are evaluated draw by draw. ``progress`` is called with the number
    of scenario-draws done. ``memory`` is accepted for compatibility and unused.
    """
    cuts = [list(c) for c in cuts]
    row_idx = np.arange(compiled.n_nodes) if rows is None else compiled.rows(rows)
    return _block_values(compiled, cuts, row_idx, samples=samples, seed=seed, sample_start=sample_start,
                         spare=float(spare_capacity), dtype=dtype, threads=threads, chunk=chunk,
                         progress=_running(progress))


def _running(progress):
    """A progress callback taking increments, calling ``progress`` with the running total."""
    if progress is None:
        return None
    total = [0]
    lock = threading.Lock()

    def step(count):
        with lock:
            total[0] += count
            progress(total[0])

    return step


def _reduce(values: np.ndarray, quantiles, stats: dict, rows: slice, scenarios: slice, row_mean=None,
            threads: int = 1) -> None:
    """The quantiles and mean over the draws of (rows x scenarios x draws) ``values`` into ``stats``
    at ``[rows, scenarios]``, a few rows at a time (on ``threads``: numpy's partition releases the
    GIL); with ``row_mean``, the mean over the rows of each (scenario, draw) into ``row_mean[scenarios]``."""
    names = quantile_columns(quantiles)
    n_rows = values.shape[0]
    step = max(1, REDUCE_BYTES // max(1, values[:1].size * 8 * threads))
    r0 = rows.start or 0

    def part(a):
        b = min(n_rows, a + step)
        chunk = values[a:b]
        if chunk.dtype != np.float64:
            chunk = chunk.astype(np.float64)
        qs = np.quantile(chunk, quantiles, axis=-1)
        for i, name in enumerate(names):
            stats[name][r0 + a:r0 + b, scenarios] = qs[i]
        stats["mean"][r0 + a:r0 + b, scenarios] = chunk.mean(axis=-1)

    starts = range(0, n_rows, step)
    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(part, starts))
    else:
        for a in starts:
            part(a)
    if row_mean is not None:
        row_mean[scenarios] = values.mean(axis=0, dtype=np.float64)


def _block_sizes(n_rows: int, n_scen: int, samples: int, itemsize: int, memory: int, block=None):
    """(rows per pass, scenarios per block): all rows and as many scenarios as fit in ``memory``,
    or, when one scenario does not fit, fewer rows per pass."""
    per_value = max(1, samples * itemsize)
    if block is not None:
        return max(1, n_rows), max(1, int(block))
    scen = int(memory // max(1, n_rows * per_value))
    if scen >= 1:
        return max(1, n_rows), scen
    return max(1, int(memory // per_value)), 1


def sample_intervals(compiled, cuts, *, samples: int, seed: int, spare_capacity: float = 0.0, rows=None,
                     quantiles=QUANTILES, block: int | None = None, memory: int = MEMORY, threads: int | None = None,
                     dtype=np.float64, row_mean: bool = False, progress=None, sample_start: int = 0,
                     restrict: bool = True) -> dict:
    """Quantiles and mean over the draws of each row's availability under each cut, block by block.

    Returns ``{"p5": ..., "p50": ..., "p95": ..., "mean": ...}``, each (rows x scenarios), and with
    ``row_mean`` also ``"row_mean"`` (scenarios x draws): the mean over the rows in each draw (the
    mean product availability of :func:`monte_carlo_exposure`).

    Scenarios are evaluated ``block`` at a time (by default as many as fit in ``memory`` bytes of
    values); only the reductions are kept. ``threads`` evaluate draws in parallel (default: the
    machine's cores, at most 4). ``dtype=np.float32`` halves the memory traffic of the engine
    (results within 1e-6 of float64; float64, the default, is exact to the last bit).
    ``progress`` is called with the number of scenario-draws done. ``restrict``: evaluate only the
    part of the graph that the rows depend on (the same values to the last bit).
    """
    cuts = [list(c) for c in cuts]
    row_idx = np.arange(compiled.n_nodes) if rows is None else compiled.rows(rows)
    n_rows, n_scen = len(row_idx), len(cuts)
    threads = default_threads() if threads is None else max(1, int(threads))
    names = [*quantile_columns(quantiles), "mean"]
    stats = {name: np.empty((n_rows, n_scen)) for name in names}
    means = np.zeros((n_scen, samples)) if row_mean else None
    held = memory
    if np.dtype(dtype) == np.float64 and memory - threads * PAIR_MEMORY >= memory // 2:
        held = memory - threads * PAIR_MEMORY  # the engine's working memory comes out of the budget
    row_step, scen_step = _block_sizes(n_rows, n_scen, samples, np.dtype(dtype).itemsize, held, block)
    if row_mean and row_step < n_rows:
        raise InputError(f"memory {memory:,} bytes holds the draws of fewer than all {n_rows:,} rows of a scenario")
    if n_scen:
        scen_step = min(scen_step, n_scen)
        n_blocks = -(-n_scen // scen_step)
        scen_step = -(-n_scen // n_blocks)  # equal blocks
    step = _running(progress)
    buffer = None  # one block's values, reused from block to block
    for r0 in range(0, n_rows, row_step):
        r1 = min(n_rows, r0 + row_step)
        target = _target(compiled, row_idx[r0:r1]) if restrict and n_scen else None
        for s0 in range(0, n_scen, scen_step):
            s1 = min(n_scen, s0 + scen_step)
            size = (r1 - r0) * (s1 - s0) * samples
            if buffer is None or buffer.size < size:
                buffer = None
                buffer = np.empty(size, dtype=dtype)
            values = _block_values(compiled, cuts[s0:s1], row_idx[r0:r1], samples=samples, seed=seed, buffer=buffer,
                                   sample_start=sample_start, spare=float(spare_capacity), dtype=dtype,
                                   threads=threads, progress=step if r0 == 0 else None, target=target)
            _reduce(values, quantiles, stats, slice(r0, r1), slice(s0, s1), means, threads)
            del values
    if row_mean:
        stats["row_mean"] = means
    return stats


def _intervals(values: np.ndarray, quantiles) -> dict:
    """Quantiles and mean over the last axis (of a C-contiguous copy: the same sums, whatever the layout)."""
    values = np.ascontiguousarray(values)
    qs = np.quantile(values, quantiles, axis=-1)
    out = {name: qs[i] for i, name in enumerate(quantile_columns(quantiles))}
    out["mean"] = values.mean(axis=-1)
    return out


# ---------------------------------------------------------------------------------------------
# the questions


def monte_carlo_cutoff(graph: Graph, *, countries=(), blocs=(), spare_capacity: float = 0.0,
                       samples: int = DEFAULT_SAMPLES, seed: int = 0, quantiles=QUANTILES,
                       nodes: bool = False, memory: int = MEMORY, threads: int | None = None,
                       dtype=np.float64) -> pd.DataFrame:
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
    stats = sample_intervals(compiled, [codes], samples=samples, seed=seed, spare_capacity=spare, rows=ids,
                             quantiles=quantiles, memory=memory, threads=threads, dtype=dtype)
    frame = pd.DataFrame({"id": ids, "label": [graph.label(i) for i in ids], "availability": point,
                          **{name: column[:, 0] for name, column in stats.items()}})
    frame["_loss"] = 1.0 - frame["availability"]
    frame = frame.sort_values(["_loss", "id"], ascending=[False, True], kind="mergesort")
    return frame.drop(columns="_loss").reset_index(drop=True)


def monte_carlo_sweep(graph: Graph, *, pairs: bool = False, countries=None, spare_capacity: float = 0.0,
                      samples: int = DEFAULT_SAMPLES, seed: int = 0, quantiles=QUANTILES, progress=None,
                      stats: dict | None = None, block: int | None = None, memory: int = MEMORY,
                      threads: int | None = None, dtype=np.float64) -> pd.DataFrame:
    """Each country (and pair) cut in turn, with intervals: the :func:`sweep` frame plus one column
    per quantile and ``mean``. ``progress`` is called with the number of scenario-draws done.

    ``stats``: the intervals already computed (by :func:`sample_intervals`, e.g. on a cluster).
    ``block``, ``memory``, ``threads``, ``dtype``: see :func:`sample_intervals`.
    """
    samples, seed = check_samples(samples, seed)
    spare = check_spare_capacity(spare_capacity)
    combos = scenario_combos(graph, pairs=pairs, countries=countries)
    compiled = compile_graph(graph)
    products = list(graph.products)
    cuts = [list(c) for c in combos]
    point = evaluate(compiled, cuts, spare_capacity=spare, rows=products)
    if stats is None:
        stats = sample_intervals(compiled, combos, samples=samples, seed=seed, spare_capacity=spare, rows=products,
                                 quantiles=quantiles, block=block, memory=memory, threads=threads, dtype=dtype,
                                 progress=progress)
    low, high = bounds(compiled, cuts, spare_capacity=spare, rows=products, point=point)
    frame = sweep_to_frame(graph, combos, point, low, high)
    for name in [*quantile_columns(quantiles), "mean"]:
        frame[name] = stats[name].T.reshape(-1)
    return frame


def monte_carlo_exposure(graph: Graph, *, countries=None, spare_capacity: float = 0.0,
                         samples: int = DEFAULT_SAMPLES, seed: int = 0, quantiles=QUANTILES,
                         memory: int = MEMORY, threads: int | None = None, dtype=np.float64) -> pd.DataFrame:
    """Countries ranked by the mean product loss of their cutoff, with intervals over the draws.

    Columns: ``country``, ``mean_loss`` (point), one per quantile, ``mean``.
    """
    samples, seed = check_samples(samples, seed)
    spare = check_spare_capacity(spare_capacity)
    combos = scenario_combos(graph, countries=countries)
    compiled = compile_graph(graph)
    products = list(graph.products)
    if not products:
        point_loss = np.zeros(len(combos))
        draws = np.zeros((len(combos), samples))
    else:
        point = evaluate(compiled, [list(c) for c in combos], spare_capacity=spare, rows=products)
        point_loss = 1.0 - point.mean(axis=0)
        stats = sample_intervals(compiled, combos, samples=samples, seed=seed, spare_capacity=spare, rows=products,
                                 quantiles=quantiles, memory=memory, threads=threads, dtype=dtype, row_mean=True)
        draws = 1.0 - stats["row_mean"]  # scenarios x samples
    frame = pd.DataFrame({"country": ["+".join(c) for c in combos], "mean_loss": point_loss,
                          **_intervals(draws, quantiles)})
    frame = frame.sort_values(["mean_loss", "country"], ascending=[False, True], kind="mergesort")
    return frame.reset_index(drop=True)


def _top_shares(compiled, tested, samples: int, seed: int, quantiles, threshold: float, memory: int) -> dict:
    """Per tested item, the quantiles, mean and pass rate over the draws of its top single-country
    share (countries' facilities summed, capped at 1), items in blocks that fit in ``memory``."""
    names = [*quantile_columns(quantiles), "mean"]
    n_items = len(tested)
    stats = {name: np.zeros(n_items) for name in [*names, "pass_rate"]}
    owner = np.repeat(np.arange(compiled.n_nodes), np.diff(compiled.sup_ptr))
    supplier = compiled.sup_src.astype(np.int64)
    country = np.where(compiled.country[supplier] >= 0, compiled.country[supplier], supplier)
    rows = compiled.rows(tested)
    position = np.full(compiled.n_nodes, -1)
    position[rows] = np.arange(len(rows))
    keep = np.flatnonzero(position[owner] >= 0)
    pair = position[owner[keep]] * compiled.n_nodes + country[keep]
    pairs, inverse = np.unique(pair, return_inverse=True)
    # a pair's shares summed in edge order (a sparse product adds them in that order, from 0)
    summer = csr_array((np.ones(len(keep)), (inverse.reshape(-1), np.arange(len(keep)))),
                       shape=(len(pairs), len(keep)))
    item_of_pair = pairs // compiled.n_nodes
    per_item = max(1, int(memory // max(1, samples * 8 * 2)))
    chunk = max(1, min(samples, 2 * DRAW_CHUNK, int(DEFAULT_MEMORY // max(1, 8 * len(compiled.sup_src)))))
    for i0 in range(0, n_items, per_item):
        i1 = min(n_items, i0 + per_item)
        p0, p1 = np.searchsorted(item_of_pair, [i0, i1])
        block = summer[p0:p1]
        used = np.unique(block.indices)
        block = block[:, used]
        edges = keep[used]
        items = item_of_pair[p0:p1] - i0
        starts = np.flatnonzero(np.r_[True, items[1:] != items[:-1]]) if p1 > p0 else np.zeros(0, dtype=np.int64)
        top = np.zeros((i1 - i0, samples))
        for s0 in range(0, samples, chunk):
            s1 = min(samples, s0 + chunk)
            if not len(starts):
                break
            draws = _draw_rows(compiled, s1 - s0, seed, s0)
            sums = np.minimum(block @ np.ascontiguousarray(draws[:, edges].T), 1.0)
            top[items[starts], s0:s1] = np.maximum.reduceat(sums, starts, axis=0)
        part = _intervals(top, quantiles)
        for name in names:
            stats[name][i0:i1] = part[name]
        stats["pass_rate"][i0:i1] = (top <= threshold + EPS).mean(axis=1)
    return stats


def monte_carlo_target(graph: Graph, *, samples: int = DEFAULT_SAMPLES, seed: int = 0, threshold: float = DEFAULT_THRESHOLD,
                       all_items: bool = False, quantiles=QUANTILES, memory: int = MEMORY) -> pd.DataFrame:
    """The 65% target under uncertainty: per tested item, the top single-country share's
    intervals over the draws and ``pass_rate``, the share of draws in which the item passes
    (top share at most ``threshold``). ``status`` is the point test of :func:`target`.
    """
    samples, seed = check_samples(samples, seed)
    point = target(graph, threshold=threshold, all_items=all_items)
    compiled = compile_graph(graph)
    supplies = graph.supplies
    tested = [i for i in point["id"] if i in supplies]
    names = quantile_columns(quantiles)
    columns = ["id", "label", "stage", "top_country", "top_share", *names, "mean", "pass_rate", "status"]
    if point.empty:
        return pd.DataFrame(columns=columns)
    stats = _top_shares(compiled, tested, samples, seed, quantiles, threshold, memory) if tested else {}
    by_id = {ident: k for k, ident in enumerate(tested)}
    rows_out = []
    for row in point.itertuples(index=False):
        k = by_id.get(row.id)
        entry = {"id": row.id, "label": row.label, "stage": row.stage, "top_country": row.top_country,
                 "top_share": row.top_share, "status": row.status}
        if k is None:
            entry.update({n: float("nan") for n in [*names, "mean", "pass_rate"]})
        else:
            entry.update({n: float(stats[n][k]) for n in [*names, "mean", "pass_rate"]})
        rows_out.append(entry)
    return pd.DataFrame(rows_out, columns=columns)
