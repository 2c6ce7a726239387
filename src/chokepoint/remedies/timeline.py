"""Timeline of a cutoff in months: when each product runs short, for how long, and by how much.

The model (DESIGN.md, "Remedies"):

- A cutoff of countries C starts at month 0 and lasts ``D`` months; after that supply is back.
- Every node delivers a fraction ``u(t)`` of its normal supply at month ``t``. A country delivers
  0 while cut, 1 otherwise; a facility what its country delivers (min with its inputs).
- An item's **own supply** at month ``t`` is the shares of its suppliers times what they deliver,
  plus the unattributed remainder (which survives), grown by spare capacity ``r`` and capped at 1:
  ``min(1, (sum share_s * u_s(t) + remainder) * (1 + r) + replacement(t))``.
- **Replacement** (``ramp`` R): new supply for the item's own lost share ``a`` grows linearly and
  covers it after R months: ``replacement(t) = min(a * t / R, M)``, where the ramp share M caps it
  (default: ``a``, the whole loss). ``a`` is the item's own supply loss in the cutoff's steady
  state, after spare capacity: ``a = 1 - min(1, (sum share_s * A_s + remainder) * (1 + r))`` with
  ``A_s`` the suppliers' availability from the reference propagation. An item short only because
  an input is short has ``a = 0``: its replacement happens upstream, at the item that lost a
  supplier (replacing at both would count the new supply twice). Without ``ramp`` nothing is
  replaced.
- **Production** ``p(t)`` is the own supply, min with the inputs' deliveries (min over inputs for
  ``needs: all``, max for ``needs: any``), clipped to [0, 1].
- **Stockpile** S months of consumption (``stockpile_months`` on the node, or the ``stockpile``
  argument): while stock is left the node delivers 1 and draws the gap ``1 - p(t)`` from it; once
  it is spent the node delivers ``p(t)``. (No rationing: the stock fills the whole gap until it is
  gone. :mod:`chokepoint.remedies.plan` counts stock released evenly over the cutoff instead; both
  draw the same total.) There is no demand feedback: a holder fills its own gap even when another
  input already limits its consumers, so where a consumer is held back by a second input the
  stock is spent faster than it could be used (pessimistic for stocks upstream of such a node;
  a stock at the product itself is not affected).
- Consumers see the delivered fraction, so products follow their inputs month by month.

Reported for every product and every stockpiled node, in months:

- ``months_to_shortage``: first month with delivery below 1 (``None``: no shortage);
- ``shortage_months``: how long delivery is below 1;
- ``unmet_months``: unmet demand, the integral of ``1 - u(t)`` (months of supply);
- ``buffer_needed_months``: the stockpile at this node that would have prevented any shortage,
  given the stockpiles upstream: the integral of ``1 - p(t)``.

Closed forms. One item losing ``a`` of its supply with S months in stock, no ramp: shortage after
``S / a`` months, lasting ``D - S / a``; unmet ``a * D - S``; buffer needed ``a * D``. With a ramp
of R months (replacement covering the loss), the cumulative gap is ``G(t) = a t - a t^2 / (2R)``
up to R and ``a R / 2`` after; the stock runs out where ``G(t) = S``; buffer needed ``G(D)``
(:func:`closed_form`). For whole graphs every delivery is piecewise linear in ``t`` (constants,
ramps, weighted sums, min, max and stock draw-down), so the same quantities are computed exactly
from the breakpoints (``method="exact"``). Where a cycle lies upstream of a reported node the
month-by-month run is used instead (``method="numeric"``, accurate to about one ``step``).

The month-by-month ``series`` is a numeric run with time step ``step``: each step's flows are
held at their mid-step values and each node's stock covers what it can of the step's gap; the
value reported for a step is the node's average delivery over it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..model import country_name
from ..errors import InputError
from ..model import Graph
from ..formats.graphs import load_graph
from ..engine import compile_graph, evaluate
from ..engine.settle import MAX_ITERATIONS, TOLERANCE
from ..analysis.scenarios import check_spare_capacity, resolve_countries
from . import _piecewise as pw

TABLE_COLUMNS = ["id", "label", "kind", "role", "stockpile_months", "supply_loss", "lowest_availability",
                 "average_availability", "months_to_shortage", "shortage_months", "unmet_months",
                 "buffer_needed_months", "stock_runs_out"]
#: Longest cutoff accepted (months) and most time steps in one run.
MAX_DURATION = 1200.0
MAX_STEPS = 200_000


@dataclass(frozen=True)
class TimelineResult:
    """A cutoff over time: the ``table`` (one row per product and stockpiled node) and the
    month-by-month ``series`` (long frame: ``month``, ``id``, ``availability``)."""

    graph: str
    countries: tuple[str, ...]
    blocs: tuple[str, ...]
    duration: float
    spare_capacity: float
    ramp: float | None
    ramp_share: float | None
    step: float
    method: str
    table: pd.DataFrame = field(repr=False)
    series: pd.DataFrame = field(repr=False)
    absent: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def row(self, ident: str) -> dict:
        """The table row of one node as a dict."""
        rows = self.table[self.table["id"] == ident]
        if rows.empty:
            raise KeyError(ident)
        return _clean(rows.iloc[0].to_dict())

    def to_dict(self) -> dict:
        months = sorted(set(self.series["month"].tolist()))
        series = {ident: [json_number(v) for v in group.sort_values("month")["availability"]]
                  for ident, group in self.series.groupby("id", sort=False)}
        return {
            "scenario": {"graph": self.graph, "countries": list(self.countries), "blocs": list(self.blocs),
                         "duration": self.duration, "spare_capacity": self.spare_capacity, "ramp": self.ramp,
                         "ramp_share": self.ramp_share, "step": self.step, "method": self.method,
                         "absent": list(self.absent), "notes": list(self.notes)},
            "table": [_clean(r) for r in self.table.to_dict(orient="records")],
            "series": {"months": [json_number(m) for m in months], "availability": series},
        }


def json_number(value):
    """A value for JSON: numpy scalars as Python numbers, NaN and infinities as None."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


