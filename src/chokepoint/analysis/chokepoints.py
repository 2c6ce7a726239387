"""Chokepoints: non-country nodes ranked by knockout impact combined with concentration.

For every non-country node:

- ``knockout_loss``: the mean loss over the products when the node is gone entirely;
- ``exposure``: the most any single country's cutoff takes from the node itself
  (``1 - min over countries of its availability``); it is at least the node's own top-country
  share, and also counts concentration upstream of it;
- ``score = knockout_loss * exposure``: how much the products stand to lose through this node
  and how likely one country is to take it away.

Structural columns beside the score: the products the node dominates (every supply path from a
supplier to the product passes through it) and its betweenness centrality.

The knockouts (every non-country node removed in turn) and the single-country cutoffs run on the
compiled engine (:mod:`chokepoint.engine`), many scenarios at once:

- the knockouts propagate only what each changes (:func:`~chokepoint.engine.knockout.knockout_batches`),
  under the point, high and low shares in one propagation, reduced batch by batch;
- the exposure and its bounds are engine passes over the countries (the point shares, the low
  ends with the remainder surviving, and lost), reduced chunk by chunk of countries;
- the dominators come from the compiled arrays; betweenness is skipped above
  :data:`BETWEENNESS_MAX_NODES` nodes, and ``frame.attrs["notes"]`` says so;
- the reasons are written for the rows kept only.

Every figure is the one the straightforward computation gives, to the last bit (the tests hold
the sparse knockouts to one full scenario per knockout, and the rest to the dense matrices).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import csr_array
from scipy.sparse.csgraph import depth_first_order

from .concentration import concentration, supply_table
from .scenarios import scenario_combos, sweep_to_frame
from ..model import Graph
from ..model.graph import gc_paused
from ..engine import compile_graph, evaluate, knockout_batches
from ..engine.knockout import BATCH

COLUMNS = ["id", "label", "kind", "score", "knockout_loss", "knockout_loss_low", "knockout_loss_high",
           "products_hit", "exposure", "exposure_low", "exposure_high", "worst_country",
           "top_country", "top_share", "hhi", "dominates", "betweenness", "reason"]
ROOT = ("__root__",)


#: Countries cut at once when the exposures and their bounds are reduced (the memory of a chunk
#: is rows x this x 8 bytes, two or three at a time).
COUNTRY_CHUNK = 64

#: Above this many nodes betweenness centrality is not computed (exact betweenness is
#: O(nodes x edges)); the frame's ``attrs["notes"]`` says so.
BETWEENNESS_MAX_NODES = 5000


def dominators(graph: Graph) -> dict[str, set[str]]:
    """For each product, the nodes every supply path to it passes through (itself excluded).

    Paths start at the roots of supply: nodes nothing feeds, and items partly supplied by unnamed
    others. The immediate dominators come from the compiled arrays (:func:`immediate_dominators`),
    not from a networkx graph.
    """
    compiled = compile_graph(graph)
    idom = immediate_dominators(compiled)
    ids = compiled.ids
    result = {}
    for product, row in zip(graph.products, _rows(compiled, graph.products).tolist()):
        doms, current = set(), row
        while idom[current] >= 0 and idom[current] != current:
            current = idom[current]
            doms.add(ids[current])
        result[product] = doms
    return result


def immediate_dominators(compiled) -> list[int]:
    """Each row's immediate dominator (a row), from a virtual root feeding the roots of supply;
    ``-1`` for a root's (the virtual root) and for rows the root does not reach.

    Edges are the document's (supplies and requires: a facility's country is not an edge). Cooper,
    Harvey and Kennedy's iterative algorithm (the one networkx uses), over a depth-first postorder
    of the whole graph, run level by level of the compiled graph: the rows of a level outside its
    cycle block read only lower levels, whose dominators are final, so they are intersected all at
    once as arrays (one pass); a cycle block is iterated node by node, in reverse postorder, until
    nothing changes.
    """
    n = compiled.n_nodes
    root = n
    own_s = np.repeat(np.arange(n, dtype=np.int64), np.diff(compiled.sup_ptr))
    own_i = np.repeat(np.arange(n, dtype=np.int64), np.diff(compiled.in_ptr))
    src = np.concatenate([compiled.sup_src, compiled.in_src]).astype(np.int64)
    dst = np.concatenate([own_s, own_i])
    indeg = np.bincount(dst, minlength=n)
    supplied = np.diff(compiled.sup_ptr) > 0
    starts = np.flatnonzero((indeg == 0) | (supplied & (compiled.remainder > 1e-12)))
    src = np.concatenate([src, np.full(len(starts), root)])
    dst = np.concatenate([dst, starts])
    # a depth-first postorder from the root: post = pre - depth + subtree size - 1
    succ = csr_array((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n + 1, n + 1))
    pre_order, parent = depth_first_order(succ, root, directed=True, return_predecessors=True)
    pre_order = pre_order.astype(np.int64)
    parent = parent.astype(np.int64)
    depth = [0] * (n + 1)
    size = [1] * (n + 1)
    parent_l = parent.tolist()
    visited = pre_order.tolist()
    for node in visited[1:]:  # parents come first in preorder
        depth[node] = depth[parent_l[node]] + 1
    for node in visited[:0:-1]:  # children before parents
        size[parent_l[node]] += size[node]
    depth, size = np.asarray(depth, dtype=np.int64), np.asarray(size, dtype=np.int64)
    post = np.full(n + 1, -1, dtype=np.int64)
    post[pre_order] = np.arange(len(pre_order)) - depth[pre_order] + size[pre_order] - 1
    # predecessors by reader
    order = np.argsort(dst, kind="stable")
    pred_ptr = np.r_[0, np.cumsum(np.bincount(dst, minlength=n + 1))].astype(np.int64)
    pred = src[order]
    idom = np.full(n + 1, -1, dtype=np.int64)
    idom[root] = root

    def intersect(a, b):
        a, b = a.copy(), b.copy()
        while True:
            differ = np.flatnonzero(a != b)
            if not len(differ):
                return a
            x, y = a[differ], b[differ]
            up_a = post[x] < post[y]
            a[differ[up_a]] = idom[x[up_a]]
            up_b = post[y] < post[x]
            b[differ[up_b]] = idom[y[up_b]]

    post_l = pred_l = ptr_l = None
    for lv in range(compiled.n_levels):
        r0, r1, r2 = int(compiled.level_ptr[lv]), int(compiled.cyclic_ptr[lv]), int(compiled.level_ptr[lv + 1])
        if r1 > r0:
            rows = np.arange(r0, r1)
            first, deg = pred_ptr[rows], pred_ptr[rows + 1] - pred_ptr[rows]
            by_deg = np.argsort(-deg, kind="stable")
            rows, first, deg = rows[by_deg], first[by_deg], deg[by_deg]
            acc = np.full(len(rows), -1, dtype=np.int64)
            for k in range(int(deg[0]) if len(deg) else 0):
                m = int(np.count_nonzero(deg > k))
                p = pred[first[:m] + k]
                valid = idom[p] >= 0
                take = valid & (acc[:m] < 0)
                acc[:m][take] = p[take]
                both = np.flatnonzero(valid & ~take)
                if len(both):
                    acc[both] = intersect(acc[both], p[both])
            idom[rows] = acc
        if r2 > r1:
            block = np.arange(r1, r2)
            block = block[post[block] >= 0]
            block = block[np.argsort(-post[block], kind="stable")].tolist()  # reverse postorder
            if post_l is None:
                post_l, pred_l, ptr_l = post.tolist(), pred.tolist(), pred_ptr.tolist()
            idom_l = idom.tolist()
            changed = True
            while changed:
                changed = False
                for node in block:
                    new = -1
                    for p in pred_l[ptr_l[node]:ptr_l[node + 1]]:
                        if idom_l[p] < 0:
                            continue
                        if new < 0:
                            new = p
                            continue
                        a, b = p, new
                        while a != b:
                            while post_l[a] < post_l[b]:
                                a = idom_l[a]
                            while post_l[b] < post_l[a]:
                                b = idom_l[b]
                        new = a
                    if idom_l[node] != new:
                        idom_l[node] = new
                        changed = True
            idom[block] = np.asarray(idom_l, dtype=np.int64)[block]
    return [-1 if (d == root or d < 0) else d for d in idom[:n].tolist()]


def _rows(compiled, ids) -> np.ndarray:
    """The compiled rows of node ids (``compiled.rows`` without its check for rows given as such)."""
    index = compiled.index
    return np.fromiter((index[i] for i in ids), dtype=np.int64, count=len(ids))


def find_chokepoints(graph: Graph, *, top: int | None = None) -> pd.DataFrame:
    """Every non-country node ranked by ``score`` (see module docstring), with the reason in words."""
    with gc_paused():
        return _find_chokepoints(graph, top)[0]


def chokepoints_and_sweep(graph: Graph, *, top: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`find_chokepoints` and the single-country sweep (:func:`~.scenarios.sweep` with its
    defaults: every country, no spare capacity, with bounds) from the same engine passes over the
    countries: the sweep's matrices are the products' rows of the exposure's (products are
    candidates). Both bit for bit as computed apart."""
    with gc_paused():
        return _find_chokepoints(graph, top, sweep=True)


