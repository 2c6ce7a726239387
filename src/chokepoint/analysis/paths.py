"""The chain of nodes that explains a loss: from the cut country, through the binding inputs and
suppliers, to the node that lost availability.

The chain is followed on the compiled graph's arrays (:class:`ChainFinder`), so that explaining
every product of a million-edge graph is a walk over short lists, not over pydantic objects.
"""

from __future__ import annotations

import weakref
from functools import cached_property

import numpy as np

from ..engine import compile_graph
from ..engine.compile import COUNTRY, FACILITY, CompiledGraph
from ..model import Graph

_EPS = 1e-12


class ChainFinder:
    """Loss chains over a compiled graph's rows (built once per compiled graph: :func:`chain_finder`)."""

    def __init__(self, compiled: CompiledGraph):
        self.compiled = compiled
        self.ids = compiled.ids

    @cached_property
    def _lists(self):
        """The arrays as lists, for the walk of one chain at a time (:meth:`chain`)."""
        c = self.compiled
        return (c.kind.tolist(), c.needs_any.tolist(), c.country.tolist(), c.in_ptr.tolist(), c.in_src.tolist(),
                c.sup_ptr.tolist(), c.sup_src.tolist(), c.sup_share.tolist())

    def chain(self, row: int, avail, knockout=frozenset()) -> list[int]:
        """Rows of the chain explaining ``row``'s loss, from the cut country (or knocked-out node) to it.

        ``avail`` is indexed by row. At each step the binding cause is followed: for an ``all``
        node the scarcest input when it binds, for an ``any`` node its best alternative, otherwise
        the supplier whose loss removes the most supply (a facility leads on to its country). Ties
        go to the smaller id.
        """
        path = [row]
        seen = {row}
        current = row
        while current not in knockout:
            step = self._step(current, avail)
            if step is None or step in seen:
                break
            path.append(step)
            seen.add(step)
            current = step
        path.reverse()
        return path

    def chain_rows(self, rows, avail) -> tuple[np.ndarray, np.ndarray]:
        """The chains of ``rows`` (what :meth:`chain` gives each, without knockouts) as one array
        of rows, each chain from its start to its row, one after another, and each chain's length.

        The binding steps of all the nodes reached are found over arrays, a frontier of nodes at a
        time (:meth:`steps`); then the chains are followed for all the rows at once, a link at a
        time, each stopping where its node's step stops or comes back to a node already on it (a
        chain longer than :data:`_WIDE` links is finished on its own)."""
        avail_rows = np.asarray(avail, dtype=np.float64)
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if not len(rows):
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        step = np.full(len(self.ids), _UNKNOWN, dtype=np.int64)
        frontier = np.unique(rows)
        while frontier.size:
            found = self.steps(frontier, avail_rows)
            step[frontier] = found
            found = np.unique(found[found >= 0])
            frontier = found[step[found] == _UNKNOWN]
        links = np.full((len(rows), _WIDE), -1, dtype=np.int64)
        links[:, 0] = rows
        length = np.ones(len(rows), dtype=np.int64)
        going = np.arange(len(rows))
        for depth in range(1, _WIDE):
            nxt = step[links[going, depth - 1]]
            stop = (nxt < 0) | (links[going, :depth] == nxt[:, None]).any(axis=1)
            going, nxt = going[~stop], nxt[~stop]
            if not going.size:
                break
            links[going, depth] = nxt
            length[going] += 1
        if going.size and length[going].max() >= _WIDE:  # chains longer than _WIDE: walked one at a time
            listed = step.tolist()
            chains = [self._walk(row, listed) for row in rows.tolist()]
            length = np.fromiter(map(len, chains), dtype=np.int64, count=len(chains))
            return np.fromiter((r for chain in chains for r in chain), dtype=np.int64, count=int(length.sum())), length
        owner = np.repeat(np.arange(len(rows)), length)
        place = np.arange(len(owner)) - np.repeat(np.cumsum(length) - length, length)
        return links[owner, length[owner] - 1 - place], length

    def _walk(self, row: int, step) -> list[int]:
        """:meth:`chain` with every binding step known (``step``: by row, -1 where it stops)."""
        path = [row]
        seen = {row}
        current = row
        while True:
            nxt = step[current]
            if nxt < 0 or nxt in seen:
                break
            path.append(nxt)
            seen.add(nxt)
            current = nxt
        path.reverse()
        return path

    def steps(self, rows: np.ndarray, avail: np.ndarray) -> np.ndarray:
        """The binding cause of each row's loss (see :meth:`chain`), -1 where the chain stops: what
        :meth:`_step` gives each row, over arrays (``rows`` distinct, ``avail`` by row)."""
        c = self.compiled
        rank = c.id_rank
        rows = np.asarray(rows, dtype=np.int64)
        out = np.full(len(rows), -1, dtype=np.int64)
        here = avail[rows]
        open_ = (c.kind[rows] != COUNTRY) & ~(here >= 1.0 - _EPS)
        # an input that binds: the scarcest for an ``all`` node, the best alternative for an ``any``
        # node (ties to the smaller id)
        first, count = c.in_ptr[rows], np.diff(c.in_ptr)[rows]
        has = np.flatnonzero(open_ & (count > 0))
        if len(has):
            seg, slot = _segments(first[has], count[has])
            cand = c.in_src[slot].astype(np.int64)
            value = np.where(c.needs_any[rows[has]], -1.0, 1.0)[seg] * avail[cand]
            best = cand[_first_of_segments(seg, value, rank[cand], len(has))]
            binding = (avail[best] <= here[has] + _EPS) & (avail[best] < 1.0 - _EPS)
            out[has[binding]] = best[binding]
            open_[has[binding]] = False
        # a facility leads on to its country
        facility = open_ & (c.kind[rows] == FACILITY)
        out[facility] = c.country[rows[facility]]
        open_ &= ~facility
        # else the supplier whose loss removes the most supply (ties to the smaller id)
        first, count = c.sup_ptr[rows], np.diff(c.sup_ptr)[rows]
        has = np.flatnonzero(open_ & (count > 0))
        if len(has):
            seg, slot = _segments(first[has], count[has])
            supplier = c.sup_src[slot].astype(np.int64)
            loss = c.sup_share[slot] * (1.0 - avail[supplier])
            lossy = loss > 0
            seg, supplier, loss = seg[lossy], supplier[lossy], loss[lossy]
            pick = _first_of_segments(seg, -loss, rank[supplier], len(has))
            hit = pick >= 0
            out[has[hit]] = supplier[pick[hit]]
        return out

    def _step(self, current: int, avail):
        """The binding cause of ``current``'s loss (see :meth:`chain`), or None where it stops."""
        ids = self.ids
        kinds, needs_any, country, in_ptr, in_src, sup_ptr, sup_src, sup_share = self._lists
        kind = kinds[current]
        here = avail[current]
        if kind == COUNTRY or here >= 1.0 - _EPS:
            return None
        first, last = in_ptr[current], in_ptr[current + 1]
        if first < last:
            sign = -1.0 if needs_any[current] else 1.0
            best = min(in_src[first:last], key=lambda i: (sign * avail[i], ids[i]))
            if avail[best] <= here + _EPS and avail[best] < 1.0 - _EPS:
                return best
        if kind == FACILITY:
            return country[current]
        best, most = None, 0.0
        for j in range(sup_ptr[current], sup_ptr[current + 1]):
            supplier = sup_src[j]
            loss = sup_share[j] * (1.0 - avail[supplier])
            if loss > 0 and (best is None or loss > most or (loss == most and ids[supplier] < ids[best])):
                best, most = supplier, loss
        return best


