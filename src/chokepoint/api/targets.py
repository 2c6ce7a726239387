"""Concentration and the 65% target (``target``), with Monte Carlo intervals on the top share."""

from __future__ import annotations

import pandas as pd

from ..analysis import montecarlo as _montecarlo
from ..analysis.concentration import concentration as _concentration, target as _target
from ..model import DEFAULT_THRESHOLD
from .graphs import as_graph

__all__ = ["concentration", "monte_carlo_target", "target"]


def target(graph, *, threshold: float = DEFAULT_THRESHOLD, all_items: bool = False, samples: int = 0,
           seed: int = 0) -> pd.DataFrame:
    """The 65% target test per material and stage (see :func:`chokepoint.analysis.concentration.target`).

    With ``samples`` Monte Carlo draws of the ranged shares, each row also has the top share's
    ``top_share_p5``/``top_share_p95`` and ``pass_rate``, the share of draws that pass.
    """
    g = as_graph(graph)
    frame = _target(g, threshold=threshold, all_items=all_items)
    if samples:
        mc = _montecarlo.monte_carlo_target(g, threshold=threshold, all_items=all_items, samples=samples, seed=seed)
        mc = mc.set_index("id")[["p5", "p95", "pass_rate"]].rename(columns={"p5": "top_share_p5",
                                                                           "p95": "top_share_p95"})
        frame = frame.join(mc, on="id")
    return frame


def concentration(graph) -> pd.DataFrame:
    """Concentration of every supplied item (top country, top-3, HHI, unknown share)."""
    return _concentration(as_graph(graph))


def monte_carlo_target(graph, *, threshold: float = DEFAULT_THRESHOLD, all_items: bool = False, samples: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """The target test with intervals on the top share and the share of draws that pass."""
    return _montecarlo.monte_carlo_target(as_graph(graph), samples=samples, seed=seed, threshold=threshold,
                                          all_items=all_items)
