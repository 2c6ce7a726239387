"""The naive script an analyst would write for one country cutoff, from file to answer.

    python benchmarks/naive_cutoff.py GRAPH.json CN OUT.json

``json.load`` the graph, a networkx DiGraph, one topological propagation, ``json.dump`` of
``{product id: availability}``. The semantics are DESIGN.md's (and chokepoint's): a cut
country and its facilities supply nothing; a supplied item has the surviving share-weighted
supply plus its unknown remainder (shares at their midpoints, scaled down where an item's sum
passes 1), capped at 1; ``needs: all`` takes the scarcest input, ``needs: any`` the best.
It needs an acyclic graph (it sorts topologically). Level words ("dominant") are read from
chokepoint's vocabulary table (``model/schema.py``, loaded by path: no chokepoint import).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import networkx as nx

SCHEMA = Path(__file__).resolve().parent.parent / "src" / "chokepoint" / "model" / "schema.py"


def levels() -> dict:
    spec = importlib.util.spec_from_file_location("_schema", SCHEMA)
    module = importlib.util.module_from_spec(spec)
    sys.modules["_schema"] = module  # dataclasses resolve annotations through sys.modules
    spec.loader.exec_module(module)
    return module.LEVELS


def point(share, words) -> float:
    if isinstance(share, str):
        low, high = words[share.strip().lower()]
        return (low + high) / 2
    if isinstance(share, list):
        return (share[0] + share[1]) / 2
    return float(share)


def naive_cutoff(path, country: str) -> dict:
    words = levels()
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    g = nx.DiGraph()
    for node in doc["nodes"]:
        g.add_node(node["id"], **node)
    for edge in doc["edges"]:
        g.add_edge(edge["from"], edge["to"], type=edge["type"],
                   share=point(edge["share"], words) if edge["type"] == "supplies" else None)
    products = [n["id"] for n in doc["nodes"] if n["kind"] == "product"]
    avail = {}
    for node in nx.topological_sort(g):
        data = g.nodes[node]
        kind = data["kind"]
        if kind == "country":
            avail[node] = 0.0 if node == country else 1.0
            continue
        if kind == "facility":
            value = 0.0 if data.get("country") == country else avail.get(data.get("country"), 1.0)
        else:
            supplies = [(u, d["share"]) for u, _, d in g.in_edges(node, data=True) if d["type"] == "supplies"]
            if supplies:
                total = sum(s for _, s in supplies)
                scale = 1.0 / total if total > 1.0 else 1.0
                remainder = max(0.0, 1.0 - total * scale)
                value = min(1.0, sum(s * scale * avail[u] for u, s in supplies) + remainder)
            else:
                value = 1.0
        inputs = [avail[u] for u, _, d in g.in_edges(node, data=True) if d["type"] == "requires"]
        if inputs:
            value = min(value, max(inputs) if data.get("needs") == "any" else min(inputs))
        avail[node] = value
    return {p: avail[p] for p in products}


def main(argv) -> None:
    path, country, out = argv
    answer = naive_cutoff(path, country)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(answer, f)


if __name__ == "__main__":
    main(sys.argv[1:])
