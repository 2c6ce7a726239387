"""The command line: a thin layer that parses options, makes one library call and renders the result.

Each command module registers its commands on the one app of :mod:`chokepoint.cli.app`; this
module imports them all and holds :func:`main`, where errors become one line on stderr and an
exit code. Nothing below the CLI imports it.
"""

from __future__ import annotations

import os

# The CLI draws figures into files only: matplotlib's file backend, whatever MPLBACKEND says (a
# bogus value would otherwise stop every command at start-up, before main() can say anything).
os.environ["MPLBACKEND"] = "Agg"

import errno  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import warnings  # noqa: E402

from ..errors import ChokepointError, ValidationError  # noqa: E402
from . import analysis, evidence, exchange, graphs, imports, remedies, scale  # noqa: E402,F401 - each registers its commands on app
from .app import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES, app  # noqa: E402

__all__ = ["app", "main"]

#: Error lines printed for one run; the rest are counted in one line.
MAX_ERROR_LINES = 100


class Terminated(SystemExit):
    """Raised by the SIGTERM handler so that ``finally`` blocks (temporary files) run."""


def _on_sigterm(signum, frame):
    raise Terminated(128 + signum)


def _error(line: str) -> None:
    sys.stderr.write(f"error: {line}\n")


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _report_problems(problems, more: int = 0) -> None:
    for line in problems[:MAX_ERROR_LINES]:
        _error(_one_line(line))
    hidden = len(problems[MAX_ERROR_LINES:]) + more
    if hidden:
        _error(f"... and {hidden:,} more problem{'s' if hidden != 1 else ''}")


def _safe_streams() -> None:
    """Text that the terminal's encoding cannot show is escaped, never an error (PYTHONIOENCODING=ascii)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.reconfigure(errors="backslashreplace")
        except (AttributeError, ValueError):  # not a text stream we can reconfigure (captured in tests)
            pass


def _silence_stdout() -> None:
    """After stdout failed (a full disk, a closed pipe) point it at /dev/null so exit does not retry."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _limits():
    """The library's size limits (``formats.graphs.LIMITS``) when the library is loaded, else None: --help and
    --version do not load it, and a run sets the limits (see ``cli.app._root``) only once it is loaded."""
    graphs = sys.modules.get("chokepoint.formats.graphs")
    return None if graphs is None else graphs.LIMITS


def _remove_temporaries() -> None:
    """The temporary files of a write cut short; only a run that loaded the file writers can have made any
    (``formats.files`` pulls in tempfile, zipfile and hashlib: a third of --help's start-up)."""
    files = sys.modules.get("chokepoint.formats.files")
    if files is not None:
        files.remove_temporaries()


def main() -> None:
    """Entry point: one line on stderr and exit 1 for user errors (usage errors too), never a traceback.

    A file with several problems lists each on its own line, up to :data:`MAX_ERROR_LINES`, then
    how many more. SIGTERM removes the temporary files of a write in progress and exits 143.
    """
    def show_warning(message, category, *args, **kwargs):
        sys.stderr.write(f"warning: {_one_line(message)}\n")

    warnings.showwarning = show_warning
    _safe_streams()
    try:
        previous = signal.signal(signal.SIGTERM, _on_sigterm)
    except ValueError:  # not the main thread
        previous = None
    loaded = _limits()
    saved = dict(loaded) if loaded is not None else {"max_bytes": DEFAULT_MAX_BYTES, "max_nodes": DEFAULT_MAX_NODES}
    code = 0
    try:
        result = app(standalone_mode=False)
        code = result if isinstance(result, int) else 0
        sys.stdout.flush()
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        code = 130
    except Terminated as exc:
        sys.stderr.write("terminated\n")
        code = exc.code
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
        code = _handle(exc)
    finally:
        loaded = _limits()
        if loaded is not None:
            loaded.update(saved)
        _remove_temporaries()
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    sys.exit(code)


def _kinds(exc) -> set[str]:
    """Names of the exception's classes (click's, or the copy of click that typer carries)."""
    return {cls.__name__ for cls in type(exc).__mro__}


def _handle(exc: Exception) -> int:
    """Print one line for ``exc``; return the exit code."""
    kinds = _kinds(exc)
    if "NoArgsIsHelpError" in kinds:
        ctx = getattr(exc, "ctx", None)
        sys.stdout.write((ctx.get_help() + "\n") if ctx is not None else "")
        return 0
    if "UsageError" in kinds:
        ctx = getattr(exc, "ctx", None)
        command = ctx.command_path if ctx is not None else "chokepoint"
        _error(f"{_one_line(exc.format_message())} (see '{command} --help')")
        return 1
    if "Abort" in kinds:
        sys.stderr.write("interrupted\n")
        return 130
    if "Exit" in kinds and hasattr(exc, "exit_code"):
        return int(exc.exit_code)
    if "ClickException" in kinds:
        _error(_one_line(exc.format_message()))
        return 1
    if isinstance(exc, ValidationError):
        _report_problems(exc.problems, getattr(exc, "more", 0))
        return 1
    if isinstance(exc, ChokepointError):
        _error(_one_line(exc))
        return 1
    if isinstance(exc, MemoryError):
        _error("out of memory: the input is too large for this machine (lower --max-bytes or --max-nodes, "
               "or use fewer --samples)")
        return 1
    if isinstance(exc, OSError) and exc.errno in (errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EDQUOT, errno.EFBIG):
        # writing to stdout failed (file writes become InputError in chokepoint.formats.files)
        _silence_stdout()
        if exc.errno == errno.EPIPE:  # a closed pipe (| head) is not an error
            return 0
        _error(f"cannot write the output ({exc.strerror})")
        return 1
    if isinstance(exc, RecursionError):
        _error("the input is nested too deeply to read")
        return 1
    return _internal(exc)


def _internal(exc: Exception) -> int:
    if os.environ.get("CHOKEPOINT_DEBUG"):
        raise exc
    _error(f"internal error ({type(exc).__name__}: {_one_line(exc)[:300]}); "
           "set CHOKEPOINT_DEBUG=1 for the traceback and please report it")
    return 2
