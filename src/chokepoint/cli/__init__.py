"""The command line: a thin layer that parses options, makes one library call and renders the result.

Each command module registers its commands on the one app of :mod:`chokepoint.cli.app`; this
module imports them all and holds :func:`main`, where errors become one line on stderr and an
exit code. Nothing below the CLI imports it.
"""

from __future__ import annotations

import os
import sys
import warnings

from ..errors import ChokepointError, ValidationError
from ..formats.graphs import LIMITS
from . import analysis, evidence, exchange, graphs, imports, remedies, scale  # noqa: F401 - each registers its commands on app
from .app import app

__all__ = ["app", "main"]


def main() -> None:
    """Entry point: one line on stderr and exit 1 for user errors, never a traceback.

    Usage errors (an unknown option, a missing argument) are typer's own: usage and the error on
    stderr, exit code 2.
    """
    def show_warning(message, category, *args, **kwargs):
        sys.stderr.write(f"warning: {message}\n")

    warnings.showwarning = show_warning
    saved = dict(LIMITS)
    try:
        app()
    except ValidationError as exc:
        for line in exc.problems:
            sys.stderr.write(f"error: {line}\n")
        sys.exit(1)
    except ChokepointError as exc:
        sys.stderr.write(f"error: {exc}\n")
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        if os.environ.get("CHOKEPOINT_DEBUG"):
            raise
        sys.stderr.write(f"error: internal error ({type(exc).__name__}: {exc}); "
                         "set CHOKEPOINT_DEBUG=1 for the traceback and please report it\n")
        sys.exit(2)
    finally:
        LIMITS.update(saved)
