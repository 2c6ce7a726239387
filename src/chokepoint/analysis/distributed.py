"""Sweeps and Monte Carlo on a Dask cluster (``dask.distributed``), past one machine.

The compiled graph is sent to every worker once (``client.scatter(..., broadcast=True)``);
blocks of scenarios (or of Monte Carlo draws) are mapped over the workers as tasks that take the
scattered graph; the results are gathered in block order. A task is a pure function of its
block, so when a worker dies the scheduler runs its blocks again elsewhere and every scenario
appears exactly once in the result, equal to what a local run gives (each scenario column is
computed independently of the others; draw ``j`` depends only on the seed and ``j``). With
Monte Carlo draws a task takes a block of scenarios, evaluates every draw of them and returns
only their quantiles and means (:func:`chokepoint.analysis.montecarlo.sample_intervals`), so a
worker's memory is bounded by its block and nothing of size scenarios x draws crosses the network.

Connect with ``scheduler="tcp://host:8786"`` (an existing cluster), ``workers=N`` (a
``LocalCluster`` of N single-threaded worker processes, closed afterwards) or ``client=`` (an
existing :class:`distributed.Client`). Requires the ``dask`` extra: ``pip install
"chokepoint[dask]"``.
"""

from __future__ import annotations

import contextlib
import uuid

import numpy as np
import pandas as pd

from ..errors import InputError
from ..model import Graph
from ..engine import compile_graph, evaluate
from .evidence import bounds
from .montecarlo import MEMORY, PER_DRAW, QUANTILES, check_samples, monte_carlo_sweep, sample_intervals
from .scenarios import check_spare_capacity, scenario_combos, sweep_to_frame

#: How long to wait for a scheduler given with ``--scheduler``.
CONNECT_TIMEOUT = "10s"


def _require_dask():
    try:
        import distributed  # noqa: F401 - optional dependency (the dask extra): imported only when used
    except ImportError:  # pragma: no cover - the extra is not installed
        raise InputError('Dask is not installed: pip install "chokepoint[dask]" (dask[distributed])') from None


@contextlib.contextmanager
def connect(*, scheduler: str | None = None, workers: int | None = None, client=None, **cluster_options):
    """A :class:`distributed.Client`: the one given, one connected to ``scheduler``, or one on a
    new ``LocalCluster`` of ``workers`` processes. What this function opens, it closes."""
    _require_dask()
    from distributed import Client, LocalCluster  # optional dependency (the dask extra)

    if client is not None:
        yield client
        return
    if scheduler:
        try:
            own = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield own
        finally:
            own.close()
        return
    if workers is None or int(workers) < 1:
        raise InputError(f"--workers {workers}: need at least 1 worker (or --scheduler ADDRESS)")
    options = {"n_workers": int(workers), "threads_per_worker": 1, "processes": True,
               "dashboard_address": ":0", **cluster_options}
    with LocalCluster(**options) as cluster, Client(cluster) as own:
        yield own


# tasks: module-level functions, so that workers import them rather than unpickle closures

def _sweep_block(compiled, cuts, spare: float, rows, block: int):
    point = evaluate(compiled, cuts, spare_capacity=spare, rows=rows)
    low, high = bounds(compiled, cuts, spare_capacity=spare, rows=rows, point=point)
    return block, np.stack([point, low, high])


def _sample_block(compiled, cuts, spare: float, rows, seed: int, samples: int, quantiles, block: int):
    """Every draw of a block of scenarios, reduced to its quantiles and means (one thread: a worker
    is a single-threaded process)."""
    return block, sample_intervals(compiled, cuts, samples=samples, seed=seed, spare_capacity=spare, rows=rows,
                                   quantiles=quantiles, threads=1)


