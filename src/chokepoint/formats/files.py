"""Writing files safely, and knowing which files are ours.

Every file chokepoint writes goes through this module: :func:`atomic_write` (one file),
:func:`atomic_write_many` (files that belong together, such as the CSV pair or an import's graph
and its report), :func:`atomic_writer` (a file streamed in blocks) and :func:`atomic_writers` (files
that belong together, streamed). Each writes a temporary file created exclusively (``mkstemp``:
``O_CREAT | O_EXCL``, an unpredictable name, in the target's folder) and renames it over the
target only once it is complete, so a failed or interrupted write
leaves no partial file and the old file untouched; temporary files are removed on errors, on
Ctrl-C and on SIGTERM (see :func:`remove_temporaries`).

Before anything is written, :func:`check_output` refuses a target that is not a regular file or
absent (a folder, a FIFO, a device, a symbolic link such as ``/dev/stdout``), without opening it,
and a file chokepoint did not write unless ``force``. Errors of the operating system (a
read-only folder, a full disk) become one-line :class:`InputError`.

Ownership is a marker a user's file cannot carry by accident:

- text formats (YAML, JSON, GraphML, GEXF) carry ``chokepoint-sha256:<hash>`` near the top: the
  SHA-256 of the whole file as written, with the hash itself zeroed. A file is ours only while
  the hash matches, so a file a user copied the marker into, or edited since, is theirs;
- CSV tables, Excel workbooks and Parquet tables carry nothing (they stay plain tables; nothing
  in them is rewritten, not even a user's text that looks like the mark): their hashes are listed
  in the folder's ``.chokepoint-files.json``, written with them;
- figures carry ``chokepoint <version>`` in one specific metadata field: the PNG ``Software``
  text chunk, the SVG creator agent, the PDF ``/Creator`` and ``/Producer`` entries (never the
  word found anywhere in the file).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import struct
import tempfile
import zipfile
from pathlib import Path

from ..errors import InputError
from ..version import __version__

#: What every file chokepoint writes carries, so that it may replace them without --force.
GENERATOR = f"chokepoint {__version__}"
MARKER = "written by chokepoint"
#: The ownership stamp: this tag, then 64 hex digits; writers put :data:`OWNER_MARK` (zeros) and
#: the atomic writers fill in the hash.
OWNER_TAG = "chokepoint-sha256:"
OWNER_MARK = OWNER_TAG + "0" * 64
#: First line of the YAML graph files chokepoint writes.
YAML_MARKER = f"# {MARKER} ({GENERATOR}; {OWNER_MARK})"
#: Where the hash of the CSV tables of a folder are kept.
MANIFEST = ".chokepoint-files.json"
#: The files listed in the folder's manifest by hash instead of carrying a stamp.
LISTED_SUFFIXES = (".csv", ".xlsx", ".parquet")
FIGURE_SUFFIXES = (".png", ".svg", ".pdf")
#: The stamp is looked for in this many leading bytes.
STAMP_WINDOW = 4096

_STAMP = re.compile(re.escape(OWNER_TAG).encode() + rb"([0-9a-f]{64})")
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"))

#: Temporary files being written, removed by :func:`remove_temporaries` on a signal.
_TEMPORARIES: set[str] = set()


# --- ownership ----------------------------------------------------------------------------------

def stamp(data: bytes) -> bytes:
    """Fill in the ownership hash of content that carries :data:`OWNER_MARK` (else unchanged)."""
    at = data.find(OWNER_MARK.encode(), 0, STAMP_WINDOW)
    if at < 0:
        return data
    digest = hashlib.sha256(data).hexdigest().encode()
    start = at + len(OWNER_TAG)
    return data[:start] + digest + data[start + 64:]


def is_stamped(data: bytes) -> bool:
    """Whether content carries a valid ownership stamp (its hash matches with the hash zeroed)."""
    found = _STAMP.search(data, 0, STAMP_WINDOW + 64)
    if not found:
        return False
    zeroed = data[:found.start(1)] + b"0" * 64 + data[found.end(1):]
    return hashlib.sha256(zeroed).hexdigest() == found.group(1).decode()


def _open_regular(path: Path):
    """Open an existing regular file for reading without following links or blocking; None if not one."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        return None
    return os.fdopen(fd, "rb")


def _sha256_file(handle) -> str:
    digest = hashlib.sha256()
    for block in iter(lambda: handle.read(1 << 20), b""):
        digest.update(block)
    return digest.hexdigest()


