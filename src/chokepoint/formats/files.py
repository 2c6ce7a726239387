"""Writing files safely, and knowing which files are ours.

Every file chokepoint writes goes through :func:`atomic_write` (a temporary file and a rename)
and is checked first with :func:`check_overwrite`: a file chokepoint did not write is replaced
only with ``force``. Ownership is read from a marker each format carries.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from ..errors import InputError
from ..version import __version__

#: What every file chokepoint writes carries, so that it may replace them without --force.
GENERATOR = f"chokepoint {__version__}"
MARKER = "written by chokepoint"
#: First line of the YAML graph files chokepoint writes.
YAML_MARKER = f"# {MARKER}"
#: First lines of the CSV tables chokepoint writes (export nodes/edges, import skipped-row reports).
CSV_HEADERS = (b"id,label,kind", b"from,to,type", b"row,category,reason")
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")


def written_by_chokepoint(path) -> bool:
    """Whether an existing file is one chokepoint wrote (so it may be replaced without --force).

    YAML graph files start with ``# written by chokepoint``; GraphML and GEXF carry the comment
    ``<!-- written by chokepoint`` after the XML declaration; JSON (graph files and node-link
    exports) has ``"generator": "chokepoint ...``; our CSV tables start with one of
    :data:`CSV_HEADERS`; figures carry ``chokepoint`` in their Software/Creator metadata.
    """
    target = Path(path)
    try:
        with open(target, "rb") as handle:
            head = handle.read(1024)
            rest = handle.read(16 * 1024 * 1024) if target.suffix in FIGURE_SUFFIXES else b""
    except OSError:
        return False
    if target.suffix in FIGURE_SUFFIXES:
        return GENERATOR.split()[0].encode() + b" " in head + rest
    if target.suffix.lower() == ".xlsx":  # a zip: the workbook's core properties name its creator
        try:
            with zipfile.ZipFile(target) as archive:
                return f"<dc:creator>{GENERATOR.split()[0]} ".encode() in archive.read("docProps/core.xml")[:4096]
        except (OSError, KeyError, zipfile.BadZipFile):
            return False
    if target.suffix == ".csv":
        return head.split(b"\n", 1)[0].startswith(CSV_HEADERS)
    if target.suffix == ".json":
        return f'"generator": "{GENERATOR.split()[0]} '.encode() in head
    return head.startswith(YAML_MARKER.encode()) or f"<!-- {MARKER} ".encode() in head


def check_overwrite(path, *, force: bool) -> None:
    """Refuse to replace a file that chokepoint did not write, unless ``force``."""
    target = Path(path)
    if target.is_dir():
        raise InputError(f"{target}: is a folder")
    if target.exists() and not force and not written_by_chokepoint(target):
        raise InputError(f"{target}: exists and was not written by chokepoint; pass --force to overwrite it")


def atomic_write(path: str | os.PathLike, content: str | bytes, *, force: bool = True) -> Path:
    """Write ``content`` to ``path`` through a temporary file and a rename.

    A failed write leaves no partial file and leaves an existing file untouched.
    """
    target = Path(path)
    if target.exists() and target.is_dir():
        raise InputError(f"{target}: is a folder")
    if target.exists() and not force:
        raise InputError(f"{target}: exists; pass --force to overwrite it")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{target}: folder {folder} does not exist")
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would
        if target.exists():
            mode = target.stat().st_mode & 0o777
        else:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


