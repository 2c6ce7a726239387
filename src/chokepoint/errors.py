"""One exception family. The CLI turns any of these into one line on stderr and exit code 1."""

from __future__ import annotations


class ChokepointError(Exception):
    """Base of every error the tool raises on purpose (bad input, bad option)."""


class InputError(ChokepointError):
    """A file that cannot be read or parsed, or an option that names nothing."""


class ValidationError(ChokepointError):
    """A graph document with one or more problems; ``problems`` holds one line per problem."""

    def __init__(self, problems: list[str], more: int = 0):
        self.problems = list(problems)
        self.more = more  # problems found but not kept (see model.validate.MAX_ERRORS)
        head = self.problems[0] if self.problems else "invalid graph"
        more = len(self.problems) - 1 + more
        super().__init__(head if more == 0 else f"{head} (and {more} more problem{'s' if more > 1 else ''})")


class UnknownCountryError(InputError):
    """A country code, country name or bloc that is not known."""


class ConvergenceWarning(UserWarning):
    """A cycle whose availabilities did not settle within the iteration bound.

    The iteration runs down from full availability, so the values reached are upper bounds of the
    largest fixed point. The CLI prints it as one ``warning:`` line.
    """