def _clean(row: dict) -> dict:
    return {k: json_number(v) for k, v in row.items()}


# --- the closed form for one item ------------------------------------------------------------

def closed_form(loss: float, stock: float, duration: float, *, ramp: float | None = None,
                ramp_share: float | None = None) -> dict:
    """Timeline of one item losing ``loss`` of its supply, with ``stock`` months in store.

    ``G(t)``, the cumulative gap, is ``a t`` without a ramp; with a ramp of R months and the
    replacement capped at ``c = min(a, M)`` it is ``a t - a t^2 / (2R)`` up to the knee
    ``t_c = c R / a`` and grows by ``(a - c)`` a month after it. The stock runs out where
    ``G(t) = S``; the gap closes at R when ``c = a`` (never, before D, otherwise).
    """
    a, s, d = float(loss), float(stock), float(duration)
    if a <= 0.0:
        return {"months_to_shortage": None, "shortage_months": 0.0, "unmet_months": 0.0,
                "buffer_needed_months": 0.0}
    c = 0.0 if ramp is None else min(a, a if ramp_share is None else ramp_share)
    if ramp is None or c <= 0.0:
        knee, closes = 0.0, d

        def cumulative(t):
            return a * t
    elif ramp == 0.0:
        knee, closes = 0.0, (0.0 if c >= a else d)

        def cumulative(t):
            return (a - c) * t
    else:
        knee = c * ramp / a
        closes = min(ramp, d) if c >= a else d

        def cumulative(t):
            head = min(t, knee)
            return a * head - a * head * head / (2.0 * ramp) + (a - c) * max(0.0, t - knee)
    total = cumulative(d)
    if s >= total - 1e-15 or closes <= 0.0:
        return {"months_to_shortage": None, "shortage_months": 0.0, "unmet_months": 0.0,
                "buffer_needed_months": total}
    if ramp is None or ramp == 0.0 or c <= 0.0:
        start = s / (a - (0.0 if ramp is None or c <= 0.0 else c))
    elif s <= cumulative(min(knee, d)):
        start = ramp * (1.0 - math.sqrt(max(0.0, 1.0 - (2.0 * s / a) / ramp)))  # no a * ramp: it can underflow
    else:
        start = knee + (s - cumulative(knee)) / (a - c)
    return {"months_to_shortage": start, "shortage_months": max(0.0, closes - start),
            "unmet_months": total - s, "buffer_needed_months": total}


# --- set-up shared by the exact and the numeric run ------------------------------------------

@dataclass(frozen=True)
class _Setup:
    graph: Graph
    codes: frozenset
    duration: float
    spare: float
    ramp: float | None
    ramp_share: float | None
    stocks: dict
    losses: dict
    reported: tuple