def _segments(first: np.ndarray, count: np.ndarray):
    """(segment, slot): the slots ``first[i]:first[i] + count[i]`` of each segment, concatenated."""
    seg = np.repeat(np.arange(len(count)), count)
    slot = np.arange(int(count.sum()), dtype=np.int64) - np.repeat(np.cumsum(count) - count - first, count)
    return seg, slot


def _first_of_segments(seg: np.ndarray, value: np.ndarray, rank: np.ndarray, n: int) -> np.ndarray:
    """Per segment ``0..n-1``, the position of its entry with the least ``value`` (ties: least
    ``rank``; then the first), -1 for a segment with no entry. ``seg`` is ascending."""
    out = np.full(n, -1, dtype=np.int64)
    if not len(seg):
        return out
    starts = np.flatnonzero(np.r_[True, seg[1:] != seg[:-1]])
    sizes = np.diff(np.r_[starts, len(seg)])
    least = value == np.repeat(np.minimum.reduceat(value, starts), sizes)
    ranks = np.where(least, rank, np.iinfo(np.int64).max)
    hit = np.flatnonzero(least & (ranks == np.repeat(np.minimum.reduceat(ranks, starts), sizes)))
    first = hit[np.r_[True, seg[hit][1:] != seg[hit][:-1]]]
    out[seg[first]] = first
    return out


_UNKNOWN = -2
#: Links followed for all the chains at once; a longer chain is finished on its own.
_WIDE = 64
_FINDERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def chain_finder(compiled: CompiledGraph) -> ChainFinder:
    finder = _FINDERS.get(compiled)
    if finder is None:
        finder = _FINDERS[compiled] = ChainFinder(compiled)
    return finder


class _ByRow:
    """A {node id: value} mapping read by row."""

    def __init__(self, values: dict, ids):
        self.values, self.ids = values, ids

    def __getitem__(self, row: int) -> float:
        return self.values[self.ids[row]]


def loss_path(graph: Graph, avail: dict[str, float], node_id: str, knockout=frozenset()) -> list[str]:
    """The chain of node ids that explains a node's loss, from the cut country to the node
    (``avail``: availability by node id; see :meth:`ChainFinder.chain`)."""
    compiled = compile_graph(graph)
    finder = chain_finder(compiled)
    index = compiled.index
    rows = finder.chain(index[node_id], _ByRow(avail, compiled.ids), frozenset(index[k] for k in knockout))
    return [compiled.ids[r] for r in rows]
