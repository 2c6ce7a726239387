"""Seeded layered supply graphs of any size, for benchmarks and tests.

``generate(nodes=N, edges=M, seed=S)`` builds a valid chokepoint document with a realistic shape:

- countries: real ISO 3166-1 alpha-2 codes (up to 200), the large producers first, with a
  heavy-tailed (Zipf) weight so that a few countries supply much of everything;
- facilities: named plants in a country, each producing items of one tier, some with inputs of
  their own;
- items in tiers: mining, refining, processed materials (some marked critical minerals), two
  tiers of components, products; each item has suppliers (countries and facilities of its tier,
  shares per item summing to at most 1, some as ranges, a few level words, the rest unknown) and
  inputs from the tiers below with a heavy-tailed fan-in (products draw on many);
- ``needs: any`` on about one node in ten with several inputs; a few stockpiles;
- a few short ``requires`` cycles (tools that need the chips they make), some through a facility.

The result is held as numpy arrays (:class:`GeneratedGraph`); it compiles straight to the
engine (:meth:`GeneratedGraph.compile`) without building pydantic objects, and writes JSON
(fast) or YAML by the file's extension. Same arguments, same graph.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pycountry

from .engine import COMPONENT, COUNTRY, FACILITY, MATERIAL, PRODUCT, REQUIRES, SUPPLIES, compile_arrays
from .errors import InputError
from .formats.files import GENERATOR, OWNER_MARK, YAML_MARKER, atomic_writer
from .formats.tables import TABLE_SUFFIXES, write_table_pair
from .model import KINDS, LEVELS

#: Large producers first (they get the heaviest weights); the rest follow in code order.
LEADING = ("CN", "US", "JP", "DE", "KR", "TW", "NL", "FR", "GB", "IN", "IT", "CA", "AU", "BR", "RU", "MX",
           "ES", "SE", "CH", "SG", "MY", "TH", "VN", "ID", "PL", "BE", "AT", "IL", "CL", "PE", "CD", "ZA",
           "SA", "AE", "TR", "NO", "FI", "DK", "IE", "CZ", "PH", "AR", "KZ", "UA", "HU", "PT", "RO", "NZ")
TIERS = (
    # (kind, stage, share of the items, label)
    (MATERIAL, "mining", 0.12, "ore"),
    (MATERIAL, "refining", 0.12, "refined material"),
    (MATERIAL, "alloy production", 0.12, "processed material"),
    (COMPONENT, None, 0.30, "part"),
    (COMPONENT, None, 0.26, "subsystem"),
    (PRODUCT, None, 0.08, "product"),
)
#: The level words a generated graph uses (the upper ones: synthetic leaders dominate).
LEVEL_WORDS = {word: LEVELS[word] for word in ("sole", "dominant", "main")}
SOURCE = "synthetic"
#: The largest graph :func:`generate` makes (its arrays and the JSON text stay within a few GB).
MAX_NODES = 20_000_000
MAX_EDGES = 50_000_000
KIND_NAMES = KINDS


def country_codes(count: int) -> list[str]:
    """``count`` real alpha-2 codes: the large producers first, then the others in code order."""
    codes = list(LEADING)
    seen = set(codes)
    codes += sorted(c.alpha_2 for c in pycountry.countries if c.alpha_2 not in seen)
    return codes[:count]


@dataclass
class GeneratedGraph:
    """A generated graph as arrays (node positions are the document order)."""

    name: str
    title: str
    seed: int
    ids: list
    kind: np.ndarray          # int8 codes (engine.KINDS)
    tier: np.ndarray          # int8 item tier (-1 for countries and facilities)
    country: np.ndarray       # int64 facility -> country position, -1 otherwise
    needs_any: np.ndarray     # bool
    critical: np.ndarray      # bool
    stockpile: np.ndarray     # float64, NaN when none
    src: np.ndarray           # int64 edges
    dst: np.ndarray
    etype: np.ndarray         # int8: 0 supplies, 1 requires
    low: np.ndarray           # float64 share range (supplies)
    high: np.ndarray
    level: np.ndarray         # int8: index into LEVEL_WORDS + 1, or 0 for a number/range

    @property
    def n_nodes(self) -> int:
        return len(self.ids)

    @property
    def n_edges(self) -> int:
        return len(self.src)

    def compile(self):
        """The engine's compiled graph, straight from the arrays."""
        return compile_arrays(ids=self.ids, kind=self.kind, edge_src=self.src, edge_dst=self.dst,
                              edge_type=self.etype, share_low=self.low, share_high=self.high, country=self.country,
                              needs_any=self.needs_any, stockpile=np.nan_to_num(self.stockpile, nan=0.0),
                              name=self.name)

    def nodes_frame(self):
        return pd.DataFrame({
            "id": self.ids, "kind": np.array(KIND_NAMES)[self.kind],
            "country": [self.ids[c] if c >= 0 else None for c in self.country.tolist()],
            "needs": np.where(self.needs_any, "any", "all"), "stockpile_months": self.stockpile,
        })

    def edges_frame(self):
        ids = np.array(self.ids, dtype=object)
        return pd.DataFrame({"from": ids[self.src], "to": ids[self.dst],
                             "type": np.where(self.etype == SUPPLIES, "supplies", "requires"),
                             "share_low": self.low, "share_high": self.high})

    def table_frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The graph as its nodes and edges tables (the columns of a table pair), made from the
        arrays: the same graph as :meth:`to_document`."""
        n = self.n_nodes
        ids = np.array(self.ids, dtype=object)
        kind = self.kind
        tier = np.clip(self.tier, 0, len(TIERS) - 1)
        items = kind >= MATERIAL
        labels = np.array([spec[3] for spec in TIERS], dtype=object)[tier]
        label = np.full(n, None, dtype=object)
        facility = kind == FACILITY
        label[facility] = "plant " + ids[facility]
        label[items] = labels[items] + " " + ids[items]
        stages = np.array([spec[1] for spec in TIERS], dtype=object)[tier]
        stage = np.where(items, stages, None)
        country = np.full(n, None, dtype=object)
        country[facility] = ids[self.country[facility]]
        nodes = pd.DataFrame({
            "id": ids, "kind": np.array(KIND_NAMES, dtype=object)[kind], "label": label, "stage": stage,
            "country": country, "needs": np.where(self.needs_any, "any", None),
            "critical_mineral": np.where(items & self.critical, "true", None),
            "stockpile_months": np.where(items, self.stockpile, np.nan),
        })
        supplies = self.etype == SUPPLIES
        worded = supplies & (self.level > 0)
        words = np.array([None, *LEVEL_WORDS], dtype=object)
        edges = pd.DataFrame({
            "from": ids[self.src], "to": ids[self.dst], "type": np.where(supplies, "supplies", "requires"),
            "share_low": np.where(supplies & ~worded, self.low, np.nan),
            "share_high": np.where(supplies & ~worded, self.high, np.nan),
            "share_level": words[np.where(worded, self.level, 0)],
            "source": np.where(supplies & ~worded, SOURCE, None),
            "estimated": np.where(worded, "true", None),
            "note": np.where(worded, "synthetic: a level word", None),
        })
        return nodes, edges

    def _node_entries(self):
        labels = {t: spec[3] for t, spec in enumerate(TIERS)}
        stages = {t: spec[1] for t, spec in enumerate(TIERS)}
        for i, ident in enumerate(self.ids):
            k = int(self.kind[i])
            if k == COUNTRY:
                yield {"id": ident, "kind": "country"}
                continue
            entry = {"id": ident, "kind": KIND_NAMES[k]}
            if k == FACILITY:
                entry["label"] = f"plant {ident}"
                entry["country"] = self.ids[int(self.country[i])]
            else:
                t = int(self.tier[i])
                entry["label"] = f"{labels[t]} {ident}"
                if stages[t]:
                    entry["stage"] = stages[t]
                if self.critical[i]:
                    entry["critical_mineral"] = True
                if not math.isnan(self.stockpile[i]):
                    entry["stockpile_months"] = float(self.stockpile[i])
            if self.needs_any[i]:
                entry["needs"] = "any"
            yield entry

    def _edge_entries(self, start: int = 0, stop: int | None = None):
        ids = self.ids
        words = list(LEVEL_WORDS)
        stop = self.n_edges if stop is None else stop
        src, dst, etype = self.src[start:stop].tolist(), self.dst[start:stop].tolist(), self.etype[start:stop].tolist()
        low, high, level = self.low[start:stop].tolist(), self.high[start:stop].tolist(), self.level[start:stop].tolist()
        for s, d, t, lo, hi, lv in zip(src, dst, etype, low, high, level):
            if t == REQUIRES:
                yield {"from": ids[s], "to": ids[d], "type": "requires"}
            elif lv:
                yield {"from": ids[s], "to": ids[d], "type": "supplies", "share": words[lv - 1], "estimated": True,
                       "note": "synthetic: a level word"}
            else:
                share = lo if lo == hi else [lo, hi]
                yield {"from": ids[s], "to": ids[d], "type": "supplies", "share": share, "source": SOURCE}

    def to_document(self) -> dict:
        """The graph as a plain document (what :func:`chokepoint.load_graph` reads)."""
        return {"name": self.name, "title": self.title, "sources": _sources(self.seed),
                "nodes": list(self._node_entries()), "edges": list(self._edge_entries())}

    def write(self, path, *, force: bool = False) -> Path:
        """Write JSON (``.json``) or YAML (``.yaml``/``.yml``), streamed in blocks, atomically.

        An existing file is replaced when chokepoint wrote it; any other file only with ``force``.
        The text goes to an exclusive temporary file (:func:`~chokepoint.formats.files.atomic_writer`).
        """
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix in TABLE_SUFFIXES:
            write_table_pair(*self.table_frames(), path, force=force)
            return path
        if suffix not in (".json", ".yaml", ".yml"):
            raise InputError(f"{path}: the file must end in .json, .yaml or .yml (or .csv or .parquet for a "
                             "table pair)")
        dumps = json.dumps
        with atomic_writer(path, force=force) as out:
            if suffix == ".json":
                out.write("{" + f'"generator": {dumps(GENERATOR + " " + OWNER_MARK)}, "name": {dumps(self.name)}, '
                          f'"title": {dumps(self.title)}, "sources": {dumps(_sources(self.seed))},\n"nodes": [\n')
                out.write(",\n".join(dumps(e) for e in self._node_entries()))
                out.write('\n],\n"edges": [\n')
                first = True
                for b in range(0, self.n_edges, 200_000):
                    block = ",\n".join(dumps(e) for e in self._edge_entries(b, b + 200_000))
                    if block:
                        out.write(block if first else ",\n" + block)
                        first = False
                out.write("\n]}\n")
            else:
                # YAML flow mappings written as JSON objects: valid YAML, and fast to write
                out.write(f"{YAML_MARKER}\n# chokepoint generate --nodes {self.n_nodes} --edges {self.n_edges} "
                          f"--seed {self.seed}\nname: {dumps(self.name)}\ntitle: {dumps(self.title)}\n"
                          f"sources: {dumps(_sources(self.seed))}\nnodes:\n")
                for e in self._node_entries():
                    out.write(f"- {dumps(e)}\n")
                out.write("edges:\n" if self.n_edges else "edges: []\n")
                for b in range(0, self.n_edges, 200_000):
                    out.write("".join(f"- {dumps(e)}\n" for e in self._edge_entries(b, b + 200_000)))
        return path


def _sources(seed: int) -> dict:
    return {SOURCE: {"title": f"Synthetic graph from chokepoint generate (seed {seed})", "publisher": "chokepoint"}}


def generate(nodes: int = 1000, edges: int = 5000, seed: int = 0, *, countries: int = 200,
             cycles: int | None = None, name: str | None = None) -> GeneratedGraph:
    """A seeded layered supply graph with ``nodes`` nodes and ``edges`` edges (exactly).

    ``countries`` caps the number of countries (real alpha-2 codes); ``cycles`` is the number
    of short requires-cycles (default: about one per 2,000 items, at least 1 when there is room).
    """
    if nodes < 4:
        raise ValueError("nodes must be at least 4 (a country, an ore, a part and a product)")
    if nodes > MAX_NODES or edges > MAX_EDGES:
        raise ValueError(f"{nodes:,} nodes and {edges:,} edges is more than generate makes (at most "
                         f"{MAX_NODES:,} nodes and {MAX_EDGES:,} edges: about {MAX_EDGES * 120 // 2**30} GB "
                         "of working memory)")
    rng = np.random.default_rng(seed)
    n_c = int(min(countries, max(2, nodes // 10), 249))
    rest = nodes - n_c
    n_f = int(round(0.2 * rest)) if rest >= 20 else 0
    n_i = rest - n_f
    tiers = _tier_sizes(n_i)
    n_t = len(tiers)
    min_edges = n_i + n_f  # every item a supplier or input, every facility an output
    if edges < min_edges:
        raise ValueError(f"edges must be at least {min_edges:,} for {nodes:,} nodes")
    fac_tier = np.sort(1 + rng.integers(0, max(1, n_t - 1), n_f)) if n_f else np.zeros(0, dtype=np.int64)
    sizes = np.array(tiers)
    sup_max = n_i * n_c + int((np.bincount(fac_tier, minlength=n_t) * sizes).sum())
    req_max = int((sizes * np.r_[0, np.cumsum(sizes)[:-1]]).sum())
    room = int(0.8 * (sup_max + req_max))
    if edges > room:
        raise ValueError(f"{edges:,} edges is too many for {nodes:,} nodes (at most about {room:,})")

    # nodes: countries, then items tier by tier, then facilities
    codes = country_codes(n_c)
    item_tier = np.repeat(np.arange(n_t), tiers)
    tier_start = np.r_[0, np.cumsum(tiers)] + n_c
    kind = np.concatenate([np.full(n_c, COUNTRY), np.array([TIERS[_spec(t, n_t)][0] for t in range(n_t)])[item_tier],
                           np.full(n_f, FACILITY)]).astype(np.int8)
    tier = np.concatenate([np.full(n_c, -1), item_tier, np.full(n_f, -1)]).astype(np.int8)
    n = nodes
    cweight = 1.0 / np.arange(1, n_c + 1) ** 1.1
    cweight /= cweight.sum()
    country = np.full(n, -1, dtype=np.int64)
    fac_ids = np.arange(n_c + n_i, n)
    country[fac_ids] = rng.choice(n_c, size=n_f, p=cweight)
    ids = list(codes)
    for t in range(n_t):
        ids += [f"t{t}-{i}" for i in range(tiers[t])]
    ids += [f"f-{i}" for i in range(n_f)]

    # edge budget: supplies ~45%, requires the rest (at least one input per upper item)
    upper = n_i - tiers[0]
    n_cycles = cycles if cycles is not None else (max(1, n_i // 2000) if upper > 2 else 0)
    fac_inputs = int(round(0.3 * n_f))
    n_sup = max(n_i + n_f, int(round(0.45 * edges)))
    n_req = edges - n_sup
    if n_req < upper + 2 * n_cycles + fac_inputs:
        n_req = min(edges - (n_i + n_f), upper + 2 * n_cycles + fac_inputs)
        n_sup = edges - n_req
    if n_req > 0.8 * req_max:
        n_req = int(0.8 * req_max)
        n_sup = edges - n_req
    if n_sup > 0.8 * sup_max:
        n_sup = int(0.8 * sup_max)
        n_req = edges - n_sup
    n_cycles = min(n_cycles, max(0, (n_req - upper) // 3))
    fac_inputs = min(fac_inputs, max(0, n_req - upper - 3 * n_cycles))

    sup_src, sup_dst = _supplies(rng, n_c, cweight, tiers, tier_start, fac_ids, fac_tier, n_sup)
    req_src, req_dst = _requires(rng, tiers, tier_start, fac_ids, fac_tier, n_req - 3 * n_cycles, fac_inputs)
    cyc_src, cyc_dst = _cycles(rng, n_cycles, req_src, req_dst, sup_src, sup_dst, kind, tier)
    req_src = np.concatenate([req_src, cyc_src])
    req_dst = np.concatenate([req_dst, cyc_dst])
    # top up requires lost to duplicates among the cycle edges
    short = n_req - len(req_src)
    if short > 0:
        more_s, more_d = _requires(rng, tiers, tier_start, fac_ids, fac_tier, short, 0, exclude=(req_src, req_dst),
                                   exact=False)
        req_src = np.concatenate([req_src, more_s])
        req_dst = np.concatenate([req_dst, more_d])
    if len(sup_src) != n_sup or len(req_src) != n_req:
        raise ValueError(f"could not place {edges:,} distinct edges among {nodes:,} nodes: too dense")
    low, high, level = _shares(rng, sup_dst, n)

    src = np.concatenate([sup_src, req_src]).astype(np.int64)
    dst = np.concatenate([sup_dst, req_dst]).astype(np.int64)
    etype = np.concatenate([np.full(len(sup_src), SUPPLIES), np.full(len(req_src), REQUIRES)]).astype(np.int8)
    low = np.concatenate([low, np.zeros(len(req_src))])
    high = np.concatenate([high, np.zeros(len(req_src))])
    level = np.concatenate([level, np.zeros(len(req_src), dtype=np.int8)])

    indeg = np.bincount(dst[etype == REQUIRES], minlength=n)
    needs_any = (indeg >= 2) & (rng.random(n) < 0.1) & (kind != COUNTRY)
    critical = (kind == MATERIAL) & (tier <= 1) & (rng.random(n) < 0.3)
    stockpile = np.where((kind >= MATERIAL) & (rng.random(n) < 0.05), rng.integers(1, 13, n).astype(float), np.nan)
    return GeneratedGraph(
        name=name or f"generated-{nodes}-{edges}-{seed}",
        title=f"Generated layered supply graph ({nodes:,} nodes, {edges:,} edges, seed {seed})",
        seed=seed, ids=ids, kind=kind, tier=tier, country=country, needs_any=needs_any, critical=critical,
        stockpile=stockpile, src=src, dst=dst, etype=etype, low=low, high=high, level=level,
    )


def _spec(t: int, n_t: int) -> int:
    """Which TIERS entry tier ``t`` of ``n_t`` uses (the last is always products)."""
    return len(TIERS) - 1 if t == n_t - 1 else min(t, len(TIERS) - 2)


def _tier_sizes(n_i: int) -> list[int]:
    n_t = min(len(TIERS), max(2, n_i // 2))
    weights = np.array([TIERS[_spec(t, n_t)][2] for t in range(n_t)])
    sizes = np.maximum(1, np.floor(weights / weights.sum() * n_i)).astype(int)
    sizes[3 if n_t > 3 else 0] += n_i - sizes.sum()
    return sizes.tolist()


def _unique(src, dst, n):
    """Drop repeated (src, dst) pairs, keeping the first."""
    key = dst.astype(np.int64) * n + src
    _, first = np.unique(key, return_index=True)
    first.sort()
    return src[first], dst[first]


def _supplies(rng, n_c, cweight, tiers, tier_start, fac_ids, fac_tier, total):
    """Suppliers per item: every facility supplies an item of its tier; heavy-tailed counts."""
    n_i = int(sum(tiers))
    items = np.arange(tier_start[0], tier_start[0] + n_i)
    item_tier = np.repeat(np.arange(len(tiers)), tiers)
    n_all = int(tier_start[-1]) + len(fac_ids)
    # each facility: one item of its tier
    f_dst = tier_start[fac_tier] + (rng.random(len(fac_ids)) * np.array(tiers)[fac_tier]).astype(np.int64)
    src, dst = fac_ids.astype(np.int64), f_dst.astype(np.int64)
    fac_by_tier = [fac_ids[fac_tier == t] for t in range(len(tiers))]
    weight = rng.lognormal(0.0, 0.7, n_i)
    rounds = 0
    while len(src) < total and rounds < 50:
        need = total - len(src)
        if rounds == 0:
            covered = np.zeros(n_i, dtype=bool)
            covered[dst - tier_start[0]] = True
            base = items[~covered][:need]
            extra = rng.choice(n_i, size=max(0, need - len(base)), p=weight / weight.sum()) + tier_start[0]
            d = np.concatenate([base, extra])
        else:
            d = rng.choice(n_i, size=need + need // 4 + 8, p=weight / weight.sum()) + tier_start[0]
        t = item_tier[d - tier_start[0]]
        s = rng.choice(n_c, size=len(d), p=cweight).astype(np.int64)
        use_fac = rng.random(len(d)) < 0.35
        for tt in range(len(tiers)):
            pool = fac_by_tier[tt]
            sel = np.flatnonzero(use_fac & (t == tt))
            if len(pool) and len(sel):
                s[sel] = pool[rng.integers(0, len(pool), len(sel))]
        src, dst = _unique(np.concatenate([src, s]), np.concatenate([dst, d]), n_all)
        if len(src) > total:
            src, dst = src[:total], dst[:total]
        rounds += 1
    return src, dst


def _requires(rng, tiers, tier_start, fac_ids, fac_tier, total, fac_inputs, exclude=None, exact=True):
    """Inputs from the tiers below: mostly the tier just below; popular inputs are used widely."""
    n_t = len(tiers)
    n_i = int(sum(tiers))
    n_all = int(tier_start[-1]) + len(fac_ids)
    upper = np.arange(tier_start[1], tier_start[0] + n_i) if n_t > 1 else np.zeros(0, dtype=np.int64)
    if not len(upper) or total <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    popularity = rng.lognormal(0.0, 1.0, n_i)
    item_tier = np.repeat(np.arange(n_t), tiers)
    # consumers: every upper item once (when exact), then heavy-tailed, products heaviest
    cw = rng.lognormal(0.0, 0.8, len(upper)) * np.where(item_tier[upper - tier_start[0]] == n_t - 1, 4.0, 1.0)
    cw /= cw.sum()
    if exclude is not None:
        src, dst = exclude[0].astype(np.int64), exclude[1].astype(np.int64)
        keep = len(src)
    else:
        src = np.zeros(0, dtype=np.int64)
        dst = np.zeros(0, dtype=np.int64)
        keep = 0
    # facility inputs: feedstock from the tier below the facility's
    if fac_inputs and len(fac_ids):
        f = rng.choice(len(fac_ids), size=fac_inputs, replace=len(fac_ids) < fac_inputs)
        ft = np.maximum(0, fac_tier[f] - 1)
        s = tier_start[ft] + (rng.random(fac_inputs) * np.array(tiers)[ft]).astype(np.int64)
        src = np.concatenate([src, s])
        dst = np.concatenate([dst, fac_ids[f]])
    target = keep + total
    rounds = 0
    while len(src) < target and rounds < 50:
        need = target - len(src)
        if rounds == 0 and exact:
            d = np.concatenate([upper, rng.choice(upper, size=max(0, need - len(upper)), p=cw)])
        else:
            d = rng.choice(upper, size=need + need // 4 + 8, p=cw)
        t = item_tier[d - tier_start[0]]
        below = np.where(rng.random(len(d)) < 0.7, t - 1, (rng.random(len(d)) * t).astype(np.int64))
        below = np.maximum(0, below)
        # popular inputs: sample within the chosen tier by popularity (inverse-CDF per tier)
        s = np.empty(len(d), dtype=np.int64)
        for tt in range(n_t - 1):
            sel = np.flatnonzero(below == tt)
            if not len(sel):
                continue
            lo, hi = tier_start[tt] - tier_start[0], tier_start[tt + 1] - tier_start[0]
            cdf = np.cumsum(popularity[lo:hi])
            pick = np.searchsorted(cdf, rng.random(len(sel)) * cdf[-1])
            s[sel] = tier_start[tt] + np.minimum(pick, hi - lo - 1)
        src, dst = _unique(np.concatenate([src, s]), np.concatenate([dst, d]), n_all)
        if len(src) > target:
            src, dst = src[:target], dst[:target]
        rounds += 1
    return src[keep:], dst[keep:]


def _cycles(rng, count, req_src, req_dst, sup_src, sup_dst, kind, tier):
    """Short cycles: for an input u -> v, make u need v (u <-> v), or a plant of u need v."""
    if not count or not len(req_src):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    items = np.flatnonzero((kind[req_src] >= MATERIAL) & (kind[req_dst] >= MATERIAL) & (tier[req_src] >= 1)
                           & (kind[req_dst] != PRODUCT))
    if not len(items):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    pick = rng.choice(items, size=min(count, len(items)), replace=False)
    src, dst = [], []
    plants_of = {}
    fac_sup = np.flatnonzero(kind[sup_src] == FACILITY)
    for e in fac_sup.tolist():
        plants_of.setdefault(int(sup_dst[e]), []).append(int(sup_src[e]))
    for j, e in enumerate(pick.tolist()):
        u, v = int(req_src[e]), int(req_dst[e])
        plants = plants_of.get(u)
        if j % 2 and plants:  # through a plant: v needs u, u's plant needs v
            src.append(v)
            dst.append(plants[0])
        else:  # u needs v, v needs u
            src.append(v)
            dst.append(u)
    src_a, dst_a = np.array(src, dtype=np.int64), np.array(dst, dtype=np.int64)
    existing = set(zip(req_src.tolist(), req_dst.tolist()))
    keep = [i for i, pair in enumerate(zip(src, dst)) if pair not in existing]
    src_a, dst_a = src_a[keep], dst_a[keep]
    return _unique(src_a, dst_a, len(kind))


def _shares(rng, dst, n):
    """Shares per supplied item: skewed, covering 70-98% (the rest unknown); some ranges and words."""
    m = len(dst)
    order = np.argsort(dst, kind="stable")
    weights = np.empty(m)
    weights[order] = rng.lognormal(0.0, 1.2, m)
    total = np.bincount(dst, weights=weights, minlength=n)
    coverage = rng.uniform(0.70, 0.98, n)
    point = weights / total[dst] * coverage[dst]
    point = np.floor(point * 1e4) / 1e4
    count = np.bincount(dst, minlength=n)
    ranged = rng.random(m) < 0.25
    half = point * rng.uniform(0.1, 0.4, m)
    half = np.minimum(half, np.minimum(point, 1.0 - point))
    low = np.where(ranged, np.floor((point - half) * 1e4) / 1e4, point)
    high = np.where(ranged, np.floor((point + half) * 1e4) / 1e4, point)
    low = np.maximum(low, 0.0)
    high = np.maximum(high, low)
    level = np.zeros(m, dtype=np.int8)
    single = (count[dst] == 1) & (rng.random(m) < 0.1)
    which = rng.integers(1, len(LEVEL_WORDS) + 1, m).astype(np.int8)
    level[single] = which[single]
    words = list(LEVEL_WORDS.values())
    for w, (lo_w, hi_w) in enumerate(words, start=1):
        sel = level == w
        low[sel], high[sel] = lo_w, hi_w
    return low, high, level
