"""Plan: the cheapest new capacity and stockpiles that meet the 65% target and keep products
available through cutoffs, as a linear programme (scipy HiGHS).

Decision variables
    ``x[i, c] >= 0``: new capacity of item ``i`` in country ``c``, as a share of today's supply of
    ``i`` (0.4 = 40% of what the world makes today); ``s[i] >= 0``: months of consumption of item
    ``i`` held in stock. Countries allowed for new capacity: ``allies`` (codes, names or blocs),
    by default every country in the graph.

Objective
    Minimise ``sum capacity_cost[i, c] * x[i, c] + sum stockpile_cost[i] * s[i]`` (default 1 per
    unit of capacity and 1 per stockpile month; a costs table overrides). With ``budget`` B:
    maximise the worst availability of the kept products across the cutoffs at cost <= B (then,
    at that availability, the least cost).

Target (``target`` T)
    Every tested item whose status is ``fail`` must pass the T test at point values once the new
    capacity counts in its total supply: for every country c, ``(share_c + x[i, c]) / (1 + X_i) <= T``
    with ``X_i = sum_c x[i, c]`` (linear: ``share_c + x[i, c] <= T (1 + X_i)``). Alone, this needs
    ``X_i = top / T - 1`` outside the top country. ``undetermined`` items (a range straddles T)
    and tested items without supply data are listed as needing data, not capacity. Tested items
    are the critical minerals, or every supplied item with ``all_items`` or when the graph marks
    no critical minerals (as ``chokepoint analyse`` does).

Availability under a cutoff (``keep`` K)
    For each cutoff in ``against`` and each kept product, availability >= K, where (DESIGN.md)
    an item's availability is its surviving supply plus new capacity outside the cut countries
    plus stockpile months over the cutoff's ``duration``, capped at 1, and products follow their
    inputs (min for ``needs: all``, max for ``any``)::

        avail_i = min(1, min(own_i, inputs_i) + (S0_i + s_i) / D)
        own_i   = sum_s share_s * avail_s + remainder + sum_{c not cut} x[i, c]   (1 with no suppliers)
        inputs_i = min_j avail_j (all) | max_j avail_j (any)                     (1 with no inputs)

    ``S0_i`` is the node's ``stockpile_months`` today. A stock is counted as released evenly over
    the cutoff (rationed), so ``s / D`` tops up every month; :func:`~chokepoint.remedies.timeline.timeline`
    lets a stock fill the whole gap until spent instead; both draw the same total. New capacity
    counts against today's demand (0.4 new capacity restores 0.4 of the item), while the target
    test counts it in a larger total supply: the two constraints use the two readings DESIGN.md
    gives them.

    In the LP every node gets an availability variable per cutoff bounded above by each term of
    its formula (``y_i <= 1``, ``y_i <= own_i + stock_i / D``, ``y_i <= y_j + stock_i / D`` for
    every input j of an ``all`` node). Availability is the largest fixed point of a monotone map,
    so a product can be held at K exactly when some such y has ``y_P >= K``; cycles need no
    special case. A ``needs: any`` node is held by its best input, a choice: one binary per
    (cutoff, any-node, input) picks the input that carries it (``y_i <= y_j + stock_i / D +
    (1 - z_ij)``, one z per node and cutoff), solved with ``scipy.optimize.milp``. Shadow prices
    then come from the LP with those choices fixed (they are prices given the choices).

Output
    ``status`` (optimal / infeasible), ``cost``, ``actions`` (item, country, new capacity,
    stockpile months, cost), ``binding`` constraints with shadow prices (HiGHS marginals, in
    cost saved per unit of relaxation of each bound: K lower, T higher, B higher; under a budget,
    worst availability gained), the availability of each kept product before and after, and
    when infeasible the ``conflicts``: the user constraints an elastic version of the programme
    (each target, keep and budget row may be violated at a price of 1 per unit; the least total
    violation is found) cannot meet, with their smallest violations.

:func:`write_plan` writes the graph with the plan applied (see its docstring for the encoding)
and :func:`plan_availability` evaluates availability as above, independently of the LP, on any
graph including a written plan.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import sparse

from ..analysis.concentration import country_shares
from ..analysis.concentration import target as target_table
from ..model import resolve_bloc, resolve_country
from ..errors import InputError, UnknownCountryError, ValidationError
from ..model import Graph, parse_document
from ..formats.graphs import GRAPH_SUFFIXES, load_graph, save_graph
from ..model.document import NAME_PATTERN
from ..model.schema import ITEM_KINDS
from ..engine.settle import MAX_ITERATIONS, TOLERANCE, warn_not_settled
from .timeline import json_number

#: Values below this are treated as zero in actions.
ZERO = 1e-9
#: Slack below which a constraint is binding.
BINDING = 1e-7
#: Prefix of the notes that mark what a written plan added.
PLANNED = "planned:"
HIGHS_OPTIONS = {"primal_feasibility_tolerance": 1e-10, "dual_feasibility_tolerance": 1e-10}

ACTION_COLUMNS = ["item", "label", "country", "new_capacity", "stockpile_months", "cost"]
BINDING_COLUMNS = ["constraint", "kind", "item", "scenario", "value", "bound", "shadow_price"]
CONFLICT_COLUMNS = ["constraint", "kind", "item", "scenario", "violation"]
DATA_COLUMNS = ["item", "label", "status", "top_country", "top_share_low", "top_share_high"]
AVAILABILITY_COLUMNS = ["scenario", "product", "before", "after"]


@dataclass(frozen=True)
class PlanResult:
    """The plan: status, cost, actions and the constraints that shape it."""

    graph: str
    status: str
    objective: str
    cost: float | None
    worst_availability: float | None
    target: float | None
    keep: float | None
    budget: float | None
    duration: float
    scenarios: tuple[str, ...]
    allies: tuple[str, ...]
    products: tuple[str, ...]
    method: str
    actions: pd.DataFrame = field(repr=False)
    binding: pd.DataFrame = field(repr=False)
    conflicts: pd.DataFrame = field(repr=False)
    needs_data: pd.DataFrame = field(repr=False)
    availability: pd.DataFrame = field(repr=False)
    notes: tuple[str, ...] = ()

    @property
    def capacity(self) -> dict[tuple[str, str], float]:
        """``{(item, country): new capacity}`` (shares of today's supply of the item)."""
        rows = self.actions[self.actions["new_capacity"] > 0]
        return {(r.item, r.country): float(r.new_capacity) for r in rows.itertuples()}

    @property
    def stockpiles(self) -> dict[str, float]:
        """``{item: stockpile months}`` added by the plan."""
        rows = self.actions[self.actions["stockpile_months"] > 0]
        return {r.item: float(r.stockpile_months) for r in rows.itertuples()}

    def to_dict(self) -> dict:
        return {
            "graph": self.graph, "status": self.status, "objective": self.objective,
            "cost": json_number(self.cost), "worst_availability": json_number(self.worst_availability),
            "constraints": {"target": self.target, "keep": self.keep, "budget": self.budget,
                            "duration": self.duration, "against": list(self.scenarios),
                            "allies": list(self.allies), "products": list(self.products)},
            "method": self.method,
            "actions": _records(self.actions), "binding": _records(self.binding),
            "conflicts": _records(self.conflicts), "needs_data": _records(self.needs_data),
            "availability": _records(self.availability), "notes": list(self.notes),
        }


def _records(frame: pd.DataFrame) -> list[dict]:
    return [{k: json_number(v) if not isinstance(v, str) else v for k, v in row.items()}
            for row in frame.to_dict(orient="records")]


# --- options ---------------------------------------------------------------------------------

def _fraction(name: str, value, *, low_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or value < 0.0 or value > 1.0 or (low_open and value == 0.0):
        raise InputError(f"{name} {value:g} must be in {'(0' if low_open else '[0'}, 1]")
    return value


def _positive(name: str, value, *, allow_zero: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InputError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if math.isnan(value) or math.isinf(value) or value < 0.0 or (not allow_zero and value == 0.0):
        raise InputError(f"{name} {value:g} must be {'at least 0' if allow_zero else 'above 0'}")
    return value


def _countries_or_bloc(entry, what: str) -> tuple[str, frozenset[str]]:
    """(label, codes) of a country code/name, a bloc name or a list of codes."""
    if isinstance(entry, (list, tuple, set, frozenset)):
        codes = frozenset(resolve_country(c) for c in entry)
        if not codes:
            raise InputError(f"{what}: an empty list of countries")
        return "+".join(sorted(codes)), codes
    text = str(entry)
    try:
        code = resolve_country(text)
        return code, frozenset([code])
    except UnknownCountryError as country_error:
        try:
            name, members = resolve_bloc(text)
        except UnknownCountryError:
            raise UnknownCountryError(f"{what}: '{text}' is neither a country nor a bloc ({country_error})") from None
        return name, frozenset(members)


def resolve_against(graph: Graph, against="single") -> list[tuple[str, frozenset[str]]]:
    """The cutoffs a plan must withstand: ``"single"`` (every country of the graph in turn),
    a country, a bloc, or a list of these (a nested list cuts its countries together)."""
    entries = ["single"] if against is None else ([against] if isinstance(against, str) else list(against))
    if not entries:
        raise InputError("against: no cutoffs named")
    out: dict[frozenset, str] = {}
    for entry in entries:
        if isinstance(entry, str) and entry.strip().lower() == "single":
            for code in graph.countries:
                out.setdefault(frozenset([code]), code)
            continue
        label, codes = _countries_or_bloc(entry, "against")
        out.setdefault(codes, label)
    return [(label, codes) for codes, label in out.items()]


def resolve_allies(graph: Graph, allies) -> tuple[str, ...]:
    if allies is None:
        return graph.countries
    entries = [allies] if isinstance(allies, str) else list(allies)
    codes: set[str] = set()
    for entry in entries:
        codes |= _countries_or_bloc(entry, "allies")[1]
    return tuple(sorted(codes))


# --- costs -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Costs:
    """Unit costs: ``capacity(item, country)`` per unit of new capacity, ``stockpile(item)`` per month."""

    capacity_rules: dict
    stockpile_rules: dict

    def capacity(self, item: str, country: str) -> float:
        rules = self.capacity_rules
        for key in ((item, country), (item, None), (None, country), (None, None)):
            if key in rules:
                return rules[key]
        return 1.0

    def stockpile(self, item: str) -> float:
        return self.stockpile_rules.get(item, self.stockpile_rules.get(None, 1.0))


COST_COLUMNS = ("item", "country", "capacity_cost", "stockpile_cost")


def load_costs(costs, graph: Graph) -> Costs:
    """Read a costs table (CSV path or DataFrame) with columns ``item,country,capacity_cost,stockpile_cost``.

    A blank item applies to every item, a blank country to every country, a blank cost inherits
    (the most specific row wins: item+country, item, country, neither; the default is 1).
    ``stockpile_cost`` is per item: its row leaves the country blank.
    """
    if costs is None:
        return Costs({}, {})
    if isinstance(costs, pd.DataFrame):
        frame, origin = costs.astype(object).where(costs.notna(), ""), "costs"
    else:
        path = Path(costs)
        origin = str(costs)
        if not path.is_file():
            raise InputError(f"{origin}: no such file")
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise InputError(f"{origin}: not a readable CSV table ({str(exc).splitlines()[0]})") from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    unknown = [c for c in frame.columns if c not in COST_COLUMNS]
    if unknown or "item" not in frame.columns or not ({"capacity_cost", "stockpile_cost"} & set(frame.columns)):
        raise InputError(f"{origin}: expected the columns {', '.join(COST_COLUMNS)}"
                         + (f" (unknown: {', '.join(unknown)})" if unknown else ""))
    capacity, stockpile = {}, {}
    for index, raw in enumerate(frame.to_dict(orient="records"), start=2):
        entry = f"{origin}: row {index}"
        item = str(raw.get("item", "")).strip() or None
        country = str(raw.get("country", "")).strip() or None
        if item is not None and (item not in graph.nodes or graph.nodes[item].kind not in ITEM_KINDS):
            raise InputError(f"{entry}: no item '{item}' in graph '{graph.name}'")
        if country is not None:
            try:
                country = resolve_country(country)
            except UnknownCountryError as exc:
                raise InputError(f"{entry}: {exc}") from None
        for column, rules in (("capacity_cost", capacity), ("stockpile_cost", stockpile)):
            text = str(raw.get(column, "")).strip()
            if not text:
                continue
            try:
                value = float(text)
            except ValueError:
                raise InputError(f"{entry}: {column} '{text}' is not a number") from None
            if math.isnan(value) or math.isinf(value) or value < 0:
                raise InputError(f"{entry}: {column} {text} must be a number at least 0")
            if column == "stockpile_cost":
                if country is not None:
                    raise InputError(f"{entry}: stockpile_cost is per item; leave the country blank")
                key = item
            else:
                key = (item, country)
            if key in rules:
                raise InputError(f"{entry}: a second {column} for {key if column == 'stockpile_cost' else key}")
            rules[key] = value
    return Costs(capacity, stockpile)


# --- the availability model, evaluated directly ----------------------------------------------

def planned_capacity(graph: Graph) -> dict[str, float]:
    """In a graph written by :func:`write_plan`: each item's planned new capacity ``X`` as a share
    of today's supply (its planned edges hold ``X / (1 + X)`` of the written shares)."""
    out = {}
    for item, supplies in graph.supplies.items():
        share = math.fsum(s.edge.share.point * _planned_fraction(s.edge) for s in supplies)
        if share > 0:
            out[item] = share / (1.0 - share) if share < 1.0 else math.inf
    return out


def _planned_fraction(edge) -> float:
    """The planned part of an edge's share (1 for a new edge, part of a merged one)."""
    note = edge.note or ""
    if not note.startswith(PLANNED):
        return 0.0
    head = note[len(PLANNED):].split(";", 1)[0]
    if "of this edge's share" in head:
        try:
            return float(head.split("fraction", 1)[1].split("of this", 1)[0])
        except (IndexError, ValueError):
            return 0.0
    return 1.0 if "new capacity" in head else 0.0


def plan_availability(graph, *, countries=(), duration: float = 12.0, capacity=None, stockpile=None,
                      nodes: bool = False) -> dict[str, float]:
    """Availability of every product (every node with ``nodes``) under a cutoff, by the plan's model.

    ``capacity`` ``{(item, country): x}`` and ``stockpile`` ``{item: months}`` are added to the
    graph; ``stockpile_months`` on the nodes count too. On a graph written by :func:`write_plan`
    the planned edges are read back as new capacity (the written shares are shares of the larger
    total, so an item's surviving share is scaled back by ``1 + X``). Evaluated node by node to the
    largest fixed point, independently of the LP.
    """
    g = load_graph(graph)
    cut = frozenset(countries)
    d = float(duration)
    factor = {item: 1.0 + x for item, x in planned_capacity(g).items()}
    extra: dict[str, float] = {}
    for (item, country), x in (capacity or {}).items():
        if country not in cut:
            extra[item] = extra.get(item, 0.0) + x
    stocks = {n.id: float(n.stockpile_months or 0.0) for n in g.document.nodes}
    for item, months in (stockpile or {}).items():
        stocks[item] = stocks.get(item, 0.0) + months

    def update(ident, avail):
        node = g.nodes[ident]
        if node.kind == "country":
            return 0.0 if ident in cut else 1.0
        if node.kind == "facility":
            own = avail.get(node.country, 0.0 if node.country in cut else 1.0)
        else:
            supplies = g.supplies.get(ident)
            if supplies:
                surviving = math.fsum([*(s.share * avail[s.supplier] for s in supplies), g.unknown_share(ident)])
                own = surviving * factor.get(ident, 1.0) + extra.get(ident, 0.0)
            else:
                own = 1.0
        inputs = g.inputs.get(ident)
        if inputs:
            values = [avail[i] for i in inputs]
            own = min(own, max(values) if node.needs == "any" else min(values))
        return min(1.0, max(0.0, min(own, 1.0) + stocks.get(ident, 0.0) / d))

    avail: dict[str, float] = {}
    for component in g.evaluation_order:
        for ident in component:
            avail[ident] = 1.0
        if len(component) == 1 and component[0] not in g.inputs.get(component[0], ()):
            avail[component[0]] = update(component[0], avail)
            continue
        for _ in range(MAX_ITERATIONS):
            change = 0.0
            for ident in component:
                new = update(ident, avail)
                change = max(change, abs(new - avail[ident]))
                avail[ident] = new
            if change <= TOLERANCE:
                break
        else:
            warn_not_settled(component, change)
    return avail if nodes else {p: avail[p] for p in g.products}


# --- the programme ---------------------------------------------------------------------------

class _Programme:
    """Variables with bounds and costs, and rows ``sum a x <= b`` (or ``== b``) with labels."""

    def __init__(self):
        self.index: dict = {}
        self.lower: list[float] = []
        self.upper: list[float] = []
        self.cost: list[float] = []
        self.integer: list[int] = []
        self.rows: list[tuple[dict, float, dict | None]] = []
        self.equalities: list[tuple[dict, float]] = []
        self.cost_terms: dict[int, float] = {}

    def var(self, key, *, lower=0.0, upper=math.inf, cost=0.0, integer=False) -> int:
        self.index[key] = len(self.lower)
        self.lower.append(lower)
        self.upper.append(upper)
        self.cost.append(cost)
        self.integer.append(1 if integer else 0)
        return self.index[key]

    def row(self, coeffs: dict, rhs: float, info: dict | None = None) -> None:
        self.rows.append((coeffs, rhs, info))

    def matrix(self, rows):
        data, ri, ci = [], [], []
        for r, (coeffs, *_rest) in enumerate(rows):
            for c, v in coeffs.items():
                if v != 0.0:
                    ri.append(r)
                    ci.append(c)
                    data.append(v)
        return sparse.csr_matrix((data, (ri, ci)), shape=(len(rows), len(self.lower)))


@dataclass
class _Spec:
    graph: Graph
    target: float | None
    keep: float | None
    budget: float | None
    duration: float
    scenarios: list
    allies: tuple
    products: tuple
    costs: Costs
    max_stockpile: float | None
    failing: list
    shares: dict


def _build(spec: _Spec, *, elastic: bool = False, choices: dict | None = None, worst_floor: float | None = None,
           minimise_cost: bool | None = None) -> _Programme:
    """The programme. ``choices`` fixes the input carrying each any-node (no binaries);
    ``worst_floor`` turns a budget programme into its second stage (least cost at that availability)."""
    g, d = spec.graph, spec.duration
    lp = _Programme()
    keep_mode = spec.keep is not None or spec.budget is not None
    upstream = g.upstream(spec.products) if keep_mode and spec.scenarios else set()
    cap_items = [i for i in g.items if i in g.supplies and (i in upstream or i in spec.failing)]
    stock_items = [i for i in g.items if i in upstream]
    budget_stage = spec.budget is not None and worst_floor is None
    cost_weight = 0.0 if budget_stage else 1.0
    if minimise_cost is not None:
        cost_weight = 1.0 if minimise_cost else 0.0
    cost_terms: dict[int, float] = {}
    for item in cap_items:
        for country in spec.allies:
            unit = spec.costs.capacity(item, country)
            j = lp.var(("x", item, country), cost=cost_weight * unit)
            cost_terms[j] = unit
    for item in stock_items:
        unit = spec.costs.stockpile(item)
        j = lp.var(("s", item), upper=math.inf if spec.max_stockpile is None else spec.max_stockpile,
                   cost=cost_weight * unit)
        cost_terms[j] = unit
    worst = lp.var(("w",), upper=1.0, cost=0.0 if elastic else -1.0) if budget_stage else None

    def elastic_var(coeffs, key):
        if elastic:
            coeffs[lp.var(("e",) + key, cost=1.0)] = -1.0
        return coeffs

    # target rows: share_c + x_c <= T (1 + X)  <=>  x_c - T X <= T - share_c
    for item in spec.failing:
        shares = spec.shares[item]
        xs = {c: lp.index[("x", item, c)] for c in spec.allies if ("x", item, c) in lp.index}
        for country in sorted(set(shares) | set(xs)):
            share = shares.get(country, 0.0)
            if country not in xs and share <= spec.target:
                continue  # holds for any X >= 0
            coeffs = {j: -spec.target for j in xs.values()}
            if country in xs:
                coeffs[xs[country]] += 1.0
            info = {"kind": "target", "item": item, "scenario": "", "country": country, "share": share,
                    "constraint": f"{item}: {country} share <= {spec.target:g} of the total"}
            lp.row(elastic_var(coeffs, ("target", item, country)), spec.target - share, info)

    stock_base = {n.id: float(n.stockpile_months or 0.0) / d for n in g.document.nodes}
    for k, (label, cut) in enumerate(spec.scenarios if keep_mode else ()):
        y = {}
        for ident in sorted(upstream):
            node = g.nodes[ident]
            if node.kind == "country":
                continue
            y[ident] = lp.var(("y", k, ident), upper=1.0)
        for ident, j in y.items():
            node = g.nodes[ident]
            base = stock_base.get(ident, 0.0)
            stock = {lp.index[("s", ident)]: -1.0 / d} if ("s", ident) in lp.index else {}
            if node.kind == "facility":
                country_up = 0.0 if node.country in cut else 1.0
                lp.row({j: 1.0, **stock}, country_up + base)
            elif g.supplies.get(ident):
                coeffs = {j: 1.0, **stock}
                rhs = g.unknown_share(ident) + base
                for s in g.supplies[ident]:
                    if s.supplier in y:
                        coeffs[y[s.supplier]] = coeffs.get(y[s.supplier], 0.0) - s.share
                    elif s.supplier not in cut:
                        rhs += s.share
                for country in spec.allies:
                    if country not in cut and ("x", ident, country) in lp.index:
                        coeffs[lp.index[("x", ident, country)]] = -1.0
                lp.row(coeffs, rhs)
            inputs = g.inputs.get(ident, ())

            def input_row(i, extra=None, rhs=0.0):
                # y_ident - y_i - stock / D (+ z) <= S0 / D (+ 1); an input outside y is a country
                coeffs = {j: 1.0, **stock, **(extra or {})}
                if i in y:
                    coeffs[y[i]] = coeffs.get(y[i], 0.0) - 1.0
                    lp.row(coeffs, base + rhs)
                else:
                    lp.row(coeffs, base + rhs + (0.0 if i in cut else 1.0))

            if node.needs == "any" and len(inputs) > 1:
                if choices is not None:
                    input_row(choices[(k, ident)])
                else:
                    zs = [lp.var(("z", k, ident, i), upper=1.0, integer=True) for i in inputs]
                    for i, z in zip(inputs, zs):
                        input_row(i, {z: 1.0}, 1.0)
                    lp.equalities.append(({z: 1.0 for z in zs}, 1.0))
            else:
                for i in inputs:
                    input_row(i)
        for product in spec.products:
            if product not in y:
                continue
            if spec.keep is not None:
                info = {"kind": "keep", "item": product, "scenario": label,
                        "constraint": f"{product} >= {spec.keep:g} with {label} cut off"}
                lp.row(elastic_var({y[product]: -1.0}, ("keep", k, product)), -spec.keep, info)
            if worst is not None:
                lp.row({worst: 1.0, y[product]: -1.0}, 0.0)
            if worst_floor is not None:
                lp.row({y[product]: -1.0}, -worst_floor)
    if spec.budget is not None:
        info = {"kind": "budget", "item": "", "scenario": "", "constraint": f"cost <= {spec.budget:g}"}
        lp.row(elastic_var(dict(cost_terms), ("budget",)), spec.budget, info)
    lp.cost_terms = cost_terms
    return lp


def _solve(lp: _Programme, *, integer: bool):
    """Solve with HiGHS: ``milp`` when the programme has binaries, else ``linprog``."""
    from scipy.optimize import Bounds, LinearConstraint, linprog, milp  # start-up: scipy.optimize (0.3 s) for plan only
    c = np.asarray(lp.cost, dtype=float)
    if not lp.lower:
        return {"status": 0, "x": np.empty(0), "fun": 0.0, "marginals": np.empty(0), "slack": np.empty(0)}
    bounds = list(zip(lp.lower, [None if math.isinf(u) else u for u in lp.upper]))
    a_ub = lp.matrix(lp.rows) if lp.rows else None
    b_ub = np.array([r[1] for r in lp.rows], dtype=float) if lp.rows else None
    a_eq = lp.matrix(lp.equalities) if lp.equalities else None
    b_eq = np.array([r[1] for r in lp.equalities], dtype=float) if lp.equalities else None
    if integer and any(lp.integer):
        constraints = []
        if a_ub is not None:
            constraints.append(LinearConstraint(a_ub, -np.inf, b_ub))
        if a_eq is not None:
            constraints.append(LinearConstraint(a_eq, b_eq, b_eq))
        res = milp(c, integrality=np.asarray(lp.integer), bounds=Bounds(lp.lower, lp.upper),
                   constraints=constraints, options={"mip_rel_gap": 1e-9})
        status = 0 if res.status == 0 else (2 if res.status == 2 else res.status)
        return {"status": status, "x": res.x, "fun": res.fun, "marginals": None, "slack": None,
                "message": res.message}
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs",
                  options=HIGHS_OPTIONS)
    marginals = res.ineqlin.marginals if res.status == 0 and a_ub is not None else np.zeros(len(lp.rows))
    slack = res.ineqlin.residual if res.status == 0 and a_ub is not None else np.zeros(len(lp.rows))
    return {"status": res.status, "x": res.x, "fun": res.fun, "marginals": marginals, "slack": slack,
            "message": res.message}


def _choices(lp: _Programme, x) -> dict:
    picked = {}
    for key, j in lp.index.items():
        if key[0] == "z" and x[j] > 0.5:
            picked[(key[1], key[2])] = key[3]
    return picked


def _solve_programme(spec: _Spec, **kwargs):
    """(programme, result) with duals: binaries fixed from a MILP, then re-solved as an LP."""
    lp = _build(spec, **kwargs)
    if not any(lp.integer):
        return lp, _solve(lp, integer=False), False
    first = _solve(lp, integer=True)
    if first["status"] != 0:
        return lp, first, True
    fixed = _build(spec, choices=_choices(lp, first["x"]), **kwargs)
    return fixed, _solve(fixed, integer=False), True


def plan(graph, *, target: float | None = None, keep: float | None = None, against="single", allies=None,
         duration: float = 12.0, costs=None, budget: float | None = None, products=None,
         all_items: bool = False, max_stockpile: float | None = None) -> PlanResult:
    """The cheapest new capacity and stockpiles meeting the target and/or keeping products available.

    Parameters
    ----------
    graph
        A :class:`~chokepoint.graph.Graph`, a bundled graph's name or a path.
    target
        Threshold T of the single-country test every failing item must pass (0.65).
    keep
        Availability K every kept product must keep under each cutoff in ``against``.
    against
        ``"single"`` (default: every country of the graph in turn), a country, a bloc name, or a
        list of these (an inner list is one joint cutoff).
    allies
        Countries (codes, names or blocs) where new capacity may be built; default every country
        of the graph. Capacity in a cut country does not count under that cutoff.
    duration
        Months each cutoff lasts: a stockpile of S months adds S / duration.
    costs
        A CSV path or DataFrame ``item,country,capacity_cost,stockpile_cost`` (see :func:`load_costs`).
    budget
        Maximise the worst kept-product availability across cutoffs at cost <= budget.
    products
        The products to keep (default: every product of the graph).
    all_items
        Test every supplied item against the target, not only critical minerals.
    max_stockpile
        Most months of stock per item (default: no limit; 0 forbids stockpiles).
    """
    g = load_graph(graph)
    t = None if target is None else _fraction("target", target, low_open=True)
    k = None if keep is None else _fraction("keep", keep)
    b = None if budget is None else _positive("budget", budget)
    d = _positive("duration", duration, allow_zero=False)
    cap = None if max_stockpile is None else _positive("max stockpile", max_stockpile)
    if t is None and k is None and b is None:
        raise InputError("nothing to plan for: give a target (--target), an availability to keep (--keep) "
                         "or a budget (--budget)")
    notes = []
    if products is None:
        kept = tuple(g.products)
    else:
        kept = (products,) if isinstance(products, str) else tuple(products)
        missing = [p for p in kept if p not in g.nodes or g.nodes[p].kind not in ITEM_KINDS]
        if missing:
            raise InputError(f"products: no item {', '.join(repr(m) for m in missing)} in graph '{g.name}'")
    scenarios = resolve_against(g, against) if (k is not None or b is not None) else []
    if (k is not None or b is not None) and not scenarios:
        notes.append("the graph has no supplying countries: no cutoff to withstand")
    friends = resolve_allies(g, allies)
    cost_table = load_costs(costs, g)
    failing, data_rows, shares = [], [], {}
    if t is not None:
        tested = target_table(g, threshold=t, all_items=all_items)
        if tested.empty and not all_items:
            tested = target_table(g, threshold=t, all_items=True)
            notes.append("the graph marks no critical minerals: every supplied item is tested against the target")
        for row in tested.itertuples():
            if row.status == "fail":
                failing.append(row.id)
                shares[row.id] = {c: v[0] for c, v in country_shares(g, row.id).items()}
            elif row.status in ("undetermined", "no data"):
                data_rows.append({"item": row.id, "label": row.label, "status": row.status,
                                  "top_country": row.top_country if isinstance(row.top_country, str) else "",
                                  "top_share_low": row.top_share_low, "top_share_high": row.top_share_high})
        if failing and not friends:
            notes.append("no country is allowed new capacity (allies): failing items cannot be fixed")
    spec = _Spec(g, t, k, b, d, scenarios, tuple(friends), kept, cost_table, cap, failing, shares)
    objective = "max worst availability" if b is not None else "min cost"
    lp, res, used_milp = _solve_programme(spec)
    method = "milp + linprog (HiGHS)" if used_milp else "linprog (HiGHS)"
    labels = tuple(label for label, _ in scenarios)
    needs_data = pd.DataFrame(data_rows, columns=DATA_COLUMNS)
    if res["status"] == 2:
        conflicts = _conflicts(spec)
        return PlanResult(g.name, "infeasible", objective, None, None, t, k, b, d, labels, tuple(friends), kept,
                          method, pd.DataFrame(columns=ACTION_COLUMNS), pd.DataFrame(columns=BINDING_COLUMNS),
                          conflicts, needs_data, _availability(spec, {}, {}), tuple(notes))
    if res["status"] != 0:
        raise InputError(f"the solver stopped without a plan: {res.get('message', res['status'])}")
    first = (lp, res)
    if b is not None:  # second stage: the least cost at the best worst availability
        w = float(res["x"][lp.index[("w",)]]) if ("w",) in lp.index else 1.0
        for slack in (0.0, 1e-11, 1e-9):  # the exact optimum first, then within solver tolerance
            lp2, res2, _ = _solve_programme(spec, worst_floor=max(0.0, w - slack))
            if res2["status"] == 0:
                lp, res = lp2, res2
                break
    capacity, stocks = _extract(lp, res["x"])
    actions = _actions(spec, capacity, stocks)
    cost = float(actions["cost"].sum()) if not actions.empty else 0.0
    notes.extend(_ranges_note(spec, capacity))
    availability = _availability(spec, capacity, stocks)
    binding = _binding(spec, *first, availability, cost)
    worst = float(availability["after"].min()) if not availability.empty else None
    return PlanResult(g.name, "optimal", objective, cost, worst, t, k, b, d, labels, tuple(friends), kept, method,
                      actions, binding, pd.DataFrame(columns=CONFLICT_COLUMNS), needs_data, availability,
                      tuple(notes))


def _ranges_note(spec: _Spec, capacity: dict) -> list[str]:
    """Failing items that pass at point values after the plan but whose published ranges still
    reach past the threshold (``target`` will call them undetermined)."""
    open_items = []
    for item in spec.failing:
        added = {c: x for (i, c), x in capacity.items() if i == item}
        total = 1.0 + math.fsum(added.values())
        ranges = country_shares(spec.graph, item)
        high = max((hi + added.get(c, 0.0)) / total for c, (_, _, hi) in ranges.items())
        if high > spec.target + 1e-9:
            open_items.append(f"{item} (up to {high:.3f})")
    if not open_items:
        return []
    return [f"pass at point values after the plan, but the published ranges still reach past {spec.target:g} "
            f"(target calls them undetermined): {', '.join(open_items)}"]


def _extract(lp: _Programme, x) -> tuple[dict, dict]:
    capacity, stocks = {}, {}
    for key, j in lp.index.items():
        value = float(x[j])
        if value <= ZERO:
            continue
        if key[0] == "x":
            capacity[(key[1], key[2])] = value
        elif key[0] == "s":
            stocks[key[1]] = value
    return capacity, stocks


def _actions(spec: _Spec, capacity: dict, stocks: dict) -> pd.DataFrame:
    g = spec.graph
    rows = []
    for (item, country), x in sorted(capacity.items()):
        rows.append({"item": item, "label": g.label(item), "country": country, "new_capacity": x,
                     "stockpile_months": 0.0, "cost": x * spec.costs.capacity(item, country)})
    for item, s in sorted(stocks.items()):
        rows.append({"item": item, "label": g.label(item), "country": "", "new_capacity": 0.0,
                     "stockpile_months": s, "cost": s * spec.costs.stockpile(item)})
    return pd.DataFrame(rows, columns=ACTION_COLUMNS)


def _binding(spec: _Spec, lp: _Programme, res, availability: pd.DataFrame, cost: float) -> pd.DataFrame:
    """The user constraints that hold with equality at the plan, or carry a shadow price.

    Values are those of the plan itself (shares from the new capacity, availability from
    :func:`plan_availability`), not the programme's auxiliary variables.
    """
    rows = []
    x = res["x"]
    marginals = res["marginals"]
    after = {(r.scenario, r.product): r.after for r in availability.itertuples()}
    for r, (coeffs, rhs, info) in enumerate(lp.rows):
        if info is None:
            continue
        price = -float(marginals[r]) if marginals is not None else float("nan")
        kind = info["kind"]
        if kind == "target":
            xs = [x[j] for key, j in lp.index.items() if key[0] == "x" and key[1] == info["item"]]
            total = 1.0 + math.fsum(xs)
            own = lp.index.get(("x", info["item"], info["country"]))
            value = (info["share"] + (x[own] if own is not None else 0.0)) / total
            bound, price = spec.target, price * total  # per unit of T: the row's rhs moves by (1 + X)
            tight = value >= bound - BINDING
        elif kind == "keep":
            value, bound = after.get((info["scenario"], info["item"]), float("nan")), spec.keep
            tight = value <= bound + BINDING
        else:
            value, bound = cost, spec.budget
            tight = value >= bound - BINDING * max(1.0, bound)
        if not tight and not abs(price) > 1e-12:
            continue
        rows.append({"constraint": info["constraint"], "kind": kind, "item": info["item"],
                     "scenario": info["scenario"], "value": value, "bound": bound,
                     "shadow_price": 0.0 if abs(price) < 1e-12 else price})
    frame = pd.DataFrame(rows, columns=BINDING_COLUMNS)
    return frame.sort_values(["shadow_price", "constraint"], ascending=[False, True], kind="mergesort") \
        .reset_index(drop=True)


def _conflicts(spec: _Spec) -> pd.DataFrame:
    """The user constraints an elastic programme must violate, with the least total violation."""
    lp = _build(spec, elastic=True, minimise_cost=False)
    res = _solve(lp, integer=True)
    rows = []
    if res["status"] == 0:
        x = res["x"]
        for coeffs, rhs, info in lp.rows:
            if info is None:
                continue
            e = [j for j, v in coeffs.items() if v == -1.0 and _key(lp, j)[0] == "e"]
            violation = float(x[e[0]]) if e else 0.0
            if violation <= 1e-7:
                continue
            if info["kind"] == "target":
                xs = [x[j] for key, j in lp.index.items() if key[0] == "x" and key[1] == info["item"]]
                violation /= 1.0 + math.fsum(xs)  # in share points over the threshold
            rows.append({"constraint": info["constraint"], "kind": info["kind"], "item": info["item"],
                         "scenario": info["scenario"], "violation": violation})
    frame = pd.DataFrame(rows, columns=CONFLICT_COLUMNS)
    return frame.sort_values(["violation", "constraint"], ascending=[False, True], kind="mergesort") \
        .reset_index(drop=True)


def _key(lp: _Programme, j: int):
    if not hasattr(lp, "_keys"):
        lp._keys = {v: k for k, v in lp.index.items()}
    return lp._keys[j]


def _availability(spec: _Spec, capacity: dict, stocks: dict) -> pd.DataFrame:
    """Each kept product's availability under each cutoff, today and with the plan (direct evaluation)."""
    rows = []
    if spec.keep is None and spec.budget is None:
        return pd.DataFrame(rows, columns=AVAILABILITY_COLUMNS)
    for label, cut in spec.scenarios:
        before = plan_availability(spec.graph, countries=cut, duration=spec.duration)
        after = plan_availability(spec.graph, countries=cut, duration=spec.duration, capacity=capacity,
                                  stockpile=stocks)
        for product in spec.products:
            rows.append({"scenario": label, "product": product, "before": before.get(product, float("nan")),
                         "after": after.get(product, float("nan"))})
    return pd.DataFrame(rows, columns=AVAILABILITY_COLUMNS)


# --- writing the planned graph ---------------------------------------------------------------

def _scaled(share, factor: float):
    """A share as written in a file, scaled by ``factor`` (a level word becomes its scaled range)."""
    low, high = share.low * factor, share.high * factor
    return low if low == high else [low, high]


def write_plan(graph, result: PlanResult, path, *, force: bool = False) -> Path:
    """Write ``graph`` with ``result`` applied, as YAML or JSON (by suffix), loadable by ``load_graph``.

    Encoding (the file format has no "planned" field, so plans use ``estimated`` and ``note``):

    - New capacity ``x`` of item i in country c becomes a supplies edge ``c -> i`` with share
      ``x / (1 + X_i)`` (shares are shares of the larger total supply), ``estimated: true`` and a
      note starting ``planned: new capacity``. Where c already supplies i the edge keeps its
      citation, adds the planned part and says so (``planned: fraction f of this edge's share``).
    - Today's shares of i are rescaled by ``1 / (1 + X_i)`` and marked ``estimated: true`` with a
      ``planned:`` note giving the published value (a level word becomes its scaled range).
    - Stockpiles add to ``stockpile_months`` on the node, with a ``planned:`` note.
    - Countries new to the graph are added; the graph is renamed ``<name>-plan``.

    ``target`` on the written graph reads the new shares directly. ``cutoff`` and ``timeline`` see
    shares of the larger total, so they count each surviving supplier against the larger supply
    (conservative); :func:`plan_availability` reads the planned edges back and gives the plan's
    availability. Nothing is written when the plan is infeasible or does not fit the graph.
    """
    g = load_graph(graph)
    if result.status != "optimal":
        raise InputError(f"the plan for '{result.graph}' is {result.status}: nothing to write")
    if result.graph != g.name:
        raise InputError(f"the plan is for graph '{result.graph}', not '{g.name}'")
    target_path = Path(path)
    if target_path.suffix not in GRAPH_SUFFIXES:
        raise InputError(f"{target_path}: a graph file ends in .yaml, .yml or .json")
    capacity, stocks = result.capacity, result.stockpiles
    unknown = sorted(i for i in {i for i, _ in capacity} | set(stocks) if i not in g.nodes)
    if unknown:
        raise InputError(f"the plan names items not in graph '{g.name}': {', '.join(unknown)}")
    data = g.document.to_dict()
    totals: dict[str, float] = {}
    for (item, _), x in capacity.items():
        totals[item] = totals.get(item, 0.0) + x
    added: dict[str, dict[str, float]] = {}
    for (item, country), x in capacity.items():
        added.setdefault(item, {})[country] = x
    edges = []
    for edge, model in zip(data.get("edges", []), g.document.edges):  # to_dict keeps the order
        item = edge["to"]
        if edge["type"] != "supplies" or item not in totals:
            edges.append(edge)
            continue
        factor = 1.0 / (1.0 + totals[item])
        share = model.share
        published = str(share)
        extra = added.get(item, {}).pop(edge["from"], 0.0)
        new = dict(edge)
        if extra > 0.0:
            low, high = (share.low + extra) * factor, (share.high + extra) * factor
            new["share"] = low if low == high else [low, high]
            fraction = extra * factor / ((share.point + extra) * factor)
            prefix = (f"{PLANNED} fraction {fraction:.12g} of this edge's share is planned new capacity "
                      f"({extra:.4g} of today's supply); published {published}, rescaled by 1/{1 + totals[item]:.6g}")
        else:
            new["share"] = _scaled(share, factor)
            prefix = (f"{PLANNED} rescaled by 1/{1 + totals[item]:.6g} for planned capacity elsewhere; "
                      f"published {published}")
        new["estimated"] = True
        new["note"] = _note(prefix, edge.get("note"))
        edges.append(new)
    nodes = list(data["nodes"])
    present = {n["id"] for n in nodes}
    for item, countries in added.items():
        factor = 1.0 / (1.0 + totals[item])
        bases = {s.edge.basis for s in g.supplies.get(item, ()) if s.edge.basis}
        for country, x in sorted(countries.items()):
            if country not in present:
                nodes.append({"id": country, "kind": "country"})
                present.add(country)
            edge = {"from": country, "to": item, "type": "supplies", "share": x * factor}
            if len(bases) == 1:
                edge["basis"] = next(iter(bases))
            edge["estimated"] = True
            edge["note"] = (f"{PLANNED} new capacity of {x:.4g} of today's supply "
                            f"(chokepoint plan, {result.objective}); shares of this item are of the larger total")
            edges.append(edge)
    for index, node in enumerate(nodes):
        if node["id"] in stocks:
            node = dict(node)
            months = stocks[node["id"]]
            node["stockpile_months"] = float(node.get("stockpile_months") or 0.0) + months
            node["note"] = _note(f"{PLANNED} stockpile of {months:.4g} months added (chokepoint plan)", node.get("note"))
            nodes[index] = node
    data["nodes"] = nodes
    data["edges"] = edges
    name = f"{g.name}-plan"
    if NAME_PATTERN.match(name):
        data["name"] = name
    data["title"] = f"{g.title} (with plan)"
    summary = _summary(result)
    data["description"] = (data.get("description", "") + "\n\n" + summary).strip()
    try:
        parse_document(data, str(target_path))
    except ValidationError as exc:  # the plan does not fit the graph: write nothing
        raise InputError(f"{target_path}: the planned graph does not validate: {exc}") from None
    return save_graph(data, target_path, force=force, header=summary)


def _note(prefix: str, old) -> str:
    text = prefix if not old else f"{prefix}. {old}"
    return text[:10_000]


def _summary(result: PlanResult) -> str:
    parts = []
    if result.target is not None:
        parts.append(f"target {result.target:g}")
    if result.keep is not None:
        parts.append(f"keep {result.keep:g} against {len(result.scenarios)} cutoffs of {result.duration:g} months")
    if result.budget is not None:
        parts.append(f"budget {result.budget:g}")
    return (f"Planned by chokepoint ({result.objective}; {', '.join(parts)}): cost {result.cost:.6g}; "
            f"{len(result.capacity)} capacity and {len(result.stockpiles)} stockpile actions.")
