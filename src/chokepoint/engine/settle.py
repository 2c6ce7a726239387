"""How cycles settle: one tolerance, one iteration bound and one warning for the engine and the reference."""

from __future__ import annotations

import warnings

from ..errors import ConvergenceWarning

#: A cycle has settled when no availability in it changes by more than this in one pass.
TOLERANCE = 1e-13
#: Passes over one cycle before giving up (the engine uses the same bound).
MAX_ITERATIONS = 100_000


def warn_not_settled(members, change: float) -> None:
    """Say that a cycle did not settle: its values are upper bounds of the largest fixed point."""
    names = ", ".join(list(members)[:4]) + (", ..." if len(members) > 4 else "")
    warnings.warn(f"the cycle through {names} did not settle: iterating stalled (last change {change:.1e}) "
                  "and it could not be solved exactly (a loop whose gain is 1 or more, or too many "
                  "alternatives); its availabilities are upper bounds", ConvergenceWarning, stacklevel=3)