def _find_chokepoints(graph: Graph, top, sweep: bool = False):
    compiled = compile_graph(graph)
    products = graph.products
    nodes = graph.columns.nodes
    kinds = nodes["kind"].to_numpy(dtype=object)
    candidates = nodes["id"][kinds != "country"].tolist()
    cand_rows = _rows(compiled, candidates)
    countries = graph.countries
    sweep_frame = None
    if sweep:
        at = np.full(compiled.n_nodes, -1, dtype=np.int64)
        at[cand_rows] = np.arange(len(cand_rows))
        keep = at[_rows(compiled, products)]
        exposure, worst, exposure_low, exposure_high, (s_point, s_low, s_high) = exposures(
            compiled, countries, cand_rows, bounds=True, keep=keep)
        sweep_frame = sweep_to_frame(graph, scenario_combos(graph), s_point, s_low, s_high)
        del s_point, s_low, s_high
    else:
        exposure, worst, exposure_low, exposure_high = exposures(compiled, countries, cand_rows, bounds=True)
    # where end items stand in for products (an imported data table), an item's own loss counts:
    # otherwise every candidate would be its own excluded product and score 0
    stand_in = not (kinds == "product").any()
    product_rows = _rows(compiled, products)
    # the point shares, and for the bounds every share at its high end (the most a lost node can
    # take) .. at its low end: one propagation carries the three
    (knockout, hits, top_hits), (knockout_high, _, _), (knockout_low, _, _) = knockout_losses_many(
        compiled, cand_rows, product_rows, shares=(None, compiled.sup_high, compiled.sup_low), top=(3, 0, 0),
        count_self=stand_in)
    conc = concentration(graph).set_index("id").reindex(candidates)
    has_conc = conc["top_country"].notna().to_numpy()
    dominated_by: dict[str, list[str]] = {}
    for product, doms in dominators(graph).items():
        for node in doms:
            dominated_by.setdefault(node, []).append(product)
    notes = []
    if graph.n_nodes <= BETWEENNESS_MAX_NODES:
        import networkx as nx  # start-up: networkx (0.2 s) only for the betweenness of a small graph
        between = nx.betweenness_centrality(graph.digraph)
    else:
        between = {}
        notes.append(f"betweenness not computed above {BETWEENNESS_MAX_NODES:,} nodes "
                     f"(this graph has {graph.n_nodes:,})")
    nan = float("nan")
    labels = graph.labels
    country_names = np.array(list(countries) + [""], dtype=object)
    frame = pd.DataFrame({
        "id": candidates, "label": [labels[c] for c in candidates],
        "kind": kinds[kinds != "country"].tolist(),
        "score": knockout * exposure, "knockout_loss": knockout,
        "knockout_loss_low": np.minimum(np.minimum(knockout, knockout_low), knockout_high),
        "knockout_loss_high": np.maximum(np.maximum(knockout, knockout_low), knockout_high),
        "products_hit": hits, "exposure": exposure,
        "worst_country": country_names[worst].tolist(),
        "top_country": np.where(has_conc, conc["top_country"].to_numpy(dtype=object), "").tolist(),
        "top_share": np.where(has_conc, conc["top_share"].to_numpy(dtype=np.float64), nan),
        "hhi": np.where(has_conc, conc["hhi"].to_numpy(dtype=np.float64), nan),
        "dominates": [", ".join(sorted(dominated_by[c])) if c in dominated_by else "" for c in candidates],
        "betweenness": [between.get(c, nan) for c in candidates],
    })
    frame = frame.sort_values(["score", "knockout_loss", "id"], ascending=[False, False, True], kind="mergesort")
    frame = frame.head(top) if top else frame
    # the exposure's bounds, for the rows kept
    kept = frame.index.to_numpy()
    frame["exposure_low"] = np.minimum(exposure[kept], exposure_low[kept])
    frame["exposure_high"] = np.maximum(exposure[kept], exposure_high[kept])
    # the reasons, for the rows kept: in words, from the knockouts and the shares
    words = _Words(graph)
    frame["reason"] = [words.reason(row, [(products[p], loss) for p, loss in top_hits[k]])
                       for k, row in zip(frame.index.tolist(), frame.to_dict("records"))]
    frame = frame[COLUMNS].reset_index(drop=True)
    frame.attrs["notes"] = notes
    return frame, sweep_frame


