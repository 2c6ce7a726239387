"""Write the 65% target table of every bundled graph to CSV (every supplied item is tested).

Run: python examples/target_tables.py [OUTPUT_FOLDER]   (default: target-tables/)
"""

import sys
from pathlib import Path

import chokepoint

out = Path(sys.argv[1] if len(sys.argv) > 1 else "target-tables")
out.mkdir(parents=True, exist_ok=True)
for name in chokepoint.bundled_names():
    table = chokepoint.target(name, all_items=True)
    path = out / f"{name}-target.csv"
    table.to_csv(path, index=False)
    counts = table["status"].value_counts().to_dict()
    print(f"{path}: {len(table)} items, {counts}")
