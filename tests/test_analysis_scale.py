"""The array paths of `analyse` held to the straightforward ones, bit for bit.

- one propagation carrying the point, high and low shares gives each vector's knockouts as
  three separate propagations do, and as one full engine scenario per knockout does;
- the knockouts' shortcuts (a min over inputs without a fold, the baseline where nothing
  reaches a part) give what folding every pair term by term gives;
- the exposure bounds from the sparse propagation of the country cutoffs are the maxima of
  :func:`chokepoint.analysis.evidence.bounds`' matrices;
- concentration and the target test from the supplies as arrays are the per-item computation
  over ``graph.supplies`` (kept here as the oracle);
- the chokepoints kept with ``top`` are the first rows of the full ranking.
"""

from __future__ import annotations

import math
from collections import defaultdict

import numpy as np
import pandas as pd
import pytest

from chokepoint import api
from chokepoint.analysis import chokepoints as ch
from chokepoint.analysis.concentration import (
    CONCENTRATION_COLUMNS, EPS, TARGET_COLUMNS, concentration, supply_table, target,
)
from chokepoint.analysis.evidence import bounds, is_estimate
from chokepoint.analysis.scenarios import sweep
from chokepoint.engine import compile_graph, evaluate
from chokepoint.engine import knockout as ko

BUNDLED = ["ai", "batteries", "minerals", "quantum", "usgs-mcs-2025"]
# (nodes, edges, seed, cycles): cycles through facilities and items, ``needs: any`` rows
GENERATED = [(60, 250, 1, 3), (300, 1400, 2, 6), (800, 4000, 5, 12)]


def _generated(tmp_path, nodes, edges, seed, cycles):
    path = tmp_path / f"g{nodes}-{seed}.json"
    api.generate(nodes, edges, seed=seed, cycles=cycles, countries=12, output=path)
    return api.load_graph(path)


def _graphs(tmp_path):
    for name in BUNDLED:
        yield name, api.load_graph(name)
    for spec in GENERATED:
        yield f"generated{spec}", _generated(tmp_path, *spec)


def _inputs(graph):
    compiled = compile_graph(graph)
    cand = compiled.rows([n for n in graph.nodes if graph.nodes[n].kind != "country"])
    return compiled, cand, compiled.rows(graph.products)


def _same(a, b) -> bool:
    return np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]


@pytest.mark.parametrize("count_self", [False, True])
def test_merged_knockouts_equal_three_separate_propagations(tmp_path, count_self):
    hit = 0
    for name, graph in _graphs(tmp_path):
        compiled, cand, products = _inputs(graph)
        vectors = (None, compiled.sup_high, compiled.sup_low)
        merged = ch.knockout_losses_many(compiled, cand, products, shares=vectors, top=3, count_self=count_self)
        for shares, got in zip(vectors, merged):
            alone = ch.knockout_losses(compiled, cand, products, shares=shares, count_self=count_self)
            assert _same(got, alone), name
            hit += int(alone[1].sum())
        # and each as one full engine scenario per knockout (the oracle), on the generated graphs
        if name.startswith("generated"):
            assert compiled.has_cycles
            for shares, got in zip(vectors, merged):
                dense = ch.knockout_losses_dense(compiled, cand, products, shares=shares, count_self=count_self)
                assert _same(got, dense), name
    assert hit > 0  # knockouts hit something: the comparison is not vacuous


def test_merged_knockouts_in_small_batches(tmp_path, monkeypatch):
    """Many batches (each with its share of every level) give what one batch gives."""
    graph = _generated(tmp_path, *GENERATED[1])
    compiled, cand, products = _inputs(graph)
    vectors = (None, compiled.sup_high, compiled.sup_low)
    whole = ch.knockout_losses_many(compiled, cand, products, shares=vectors)
    monkeypatch.setattr(ch, "BATCH", 7)
    small = ch.knockout_losses_many(compiled, cand, products, shares=vectors)
    assert all(_same(a, b) for a, b in zip(whole, small))


def test_knockout_shortcuts_equal_folding_every_pair(tmp_path, monkeypatch):
    """With ``FOLD_ALL`` every pair is computed part by part and every combination of inputs term
    by term (``needs: all`` and ``needs: any``), as the kernels do: the same figures."""
    for name, graph in list(_graphs(tmp_path)):
        compiled, cand, products = _inputs(graph)
        vectors = (None, compiled.sup_high, compiled.sup_low)
        fast = ch.knockout_losses_many(compiled, cand, products, shares=vectors)
        monkeypatch.setattr(ko, "FOLD_ALL", True)
        folded = ch.knockout_losses_many(compiled, cand, products, shares=vectors)
        monkeypatch.setattr(ko, "FOLD_ALL", False)
        assert all(_same(a, b) for a, b in zip(fast, folded)), name
    assert compiled.needs_any.any()  # the last generated graph has ``needs: any`` rows