def exposures(compiled, countries, rows, *, bounds: bool = False, keep=None):
    """Each row's exposure to single-country cutoffs (:func:`country_exposure`): for the ``rows``
    (compiled rows), ``(exposure, worst country or -1)``, and with ``bounds`` also the exposure's
    bounds ``(low, high)`` (:func:`exposure_bounds`). The cutoffs run :data:`COUNTRY_CHUNK`
    countries at a time and are reduced chunk by chunk, so that memory is bounded by a chunk, not
    rows x countries.

    ``keep`` (positions into ``rows``, with ``bounds``): also return those rows' (rows x countries)
    matrices ``(point, low, high)`` as :func:`~.evidence.bounds` gives them (the sweep's)."""
    k = len(rows)
    exposure = np.zeros(k)
    worst = np.full(k, -1, dtype=np.int64)
    low, high = (np.full(k, -np.inf), np.full(k, -np.inf)) if len(countries) else (np.zeros(k), np.zeros(k))
    rows = np.asarray(rows, dtype=np.int64)
    countries = list(countries)
    kept = ([], [], []) if keep is not None else None
    for c0 in range(0, len(countries), COUNTRY_CHUNK):
        cuts = [[c] for c in countries[c0:c0 + COUNTRY_CHUNK]]
        point = evaluate(compiled, cuts, rows=rows)
        _fold_exposure(point, c0, exposure, worst)
        if bounds:
            _fold_bounds(compiled, cuts, rows, point, low, high, keep, kept)
    if keep is not None:
        width = (len(keep), 0)
        return exposure, worst, low, high, tuple(np.concatenate(m, axis=1) if m else np.zeros(width) for m in kept)
    return (exposure, worst, low, high) if bounds else (exposure, worst)