def written_by_chokepoint(path) -> bool:
    """Whether an existing file is one chokepoint wrote and nobody changed since.

    See the module docstring for the marker of each kind of file.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    handle = _open_regular(target)
    if handle is None:
        return False
    with handle:
        if suffix in LISTED_SUFFIXES:  # plain tables, zips, Parquet: the hash is in the folder's manifest
            return _sha256_file(handle) == _manifest(target.parent).get(target.name)
        if suffix in FIGURE_SUFFIXES:
            return _figure_is_ours(handle, suffix)
        head = handle.read(STAMP_WINDOW + 64)
        if not _STAMP.search(head):
            return False
        return is_stamped(head + handle.read())


def _figure_is_ours(handle, suffix: str) -> bool:
    mark = GENERATOR.split()[0] + " "
    if suffix == ".png":
        return any(key == b"Software" and value.decode("latin-1").startswith(mark)
                   for key, value in _png_text_chunks(handle))
    data = handle.read(64 * 1024 * 1024)
    if suffix == ".svg":
        return re.search(rb"<dc:creator>\s*<cc:Agent>\s*<dc:title>" + re.escape(mark.encode()) + rb"[0-9]", data[:8192]) \
            is not None
    creator = re.search(rb"/Creator \(" + re.escape(mark.encode()) + rb"[0-9][^)]*\)", data)
    producer = re.search(rb"/Producer \(" + re.escape(mark.encode()) + rb"[0-9][^)]*\)", data)
    return creator is not None and producer is not None


def _png_text_chunks(handle):
    if handle.read(8) != b"\x89PNG\r\n\x1a\n":
        return
    while True:
        header = handle.read(8)
        if len(header) < 8:
            return
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IDAT" or kind == b"IEND" or length > (1 << 24):
            return  # text chunks before the image data are all matplotlib writes
        body = handle.read(length)
        handle.read(4)  # CRC
        if kind == b"tEXt" and b"\x00" in body:
            key, value = body.split(b"\x00", 1)
            yield key, value


def _manifest(folder: Path) -> dict[str, str]:
    handle = _open_regular(folder / MANIFEST)
    if handle is None:
        return {}
    with handle:
        try:
            data = json.loads(handle.read(1 << 20))
        except (ValueError, UnicodeDecodeError):
            return {}
    files = data.get("files") if isinstance(data, dict) and data.get("generator", "").startswith("chokepoint ") \
        else None
    return {k: v for k, v in files.items() if isinstance(k, str) and isinstance(v, str)} if isinstance(files, dict) \
        else {}


def _manifest_entry(targets_contents) -> tuple[Path, bytes] | None:
    """The manifest of the folder of the CSV (xlsx, Parquet) files among ``targets_contents``, updated with
    their hashes: plain tables and zips carry no stamp of their own."""
    return _manifest_of([(t, hashlib.sha256(c).hexdigest()) for t, c in targets_contents
                         if t.suffix.lower() in LISTED_SUFFIXES])


def _manifest_of(digests) -> tuple[Path, bytes] | None:
    """The manifest entry for (target, SHA-256 hex digest) pairs of the files listed by hash
    (:data:`LISTED_SUFFIXES`; the others are ignored), or None when there are none."""
    csvs = [(t, d) for t, d in digests if t.suffix.lower() in LISTED_SUFFIXES]
    if not csvs:
        return None
    folder = csvs[0][0].parent
    files = _manifest(folder)
    for target, digest in csvs:
        files[target.name] = digest
    text = json.dumps({"generator": GENERATOR, "about": "hashes of the CSV, xlsx and Parquet files chokepoint wrote in this folder, "
                       "so that it replaces them (and only them) without --force", "files": dict(sorted(files.items()))},
                      indent=2) + "\n"
    return folder / MANIFEST, text.encode()


# --- checks before writing ------------------------------------------------------------------------

def kind_of(path: Path) -> str | None:
    """What an existing path is when it is not a regular file ("a FIFO", ...); None if regular or absent."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"not accessible ({exc.strerror})"
    if stat.S_ISREG(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def check_output(path, *, force: bool) -> Path:
    """Refuse a target that is not a regular file or absent, and one chokepoint did not write
    unless ``force``; the folder must exist. Nothing is opened but our own files."""
    target = Path(path)
    kind = kind_of(target)
    if kind == "a folder":
        raise InputError(f"{target}: is a folder")
    if kind == "a symbolic link":
        raise InputError(f"{target}: is a symbolic link (to {os.readlink(target)}); chokepoint writes only "
                         "regular files: give the path of the file itself")
    if kind is not None:
        raise InputError(f"{target}: is {kind}, not a regular file; chokepoint writes only regular files")
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(f"{target}: folder {folder} does not exist")
    if os.path.lexists(target) and not force and not written_by_chokepoint(target):
        raise InputError(f"{target}: exists and was not written by chokepoint; "
                         "pass --force to overwrite it")
    return target


#: The earlier name of :func:`check_output`.
check_overwrite = check_output


def check_distinct(*paths) -> None:
    """Refuse two outputs of one command that are the same file (``-o x --skipped-report x``)."""
    seen: dict[str, Path] = {}
    for path in paths:
        if path is None:
            continue
        target = Path(path)
        key = os.path.normcase(os.path.realpath(target))
        if key in seen:
            raise InputError(f"{target}: given for two outputs ({seen[key]} and {target}); each needs its own file")
        seen[key] = target


# --- writing -------------------------------------------------------------------------------------

def _mode_for(target: Path) -> int:
    try:
        return os.stat(target).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _temporary(target: Path) -> tuple[int, str]:
    folder = target.parent if str(target.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name[:64]}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
    _TEMPORARIES.add(tmp)
    return fd, tmp


def _discard(tmp: str) -> None:
    _TEMPORARIES.discard(tmp)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)


