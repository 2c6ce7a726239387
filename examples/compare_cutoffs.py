"""Compare a China cutoff with a Chip 4 and a G7 cutoff, for the quantum and AI supply chains.

Run: python examples/compare_cutoffs.py
"""

import pandas as pd

import chokepoint

scenarios = {
    "CN": {"countries": ["CN"]},
    "Chip 4": {"blocs": ["Chip 4"]},
    "G7": {"blocs": ["G7"]},
}

for graph in ("quantum", "ai"):
    columns = {}
    for name, scenario in scenarios.items():
        result = chokepoint.cutoff(graph, **scenario)
        columns[name] = result.products.set_index("label")["availability"]
    table = pd.DataFrame(columns).sort_values("CN")
    print(f"Availability of each {graph} product under each cutoff")
    print(table.map(lambda v: f"{v:.0%}").to_string())
    print()