def _check(name: str, value, *, low: float = 0.0, high: float = math.inf, above: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or value < low or value > high or (above and value <= low):
        bound = f"above {low:g}" if above else f"at least {low:g}"
        upper = f" and at most {high:g}" if high < math.inf else ""
        raise InputError(f"{name} {value:g} must be {bound}{upper}")
    return value


def _setup(graph, countries, blocs, duration, stockpile, ramp, ramp_share, spare_capacity):
    g = load_graph(graph)
    codes, names = resolve_countries((countries,) if isinstance(countries, str) else countries,
                                     (blocs,) if isinstance(blocs, str) else blocs)
    if not codes:
        raise InputError("name at least one country (--country) or bloc (--bloc) to cut off")
    d = _check("duration", duration, high=MAX_DURATION, above=True)
    spare = check_spare_capacity(spare_capacity)
    r = None if ramp is None else _check("ramp", ramp, high=MAX_DURATION)
    m = None if ramp_share is None else _check("ramp share", ramp_share, high=1.0)
    if m is not None and r is None:
        raise InputError("a ramp share (--ramp-share) caps the replacement ramp: give --ramp too")
    stocks = {n.id: float(n.stockpile_months) for n in g.document.nodes if n.stockpile_months}
    for ident, months in (stockpile or {}).items():
        node = g.nodes.get(ident)
        if node is None:
            raise InputError(f"stockpile: no node '{ident}' in graph '{g.name}'")
        if node.kind == "country":
            raise InputError(f"stockpile: '{ident}' is a country; stockpiles are held of items")
        stocks[ident] = _check(f"stockpile of '{ident}' (months)", months, high=1e6)
    stocks = {k: v for k, v in stocks.items() if v > 0.0}
    compiled = compile_graph(g)
    avail = compiled.to_dict(evaluate(compiled, [list(codes)], spare_capacity=spare)[:, 0])
    losses = {}
    for item, supplies in g.supplies.items():
        surviving = math.fsum([*(s.share * avail[s.supplier] for s in supplies), g.unknown_share(item)])
        losses[item] = max(0.0, 1.0 - min(1.0, surviving * (1.0 + spare)))
    reported = tuple(dict.fromkeys([*g.products, *(n.id for n in g.document.nodes if n.id in stocks)]))
    setup = _Setup(g, frozenset(codes), d, spare, r, m, stocks, losses, reported)
    return setup, codes, names


def _replacement_cap(setup: _Setup, item: str) -> float:
    a = setup.losses.get(item, 0.0)
    if setup.ramp is None or a <= 0.0:
        return 0.0
    return min(a, a if setup.ramp_share is None else setup.ramp_share)


def _replacement_at(setup: _Setup, item: str, t: float) -> float:
    cap = _replacement_cap(setup, item)
    if cap <= 0.0:
        return 0.0
    if setup.ramp == 0.0:
        return cap
    return min(setup.losses[item] * t / setup.ramp, cap)


# --- exact run -------------------------------------------------------------------------------

def _exact(setup: _Setup):
    """Delivered and produced functions of every node upstream of the reported ones, or ``None``
    when a cycle lies upstream (no closed form)."""
    g, d = setup.graph, setup.duration
    keep = g.upstream(setup.reported)
    order = [c for c in g.evaluation_order if c[0] in keep]
    for component in order:
        if len(component) > 1 or component[0] in g.inputs.get(component[0], ()):
            return None
    one = pw.Piecewise.const(1.0, d)
    zero = pw.Piecewise.const(0.0, d)
    delivered, produced, stock_out = {}, {}, {}
    for (ident,) in order:
        node = g.nodes[ident]
        if node.kind == "country":
            delivered[ident] = zero if ident in setup.codes else one
            continue
        if node.kind == "facility":
            own = delivered.get(node.country, zero if node.country in setup.codes else one)
        else:
            supplies = g.supplies.get(ident)
            if supplies:
                surviving = pw.combine([(s.share * (1.0 + setup.spare), delivered[s.supplier]) for s in supplies],
                                       g.unknown_share(ident) * (1.0 + setup.spare))
                cap = _replacement_cap(setup, ident)
                if cap > 0.0:
                    slope = math.inf if setup.ramp == 0.0 else setup.losses[ident] / setup.ramp
                    surviving = pw.combine([(1.0, surviving), (1.0, pw.Piecewise.ramp(slope, cap, d))])
                own = pw.minimum([surviving, one])
            else:
                own = one
        inputs = g.inputs.get(ident)
        if inputs:
            parts = [delivered[i] for i in inputs]
            combined = pw.maximum(parts) if node.needs == "any" else pw.minimum(parts)
            own = pw.minimum([own, combined])
        production = pw.clip01(own)
        produced[ident] = production
        delivered[ident], stock_out[ident] = pw.draw_down(production, setup.stocks.get(ident, 0.0))
    return delivered, produced, stock_out


# --- numeric run -----------------------------------------------------------------------------

def _numeric(setup: _Setup, step: float):
    """Month-by-month run: per node the delivered fraction of each step and the metrics."""
    g, d = setup.graph, setup.duration
    keep = g.upstream(setup.reported)
    order = [c for c in g.evaluation_order if c[0] in keep]
    count = max(1, math.ceil(d / step - 1e-9))
    starts = [k * step for k in range(count)]
    stock = {n: setup.stocks.get(n, 0.0) for n in keep}
    first = {n: None for n in setup.reported}
    short = {n: 0.0 for n in setup.reported}
    unmet = {n: 0.0 for n in setup.reported}
    buffer = {n: 0.0 for n in setup.reported}
    runs_out = {n: None for n in setup.reported}
    series = {n: np.empty(count) for n in setup.reported}
    for k, t0 in enumerate(starts):
        h = min(step, d - t0)
        mid = t0 + h / 2.0
        deliver, produce = {}, {}

        def update(ident):
            node = g.nodes[ident]
            if node.kind == "country":
                return 0.0 if ident in setup.codes else 1.0
            if node.kind == "facility":
                value = deliver.get(node.country, 0.0 if node.country in setup.codes else 1.0)
            else:
                supplies = g.supplies.get(ident)
                if supplies:
                    surviving = math.fsum([*(s.share * deliver[s.supplier] for s in supplies), g.unknown_share(ident)])
                    value = min(1.0, surviving * (1.0 + setup.spare) + _replacement_at(setup, ident, mid))
                else:
                    value = 1.0
            inputs = g.inputs.get(ident)
            if inputs:
                values = [deliver[i] for i in inputs]
                value = min(value, max(values) if node.needs == "any" else min(values))
            produce[ident] = min(1.0, max(0.0, value))
            return min(1.0, produce[ident] + stock[ident] / h)

        for component in order:
            for ident in component:
                deliver[ident] = 1.0
            if len(component) == 1 and component[0] not in g.inputs.get(component[0], ()):
                deliver[component[0]] = update(component[0])
                continue
            for _ in range(MAX_ITERATIONS):
                change = 0.0
                for ident in component:
                    new = update(ident)
                    change = max(change, abs(new - deliver[ident]))
                    deliver[ident] = new
                if change <= TOLERANCE:
                    break
        for ident in setup.reported:
            value, gap = deliver[ident], (1.0 - produce.get(ident, 1.0))
            series[ident][k] = value
            buffer[ident] += gap * h
            if value < 1.0 - pw.SHORT_EPS:
                covered = min(h, stock[ident] / gap) if gap > 0 else h
                if first[ident] is None:
                    first[ident] = t0 + covered
                short[ident] += h - covered
                unmet[ident] += (1.0 - value) * h
        for ident in keep:
            if ident in produce and stock[ident] > 0.0:
                gap = 1.0 - produce[ident]
                if gap * h >= stock[ident] and gap > 0.0:
                    if ident in runs_out and runs_out[ident] is None:
                        runs_out[ident] = t0 + stock[ident] / gap
                    stock[ident] = 0.0
                else:
                    stock[ident] -= gap * h
    metrics = {n: {"months_to_shortage": first[n], "shortage_months": short[n], "unmet_months": unmet[n],
                   "buffer_needed_months": buffer[n], "stock_runs_out": runs_out[n]} for n in setup.reported}
    return starts, series, metrics


def simulate(graph, *, countries=(), blocs=(), duration: float, stockpile: dict | None = None,
             ramp: float | None = None, ramp_share: float | None = None, spare_capacity: float = 0.0,
             step: float = 0.1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The month-by-month run alone: ``(metrics, series)``.

    ``metrics`` has one row per product and stockpiled node (``id``, ``months_to_shortage``,
    ``shortage_months``, ``unmet_months``, ``buffer_needed_months``, ``stock_runs_out``), computed
    from the steps (accurate to about one step); ``series`` is the long frame of
    :attr:`TimelineResult.series`. This is the check on the closed forms.
    """
    setup, _, _ = _setup(graph, countries, blocs, duration, stockpile, ramp, ramp_share, spare_capacity)
    step = _check_step(step, setup.duration)
    starts, series, metrics = _numeric(setup, step)
    frame = pd.DataFrame([{"id": n, **metrics[n]} for n in setup.reported],
                         columns=["id", "months_to_shortage", "shortage_months", "unmet_months",
                                  "buffer_needed_months", "stock_runs_out"])
    return frame, _series_frame(starts, series)


def _check_step(step, duration: float) -> float:
    h = _check("step", step, above=True)
    if duration / h > MAX_STEPS:
        raise InputError(f"step {h:g} cuts {duration:g} months into more than {MAX_STEPS:,} steps; use a coarser step")
    return h


def _series_frame(starts, series) -> pd.DataFrame:
    ids = list(series)
    return pd.DataFrame({
        "month": np.tile(np.asarray(starts, dtype=float), len(ids)),
        "id": np.repeat(np.array(ids, dtype=object), len(starts)),
        "availability": np.concatenate([series[i] for i in ids]) if ids else np.empty(0),
    }, columns=["month", "id", "availability"])


# --- the public entry point ------------------------------------------------------------------

def timeline(graph, *, countries=(), blocs=(), duration: float, stockpile: dict | None = None,
             ramp: float | None = None, ramp_share: float | None = None, spare_capacity: float = 0.0,
             step: float = 0.1) -> TimelineResult:
    """A cutoff of ``countries``/``blocs`` lasting ``duration`` months, month by month.

    Parameters
    ----------
    graph
        A :class:`~chokepoint.graph.Graph`, a bundled graph's name or a path.
    countries, blocs
        What is cut off (codes or names; bloc names such as ``"G7"``).
    duration
        Months the cutoff lasts (D).
    stockpile
        ``{node id: months}``: stockpiles overriding (or adding to) the nodes' ``stockpile_months``.
    ramp
        Months for replacement supply to cover each item's own lost share (linear ramp).
    ramp_share
        Cap on the replacement, as a share of the item's supply (needs ``ramp``).
    spare_capacity
        Surviving suppliers may grow by this fraction of their share (capped at 1).
    step
        Time step of the month-by-month ``series`` (months).

    Returns
    -------
    TimelineResult
        The table holds the closed-form (exact) figures; the series the numeric run.
    """
    setup, codes, names = _setup(graph, countries, blocs, duration, stockpile, ramp, ramp_share, spare_capacity)
    step = _check_step(step, setup.duration)
    g = setup.graph
    exact = _exact(setup)
    starts, series, numeric = _numeric(setup, step)
    notes = []
    rows = []
    for ident in setup.reported:
        node = g.nodes[ident]
        roles = [r for r, hit in (("product", ident in g.products), ("stockpile", ident in setup.stocks)) if hit]
        row = {"id": ident, "label": g.label(ident), "kind": node.kind, "role": ", ".join(roles),
               "stockpile_months": setup.stocks.get(ident, 0.0),
               "supply_loss": setup.losses.get(ident, float("nan"))}
        if exact is not None:
            delivered, produced, stock_out = exact
            first, months, unmet = pw.shortage(delivered[ident])
            row.update({
                "lowest_availability": delivered[ident].minimum(),
                "average_availability": 1.0 - unmet / setup.duration,
                "months_to_shortage": first, "shortage_months": months, "unmet_months": unmet,
                "buffer_needed_months": max(0.0, setup.duration - produced[ident].integral())
                if ident in produced else 0.0,
                "stock_runs_out": stock_out.get(ident),
            })
        else:
            m = numeric[ident]
            row.update({"lowest_availability": float(series[ident].min()),
                        "average_availability": 1.0 - m["unmet_months"] / setup.duration, **m})
        rows.append(row)
    if exact is None:
        notes.append(f"a cycle lies upstream of the reported nodes: figures come from the month-by-month run "
                     f"(step {step:g} months), not closed forms")
    if setup.ramp is not None and setup.ramp_share is not None:
        notes.append(f"replacement capped at {setup.ramp_share:g} of each item's supply")
    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    for column in ("months_to_shortage", "stock_runs_out"):
        table[column] = table[column].astype(float)
    table["_never"] = table["months_to_shortage"].isna()
    table = table.sort_values(["_never", "months_to_shortage", "unmet_months", "id"],
                              ascending=[True, True, False, True], kind="mergesort")
    table = table.drop(columns="_never").reset_index(drop=True)
    present = set(g.countries)
    absent = tuple(c for c in codes if c not in present)
    notes.extend(f"no supply edges from {c} ({country_name(c)})" for c in absent)
    return TimelineResult(g.name, codes, names, setup.duration, setup.spare, setup.ramp, setup.ramp_share, step,
                          "exact" if exact is not None else "numeric", table, _series_frame(starts, series),
                          absent, tuple(notes))
