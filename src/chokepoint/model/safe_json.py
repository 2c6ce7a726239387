"""Strict JSON loading: no duplicate keys, bounded integers, errors with a line number.

``json.loads`` keeps the last of two equal keys in an object (a second ``edges`` silently drops
the first list) and raises a bare ``ValueError`` on integers longer than Python converts. Here
both are :class:`JSONError` with the line: the document is parsed by the C scanner with a check
on every object; only when that finds a duplicate is the text scanned again, in Python, to say
where.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
import re

#: Longest integer literal read (Python's own limit for int(str)).
MAX_DIGITS = 4300
_LONG_INT = re.compile(r"-?\d{%d,}" % (MAX_DIGITS + 1))


class JSONError(ValueError):
    """A JSON document refused: ``msg``, and ``lineno``/``colno`` of the offending place."""

    def __init__(self, msg: str, lineno: int, colno: int):
        super().__init__(f"{msg} (line {lineno}, column {colno})")
        self.msg, self.lineno, self.colno = msg, lineno, colno


class _Duplicate(Exception):
    def __init__(self, key):
        self.key = key


def _pairs(pairs):
    result = dict(pairs)
    if len(result) != len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _Duplicate(key)
            seen.add(key)
    return result


def _int(text: str):
    digits = len(text) - text.startswith("-")
    if digits > MAX_DIGITS:
        raise _TooLong(digits)
    return int(text)


class _TooLong(Exception):
    def __init__(self, digits):
        self.digits = digits


def _where(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def loads(text: str):
    """Parse JSON text; :class:`JSONError` for duplicate keys and over-long integers,
    ``json.JSONDecodeError`` for syntax errors."""
    try:
        return json.loads(text, object_pairs_hook=_pairs, parse_int=_int)
    except _Duplicate as dup:
        _locate_duplicate(text, dup.key)
        raise JSONError(f"duplicate key {_show(dup.key)}", 1, 1) from None  # not reached: located above
    except _TooLong as long:
        found = _LONG_INT.search(text)
        line, col = _where(text, found.start()) if found else (1, 1)
        raise JSONError(f"an integer of {long.digits:,} digits is too long to read (at most {MAX_DIGITS:,})",
                        line, col) from None


def _show(key) -> str:
    text = str(key)
    return f"'{text if len(text) <= 60 else text[:57] + '...'}'"


def _locate_duplicate(text: str, wanted) -> None:
    """Scan again with the Python scanner, recording where each key starts; raise at the repeat."""
    decoder = json.JSONDecoder(parse_int=_int)
    original = json.decoder.JSONObject

    def parse_object(s_and_end, strict, scan_once, object_hook, object_pairs_hook, memo=None,
                     _w=json.decoder.WHITESPACE.match, _ws=json.decoder.WHITESPACE_STR):
        s, end = s_and_end
        value, stop = original(s_and_end, strict, scan_once, object_hook, lambda pairs: pairs, memo)
        keys = [k for k, _ in value]
        if len(set(keys)) != len(keys):
            _raise_at_repeat(s, end, scan_once, strict)
        return dict(value), stop

    decoder.parse_object = parse_object
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    decoder.decode(text)


def _raise_at_repeat(s: str, pos: int, scan_once, strict) -> None:
    """Walk the object starting after ``{`` at ``pos`` and raise at its first repeated key."""
    ws = json.decoder.WHITESPACE.match
    first: dict = {}
    while True:
        pos = ws(s, pos).end()
        if s[pos] == "}":
            return
        start = pos
        key, pos = json.decoder.scanstring(s, pos + 1, strict)
        if key in first:
            line, col = _where(s, start)
            raise JSONError(f"duplicate key {_show(key)} (first at line {first[key]}); a repeated key would "
                            "silently replace the first", line, col)
        first[key] = _where(s, start)[0]
        pos = ws(s, pos).end() + 1  # the colon
        pos = ws(s, pos).end()
        _, pos = scan_once(s, pos)
        pos = ws(s, pos).end()
        if s[pos] == ",":
            pos += 1
