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
"""

from __future__ import annotations

import networkx as nx
import pandas as pd

from .concentration import concentration
from .graph import Graph
from .propagate import Scenario, evaluation_order, propagate

COLUMNS = ["id", "label", "kind", "score", "knockout_loss", "products_hit", "exposure", "worst_country",
           "top_country", "top_share", "hhi", "dominates", "betweenness", "reason"]
ROOT = ("__root__",)


def dominators(graph: Graph) -> dict[str, set[str]]:
    """For each product, the nodes every supply path to it passes through (itself excluded)."""
    g = nx.DiGraph(graph.digraph)
    g.add_node(ROOT)
    for node_id in graph.nodes:
        # roots of supply: nodes nothing feeds, and items partly supplied by unnamed others
        if g.in_degree(node_id) == 0 or (node_id in graph.supplies and graph.unknown_share(node_id) > 1e-12):
            g.add_edge(ROOT, node_id)
    idom = nx.immediate_dominators(g, ROOT)
    result = {}
    for product in graph.products:
        doms, current = set(), product
        while current in idom and idom[current] != current:
            current = idom[current]
            if current != ROOT:
                doms.add(current)
        result[product] = doms
    return result


def find_chokepoints(graph: Graph, *, top: int | None = None) -> pd.DataFrame:
    """Every non-country node ranked by ``score`` (see module docstring), with the reason in words."""
    order = evaluation_order(graph)
    products = graph.products
    candidates = [n for n in graph.nodes if graph.nodes[n].kind != "country"]
    by_country = {c: propagate(graph, Scenario(countries=frozenset([c])), order) for c in graph.countries}
    conc = concentration(graph).set_index("id")
    doms = dominators(graph)
    between = nx.betweenness_centrality(graph.digraph) if len(graph.nodes) <= 5000 else {}
    rows = []
    for node_id in candidates:
        avail = propagate(graph, Scenario(knockout=frozenset([node_id])), order)
        losses = {p: 1.0 - avail[p] for p in products if p != node_id}
        knockout = sum(losses.values()) / len(losses) if losses else 0.0
        hit = sorted((p for p, loss in losses.items() if loss > 1e-12), key=lambda p: (-losses[p], p))
        worst, exposure = "", 0.0
        for country, values in by_country.items():
            loss = 1.0 - values[node_id]
            if loss > exposure + 1e-12:
                worst, exposure = country, loss
        has_conc = node_id in conc.index
        dominated = sorted(p for p, d in doms.items() if node_id in d)
        row = {
            "id": node_id, "label": graph.label(node_id), "kind": graph.nodes[node_id].kind,
            "score": knockout * exposure, "knockout_loss": knockout, "products_hit": len(hit),
            "exposure": exposure, "worst_country": worst,
            "top_country": conc.loc[node_id, "top_country"] if has_conc else "",
            "top_share": float(conc.loc[node_id, "top_share"]) if has_conc else float("nan"),
            "hhi": float(conc.loc[node_id, "hhi"]) if has_conc else float("nan"),
            "dominates": ", ".join(dominated), "betweenness": between.get(node_id, float("nan")),
        }
        row["reason"] = _reason(graph, row, hit, losses)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame = frame.sort_values(["score", "knockout_loss", "id"], ascending=[False, False, True], kind="mergesort")
    frame = frame.reset_index(drop=True)
    return frame.head(top) if top else frame


def _reason(graph: Graph, row: dict, hit: list[str], losses: dict[str, float]) -> str:
    if not hit:
        return "no product depends on it alone"
    names = ", ".join(f"{graph.label(p)} -{100 * losses[p]:.0f}%" for p in hit[:3])
    more = f" and {len(hit) - 3} more" if len(hit) > 3 else ""
    text = f"losing it costs {names}{more}"
    if row["exposure"] > 0:
        text += f"; a {row['worst_country']} cutoff alone removes {100 * row['exposure']:.0f}% of it"
        if row["top_country"] and row["top_country"] == row["worst_country"] and row["top_share"] == row["top_share"]:
            text += f" ({row['worst_country']} supplies {100 * row['top_share']:.0f}% directly)"
        elif row["top_country"] != row["worst_country"]:
            text += " through its inputs"
    if row["dominates"]:
        text += f"; every supply path to {row['dominates']} passes through it"
    return text
