"""What would the 65% target take for the critical minerals? The cheapest new capacity outside
each failing item's top country (a linear programme on scipy's HiGHS), written as a graph on which
the target test is run again.

Costs are the defaults: 1 per unit of new capacity, a unit being the item's whole supply today, so
the total is "how many of today's industries" would have to be built. With equal costs everywhere
the country the solver picks among the allowed ones is arbitrary: give ``allies`` or a costs table
to steer it.

Run: python examples/plan_minerals_target.py [OUTPUT.yaml]   (default: minerals-plan.yaml)
"""

import sys

import chokepoint
from chokepoint.remedies import plan, write_plan

output = sys.argv[1] if len(sys.argv) > 1 else "minerals-plan.yaml"
result = plan("minerals", target=0.65)

print(f"What the 65% target takes for '{result.graph}' ({result.status}, {result.method})\n")
print("New capacity outside the top country, as a share of today's supply:")
today = chokepoint.target("minerals").set_index("id")
for item, group in result.actions.groupby("item", sort=False):
    where = ", ".join(f"{row.country} {row.new_capacity:.1%}" for row in group.itertuples())
    print(f"- {group['label'].iloc[0]}: {today.loc[item, 'top_country']} {today.loc[item, 'top_share']:.0%} today -> "
          f"build {group['new_capacity'].sum():.1%} ({where})")
print(f"\ntotal cost {result.cost:.3f} (units of today's supply of one item)")

print("\nWhat a looser line would save (shadow price: cost saved per unit of threshold, per item):")
for row in result.binding.head(3).itertuples():
    print(f"- {row.item}: {row.shadow_price:.2f} (so 0.70 instead of 0.65 saves about {0.05 * row.shadow_price:.3f})")
if not result.needs_data.empty:
    print("\nNeed data, not capacity:", ", ".join(result.needs_data["item"]))
for note in result.notes:
    print(f"\nnote: {note}")

path = write_plan("minerals", result, output)
after = chokepoint.target(path)
print(f"\nWritten to {path}; the target test on it: {after['status'].value_counts().to_dict()}")
