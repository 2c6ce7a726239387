"""What stockpile keeps superconducting quantum computers at 50% through a 12-month China cutoff?

The timeline shows the fall; the plan finds the cheapest stockpile (no new capacity allowed); the
timeline run again with that stockpile shows how it is spent. The stockpile costs below are
illustrative (not from the reports): a month of holmium-copper alloy in store costs 1, a month of
cryocoolers, dilution refrigerators or finished machines 5.

Run: python examples/quantum_stockpile.py
"""

import pandas as pd

from chokepoint.remedies import plan, timeline

MACHINE = "superconducting-qc"

before = timeline("quantum", countries="CN", duration=12).row(MACHINE)
print("China cut off for 12 months, no stockpile:")
print(f"- superconducting machines fall to {before['lowest_availability']:.0%} at once "
      f"(holmium-copper for the cryocoolers is 90% Chinese); unmet demand {before['unmet_months']:.1f} months")
print(f"- a stock of {before['buffer_needed_months']:.1f} months of machines would avoid any shortage\n")

costs = pd.DataFrame({"item": ["", "holmium-copper"], "country": ["", ""], "stockpile_cost": [5.0, 1.0]})
result = plan("quantum", keep=0.5, against="CN", allies=[], products=[MACHINE], duration=12, costs=costs)
print(f"Cheapest stockpile that keeps them at 50% ({result.status}):")
for row in result.actions.itertuples():
    print(f"- {row.label}: {row.stockpile_months:.1f} months of consumption (cost {row.cost:.1f})")
price = result.binding.iloc[0]["shadow_price"]
print(f"- each further point of availability costs {price / 100:.2f} (another {12 / 100:.2f} months of stock)\n")

after = timeline("quantum", countries="CN", duration=12, stockpile=result.stockpiles)
row = after.row(MACHINE)
series = after.series[after.series["id"] == MACHINE]
below = series[series["availability"] < 0.5 - 1e-9]["month"]
print("The timeline with that stockpile (stock fills the whole gap until spent):")
print(f"- machines run at {series['availability'].iloc[0]:.0%} (Chinese PCBs still limit them) until the alloy "
      f"runs out after {after.row('holmium-copper')['stock_runs_out']:.1f} months, then at "
      f"{row['lowest_availability']:.0%}; below 50% from month {below.iloc[0]:.1f}")
print(f"- unmet demand {row['unmet_months']:.1f} months against {(1 - 0.5) * 12:.1f} if the same stock were "
      "released evenly (0.4 of normal supply a month), which holds them at 50% all year: the plan's assumption")

capacity = plan("quantum", keep=0.5, against="CN", products=[MACHINE])
print("\nOr without a stockpile: new holmium-copper capacity outside China of "
      f"{sum(capacity.capacity.values()):.0%} of today's supply ({', '.join(c for _, c in capacity.capacity)})")