def _fold_bounds(compiled, cuts, rows, point, low, high, keep=None, kept=None) -> None:
    """The exposure's bounds continued over the countries ``cuts``: the most a cutoff takes with
    the shares at their low ends and the remainder surviving (low) or lost (high), each value
    held on the far side of its point value, as :func:`~.evidence.bounds` does; ``kept`` gathers
    the ``keep`` rows' point, low and high values."""
    survive = np.maximum(evaluate(compiled, cuts, shares=compiled.sup_low, rows=rows), point)
    np.maximum(low, (1.0 - survive).max(axis=1), out=low)
    if keep is not None:
        kept[0].append(point[keep])
        kept[2].append(survive[keep])
    del survive
    lost = np.minimum(evaluate(compiled, cuts, shares=compiled.sup_low, remainder_lost=True, rows=rows), point)
    np.maximum(high, (1.0 - lost).max(axis=1), out=high)
    if keep is not None:
        kept[1].append(lost[keep])


def exposure_bounds(compiled, countries, rows):
    """The bounds of each row's exposure to single-country cutoffs: ``(low, high)``, the most any
    one cutoff takes with the shares at their low ends and the unattributed remainder surviving
    (low) or lost (high), each cutoff's value held on the far side of its point value
    (:func:`~.evidence.bounds`). Bit for bit the maxima of :func:`~.evidence.bounds`' matrices:
    the same engine evaluations, :data:`COUNTRY_CHUNK` countries at a time (dense: every cutoff
    reaches most rows, so following only what each changes would cost more)."""
    if not len(countries) or not len(rows):
        return np.zeros(len(rows)), np.zeros(len(rows))
    return exposures(compiled, countries, rows, bounds=True)[2:]


