"""Hypothesis strategies: random valid chokepoint documents of a few dozen nodes."""

from __future__ import annotations

from hypothesis import strategies as st

COUNTRIES = ["CN", "JP", "US", "DE", "TW", "KR", "NL", "FI", "IN", "AU"]
LEVELS = ["sole", "dominant", "main", "major", "minor"]


@st.composite
def share_values(draw, room: float):
    """A share whose low end fits in ``room``: a number, a range or (when it fits) a level word."""
    kind = draw(st.sampled_from(["number", "range", "level"]))
    if kind == "level":
        fitting = [w for w, lo in zip(LEVELS, [0.95, 0.70, 0.50, 0.20, 0.01]) if lo <= room]
        if fitting:
            return draw(st.sampled_from(fitting)), True
    low = draw(st.floats(0.0, max(0.0, min(room, 1.0)), allow_nan=False))
    low = round(low, 4)
    if kind == "range":
        high = round(draw(st.floats(low, 1.0, allow_nan=False)), 4)
        return [low, max(low, high)], False
    return low, False


@st.composite
def documents(draw, max_items: int = 12):
    """A valid document: countries, facilities, tiered items (all/any), supplies, requires, a cycle."""
    countries = draw(st.lists(st.sampled_from(COUNTRIES), min_size=1, max_size=6, unique=True))
    n_items = draw(st.integers(2, max_items))
    nodes = [{"id": c, "kind": "country"} for c in countries]
    n_fac = draw(st.integers(0, 2))
    facilities = []
    for i in range(n_fac):
        fid = f"fac{i}"
        facilities.append(fid)
        nodes.append({"id": fid, "kind": "facility", "label": f"Facility {i}",
                      "country": draw(st.sampled_from(countries))})
    items = []
    for i in range(n_items):
        kind = "product" if i >= n_items - max(1, n_items // 4) else draw(st.sampled_from(["material", "component"]))
        node = {"id": f"i{i}", "kind": kind, "label": f"Item {i}"}
        if draw(st.booleans()):
            node["needs"] = draw(st.sampled_from(["all", "any"]))
        if draw(st.integers(0, 4)) == 0:
            node["stockpile_months"] = draw(st.integers(0, 12))
        if kind == "material" and draw(st.booleans()):
            node["critical_mineral"] = True
            node["stage"] = "refining"
        nodes.append(node)
        items.append(node["id"])
    edges = []
    suppliers = countries + facilities
    for index, item in enumerate(items):
        room = 1.0
        chosen = draw(st.lists(st.sampled_from(suppliers), max_size=3, unique=True))
        for supplier in chosen:
            value, estimated = draw(share_values(room))
            low = value if isinstance(value, float) else (value[0] if isinstance(value, list) else
                                                          {"sole": 0.95, "dominant": 0.7, "main": 0.5,
                                                           "major": 0.2, "minor": 0.01}[value])
            room -= low
            edge = {"from": supplier, "to": item, "type": "supplies", "share": value}
            if estimated:
                edge["estimated"] = True
            edges.append(edge)
        # inputs from earlier items only (a DAG) ...
        if index > 0:
            for source in draw(st.lists(st.sampled_from(items[:index]), max_size=3, unique=True)):
                edges.append({"from": source, "to": item, "type": "requires"})
    # ... plus, sometimes, one back edge that closes a cycle
    if len(items) > 2 and draw(st.booleans()):
        a, b = draw(st.sampled_from(items[1:])), draw(st.sampled_from(items[:1]))
        if not any(e["from"] == a and e["to"] == b for e in edges):
            edges.append({"from": a, "to": b, "type": "requires"})
    # facilities may need an input
    for fid in facilities:
        if draw(st.booleans()):
            edges.append({"from": draw(st.sampled_from(items)), "to": fid, "type": "requires"})
    return {"name": "generated", "title": "Generated", "nodes": nodes, "edges": edges}