def _blocks(total: int, block: int | None, n_workers: int, per_worker: int = 4) -> list[tuple[int, int]]:
    if total <= 0:
        return []
    if block is None:
        block = max(1, -(-total // max(1, per_worker * n_workers)))
    return [(s, min(total, s + block)) for s in range(0, total, block)]


def map_blocks(client, compiled, function, blocks, *args, progress=None, sizes=None, retries: int = 3,
               name: str = "chokepoint"):
    """Run ``function(compiled_on_worker, *block_args, block_index)`` for each block; results in order.

    ``blocks`` is a list of argument tuples; ``progress`` is called with the running total of
    ``sizes`` (one per block) as blocks complete.
    """
    from distributed import as_completed  # optional dependency (the dask extra)

    graph_future = client.scatter(compiled, broadcast=True, hash=False)
    token = uuid.uuid4().hex[:12]
    futures = [client.submit(function, graph_future, *block_args, *args, index, key=f"{name}-{token}-{index}",
                             retries=retries, pure=False)
               for index, block_args in enumerate(blocks)]
    sizes = sizes or [1] * len(futures)
    index_of = {future.key: index for index, future in enumerate(futures)}
    done = 0
    try:
        for future in as_completed(futures):
            done += sizes[index_of[future.key]]
            if progress is not None:
                progress(done)
        results = client.gather(futures)
    except InputError:
        raise
    except Exception as exc:
        raise InputError(f"the Dask run failed: {type(exc).__name__}: {exc}") from exc
    finally:
        for future in futures:
            future.release()
        graph_future.release()
    ordered = [None] * len(results)
    for index, value in results:
        if ordered[index] is not None:  # pragma: no cover - would be a duplicated block
            raise RuntimeError(f"block {index} returned twice")
        ordered[index] = value
    if any(value is None for value in ordered):  # pragma: no cover - would be a lost block
        raise RuntimeError("a block was lost")
    return ordered


def sweep(graph: Graph, *, pairs: bool = False, countries=None, spare_capacity: float = 0.0, samples: int = 0,
          seed: int = 0, scheduler: str | None = None, workers: int | None = None, client=None,
          block: int | None = None, progress=None, quantiles=None) -> pd.DataFrame:
    """:func:`chokepoint.scenarios.sweep` on a Dask cluster; with ``samples``, the Monte Carlo
    sweep (:func:`chokepoint.montecarlo.monte_carlo_sweep`) with the draws spread over workers.

    Returns exactly the frame the local function returns. ``progress`` is called with the number
    of scenarios (scenario-draws with ``samples``) done. ``block``: scenarios per task (by default
    four tasks per worker; with ``samples`` one block of scenarios per worker, as large as fits in
    :data:`~chokepoint.analysis.montecarlo.MEMORY` bytes of draws: the engine is called once per
    draw and block, so larger blocks cost less).
    """
    spare = check_spare_capacity(spare_capacity)
    if samples:
        samples, seed = check_samples(samples, seed)
    combos = scenario_combos(graph, pairs=pairs, countries=countries)
    cuts = [list(c) for c in combos]
    compiled = compile_graph(graph)
    rows = compiled.rows(graph.products)
    with connect(scheduler=scheduler, workers=workers, client=client) as dask_client:
        n_workers = max(1, len(dask_client.scheduler_info().get("workers", {})))
        if not samples:
            spans = _blocks(len(cuts), block, n_workers)
            parts = map_blocks(dask_client, compiled, _sweep_block, [(cuts[a:b],) for a, b in spans], spare, rows,
                               progress=progress, sizes=[b - a for a, b in spans], name="chokepoint-sweep")
            stacked = np.concatenate(parts, axis=2) if parts else np.zeros((3, len(rows), 0))
            return sweep_to_frame(graph, combos, *stacked)
        quantiles = quantiles or QUANTILES
        if block is None and cuts:
            fits = max(1, MEMORY // max(1, len(rows) * samples * 8))
            block = min(fits, max(PER_DRAW, -(-len(cuts) // n_workers)))
        spans = _blocks(len(cuts), block, n_workers, per_worker=1)
        parts = map_blocks(dask_client, compiled, _sample_block, [(cuts[a:b],) for a, b in spans], spare, rows,
                           seed, samples, quantiles, progress=progress,
                           sizes=[(b - a) * samples for a, b in spans], name="chokepoint-montecarlo")
    names = [*parts[0]] if parts else []
    stats = {name: np.concatenate([part[name] for part in parts], axis=1) for name in names} if parts else None
    return monte_carlo_sweep(graph, pairs=pairs, countries=countries, spare_capacity=spare, samples=samples,
                             seed=seed, quantiles=quantiles, stats=stats)