def _fold_exposure(by_country, first, exposure, worst) -> None:
    """:func:`country_exposure` continued over more countries (columns numbered from ``first``)."""
    for c in range(by_country.shape[1]):
        loss = 1.0 - by_country[:, c]
        better = loss > exposure + 1e-12
        exposure[better] = loss[better]
        worst[better] = first + c


def country_exposure(by_country: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The most any single country's cutoff takes from each node, and which country (first wins).

    ``by_country``: (nodes x countries) availability. Returns (exposure, country column or -1).
    """
    k = by_country.shape[0]
    exposure = np.zeros(k)
    worst = np.full(k, -1, dtype=np.int64)
    _fold_exposure(by_country, 0, exposure, worst)
    return exposure, worst


def knockout_losses(compiled, cand_rows: np.ndarray, product_rows: np.ndarray, *, top: int = 3,
                    count_self: bool = False, shares=None):
    """Each candidate knocked out in turn: mean product loss (the node itself excluded when it is a
    product, unless ``count_self``), the number of products hit (loss > 1e-12), and the ``top`` hardest hit as
    ``[(product position, loss)]`` ordered by loss, then product id.

    Only what a knockout changes is evaluated (:func:`chokepoint.engine.knockout.knockout_batches`:
    the nodes downstream of it, as sparse pairs), and the losses are summed product by product in
    order, so that every figure is the one a full scenario per knockout gives
    (:func:`knockout_losses_dense`), to the last bit.
    """
    return knockout_losses_many(compiled, cand_rows, product_rows, shares=(shares,), top=top,
                                count_self=count_self)[0]


def knockout_losses_many(compiled, cand_rows: np.ndarray, product_rows: np.ndarray, *, shares=(None,), top=3,
                         count_self: bool = False) -> list:
    """:func:`knockout_losses` under several share vectors (``None``: the point shares), from one
    propagation that carries them together: one ``(knockout, hits, top_hits)`` per vector, each
    bit-identical to its own :func:`knockout_losses` call. ``top``: one for all, or one per vector.

    The pairs a knockout changes are reduced batch by batch (memory bounded by the batch, not by
    knockouts x products).
    """
    shares = list(shares)
    tops = [int(top)] * len(shares) if np.ndim(top) == 0 else [int(t) for t in top]
    if len(tops) != len(shares):
        raise ValueError(f"{len(tops)} top counts for {len(shares)} share vectors")
    k_total, n_products = len(cand_rows), len(product_rows)
    results = [(np.zeros(k_total), np.zeros(k_total, dtype=np.int64), [[] for _ in range(k_total)])
               for _ in shares]
    if not k_total or not n_products:
        return results
    cand_rows = np.asarray(cand_rows, dtype=np.int64)
    product_rows = np.asarray(product_rows, dtype=np.int64)
    position = np.full(compiled.n_nodes, -1, dtype=np.int64)
    position[product_rows] = np.arange(n_products)
    self_pos = position[cand_rows] if not count_self else np.full(k_total, -1, dtype=np.int64)
    id_rank = None
    if any(t > 0 for t in tops):
        ids = compiled.ids
        id_rank = np.argsort(np.argsort(np.array([ids[r] for r in product_rows], dtype=object), kind="stable"),
                             kind="stable").astype(np.int64)
    # the knockouts in an order that spreads the shallow ones (the largest downstream regions)
    # over the batches, so that no batch holds most of the work and its memory; results go back
    # to the candidates' order at the end
    order = spread(compiled.level[cand_rows], BATCH)
    held = [(np.zeros(k_total), np.zeros(k_total, dtype=np.int64), [[] for _ in range(k_total)]) for _ in shares]
    self_held = self_pos[order]
    for b0, b1, p, k, values, changed, baseline in knockout_batches(compiled, cand_rows[order], product_rows,
                                                                    shares=shares, batch=BATCH):
        local = k - b0
        for v, result in enumerate(held):
            sel = changed[:, v]
            if sel.all():
                pv, kv, av = p, local, values[:, v]
            else:
                pv, kv, av = p[sel], local[sel], np.compress(sel, values[:, v])
            _reduce_batch(b0, b1, pv, kv, av, baseline[:, v], self_held[b0:b1], result, tops[v], id_rank)
    for (knockout, hits, top_hits), (knockout_h, hits_h, top_h) in zip(results, held):
        knockout[order] = knockout_h
        hits[order] = hits_h
        for j, at in enumerate(order.tolist()):
            top_hits[at] = top_h[j]
    return results


def spread(level: np.ndarray, batch: int) -> np.ndarray:
    """An order of positions that deals them, sorted by ``level``, round-robin into consecutive
    batches of ``batch``: each batch gets its share of every level."""
    n = len(level)
    n_batches = max(1, -(-n // batch))
    by_level = np.argsort(level, kind="stable")
    return np.concatenate([by_level[b::n_batches] for b in range(n_batches)]) if n else by_level


def _reduce_batch(b0, b1, p, k, avail, base, self_pos, result, top, id_rank) -> None:
    """One batch of knockouts (``k`` local to it, pairs sorted by knockout then product) into
    ``result`` = (mean loss, products hit, top hits) at positions ``b0:b1``."""
    knockout, hits, top_hits = result
    width, n_products = b1 - b0, len(base)
    base_loss = 1.0 - base
    # products a knockout does not change keep their baseline loss; where that is a hit
    # (rare: a product short with nothing knocked out) it is listed for every knockout
    short = np.flatnonzero(base_loss > 1e-12)
    if len(short):
        extra_k = np.repeat(np.arange(width, dtype=np.int64), len(short))
        extra_p = np.tile(short, width)
        have = np.isin(extra_k * n_products + extra_p, k * n_products + p)
        p = np.concatenate([p, extra_p[~have]])
        k = np.concatenate([k, extra_k[~have]])
        avail = np.concatenate([avail, base[extra_p[~have]]])
        order = np.argsort(k * n_products + p, kind="stable")
        p, k, avail = p[order], k[order], avail[order]
    loss = 1.0 - avail
    loss[self_pos[k] == p] = 0.0
    count = np.full(width, n_products, dtype=np.int64) - (self_pos >= 0)
    if (base_loss != 0.0).any():
        total = _sum_with_baseline(p, k, loss, base_loss, self_pos, width)
    else:
        total = _sum_in_order(k, loss, width)
    knockout[b0:b1] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
    hit = loss > 1e-12
    hits[b0:b1] = np.bincount(k[hit], minlength=width)
    if top > 0 and hit.any():
        hp, hk, hl = p[hit], k[hit], loss[hit]
        # the top hits of each knockout (sorted by knockout): the largest loss, ties by product id,
        # picked one round at a time
        starts = np.flatnonzero(np.r_[True, hk[1:] != hk[:-1]])
        seg = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(hk)]))
        rank = id_rank[hp]
        taken = np.zeros(len(hk), dtype=bool)
        for _ in range(top):
            value = np.where(taken, -np.inf, hl)
            best = np.maximum.reduceat(value, starts)
            tie = (value == best[seg]) & ~taken & (best[seg] > -np.inf)
            best_rank = np.minimum.reduceat(np.where(tie, rank, np.iinfo(np.int64).max), starts)
            chosen = np.flatnonzero(tie & (rank == best_rank[seg]))
            taken[chosen] = True
            for kk, pp, ll in zip((hk[chosen] + b0).tolist(), hp[chosen].tolist(), hl[chosen].tolist()):
                top_hits[kk].append((pp, ll))


def _sum_in_order(k, loss, width) -> np.ndarray:
    """Each knockout's losses summed one after another in product order (pairs sorted by knockout,
    then product), as the reference's ``sum()`` does: ``np.bincount`` adds its weights one by one
    in the order given."""
    return np.bincount(k, weights=loss, minlength=width).astype(np.float64)


def _sum_with_baseline(p, k, loss, base_loss, self_pos, width) -> np.ndarray:
    """:func:`_sum_in_order` where some products have a loss with nothing knocked out. A knockout
    that changes no product (and is not itself such a product) adds the baseline losses alone, in
    product order: one sum, the same for all of them; the others go product by product
    (:func:`_sum_changed_with_baseline`)."""
    active = np.zeros(width, dtype=bool)
    active[k] = True
    own = np.flatnonzero(self_pos >= 0)
    active[own[base_loss[self_pos[own]] != 0.0]] = True
    plain = 0.0
    for value in base_loss[base_loss != 0.0].tolist():  # in product order, as the loop below
        plain += value
    total = np.full(width, plain)
    act = np.flatnonzero(active)
    if len(act):
        local = np.full(width, -1, dtype=np.int64)
        local[act] = np.arange(len(act))
        total[act] = _sum_changed_with_baseline(p, local[k], loss, base_loss, self_pos[act], len(act))
    return total


def _sum_changed_with_baseline(p, k, loss, base_loss, self_pos, width) -> np.ndarray:
    """:func:`_sum_in_order` where some products have a loss with nothing knocked out: product by
    product, a product's changed losses to the knockouts that change it, its baseline loss (where
    not 0) to all others. Between two such products the changed losses go in one ``np.add.at``
    (one by one, in product order)."""
    n_products = len(base_loss)
    by_product = np.argsort(p.astype(np.int16) if n_products < 32768 else p, kind="stable")
    ps, ks, ls = p[by_product], k[by_product], loss[by_product]
    self_of: dict = {}
    for kk in np.flatnonzero(self_pos >= 0).tolist():
        self_of.setdefault(int(self_pos[kk]), []).append(kk)
    total = np.zeros(width)
    done = 0
    for pos in np.flatnonzero(base_loss != 0.0).tolist():
        a0 = int(np.searchsorted(ps, pos, side="left"))
        a1 = int(np.searchsorted(ps, pos, side="right"))
        np.add.at(total, ks[done:a0], ls[done:a0])
        term = np.full(width, base_loss[pos])
        term[self_of.get(pos, [])] = 0.0
        term[ks[a0:a1]] = ls[a0:a1]
        total += term
        done = a1
    np.add.at(total, ks[done:], ls[done:])
    return total


def knockout_losses_dense(compiled, cand_rows: np.ndarray, product_rows: np.ndarray, *, top: int = 3,
                    count_self: bool = False, shares=None):
    """:func:`knockout_losses` by full scenarios on the engine, one per knockout: the oracle the
    tests hold the sparse propagation to. Each candidate knocked out in turn: mean product loss (the node itself excluded when it is a
    product, unless ``count_self``), the number of products hit (loss > 1e-12), and the ``top`` hardest hit as
    ``[(product position, loss)]`` ordered by loss, then product id.

    Knockouts run on the engine in chunks (deepest nodes first: the levels below a chunk's
    shallowest knockout are not recomputed), reduced chunk by chunk.
    """
    k_total, n_products = len(cand_rows), len(product_rows)
    knockout = np.zeros(k_total)
    hits = np.zeros(k_total, dtype=np.int64)
    top_hits: list = [[] for _ in range(k_total)]
    if not k_total:
        return knockout, hits, top_hits
    ids = compiled.ids
    id_rank = np.argsort(np.argsort(np.array([ids[r] for r in product_rows], dtype=object), kind="stable"),
                         kind="stable") if n_products else np.zeros(0, dtype=np.int64)
    # deepest nodes first: a chunk's levels below its shallowest knockout are copied, not computed
    order = np.argsort(-np.asarray(cand_rows), kind="stable")
    rows_sorted = np.asarray(cand_rows)[order]

    def reduce(start, stop, avail):
        pick = order[start:stop]
        rows = rows_sorted[start:stop]
        loss = 1.0 - avail
        is_self = product_rows[:, None] == rows[None, :]
        if count_self:
            is_self = np.zeros_like(is_self)
        loss[is_self] = 0.0
        count = n_products - is_self.sum(axis=0)
        # summed product by product, in order (as the reference's sum() does)
        total = np.add.accumulate(loss, axis=0)[-1] if n_products else np.zeros(len(rows))
        knockout[pick] = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        hit = loss > 1e-12
        hits[pick] = hit.sum(axis=0)
        for j, k in enumerate(pick.tolist()):
            where = np.flatnonzero(hit[:, j])
            if not len(where):
                continue
            values = loss[where, j]
            best = where[np.lexsort((id_rank[where], -values))[:top]]
            top_hits[k] = [(int(p), float(loss[p, j])) for p in best]

    evaluate(compiled, knockout=[[int(r)] for r in rows_sorted], rows=product_rows, on_chunk=reduce, shares=shares)
    return knockout, hits, top_hits


class _Words:
    """The reason for a chokepoint in words, read from the graph's columns and its supplies
    (:func:`~.concentration.supply_table`)."""

    def __init__(self, graph: Graph):
        self.graph = graph
        nodes = graph.columns.nodes
        self.kind = dict(zip(nodes["id"].tolist(), nodes["kind"].tolist()))
        self.country = dict(zip(nodes["id"].tolist(), nodes["country"].tolist()))
        self._ranges = None

    def share(self, item: str, country: str) -> str:
        """A country's share of an item as the sources give it: ``90%``, or for an estimate
        ``an estimated 70-95% (dominant)``."""
        table = supply_table(self.graph)
        if self._ranges is None:
            bounds_ = table.starts.tolist()
            self._ranges = dict(zip(table.items.tolist(), zip(bounds_[:-1], bounds_[1:])))
        e0, e1 = self._ranges.get(item, (0, 0))
        mine = [e for e in range(e0, e1) if table.country[e] == country]
        lows, highs = table.low[mine].tolist(), table.high[mine].tolist()
        low = min(1.0, sum(lows))
        high = min(1.0, sum(highs))
        if not table.estimated[mine].any():
            return f"{100 * low:.0f}%"
        words = sorted({w for w in table.level[mine].tolist() if w})
        span = f"{100 * low:.0f}%" if abs(high - low) < 5e-3 else f"{100 * low:.0f}-{100 * high:.0f}%"
        return f"an estimated {span}" + (f" ({', '.join(words)})" if words else "")

    def reason(self, row: dict, top_hits: list[tuple[str, float]]) -> str:
        hit_count = int(row["products_hit"])
        if not hit_count:
            return "no product depends on it alone"
        label = self.graph.label
        names = ", ".join(f"{label(p)} -{100 * loss:.0f}%" for p, loss in top_hits[:3])
        more = f" and {hit_count - 3} more" if hit_count > 3 else ""
        text = f"losing it costs {names}{more}"
        if row["exposure"] > 0:
            text += f"; a {row['worst_country']} cutoff alone removes {100 * row['exposure']:.0f}% of it"
            ident = row["id"]
            if self.kind[ident] == "facility" and self.country[ident] == row["worst_country"]:
                text += f" (it sits in {self.country[ident]})"
            elif (row["top_country"] and row["top_country"] == row["worst_country"]
                  and row["top_share"] == row["top_share"]):
                text += f" ({row['worst_country']} supplies {self.share(ident, row['worst_country'])} directly)"
            elif row["top_country"] != row["worst_country"]:
                text += " through its inputs"
        if row["dominates"]:
            text += f"; every supply path to {row['dominates']} passes through it"
        return text
