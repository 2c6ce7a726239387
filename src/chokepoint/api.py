"""The Python API: one function per CLI command, with the same names and keywords.

Each function takes a :class:`~chokepoint.model.Graph`, a bundled graph's name or a path, loads
and validates it once, and returns a result the CLI renders (a frozen object with ``to_dict()``,
or a DataFrame). Everything the CLI can ask for (Monte Carlo draws, Dask workers, strict
validation) is a keyword here, so that a command is one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import pandas as pd

from .analysis import columns as _columns
from .analysis import montecarlo as _montecarlo
from .analysis.chokepoints import chokepoints_and_sweep as _chokepoints_and_sweep
from .analysis.chokepoints import find_chokepoints as _find_chokepoints
from .analysis.concentration import concentration as _concentration, target as _target
from .analysis.distributed import sweep as _dask_sweep
from .analysis.explain import Explanation, check_node, explain as _explain
from .analysis.sensitivity import Sensitivity, sensitivity as _sensitivity
from .analysis.scenarios import (
    CutoffResult, check_spare_capacity, cutoff as _cutoff, exposure as _exposure, mean_loss, rank_scenarios,
    resolve_cut,
    sweep as _sweep, sweep_matrix,
)
from .errors import InputError, ValidationError
from .formats.facts import load_facts
from .formats.exchange import export_format, export_table, export_targets, to_export_digraph, write_export
from .formats.graphs import bundled_names, dump_document, load_graph
from .formats.results import check_table_output, write_table
from .generate import generate as _generate
from .importers import ImportResult, import_table, import_usgs
from .model import DEFAULT_THRESHOLD, Graph
from .remedies import PlanResult, TimelineResult, plan as _plan, timeline as _timeline, write_plan

__all__ = [
    "Analysis", "CutoffResult", "GraphView", "ImportResult", "SweepResult", "Validation",
    "analyse", "concentration", "cutoff", "edges_table", "export_digraph", "export_graph", "find_chokepoints", "generate",
    "import_table", "import_usgs", "list_graphs", "load_graph", "nodes_table", "plan", "records", "show", "sweep",
    "target", "timeline", "validate", "monte_carlo_cutoff", "monte_carlo_target",
    "import_table", "import_usgs", "list_graphs", "load_graph", "nodes_table", "records", "show", "sweep",
    "target", "validate", "monte_carlo_cutoff", "monte_carlo_target",
    "Explanation", "Sensitivity", "explain", "sensitivity",
    "cutoff_table", "iter_records", "write_table",
]


def _graph(graph) -> Graph:
    return graph if isinstance(graph, Graph) else load_graph(graph)


def list_graphs() -> pd.DataFrame:
    """The bundled graphs: name, title, nodes, edges, products."""
    rows = []
    for name in bundled_names():
        loaded = load_graph(name)
        rows.append({"name": name, "title": loaded.title, "nodes": len(loaded.nodes),
                     "edges": loaded.n_edges, "products": len(loaded.products)})
    return pd.DataFrame(rows, columns=["name", "title", "nodes", "edges", "products"])


# --- the graph itself -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Validation:
    """A graph that validated: its size and its warnings."""

    graph: Graph

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.graph.warnings

    def to_dict(self) -> dict:
        return {"graph": self.graph.origin, "valid": True, "nodes": self.graph.n_nodes,
                "edges": self.graph.n_edges, "warnings": list(self.warnings)}


def validate(graph, *, strict: bool = False) -> Validation:
    """Load and validate a graph; with ``strict`` its warnings are errors (raised as one
    :class:`~chokepoint.errors.ValidationError` listing them all)."""
    g = _graph(graph)
    if strict and g.warnings:
        count = len(g.warnings)
        raise ValidationError([*g.warnings, f"{g.origin}: {count} warning{'s' if count != 1 else ''} with --strict"])
    return Validation(g)


@dataclass(frozen=True)
class GraphView:
    """What ``chokepoint show`` shows: the validated graph as tables, or as the document's JSON."""

    graph: Graph

    @cached_property
    def nodes(self) -> pd.DataFrame:
        return nodes_table(self.graph)

    @cached_property
    def edges(self) -> pd.DataFrame:
        return edges_table(self.graph)

    def json_text(self) -> str:
        """The whole resolved document as JSON, with the file format's field names."""
        return dump_document(self.graph, "json")


def show(graph) -> GraphView:
    """The validated graph: nodes and edges as tables (built when asked for), or the document."""
    return GraphView(_graph(graph))


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


# --- concentration and the target ------------------------------------------------------------------

