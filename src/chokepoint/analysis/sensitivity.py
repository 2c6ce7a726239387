"""Which estimate matters: product availability with each estimated share at either end of its range.

Under one cutoff, every share that is a range (a level word stands for one; an ``estimated`` edge
written as a range) is set to its low end and then to its high end, one share at a time, all the
others staying at their point values. The item's shares are scaled down when they then sum past 1
(as the point values are) and its unnamed remainder is ``max(0, 1 - sum)``, the engine's rule for
overridden shares. For each (share, product) pair the result gives the product's availability at
both ends and the swing ``|high - low|``; the pairs are ranked by swing.

All the scenarios (the point values, then two per share) are evaluated in one call of the engine
(:func:`chokepoint.engine.evaluate`), one column each, the columns built chunk by chunk. An
estimated share written as a single number has no range to vary: it is listed in ``fixed``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..engine import compile_graph, evaluate
from ..errors import InputError
from ..model import Graph, country_name
from .evidence import evidence_of, is_estimate
from .explain import check_node

DEFAULT_TOP = 10
#: A swing smaller than this is no swing.
EPS = 1e-12
COLUMNS = ["from", "to", "share", "low", "high", "evidence", "fact", "product", "baseline", "at_low", "at_high",
           "swing"]


@dataclass(frozen=True)
class Sensitivity:
    """Availability swings of the products under one cutoff, one estimated share at a time.

    ``frame`` has one row per (varied share, product), most swing first (ties by share, then
    product): the share as written with its ``low``/``high`` ends, its ``evidence`` and ``fact``,
    the product's availability at the point values (``baseline``), with the share at its low end
    (``at_low``) and at its high end (``at_high``), and ``swing = |at_high - at_low|``.
    """

    graph: str
    countries: tuple[str, ...]
    blocs: tuple[str, ...]
    absent: tuple[str, ...]
    products: tuple[str, ...]
    frame: pd.DataFrame = field(repr=False)
    varied: int = 0
    """How many estimated shares (upstream of the products) were varied."""
    fixed: tuple[str, ...] = ()
    """Estimated shares written as one number (``from -> to``): no range to vary."""
    top: int = DEFAULT_TOP
    baseline: dict = field(default_factory=dict, repr=False)

    @property
    def ranking(self) -> pd.DataFrame:
        """The ``top`` rows that swing at all."""
        return self.frame[self.frame["swing"] > EPS].head(self.top).reset_index(drop=True)

    @property
    def note(self) -> str:
        return "; ".join(f"no supply edges from {c} ({country_name(c)})" for c in self.absent)

    def to_dict(self) -> dict:
        rows = []
        for row in self.ranking.to_dict(orient="records"):
            rows.append({key: (value.item() if hasattr(value, "item") else value) for key, value in row.items()})
        return {"graph": self.graph,
                "scenario": {"countries": list(self.countries), "blocs": list(self.blocs), "absent": list(self.absent),
                             "note": self.note},
                "products": list(self.products), "baseline": dict(self.baseline), "varied": self.varied,
                "fixed_estimates": list(self.fixed), "top": self.top, "swings": rows}


def sensitivity(graph: Graph, countries: tuple[str, ...], *, blocs: tuple[str, ...] = (), products=(),
                top: int = DEFAULT_TOP) -> Sensitivity:
    """Swing of each product's availability, with ``countries`` cut off, as each ranged share goes
    from its low end to its high end (the others at their point values).

    ``countries`` are alpha-2 codes (blocs already expanded; ``blocs`` only names them);
    ``products`` restricts the products (any node ids; by default the graph's products).
    """
    if not countries:
        raise InputError("name at least one country (--country) or bloc (--bloc) to cut off")
    if top < 1:
        raise InputError(f"--top {top} must be at least 1")
    chosen = tuple(dict.fromkeys(check_node(graph, p) for p in products)) or tuple(graph.products)
    present = set(graph.countries)
    absent = tuple(c for c in countries if c not in present)
    compiled = compile_graph(graph)
    keys = compiled.supply_keys()
    edges = {e.key: e for e in graph.document.edges if e.type == "supplies"}
    upstream = graph.upstream(chosen)
    low, high = compiled.sup_low, compiled.sup_high
    varied = [j for j, (src, item) in enumerate(keys) if high[j] > low[j] and item in upstream]
    fixed = tuple(f"{src} -> {item}" for j, (src, item) in enumerate(keys)
                  if item in upstream and high[j] <= low[j] and is_estimate(edges[(src, item)]))
    owner = np.repeat(np.arange(compiled.n_nodes), np.diff(compiled.sup_ptr))
    point = (low + high) / 2.0

    def column(j: int, end: float) -> np.ndarray:
        """The point shares with edge ``j`` at ``end``; its item scaled down when it sums past 1."""
        col = compiled.sup_share.copy()
        row = owner[j]
        start, stop = int(compiled.sup_ptr[row]), int(compiled.sup_ptr[row + 1])
        raw = point[start:stop].copy()
        raw[j - start] = end
        total = math.fsum(raw.tolist())
        col[start:stop] = raw * (1.0 / total) if total > 1.0 else raw
        return col

    def block(start: int, stop: int) -> np.ndarray:
        out = np.empty((len(keys), stop - start))
        for c in range(start, stop):
            if c == 0:
                out[:, c - start] = compiled.sup_share
            else:
                j = varied[(c - 1) // 2]
                out[:, c - start] = column(j, low[j] if (c - 1) % 2 == 0 else high[j])
        return out

    count = 1 + 2 * len(varied)
    values = evaluate(compiled, [list(countries)] * count, shares=block, rows=list(chosen))
    baseline = dict(zip(chosen, values[:, 0].tolist()))
    rows = []
    for k, j in enumerate(varied):
        edge = edges[keys[j]]
        at_low, at_high = values[:, 1 + 2 * k], values[:, 2 + 2 * k]
        for p, product in enumerate(chosen):
            rows.append({"from": edge.from_, "to": edge.to, "share": str(edge.share), "low": float(low[j]),
                         "high": float(high[j]), "evidence": evidence_of(edge), "fact": edge.fact or "",
                         "product": product, "baseline": baseline[product], "at_low": float(at_low[p]),
                         "at_high": float(at_high[p]), "swing": abs(float(at_high[p]) - float(at_low[p]))})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    order = frame.assign(_swing=frame["swing"].round(12)).sort_values(
        ["_swing", "from", "to", "product"], ascending=[False, True, True, True], kind="mergesort").index
    frame = frame.loc[order].reset_index(drop=True)
    return Sensitivity(graph.name, tuple(countries), tuple(blocs), absent, chosen, frame, len(varied), fixed, top,
                       baseline)
