"""The compiled propagation engine: many scenarios at once on arrays.

A graph is compiled once into a :class:`~chokepoint.engine.CompiledGraph` (see
:mod:`chokepoint.engine.compile`: int32 indices, CSR suppliers and inputs, nodes renumbered in
topological levels, cycles as contiguous blocks).

:func:`evaluate` pushes a matrix of scenarios (one column each) through the levels: a
share-weighted sparse product for suppliers, a minimum (``needs: all``) or maximum
(``needs: any``) over inputs, spare capacity element-wise, cycles iterated from full availability
down to the largest fixed point, column by column to a tolerance. Scenario columns are evaluated
in chunks that bound memory. The semantics are those of :mod:`chokepoint.engine.reference`, the
reference, which the tests hold the engine to (1e-9). In float64 each item's surviving shares
are summed exactly (TwoSum, rounded once, as the reference's ``math.fsum``), so that results are
the reference's to the last bit on acyclic graphs and an item that loses nothing is exactly 1;
``exact=False`` trades that for one sparse product per level (within a few ulps), and
``dtype=np.float32`` halves the memory traffic (within 1e-6).

Every column is computed independently of the others (a cycle stops iterating per column), so a
result does not depend on how the scenarios were chunked or spread over workers.
"""

from __future__ import annotations

import numpy as np

from .compile import COUNTRY, CompiledGraph
from .kernels import _build_pair_plan, _evaluate_chunk, _evaluate_pairs, _months_chunk, _plan, _row_sums, _Scenarios

#: Default working memory for the availability matrix of one chunk of scenarios.
DEFAULT_MEMORY = 128 << 20
#: ... but at least this many columns per chunk while they fit in MAX_MEMORY.
MIN_COLUMNS = 32
MAX_MEMORY = 1 << 30

# ---------------------------------------------------------------------------------------------
# evaluating


def scenario_matrix(compiled: CompiledGraph, cuts=None, knockout=None, count: int | None = None) -> _Scenarios:
    """Forced zeros for a list of cuts (country ids or rows) and knockouts (node ids or rows).

    Ids that are not nodes of the graph are ignored (a country absent from the graph cuts nothing).
    """
    lists = [x for x in (cuts, knockout) if x is not None]
    if count is None:
        count = len(lists[0]) if lists else 1
    rows, cols = [], []
    index = compiled.index
    # a cut names a country: only country nodes match (a material 'SI' or a facility 'DE' is not
    # Slovenia or Germany); a knockout names any node
    kind = compiled.kind
    for spec, only_countries in ((cuts, True), (knockout, False)):
        if spec is None:
            continue
        if len(spec) != count:
            raise ValueError(f"{len(spec)} scenario entries for {count} scenarios")
        for col, entry in enumerate(spec):
            if entry is None:
                continue
            if isinstance(entry, (str, int, np.integer)):
                entry = (entry,)
            for ident in entry:
                if isinstance(ident, (int, np.integer)):
                    row = int(ident)
                else:
                    row = index.get(ident)
                    if row is not None and only_countries and kind[row] != COUNTRY:
                        row = None
                if row is not None:
                    rows.append(row)
                    cols.append(col)
    rows_a = np.array(rows, dtype=np.int64)
    cols_a = np.array(cols, dtype=np.int64)
    order = np.lexsort((cols_a, rows_a))
    return _Scenarios(count, rows_a[order], cols_a[order])


