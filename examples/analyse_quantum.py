"""Where are the chokepoints of the quantum supply chain, and why?

Run: python examples/analyse_quantum.py
"""

import chokepoint

result = chokepoint.analyse("quantum", top=5)

print(f"{result.title}\n")
print("Top chokepoints (score = mean product loss if the node is gone x single-country exposure):")
for rank, row in enumerate(result.chokepoints.itertuples(), start=1):
    print(f"{rank}. {row.label} (score {row.score:.2f}): {row.reason}")

print("\nTarget failures (more than 65% from one country):")
failures = result.target[result.target["status"] == "fail"]
for row in failures.itertuples():
    print(f"- {row.label}: {row.top_country} {row.top_share:.0%}; "
          f"{row.capacity_needed:.0%} more capacity elsewhere needed to comply")

print("\nCountries whose cutoff costs the products most (mean product loss):")
for country, loss in result.exposure.groupby("country", sort=False)["mean_loss"].first().items():
    print(f"- {country}: {loss:.0%}")