def target(graph, *, threshold: float = DEFAULT_THRESHOLD, all_items: bool = False, samples: int = 0,
           seed: int = 0) -> pd.DataFrame:
    """The 65% target test per material and stage (see :func:`chokepoint.analysis.concentration.target`).

    With ``samples`` Monte Carlo draws of the ranged shares, each row also has the top share's
    ``top_share_p5``/``top_share_p95`` and ``pass_rate``, the share of draws that pass.
    """
    g = _graph(graph)
    frame = _target(g, threshold=threshold, all_items=all_items)
    if samples:
        mc = _montecarlo.monte_carlo_target(g, threshold=threshold, all_items=all_items, samples=samples, seed=seed)
        mc = mc.set_index("id")[["p5", "p95", "pass_rate"]].rename(columns={"p5": "top_share_p5",
                                                                           "p95": "top_share_p95"})
        frame = frame.join(mc, on="id")
    return frame


def concentration(graph) -> pd.DataFrame:
    """Concentration of every supplied item (top country, top-3, HHI, unknown share)."""
    return _concentration(_graph(graph))


# --- cutoffs and sweeps ------------------------------------------------------------------------------

def cutoff(graph, *, countries=(), blocs=(), spare_capacity: float = 0.0, samples: int = 0,
           seed: int = 0, output=None, force: bool = False) -> CutoffResult:
    """Cut off countries and/or blocs (see :func:`chokepoint.analysis.scenarios.cutoff`).

    With ``samples``, each product also gets the 5th/50th/95th percentile of its availability over
    that many seeded draws of the ranged shares (same seed, same result). With ``output`` (a
    ``.parquet`` or ``.csv`` path, checked before the work), :func:`cutoff_table` is written there.
    """
    if output is not None:
        check_table_output(output, force=force)
    g = _graph(graph)
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
    g = _graph(graph)
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
    return _montecarlo.monte_carlo_cutoff(_graph(graph), countries=countries, blocs=blocs,
                                          spare_capacity=spare_capacity, samples=samples, seed=seed)


def monte_carlo_target(graph, *, threshold: float = DEFAULT_THRESHOLD, all_items: bool = False, samples: int = 1000,
                       seed: int = 0) -> pd.DataFrame:
    """The target test with intervals on the top share and the share of draws that pass."""
    return _montecarlo.monte_carlo_target(_graph(graph), samples=samples, seed=seed, threshold=threshold,
                                          all_items=all_items)


# --- chokepoints and the one-screen analysis ------------------------------------------------------------

def find_chokepoints(graph, *, top: int | None = None) -> pd.DataFrame:
    """Non-country nodes ranked by knockout impact times exposure, with the reason in words."""
    return _find_chokepoints(_graph(graph), top=top)


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
    g = _graph(graph)
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


# --- remedies --------------------------------------------------------------------------------------------

def timeline(graph, *, countries=(), blocs=(), duration: float, stockpile: dict | None = None,
             ramp: float | None = None, ramp_share: float | None = None, spare_capacity: float = 0.0,
             step: float = 0.1) -> TimelineResult:
    """How long a cutoff hurts, month by month: see :func:`chokepoint.remedies.timeline.timeline`."""
    return _timeline(_graph(graph), countries=countries, blocs=blocs, duration=duration, stockpile=stockpile,
                     ramp=ramp, ramp_share=ramp_share, spare_capacity=spare_capacity, step=step)


def plan(graph, *, target: float | None = None, keep: float | None = None, against="single", allies=None,
         duration: float = 12.0, costs=None, budget: float | None = None, products=None, all_items: bool = False,
         max_stockpile: float | None = None, write=None, force: bool = False) -> PlanResult:
    """The cheapest new capacity and stockpiles that meet the target and survive the cutoffs, as a
    linear programme (see :func:`chokepoint.remedies.plan.plan`); with ``write``, the graph with the
    plan applied is written there too."""
    g = _graph(graph)
    result = _plan(g, target=target, keep=keep, against=against, allies=allies, duration=duration, costs=costs,
                   budget=budget, products=products, all_items=all_items, max_stockpile=max_stockpile)
    if write is not None:
        write_plan(g, result, write, force=force)
    return result


# --- files out -------------------------------------------------------------------------------------------

def export_graph(graph, path, *, format: str | None = None, with_cutoff=(), blocs=(), analysis: bool = True,
                 force: bool = False) -> list[Path]:
    """Write ``graph`` as GraphML, GEXF, CSV (nodes.csv + edges.csv) or node-link JSON.

    Parameters
    ----------
    graph
        A :class:`~chokepoint.model.Graph`, a bundled graph's name or a path.
    path
        The file to write; for CSV a folder (created) or a ``PREFIX.csv``.
    format
        ``graphml``, ``gexf``, ``csv`` or ``json``; by default from the suffix.
    with_cutoff, blocs
        Add ``availability``/``loss`` under this cutoff (countries and blocs together).
    analysis
        Add concentration, target status and chokepoint scores.
    force
        Overwrite files chokepoint did not write (ours are always replaced).

    Returns the paths written. Each file is written in one streaming pass from the graph's columns,
    whole or not at all (temporary file and rename).
    """
    fmt = export_format(path, format)
    export_targets(path, fmt, force=force)  # refused before anything is computed
    g = _graph(graph)
    columns, scenario = _columns.node_columns(g, with_cutoff=with_cutoff, blocs=blocs, analysis=analysis)
    return write_export(export_table(g, columns, scenario), path, fmt, force=force)