def remove_temporaries() -> None:
    """Remove every temporary file still being written (called on SIGTERM and at exit)."""
    for tmp in list(_TEMPORARIES):
        _discard(tmp)


def _write_temp(target: Path, data: bytes) -> str:
    fd, tmp = _temporary(target)
    try:
        os.chmod(tmp, _mode_for(target))  # mkstemp makes it 0600: give it the mode open() would
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        _discard(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"{target}: cannot write ({exc.strerror or exc})") from None
        raise
    return tmp


def _encode(content, target: Path) -> bytes:
    """The bytes to write: stamped, unless the file is one listed in the manifest (written as given)."""
    data = content.encode("utf-8") if isinstance(content, str) else bytes(content)
    return data if target.suffix.lower() in LISTED_SUFFIXES else stamp(data)


def atomic_write(path: str | os.PathLike, content: str | bytes, *, force: bool = True) -> Path:
    """Write ``content`` to ``path`` through an exclusive temporary file and a rename.

    The target is checked with :func:`check_output` (ownership only when ``force`` is false);
    a failed write leaves no partial file and an existing file untouched.
    """
    return atomic_write_many([(path, content)], force=force)[0]


def atomic_write_many(items, *, force: bool = True) -> list[Path]:
    """Write several files as one: every target is checked, every temporary file written, and
    only then are they renamed into place; if a rename fails the ones already renamed are put
    back. CSV files are recorded in their folder's manifest in the same step.
    """
    pairs = [(Path(path), _encode(content, Path(path))) for path, content in items]
    check_distinct(*(p for p, _ in pairs))
    for target, _ in pairs:
        check_output(target, force=force)
    manifest = _manifest_entry(pairs)
    if manifest is not None:
        check_output(manifest[0], force=True)
        pairs.append(manifest)
    temps: list[str] = []
    try:
        for target, data in pairs:
            temps.append(_write_temp(target, data))
        _rename_all([(tmp, target) for tmp, (target, _) in zip(temps, pairs)])
    finally:
        for tmp in temps:
            _discard(tmp)
    return [target for target, _ in pairs[:len(items)]]


def _rename_all(moves) -> None:
    """Rename each temporary file over its target; on a failure, restore what was replaced."""
    done: list[tuple[Path, str | None, bool]] = []  # (target, backup, existed)
    backup = None
    try:
        for tmp, target in moves:
            existed = os.path.lexists(target)
            backup = None
            if existed and len(moves) > 1:
                with contextlib.suppress(OSError):  # no hard links here: the old file cannot come back
                    os.link(target, tmp + ".old")
                    backup = tmp + ".old"
                    _TEMPORARIES.add(backup)
            os.replace(tmp, target)
            _TEMPORARIES.discard(tmp)
            done.append((target, backup, existed))
            backup = None
    except BaseException as exc:
        if backup is not None:  # the move that failed left its target as it was
            _discard(backup)
        for target, backup, existed in reversed(done):
            with contextlib.suppress(OSError):
                if backup is not None:
                    os.replace(backup, target)
                    _TEMPORARIES.discard(backup)
                elif not existed:
                    os.unlink(target)
        _cleanup_backups(done)
        if isinstance(exc, OSError):
            raise InputError(f"{moves[0][1]}: cannot write ({exc.strerror or exc})") from None
        raise
    _cleanup_backups(done)


