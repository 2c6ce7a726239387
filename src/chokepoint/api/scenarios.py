"""Cutoffs and sweeps (``cutoff``, ``sweep``): countries and blocs cut off, together or in turn."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pandas as pd

from ..analysis import montecarlo as _montecarlo
from ..analysis.distributed import sweep as _dask_sweep
from ..analysis.scenarios import (
    CutoffResult, check_spare_capacity, cutoff as _cutoff, mean_loss, rank_scenarios, resolve_cut, sweep as _sweep,
    sweep_matrix,
)
from ..errors import InputError
from ..formats.results import check_table_output, write_table
from ..model import Graph
from .graphs import as_graph
from .rows import iter_records, records

__all__ = ["CutoffResult", "PRODUCT_COLUMNS", "SweepResult", "cutoff", "cutoff_table", "monte_carlo_cutoff", "sweep",
           "write_table"]


def cutoff(graph, *, countries=(), blocs=(), spare_capacity: float = 0.0, samples: int = 0,
           seed: int = 0, output=None, force: bool = False) -> CutoffResult:
    """Cut off countries and/or blocs (see :func:`chokepoint.analysis.scenarios.cutoff`).

    With ``samples``, each product also gets the 5th/50th/95th percentile of its availability over
    that many seeded draws of the ranged shares (same seed, same result). With ``output`` (a
    ``.parquet`` or ``.csv`` path, checked before the work), :func:`cutoff_table` is written there.
    """
    if output is not None:
        check_table_output(output, force=force)
    g = as_graph(graph)
    cut = resolve_cut(countries, blocs)
    result = _cutoff(g, countries=cut, spare_capacity=spare_capacity)
    if samples:
        intervals = _montecarlo.monte_carlo_cutoff(g, countries=cut.codes, spare_capacity=spare_capacity,
                                                   samples=samples, seed=seed).set_index("id")
        result = replace(result, intervals=intervals, samples=samples, seed=seed)
    if output is not None:
        write_table(cutoff_table(result), output, force=force)
    return result


#: The columns of :func:`cutoff_table` that only products have.
PRODUCT_COLUMNS = ["loss", "loss_low", "loss_high", "path", "evidence", "assumptions"]


def cutoff_table(result: CutoffResult) -> pd.DataFrame:
    """A cutoff as one table, one row per node (what ``cutoff -o`` writes): ``id``, ``label``,
    ``kind``, ``availability`` with ``availability_low``/``availability_high``, ``months_to_shortage``;
    then, on product rows only, ``loss`` (with its bounds), ``path`` (the chain that explains the
    loss, as ``A -> B -> C``), ``evidence``, ``assumptions`` (JSON text) and with draws ``p5``,
    ``p50``, ``p95``. Rows in the order of ``result.nodes``."""
    products = result.products[["id", *PRODUCT_COLUMNS]].copy()
    products["path"] = [" -> ".join(map(str, p)) for p in products["path"]]
    products["assumptions"] = [list(a) for a in products["assumptions"]]
    if result.intervals is not None:
        draws = result.intervals[["p5", "p50", "p95"]]
        products = products.join(draws, on="id")
    return result.nodes.merge(products, on="id", how="left", validate="one_to_one")


@dataclass(frozen=True)
class SweepResult:
    """Each country (and pair) cut in turn: the long frame (``countries``, ``product``,
    ``availability``, and with draws ``p5``/``p50``/``p95``/``mean``) and the ranking of scenarios."""

    graph: Graph = field(repr=False)
    frame: pd.DataFrame = field(repr=False)
    samples: int = 0
    seed: int = 0
    written: Path | None = None
    """Where the frame was written (``output``), if it was."""

    @cached_property
    def ranking(self) -> pd.Series:
        """Mean product loss per scenario, most costly first (ties in sweep order); aggregates of
        other products are not averaged in."""
        return mean_loss(self.frame, self.graph.aggregates)

    @cached_property
    def ranked(self) -> pd.DataFrame:
        """Singles by mean loss, then pairs by the loss beyond the worse of their singles, ties shown."""
        return rank_scenarios(self.frame, self.graph.aggregates)

    @cached_property
    def matrix(self) -> pd.DataFrame:
        """Products x scenarios availability."""
        return sweep_matrix(self.frame)

    def to_records(self) -> list[dict]:
        return records(self.frame)

    def iter_records(self, size: int = 10_000):
        """:meth:`to_records` in lists of at most ``size`` rows (for output that streams)."""
        return iter_records(self.frame, size)


def sweep(graph, *, pairs: bool = False, countries=None, spare_capacity: float = 0.0, samples: int = 0,
          seed: int = 0, workers: int | None = None, scheduler: str | None = None, block: int | None = None,
          progress=None, output=None, force: bool = False) -> SweepResult:
    """Each country (with ``pairs`` every pair too) cut off in turn.

    ``samples`` adds Monte Carlo intervals; ``workers`` (a local Dask cluster) or ``scheduler``
    (an existing one) spread the work, with ``block`` scenarios per task (with ``samples`` too). ``progress`` is
    called with the number of scenarios (scenario-draws) done; when it has a ``total`` attribute
    (a progress bar), that is set first to the number there will be. With ``output`` (a ``.parquet``
    or ``.csv`` path, checked before the work) the long frame is written there.
    """
    if samples < 0:
        raise InputError(f"--samples {samples} must be 0 (no Monte Carlo) or more")
    if seed < 0:
        raise InputError(f"--seed {seed} must be an integer >= 0")
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers} must be at least 1")
    if block is not None and block < 1:
        raise InputError(f"--block {block} must be at least 1")
    if workers is not None and scheduler:
        raise InputError("give --workers (a local cluster) or --scheduler (an existing one), not both")
    check_spare_capacity(spare_capacity)
    if output is not None:
        check_table_output(output, force=force)
    g = as_graph(graph)
    if hasattr(progress, "total"):
        n = len(g.countries)
        progress.total = (n + (n * (n - 1) // 2 if pairs else 0)) * (samples or 1)
    if workers is not None or scheduler:
        frame = _dask_sweep(g, pairs=pairs, countries=countries, spare_capacity=spare_capacity, samples=samples,
                            seed=seed, workers=workers, scheduler=scheduler, block=block, progress=progress)
    elif samples:
        frame = _montecarlo.monte_carlo_sweep(g, pairs=pairs, countries=countries, spare_capacity=spare_capacity,
                                              samples=samples, seed=seed, progress=progress)
    else:
        frame = _sweep(g, pairs=pairs, countries=countries, spare_capacity=spare_capacity, progress=progress)
    written = write_table(frame, output, force=force) if output is not None else None
    return SweepResult(g, frame, samples, seed, written)


def monte_carlo_cutoff(graph, *, countries=(), blocs=(), spare_capacity: float = 0.0, samples: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """A cutoff with intervals: each product's availability at the 5th/50th/95th percentile over
    ``samples`` seeded draws of the ranged shares (same seed, same result)."""
    return _montecarlo.monte_carlo_cutoff(as_graph(graph), countries=countries, blocs=blocs,
                                          spare_capacity=spare_capacity, samples=samples, seed=seed)