def test_knockout_batches_report_only_what_changes(tmp_path):
    """Every pair reported differs from the baseline under some vector, and the ``changed`` mask
    says under which; a vector's pairs are :func:`knockout_products`' for that vector alone."""
    graph = _generated(tmp_path, *GENERATED[0])
    compiled, cand, products = _inputs(graph)
    vectors = (None, compiled.sup_low)
    batches = list(ko.knockout_batches(compiled, cand, products, shares=vectors, batch=16))
    assert len(batches) == -(-len(cand) // 16)
    for v, shares in enumerate(vectors):
        p0, k0, a0, base0 = ko.knockout_products(compiled, cand, products, shares=shares)
        p = np.concatenate([b[2][b[5][:, v]] for b in batches])
        k = np.concatenate([b[3][b[5][:, v]] for b in batches])
        a = np.concatenate([b[4][b[5][:, v], v] for b in batches])
        assert np.array_equal(p, p0) and np.array_equal(k, k0) and np.array_equal(a, a0)
        assert np.array_equal(batches[0][6][:, v], base0)
        assert len(p0) > 0
    for b in batches:
        assert b[5].any(axis=1).all()


def test_exposure_bounds_equal_the_dense_bounds(tmp_path):
    for name, graph in _graphs(tmp_path):
        compiled, cand, _ = _inputs(graph)
        countries = graph.countries
        cuts = [[c] for c in countries]
        point = evaluate(compiled, cuts, rows=cand)
        low_m, high_m = bounds(compiled, cuts, rows=cand, point=point)
        low, high = ch.exposure_bounds(compiled, countries, cand)
        assert np.array_equal(high, (1.0 - low_m).max(axis=1)), name
        assert np.array_equal(low, (1.0 - high_m).max(axis=1)), name
        exposure, worst = ch.exposures(compiled, countries, cand)
        assert np.array_equal((exposure, worst), ch.country_exposure(point)), name


@pytest.mark.parametrize("top", [1, 5, 40])
def test_top_rows_are_the_first_of_the_full_ranking(tmp_path, top):
    for name, graph in _graphs(tmp_path):
        full = api.find_chokepoints(graph)
        kept = api.find_chokepoints(graph, top=top)
        pd.testing.assert_frame_equal(kept, full.head(top).reset_index(drop=True), check_exact=True)
        assert kept.attrs == full.attrs


def test_supply_table_is_graph_supplies(tmp_path):
    for name, graph in _graphs(tmp_path):
        table = supply_table(graph)
        flat = [(item, s) for item, supplies in graph.supplies.items() for s in supplies]
        order = {n.id: i for i, n in enumerate(graph.document.nodes)}
        flat.sort(key=lambda e: order[e[0]])  # items in document order, suppliers as listed
        assert len(table) == len(flat), name
        assert table.item.tolist() == [i for i, _ in flat]
        assert table.supplier.tolist() == [s.supplier for _, s in flat]
        assert table.country.tolist() == [s.country for _, s in flat]
        assert table.point.tolist() == [s.edge.share.point for _, s in flat]
        assert table.estimated.tolist() == [is_estimate(s.edge) for _, s in flat]
        assert table.fact.tolist() == [s.edge.fact for _, s in flat]
        assert table.basis.tolist() == [s.edge.basis for _, s in flat]


# --- the per-item computation over graph.supplies: the oracle -------------------------------------

def _country_shares(graph, item):
    parts = defaultdict(list)
    for s in graph.supplies.get(item, ()):
        parts[s.country].append((s.edge.share.point, s.edge.share.low, s.edge.share.high))
    return {c: tuple(min(1.0, math.fsum(v[i] for v in values)) for i in range(3)) for c, values in parts.items()}


def _oracle_concentration(graph):
    rows = []
    for item in graph.items:
        supplies = graph.supplies.get(item)
        if not supplies:
            continue
        ranked = sorted(_country_shares(graph, item).items(), key=lambda kv: (-kv[1][0], kv[0]))
        top_country, (top, top_low, top_high) = ranked[0]
        node = graph.nodes[item]
        published = math.fsum(s.edge.share.point for s in supplies)
        rows.append({
            "id": item, "label": graph.label(item), "kind": node.kind, "stage": node.stage or "",
            "critical_mineral": node.critical_mineral, "top_country": top_country, "top_share": top,
            "top_share_low": top_low, "top_share_high": top_high,
            "top3_share": math.fsum(v[0] for _, v in ranked[:3]),
            "hhi": math.fsum((100.0 * v[0]) ** 2 for _, v in ranked),
            "share_unknown": max(0.0, 1.0 - published), "shares_sum": published, "suppliers": len(supplies),
            "bases": "; ".join(sorted({s.edge.basis for s in supplies if s.edge.basis})),
        })
    frame = pd.DataFrame(rows, columns=CONCENTRATION_COLUMNS)
    return frame.sort_values(["hhi", "id"], ascending=[False, True], kind="mergesort").reset_index(drop=True)


def _oracle_target(graph, threshold, all_items):
    conc = _oracle_concentration(graph).set_index("id")
    rows = []
    for item in graph.items:
        node = graph.nodes[item]
        if not all_items and not node.critical_mineral:
            continue
        if item not in conc.index:
            if all_items and node.kind != "material" and item not in graph.supplies:
                continue
            rows.append({"id": item, "label": graph.label(item), "stage": node.stage or "", "status": "no data",
                         "facts": ""})
            continue
        c = conc.loc[item]
        top = float(c.top_share)
        ranges = _country_shares(graph, item).values()
        remainder = max(0.0, 1.0 - math.fsum(s.edge.share.low for s in graph.supplies[item]))
        unnamed = remainder if node.unknown_max_share is None else min(remainder, node.unknown_max_share)
        why = ""
        if max(lo for _, lo, _ in ranges) > threshold + EPS:
            status = "fail"
        elif max(hi for _, _, hi in ranges) > threshold + EPS:
            status, why = "undetermined", "a range straddles the threshold"
        elif unnamed > threshold + EPS:
            status, why = "undetermined", f"{100 * unnamed:.0f}% unattributed could be one country's"
        else:
            status = "pass"
        total = float(c.shares_sum)
        if total > 1.0 + 1e-9:
            why = "; ".join(filter(None, [why, f"shares sum to {100 * total:.1f}% as published (rescaled only "
                                               "in propagation)"]))
        facts = sorted({s.edge.fact for s in graph.supplies[item] if s.edge.fact})
        failing = {co for co, (_, lo, _) in _country_shares(graph, item).items() if lo > threshold + EPS}
        estimated = any(is_estimate(s.edge) for s in graph.supplies[item] if not failing or s.country in failing)
        rows.append({
            "id": item, "label": c.label, "stage": c.stage, "top_country": c.top_country, "top_share": top,
            "top_share_low": float(c.top_share_low), "top_share_high": float(c.top_share_high), "hhi": float(c.hhi),
            "status": status, "margin": threshold - top,
            "capacity_needed": (max(0.0, top / threshold - 1.0) if top > threshold + EPS else
                                float("nan") if status == "undetermined" else 0.0),
            "share_unknown": float(c.share_unknown), "unknown_max": unnamed, "why": why, "bases": c.bases,
            "facts": ", ".join(facts), "evidence": "estimated" if estimated else "reported",
        })
    frame = pd.DataFrame(rows, columns=TARGET_COLUMNS)
    frame["_o"] = frame["status"].map({"fail": 0, "undetermined": 1, "pass": 2, "no data": 3})
    frame = frame.sort_values(["_o", "top_share", "id"], ascending=[True, False, True], kind="mergesort")
    return frame.drop(columns="_o").reset_index(drop=True)


def test_concentration_and_target_equal_the_per_item_computation(tmp_path):
    statuses = set()
    for name, graph in _graphs(tmp_path):
        pd.testing.assert_frame_equal(concentration(graph), _oracle_concentration(graph), check_exact=True)
        for threshold in (0.65, 0.3):
            for all_items in (False, True):
                got = target(graph, threshold=threshold, all_items=all_items)
                pd.testing.assert_frame_equal(got, _oracle_target(graph, threshold, all_items), check_exact=True)
                statuses |= set(got["status"])
    assert statuses == {"fail", "undetermined", "pass", "no data"}  # every branch is compared


def test_chokepoints_and_sweep_equal_each_computed_apart(tmp_path):
    """The analysis takes the country sweep from the exposure's engine passes: the same frames,
    to the last bit, as find_chokepoints and sweep called apart."""
    for name, graph in _graphs(tmp_path):
        frame, swept = ch.chokepoints_and_sweep(graph)
        pd.testing.assert_frame_equal(frame, ch.find_chokepoints(graph), check_exact=True)
        pd.testing.assert_frame_equal(swept, sweep(graph), check_exact=True)
        assert len(swept) == len(graph.products) * len(graph.countries), name


def test_sums_with_a_baseline_loss_skip_the_knockouts_that_change_nothing():
    """Knockouts that change no product add the baseline losses alone: the same sums, to the last
    bit, as product by product for every knockout (tiny baseline losses, some knockouts their
    own product, most changing nothing)."""
    rng = np.random.default_rng(3)
    for _ in range(30):
        n_products, width = int(rng.integers(1, 40)), int(rng.integers(1, 300))
        base_loss = np.where(rng.random(n_products) < 0.3, rng.random(n_products) * 1e-12, 0.0)
        base_loss[rng.random(n_products) < 0.1] = rng.random() * 0.5
        pairs = np.unique(rng.integers(0, width, 200) * n_products + rng.integers(0, n_products, 200))
        pairs = pairs[rng.random(len(pairs)) < 0.3]
        k, p = pairs // n_products, pairs % n_products
        loss = rng.random(len(pairs))
        self_pos = np.where(rng.random(width) < 0.2, rng.integers(0, n_products, width), -1)
        loss[self_pos[k] == p] = 0.0
        every = ch._sum_changed_with_baseline(p, k, loss, base_loss, self_pos, width)
        assert np.array_equal(ch._sum_with_baseline(p, k, loss, base_loss, self_pos, width), every)