def _cleanup_backups(done) -> None:
    for _, backup, _ in done:
        if backup is not None:
            _discard(backup)


@contextlib.contextmanager
def atomic_writer(path, *, force: bool = False):
    """Stream a text file: ``with atomic_writer(path) as out: out.write(...)``.

    The target is checked first; the text goes to an exclusive temporary file, is stamped (when
    it carries :data:`OWNER_MARK` in its first block) and renamed into place when the block ends
    without an error; otherwise the temporary file is removed and the target left as it was.
    """
    with atomic_writers([path], force=force) as (out,):
        yield out


@contextlib.contextmanager
def atomic_writers(paths, *, force: bool = False):
    """Stream text files that belong together, in one pass each, as :func:`atomic_write_many` writes
    them whole: ``with atomic_writers([a, b]) as (out_a, out_b): ...``.

    Every target is checked first (:func:`check_output`). Each ``out.write(text)`` encodes the text
    as UTF-8, hashes it and writes it to the target's exclusive temporary file, so nothing is held
    in memory. When the block ends without an error, each file that carries :data:`OWNER_MARK`
    within its first :data:`STAMP_WINDOW` bytes gets the SHA-256 of what was written in its place
    (the same stamp as :func:`stamp`; not the files listed by hash, :data:`LISTED_SUFFIXES`), is
    synced, the CSV files are recorded in their folder's manifest, and all are renamed into place
    together; otherwise every temporary file is removed and the targets are left as they were.
    """
    targets = [Path(p) for p in paths]
    check_distinct(*targets)
    for target in targets:
        check_output(target, force=force)
    streams: list[_StreamFile] = []
    temps: list[str] = []
    current = targets[0] if targets else None
    try:
        for target in targets:
            current = target
            fd, tmp = _temporary(target)
            temps.append(tmp)
            streams.append(_StreamFile(os.fdopen(fd, "wb"), stamped=target.suffix.lower() not in LISTED_SUFFIXES))
            os.chmod(tmp, _mode_for(target))  # mkstemp makes it 0600: give it the mode open() would
        yield streams
        for target, stream in zip(targets, streams):
            current = target
            stream.finish()
        manifest = _manifest_of([(t, s.digest.hexdigest()) for t, s in zip(targets, streams)])
        moves = list(zip(temps, targets))
        if manifest is not None:
            current = manifest[0]
            check_output(manifest[0], force=True)
            tmp = _write_temp(manifest[0], manifest[1])
            temps.append(tmp)
            moves.append((tmp, manifest[0]))
        _rename_all(moves)
    except OSError as exc:
        raise InputError(f"{current}: cannot write ({exc.strerror or exc})") from None
    finally:
        for stream in streams:
            stream.close()
        for tmp in temps:
            _discard(tmp)


class _StreamFile:
    """A text stream into a temporary file: UTF-8 bytes, hashed as written, with the place of the
    ownership mark remembered (:meth:`finish` fills in the hash there)."""

    def __init__(self, handle, *, stamped: bool = True):
        self.handle = handle
        self.digest = hashlib.sha256()
        self.offset = 0
        self.mark_at: int | None = None
        self.stamped = stamped  # files listed in the manifest are written as given

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        if self.stamped and self.mark_at is None and self.offset < STAMP_WINDOW:
            at = data.find(OWNER_MARK.encode(), 0, STAMP_WINDOW - self.offset)
            if at >= 0:
                self.mark_at = self.offset + at + len(OWNER_TAG)
        self.digest.update(data)
        self.offset += len(data)
        self.handle.write(data)

    def finish(self) -> None:
        """Stamp (when the mark was written), flush and sync the file."""
        self.handle.flush()
        if self.mark_at is not None:
            self.handle.seek(self.mark_at)
            self.handle.write(self.digest.hexdigest().encode())
            self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.handle.close()
