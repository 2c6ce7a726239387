"""Array traversals of a graph given as CSR lists (``ptr``, ``targets``): shared by the compile
(topological levels) and the layout (columns of a kind), so that both peel the same way."""

import numpy as np


def peel(ptr, targets, indeg, frontier, level, longest=False) -> int:
    """Kahn's algorithm from ``frontier`` (the nodes of in-degree zero). Each node peeled gets its
    level: the depth at which it was peeled, or with ``longest`` the most of its own start and one
    past each predecessor's level. ``indeg`` is used up; returns the number of nodes peeled."""
    depth, done = 0, 0
    n = len(indeg)
    while frontier.size:
        done += frontier.size
        if not longest:
            level[frontier] = depth
        counts = ptr[frontier + 1] - ptr[frontier]
        total = int(counts.sum())
        if not total:
            break
        offsets = np.repeat(ptr[frontier] - np.cumsum(counts) + counts, counts) + np.arange(total)
        reached = targets[offsets]
        if longest:
            np.maximum.at(level, reached, np.repeat(level[frontier] + 1, counts))
        if total * 8 > n:
            times = np.bincount(reached, minlength=n)
            hit = np.flatnonzero(times)
            times = times[hit]
        else:
            hit, times = np.unique(reached, return_counts=True)
        indeg[hit] -= times
        frontier = hit[indeg[hit] == 0]
        depth += 1
    return done