def export_digraph(graph, *, with_cutoff=(), blocs=(), analysis: bool = True):
    """The clean networkx DiGraph every export format is written from: the document's fields, the
    analysis columns (with ``analysis``), availability under a cutoff (``with_cutoff``/``blocs``)
    and the visual attributes Gephi reads. See :func:`chokepoint.formats.exchange.to_export_digraph`."""
    g = _graph(graph)
    columns, scenario = _columns.node_columns(g, with_cutoff=with_cutoff, blocs=blocs, analysis=analysis)
    return to_export_digraph(g, columns, scenario)


@dataclass(frozen=True)
class GeneratedFile:
    """What :func:`generate` wrote."""

    path: Path
    name: str
    nodes: int
    edges: int
    seed: int

    def to_dict(self) -> dict:
        return {"output": str(self.path), "name": self.name, "nodes": self.nodes, "edges": self.edges,
                "seed": self.seed}


def generate(nodes: int, edges: int, *, seed: int = 0, countries: int = 200, cycles: int | None = None,
             output, force: bool = False) -> GeneratedFile:
    """Write a seeded synthetic layered supply graph (see :mod:`chokepoint.generate`) to ``output``."""
    if seed < 0:
        raise InputError(f"--seed {seed} must be an integer >= 0")
    if countries < 1:
        raise InputError(f"--countries {countries} must be at least 1")
    if cycles is not None and cycles < 0:
        raise InputError(f"--cycles {cycles} must be 0 or more")
    try:
        made = _generate(nodes, edges, seed, countries=countries, cycles=cycles)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    path = made.write(output, force=force)
    return GeneratedFile(path, made.name, made.n_nodes, made.n_edges, seed)


def iter_records(frame: pd.DataFrame, size: int = 10_000):
    """:func:`records` in lists of at most ``size`` rows, read column by column (a large frame's
    rows are made a block at a time, not all at once)."""
    columns = [str(c) for c in frame.columns]
    for start in range(0, len(frame), size):
        block = frame.iloc[start:start + size]
        values = [_json_column(block[c]) for c in frame.columns]
        yield [dict(zip(columns, row)) for row in zip(*values)]


def _json_column(column: pd.Series) -> list:
    """A column as JSON-safe Python values, as :func:`records` makes them (NaN and NA -> None)."""
    kind = column.dtype
    if pd.api.types.is_float_dtype(kind) and kind != object:
        return [None if v != v else v for v in column.tolist()]
    if (pd.api.types.is_bool_dtype(kind) or pd.api.types.is_integer_dtype(kind)) and not column.hasnans:
        return column.tolist()
    return [_json_value(v) for v in column.tolist()]


def _json_value(value):
    """One cell as :func:`records` makes it."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, str)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NA:
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def records(frame: pd.DataFrame) -> list[dict]:
    """DataFrame rows as JSON-safe dicts: NaN becomes None, numpy scalars become Python ones."""
    return [{key: _json_value(value) for key, value in row.items()} for row in frame.to_dict(orient="records")]


# --- evidence: what a node rests on, and which estimate matters ----------------------------------------

def explain(graph, node: str, *, countries=(), blocs=()) -> Explanation:
    """The evidence behind ``node`` (see :func:`chokepoint.analysis.explain.explain`).

    For each supplies edge into it: the share as written, its range, ``reported``/``estimated``,
    basis, year, source title and the cited fact's row of ``graphs/facts.csv`` (report, item,
    statement, seed file and line); for each requires edge: its note. With ``countries``/``blocs``,
    also the chain that explains the node's loss under that cutoff, with the assumptions on it.
    """
    g = _graph(graph)
    check_node(g, node)
    facts = load_facts()
    if not (countries or blocs):
        return _explain(g, node, facts)
    result = cutoff(g, countries=countries, blocs=blocs)
    avail = dict(zip(result.nodes["id"], result.nodes["availability"].astype(float)))
    return _explain(g, node, facts, avail=avail, countries=result.countries, blocs=result.blocs)


def sensitivity(graph, *, countries=(), blocs=(), products=(), top: int = 10) -> Sensitivity:
    """Rank the products' availability swings, under a cutoff, as each estimated share goes from
    the low to the high end of its range (see :func:`chokepoint.analysis.sensitivity.sensitivity`)."""
    g = _graph(graph)
    cut = resolve_cut(countries, blocs)
    return _sensitivity(g, cut.codes, blocs=cut.blocs, products=tuple(products or ()), top=top)
