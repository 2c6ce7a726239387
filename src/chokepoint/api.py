"""The Python API: the functions the CLI calls, with the same names and keywords."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .graph import Graph
from .io import bundled_names, load_graph


def _graph(graph) -> Graph:
    return graph if isinstance(graph, Graph) else load_graph(graph)


def list_graphs() -> pd.DataFrame:
    """The bundled graphs: name, title, nodes, edges, products."""
    rows = []
    for name in bundled_names():
        loaded = load_graph(name)
        rows.append({"name": name, "title": loaded.title, "nodes": len(loaded.nodes),
                     "edges": len(loaded.document.edges), "products": len(loaded.products)})
    return pd.DataFrame(rows, columns=["name", "title", "nodes", "edges", "products"])


def nodes_table(graph) -> pd.DataFrame:
    """One row per node: id, kind, label, stage, country, needs, critical_mineral, stockpile_months."""
    g = _graph(graph)
    rows = [{
        "id": n.id, "kind": n.kind, "label": g.label(n.id), "stage": n.stage or "",
        "country": n.country or "", "needs": n.needs if n.id in g.inputs else "",
        "critical_mineral": n.critical_mineral, "stockpile_months": n.stockpile_months,
    } for n in g.document.nodes]
    return pd.DataFrame(rows)


def edges_table(graph) -> pd.DataFrame:
    """One row per edge with the share as written, its range, and its citation."""
    g = _graph(graph)
    rows = []
    for e in g.document.edges:
        rows.append({
            "from": e.from_, "to": e.to, "type": e.type,
            "share": str(e.share) if e.share else "",
            "basis": e.basis or "", "year": e.year, "source": e.source or "",
            "fact": e.fact or "", "estimated": e.estimated,
        })
    frame = pd.DataFrame(rows, columns=["from", "to", "type", "share", "basis", "year", "source", "fact", "estimated"])
    frame["year"] = frame["year"].astype("Int64")
    return frame


def target(graph, *, threshold: float = 0.65, all_items: bool = False) -> pd.DataFrame:
    """The 65% target test per material and stage (see :func:`chokepoint.concentration.target`)."""
    from .concentration import target as _target

    return _target(_graph(graph), threshold=threshold, all_items=all_items)


def concentration(graph) -> pd.DataFrame:
    """Concentration of every supplied item (top country, top-3, HHI, unknown share)."""
    from .concentration import concentration as _concentration

    return _concentration(_graph(graph))


def cutoff(graph, *, countries=(), blocs=(), spare_capacity: float = 0.0):
    """Cut off countries and/or blocs (see :func:`chokepoint.scenarios.cutoff`)."""
    from .scenarios import cutoff as _cutoff

    if isinstance(countries, str):
        countries = (countries,)
    if isinstance(blocs, str):
        blocs = (blocs,)
    return _cutoff(_graph(graph), countries=countries, blocs=blocs, spare_capacity=spare_capacity)


def sweep(graph, *, pairs: bool = False, spare_capacity: float = 0.0, progress=None) -> pd.DataFrame:
    """Each country (and with ``pairs`` every pair) cut off in turn: long frame of availabilities."""
    from .scenarios import sweep as _sweep

    return _sweep(_graph(graph), pairs=pairs, spare_capacity=spare_capacity, progress=progress)


def find_chokepoints(graph, *, top: int | None = None) -> pd.DataFrame:
    """Non-country nodes ranked by knockout impact times exposure, with the reason in words."""
    from .chokepoints import find_chokepoints as _find

    return _find(_graph(graph), top=top)


@dataclass(frozen=True)
class Analysis:
    """What ``chokepoint analyse`` shows: chokepoints, target results and country exposure."""

    graph: str
    title: str
    chokepoints: pd.DataFrame = field(repr=False)
    target: pd.DataFrame = field(repr=False)
    exposure: pd.DataFrame = field(repr=False)
    warnings: tuple[str, ...] = ()
    bases: dict = field(default_factory=dict, repr=False)

    def to_dict(self) -> dict:
        return {
            "graph": self.graph,
            "chokepoints": records(self.chokepoints),
            "target": records(self.target),
            "exposure": records(self.exposure[["country", "product", "availability"]]),
            "bases": {basis: list(items) for basis, items in self.bases.items()},
        }


def analyse(graph, *, top: int = 10, threshold: float = 0.65, countries: int = 5) -> Analysis:
    """Top chokepoints with why, target results (all tested items) and the costliest country cutoffs."""
    from .scenarios import exposure

    g = _graph(graph)
    choke = find_chokepoints(g, top=top)
    tgt = target(g, threshold=threshold)
    if tgt.empty:
        tgt = target(g, threshold=threshold, all_items=True)
    exp = exposure(g, sweep(g), top=countries)
    return Analysis(g.name, g.title, choke, tgt, exp, g.warnings, g.bases())


def records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as JSON-safe dicts: NaN becomes None, numpy scalars become Python ones."""
    out = []
    for row in frame.to_dict(orient="records"):
        clean = {}
        for key, value in row.items():
            if hasattr(value, "item") and not isinstance(value, (list, tuple, str)):
                value = value.item()
            if isinstance(value, float) and value != value:
                value = None
            if value is pd.NA:
                value = None
            if isinstance(value, tuple):
                value = list(value)
            clean[key] = value
        out.append(clean)
    return out


def monte_carlo_cutoff(graph, *, countries=(), blocs=(), spare_capacity: float = 0.0, samples: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """A cutoff with intervals: each product's availability at the 5th/50th/95th percentile over
    ``samples`` seeded draws of the ranged shares (same seed, same result)."""
    from .montecarlo import monte_carlo_cutoff as _mc

    if isinstance(countries, str):
        countries = (countries,)
    if isinstance(blocs, str):
        blocs = (blocs,)
    return _mc(_graph(graph), countries=countries, blocs=blocs, spare_capacity=spare_capacity,
               samples=samples, seed=seed)


def monte_carlo_target(graph, *, threshold: float = 0.65, all_items: bool = False, samples: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """The target test with intervals on the top share and the share of draws that pass."""
    from .montecarlo import monte_carlo_target as _mc

    return _mc(_graph(graph), samples=samples, seed=seed, threshold=threshold, all_items=all_items)
