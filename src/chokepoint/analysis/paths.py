"""The chain of nodes that explains a loss: from the cut country, through the binding inputs and
suppliers, to the node that lost availability.

The chain is followed on the compiled graph's arrays (:class:`ChainFinder`), so that explaining
every product of a million-edge graph is a walk over short lists, not over pydantic objects.
"""

from __future__ import annotations

import weakref

from ..engine import compile_graph
from ..engine.compile import COUNTRY, FACILITY, CompiledGraph
from ..model import Graph

_EPS = 1e-12


class ChainFinder:
    """Loss chains over a compiled graph's rows (built once per compiled graph: :func:`chain_finder`)."""

    def __init__(self, compiled: CompiledGraph):
        self.ids = compiled.ids
        self.kind = compiled.kind.tolist()
        self.needs_any = compiled.needs_any.tolist()
        self.country = compiled.country.tolist()
        self.in_ptr = compiled.in_ptr.tolist()
        self.in_src = compiled.in_src.tolist()
        self.sup_ptr = compiled.sup_ptr.tolist()
        self.sup_src = compiled.sup_src.tolist()
        self.sup_share = compiled.sup_share.tolist()

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

    def chains(self, rows, avail) -> list[list[int]]:
        """:meth:`chain` for many rows, each chain walked once: a node's chain is its binding
        step's chain and itself, unless that chain already runs through the node (a cycle), when
        it is walked on its own. The same chains as one :meth:`chain` call each."""
        memo: dict[int, list[int]] = {}
        out = []
        for row in rows:
            stack = [row]
            while stack:  # the steps not yet known, nearest first
                current = stack[-1]
                if current in memo:
                    stack.pop()
                    continue
                step = self._step(current, avail)
                if step is None:
                    memo[current] = [current]
                    stack.pop()
                elif step in memo or step in stack:
                    before = memo.get(step)
                    if before is None or current in before:
                        memo[current] = self.chain(current, avail)
                    else:
                        memo[current] = before + [current]
                    stack.pop()
                else:
                    stack.append(step)
            out.append(memo[row])
        return out

    def _step(self, current: int, avail):
        """The binding cause of ``current``'s loss (see :meth:`chain`), or None where it stops."""
        ids = self.ids
        kind = self.kind[current]
        here = avail[current]
        if kind == COUNTRY or here >= 1.0 - _EPS:
            return None
        first, last = self.in_ptr[current], self.in_ptr[current + 1]
        if first < last:
            sign = -1.0 if self.needs_any[current] else 1.0
            best = min(self.in_src[first:last], key=lambda i: (sign * avail[i], ids[i]))
            if avail[best] <= here + _EPS and avail[best] < 1.0 - _EPS:
                return best
        if kind == FACILITY:
            return self.country[current]
        best, most = None, 0.0
        for j in range(self.sup_ptr[current], self.sup_ptr[current + 1]):
            supplier = self.sup_src[j]
            loss = self.sup_share[j] * (1.0 - avail[supplier])
            if loss > 0 and (best is None or loss > most or (loss == most and ids[supplier] < ids[best])):
                best, most = supplier, loss
        return best


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