def default_chunk(compiled: CompiledGraph, count: int, *, memory: int = DEFAULT_MEMORY, itemsize: int = 8) -> int:
    """Scenario columns per chunk so the availability matrix stays within ``memory`` bytes.

    On large graphs, where that leaves few columns, up to :data:`MIN_COLUMNS` columns are taken
    as long as they fit in :data:`MAX_MEMORY` (narrow chunks gather rows too short to be fast).
    """
    per_column = max(1, compiled.n_nodes) * itemsize * 1.25
    columns = max(memory // per_column, min(MIN_COLUMNS, MAX_MEMORY // per_column))
    return int(max(1, min(count, columns)))


def evaluate(compiled: CompiledGraph, cuts=None, *, knockout=None, spare_capacity=0.0, shares=None,
             rows=None, chunk: int | None = None, dtype=np.float64, exact: bool | None = None,
             months: bool = False, memory: int = DEFAULT_MEMORY, progress=None,
             count: int | None = None, on_chunk=None, remainder_lost: bool = False):
    """Availability of every node (or of ``rows``) under many scenarios: a (rows x scenarios) matrix.

    Parameters
    ----------
    compiled
        From :func:`compile_graph` / :func:`compile_arrays`.
    cuts
        One entry per scenario: the countries cut off (ids or rows; blocs already expanded).
    knockout
        One entry per scenario: nodes removed entirely (ids or rows).
    spare_capacity
        ``r``: surviving suppliers grow by ``r`` of their share (scalar, or one per scenario).
    shares
        Override of the point shares (Monte Carlo draws), in the order of ``compiled.sup_src``:
        one vector for all scenarios, a (supply edges x scenarios) matrix, or a callable
        ``(start, stop) -> matrix`` giving the columns of scenarios ``start:stop`` (so that Monte
        Carlo draws are made chunk by chunk). The remainder is then ``max(0, 1 - sum)`` per item,
        as in the reference.
    rows
        Rows (or ids) to return; all rows when omitted.
    chunk, memory
        Scenario columns evaluated at once; by default as many as fit in ``memory`` bytes.
    dtype
        ``np.float64`` (default; agrees with the reference) or ``np.float32`` (faster, ~1e-6).
    exact
        Sum each item's surviving shares exactly (compensated, then rounded once, as the
        reference's ``math.fsum``), so that an item that loses nothing is exactly 1. Default: on
        for float64. Off: one sparse product per level (faster; within a few ulps).
    months
        Also return months until shortage (NaN where none), as :func:`shortage_months`.
    remainder_lost
        Count every supplied item's unattributed remainder as lost (the pessimistic bound:
        the unknown suppliers may be the cut countries). Items with no suppliers listed keep
        theirs (they are made from their inputs, not bought from unknown suppliers).
    progress
        Called with the number of scenarios done after each chunk.
    count
        Number of scenarios when neither ``cuts`` nor ``knockout`` is given.
    on_chunk
        ``on_chunk(start, stop, values)`` receives each chunk's (rows x chunk) values instead of
        a full result being kept (reductions over many scenarios in bounded memory); ``evaluate``
        then returns ``None``.
    """
    if isinstance(cuts, _Scenarios):
        zeros = cuts
    else:
        zeros = scenario_matrix(compiled, cuts, knockout, count)
    total = zeros.count
    dtype = np.dtype(dtype).type
    if exact is None:
        exact = dtype == np.float64
    share_block = None
    if callable(shares):
        share_block, shares = shares, None
    if shares is not None:
        shares = np.asarray(shares, dtype=np.float64)
        if shares.ndim == 2 and shares.shape[1] != total:
            raise ValueError(f"shares has {shares.shape[1]} columns for {total} scenarios")
        if shares.shape[0] != len(compiled.sup_src):
            raise ValueError(f"shares has {shares.shape[0]} rows for {len(compiled.sup_src)} supply edges")
    spare = np.asarray(spare_capacity, dtype=np.float64)
    if spare.ndim and spare.shape[0] != total:
        raise ValueError(f"{spare.shape[0]} spare capacities for {total} scenarios")
    if rows is None:
        out_rows = None
    elif isinstance(rows, np.ndarray) and rows.dtype.kind in "iu":  # rows already (as compiled.rows passes them)
        out_rows = rows.astype(np.int64, copy=False)
    else:
        out_rows = compiled.rows(rows)
    n_out = compiled.n_nodes if out_rows is None else len(out_rows)
    itemsize = np.dtype(dtype).itemsize
    if chunk is None:
        chunk = default_chunk(compiled, total, memory=memory, itemsize=itemsize)
    chunk = max(1, int(chunk))
    n_chunks = -(-total // chunk) if total else 0
    chunk = -(-total // n_chunks) if n_chunks else chunk  # equal chunks
    bounds = [(s, min(total, s + chunk)) for s in range(0, total, chunk)]
    if on_chunk is not None and months:
        raise ValueError("on_chunk does not combine with months")
    result = np.empty((n_out, total), dtype=dtype) if on_chunk is None else None
    result_months = np.empty((n_out, total), dtype=np.float64) if months else None
    plan = _plan(compiled)
    workspace = None  # reused from chunk to chunk

    def run(bound):
        nonlocal workspace
        start, stop = bound
        if workspace is None or workspace.shape[1] < stop - start:
            workspace = np.empty((compiled.n_nodes, stop - start), dtype=dtype)
        sh = None
        if shares is not None:
            sh = shares if shares.ndim == 1 else shares[:, start:stop]
        elif share_block is not None:
            sh = np.asarray(share_block(start, stop), dtype=np.float64)
            if sh.shape != (len(compiled.sup_src), stop - start):
                raise ValueError(f"shares block of shape {sh.shape}, expected {(len(compiled.sup_src), stop - start)}")
        sp = spare if not spare.ndim else spare[start:stop]
        sub = zeros.take(start, stop)
        avail = _evaluate_chunk(compiled, plan, sub, sp, sh, dtype, exact, workspace, remainder_lost)
        if on_chunk is not None:
            on_chunk(start, stop, avail if out_rows is None else avail[out_rows])
            return stop - start
        result[:, start:stop] = avail if out_rows is None else avail[out_rows]
        if months:
            tm = _months_chunk(compiled, plan, sub, avail)
            result_months[:, start:stop] = tm if out_rows is None else tm[out_rows]
        return stop - start

    done = 0
    for bound in bounds:
        done += run(bound)
        if progress is not None:
            progress(done)
    if months:
        return result, result_months
    return result


def row_sums(values: np.ndarray, first: np.ndarray, deg: np.ndarray) -> np.ndarray:
    """Correctly rounded sums of ``values[first[i]:first[i] + deg[i]]``: :func:`exact_row_sums`, to
    the last bit, compiled when numba is installed."""
    return _row_sums(values, first, deg)


class ScenarioDraws:
    """Many scenarios (cuts, knockouts) under many draws of the shares: (rows x scenarios x draws).

    Built once per set of scenarios (the structure), evaluated for any number of share draws
    (only the shares change). Under draws no two columns share their shares, but the rows that no
    scenario's forced zeros reach are the same in every scenario of a draw: they are computed once
    per draw, and each scenario computes only the rows its zeros reach. Every value is
    :func:`evaluate`'s for that scenario with that draw as its share column, to the last bit
    (float64, exact sums): the same operations in the same order, with the draws as the inner axis.
    """

    def __init__(self, compiled: CompiledGraph, cuts=None, *, knockout=None, rows=None, count: int | None = None):
        self.compiled = compiled
        zeros = cuts if isinstance(cuts, _Scenarios) else scenario_matrix(compiled, cuts, knockout, count)
        if rows is None:
            out_rows = np.arange(compiled.n_nodes, dtype=np.int64)
        elif isinstance(rows, np.ndarray) and rows.dtype.kind in "iu":
            out_rows = rows.astype(np.int64, copy=False)
        else:
            out_rows = compiled.rows(rows)
        self.count = zeros.count
        self.rows = out_rows
        self._plan = _build_pair_plan(compiled, _plan(compiled), zeros, out_rows)

    @property
    def pairs(self) -> int:
        """(row, scenario) pairs computed per draw beyond the draw's baseline."""
        return self._plan.n_pairs

    def nbytes(self, draws: int) -> int:
        """Working memory of :meth:`evaluate` for ``draws`` draws (the values of every pair and row)."""
        return (self.compiled.n_nodes + self._plan.n_pairs) * 8 * max(1, int(draws))

    def evaluate(self, shares: np.ndarray, spare_capacity: float = 0.0, *, work: np.ndarray | None = None) -> np.ndarray:
        """Availability of the rows under each scenario for each draw: (rows x scenarios x draws).

        ``shares``: (supply edges x draws), in the order of ``compiled.sup_src``; the remainder is
        ``max(0, 1 - sum)`` per item and draw. ``spare_capacity``: one value for every scenario.
        ``work``: a float64 buffer of :meth:`nbytes` bytes to compute in, reused from call to call.
        """
        shares = np.asarray(shares, dtype=np.float64)
        if shares.ndim != 2 or shares.shape[0] != len(self.compiled.sup_src):
            raise ValueError(f"shares of shape {shares.shape}, expected ({len(self.compiled.sup_src)}, draws)")
        if np.ndim(spare_capacity):
            raise ValueError("one spare capacity for every scenario")
        compiled = self.compiled
        return _evaluate_pairs(compiled, _plan(compiled), self._plan, np.ascontiguousarray(shares),
                               float(spare_capacity), work)


def evaluate_scenarios(compiled: CompiledGraph, scenarios, **options):
    """:func:`evaluate` for a list of :class:`chokepoint.engine.reference.Scenario` objects."""
    scenarios = list(scenarios)
    cuts = [sorted(s.countries) for s in scenarios]
    knock = [sorted(s.knockout) for s in scenarios]
    spare = np.array([s.spare_capacity for s in scenarios], dtype=np.float64)
    shares = None
    if any(s.shares is not None for s in scenarios):
        columns = [compiled.shares_from(s.shares) if s.shares is not None else compiled.sup_share for s in scenarios]
        shares = np.stack(columns, axis=1) if columns else None
    return evaluate(compiled, cuts, knockout=knock, spare_capacity=spare, shares=shares, **options)



def shortage_months(compiled: CompiledGraph, avail: np.ndarray, cuts=None, *, knockout=None) -> np.ndarray:
    """Months to shortage for a full availability matrix from :func:`evaluate` (NaN: none)."""
    zeros = cuts if isinstance(cuts, _Scenarios) else scenario_matrix(compiled, cuts, knockout, avail.shape[1])
    return _months_chunk(compiled, _plan(compiled), zeros, np.asarray(avail, dtype=np.float64))

