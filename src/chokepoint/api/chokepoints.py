"""Chokepoints and the one-screen analysis (``analyse``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..analysis.chokepoints import chokepoints_and_sweep as _chokepoints_and_sweep
from ..analysis.chokepoints import find_chokepoints as _find_chokepoints
from ..analysis.concentration import target as _target
from ..analysis.scenarios import exposure as _exposure
from ..formats.results import check_table_output, write_table
from ..model import DEFAULT_THRESHOLD
from .graphs import as_graph
from .rows import records

__all__ = ["Analysis", "analyse", "find_chokepoints"]


def find_chokepoints(graph, *, top: int | None = None) -> pd.DataFrame:
    """Non-country nodes ranked by knockout impact times exposure, with the reason in words."""
    return _find_chokepoints(as_graph(graph), top=top)


@dataclass(frozen=True)
class Analysis:
    """What ``chokepoint analyse`` shows: chokepoints, target results and country exposure."""

    graph: str
    title: str
    chokepoints: pd.DataFrame = field(repr=False)
    target: pd.DataFrame = field(repr=False)
    exposure: pd.DataFrame = field(repr=False)
    bases: dict = field(default_factory=dict, repr=False)
    aggregates: tuple[str, ...] = ()
    scored: int = 0
    """How many nodes were scored (``chokepoints`` holds the top ones)."""
    written: Path | None = None
    """Where every scored node's row was written (``output``), if it was."""

    def costliest(self) -> pd.DataFrame:
        """One row per country shown: its mean product loss, the hardest-hit product and its availability."""
        exp = self.exposure
        summary = exp.groupby("country", sort=False).agg(mean_loss=("mean_loss", "first"))
        worst = exp.sort_values(["availability", "product"]).groupby("country", sort=False).first()
        keep = [c for c in ("product", "availability", "availability_low", "availability_high") if c in worst.columns]
        return summary.join(worst[keep]).reset_index()

    def to_dict(self) -> dict:
        return {
            "graph": self.graph,
            "chokepoints": records(self.chokepoints),
            "target": records(self.target),
            "exposure": records(self.exposure[[c for c in ("country", "product", "availability", "availability_low",
                                                           "availability_high") if c in self.exposure.columns]]),
            "bases": {basis: list(items) for basis, items in self.bases.items()},
            "notes": list(self.chokepoints.attrs.get("notes", ())),
        }


def analyse(graph, *, top: int = 10, threshold: float = DEFAULT_THRESHOLD, countries: int = 5, output=None,
            force: bool = False) -> Analysis:
    """Top chokepoints with why, target results (all tested items) and the costliest country cutoffs.

    With ``output`` (a ``.parquet`` or ``.csv`` path, checked before the work) the chokepoint table of
    every scored node, not only the ``top``, is written there.
    """
    if output is not None:
        check_table_output(output, force=force)
    g = as_graph(graph)
    # every node is scored whatever the top; the country sweep comes from the same engine passes
    everything, swept = _chokepoints_and_sweep(g, top=None)
    written = write_table(everything, output, force=force) if output is not None else None
    choke = everything.head(top) if top else everything
    choke.attrs["notes"] = list(everything.attrs.get("notes", ()))
    tgt = _target(g, threshold=threshold)
    if tgt.empty:
        tgt = _target(g, threshold=threshold, all_items=True)
    exp = _exposure(g, swept, top=countries)
    return Analysis(g.name, g.title, choke, tgt, exp, g.bases(), g.aggregates, len(everything), written)
