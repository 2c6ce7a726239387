"""The command line: a thin layer that parses options, makes one library call and renders the result.

Each command module registers its commands on the one app of :mod:`chokepoint.cli.app`; this
module holds :func:`main`, where errors become one line on stderr and an exit code, and imports a
command's module only when that command runs (:data:`COMMANDS`): ``chokepoint --version`` loads
neither typer nor a command, ``chokepoint CMD`` (``CMD --help`` too) only CMD's module, and
``chokepoint --help`` every one. Nothing below the CLI imports it.
"""

from __future__ import annotations

import os

# The CLI draws figures into files only: matplotlib's file backend, whatever MPLBACKEND says (a
# bogus value would otherwise stop every command at start-up, before main() can say anything).
os.environ["MPLBACKEND"] = "Agg"

import errno  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import types  # noqa: E402
import warnings  # noqa: E402
from importlib import import_module  # noqa: E402

from ..errors import ChokepointError, ValidationError  # noqa: E402
from ..version import __version__  # noqa: E402

__all__ = ["COMMANDS", "app", "main"]

#: Each command, in the order ``--help`` lists them, and the module of this package that registers it
#: (tests/test_startup.py holds this table to what the modules register).
COMMANDS = {
    "analyse": "analysis", "target": "analysis", "cutoff": "analysis",
    "explain": "evidence", "sensitivity": "evidence",
    "export": "exchange", "plot": "exchange", "report": "exchange",
    "list": "graphs", "validate": "graphs", "show": "graphs",
    "timeline": "remedies", "plan": "remedies",
    "sweep": "scale", "generate": "scale",
    "import": "imports",
}

#: The top-level options that take a value (the word after them is not the command).
_ROOT_VALUES = ("--max-bytes", "--max-nodes")


def _command(args) -> str | None:
    """The command that ``args`` run, when it is one of :data:`COMMANDS` and no top-level ``--help`` comes
    before it; else None (then every command is registered: the top-level help lists them all, and a
    mistyped command gets its suggestions)."""
    words = iter(args)
    for word in words:
        if word in _ROOT_VALUES:
            next(words, None)
        elif word == "--help" or word == "--":
            return None
        elif not word.startswith("-"):
            return word if word in COMMANDS else None
    return None


def _app(command: str | None = None):
    """The typer app with ``command``'s module registered (every module when None), in :data:`COMMANDS` order
    whichever ran first."""
    for module in dict.fromkeys([COMMANDS[command]] if command in COMMANDS else COMMANDS.values()):
        import_module(f".{module}", __name__)  # each registers its commands on the app
    from .app import app  # start-up: typer, loaded by a command or a help, not by --version
    order = {name: at for at, name in enumerate(COMMANDS)}
    app.registered_commands.sort(key=lambda info: order.get(info.name or info.callback.__name__.replace("_", "-"), len(order)))
    return app


class _Package(types.ModuleType):
    """This package, whose ``app`` is the typer app with every command (made on first use) although
    ``app`` is also the name of a module in it: the import system, naming that module here when it is
    first imported, does not replace the app."""

    @property
    def app(self):
        return _app()

    @app.setter
    def app(self, value) -> None:
        pass


sys.modules[__name__].__class__ = _Package

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


def _restore_limits(saved) -> None:
    """The library's size limits as they were before the run (its defaults if it was not loaded then)."""
    graphs = sys.modules.get("chokepoint.formats.graphs")
    if graphs is not None:
        graphs.LIMITS.update(saved or {"max_bytes": graphs.DEFAULT_MAX_BYTES, "max_nodes": graphs.DEFAULT_MAX_NODES})


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
    saved = dict(loaded) if loaded is not None else None
    code = 0
    try:
        if sys.argv[1:] == ["--version"]:  # what the app's --version prints, without loading typer
            sys.stdout.write(__version__ + "\n")
            result = 0
        else:
            result = _app(_command(sys.argv[1:]))(standalone_mode=False)
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
        _restore_limits(saved)
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
