"""What does a 6-month reserve of active pharmaceutical ingredients buy in a 12-month China cutoff?

CFR 2025 proposes a 6-month emergency stockpile of key starting materials and APIs from trusted
sources (fact F79). Here each API node holds 6 months of consumption; the timeline says when each
drug product runs short and how much demand goes unmet, with and without the reserve, and what the
same stock gives if it is released evenly over the cutoff (the plan's availability model).

Run: python examples/biotech_api_reserve.py
"""

from chokepoint.remedies import plan_availability, timeline

APIS = ["apis", "generic-apis", "critical-apis", "analgesic-steroid-apis"]
reserve = {api: 6 for api in APIS}
without = timeline("biotech", countries="CN", duration=12).table.set_index("id")
with_reserve = timeline("biotech", countries="CN", duration=12, stockpile=reserve).table.set_index("id")
evenly = plan_availability("biotech", countries=["CN"], duration=12, stockpile=reserve)


def months(value):
    return "never" if value != value else f"{value:.1f}"


print("China cut off for 12 months; a reserve of 6 months of each API:\n")
print(f"{'product':<42}{'short from (months)':>22}{'unmet (months)':>18}{'evenly released':>18}")
helped, untouched = [], []
for ident in [p for p in without.index if without.loc[p, "kind"] == "product"]:
    a, b = without.loc[ident], with_reserve.loc[ident]
    if a["unmet_months"] - b["unmet_months"] <= 1e-9:
        untouched.append(a["label"])
        continue
    label = a["label"] if len(a["label"]) <= 40 else a["label"][:39] + "…"
    print(f"{label:<42}{months(a['months_to_shortage']):>9} -> {months(b['months_to_shortage']):<10}"
          f"{a['unmet_months']:>7.1f} -> {b['unmet_months']:<7.1f}{a['average_availability']:>8.0%} -> "
          f"{evenly[ident]:.0%}")
print(f"\nNot helped (their inputs are not APIs): {'; '.join(untouched)}")
full = with_reserve.loc[APIS, "buffer_needed_months"]
print("Months of stock at each API node that would avoid any shortage: "
      + ", ".join(f"{api} {value:.1f}" for api, value in full.items()))
