"""The chain of nodes that explains a loss: from the cut country, through the binding inputs and
suppliers, to the node that lost availability."""

from __future__ import annotations

from ..model import Graph


def loss_path(graph: Graph, avail: dict[str, float], node_id: str, knockout=frozenset()) -> list[str]:
    """The chain of nodes that explains a node's loss, from the cut country to the node.

    At each step the binding cause is followed: for an ``all`` node the scarcest input when it
    binds, for an ``any`` node its best alternative, otherwise the supplier whose loss removes the
    most supply (a facility leads on to its country).
    """
    path = [node_id]
    seen = {node_id}
    current = node_id
    while True:
        node = graph.nodes[current]
        if node.kind == "country" or current in knockout or avail[current] >= 1.0 - 1e-12:
            break
        step = None
        inputs = graph.inputs.get(current, ())
        if inputs:
            sign = -1.0 if node.needs == "any" else 1.0
            best = sorted(inputs, key=lambda i: (sign * avail[i], i))[0]
            if avail[best] <= avail[current] + 1e-12 and avail[best] < 1.0 - 1e-12:
                step = best
        if step is None and node.kind == "facility":
            step = node.country
        if step is None:
            losses = [(s.share * (1.0 - avail[s.supplier]), s.supplier) for s in graph.supplies.get(current, ())]
            losses = [(loss, sup) for loss, sup in losses if loss > 0]
            if losses:
                step = sorted(losses, key=lambda x: (-x[0], x[1]))[0][1]
        if step is None or step in seen:
            break
        path.append(step)
        seen.add(step)
        current = step
    return list(reversed(path))
