"""Country codes, country names and blocs.

Countries are ISO 3166-1 alpha-2 codes (pycountry), plus ``XK`` (Kosovo, user-assigned but in
common use). Names published by other sources ("Burma", "Congo (Kinshasa)", "Korea, North") map to
codes through pycountry and the alias table below. Blocs (G7, EU, Quad, Chip 4, ...) live in
``data/blocs.yaml`` shipped with the package.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import pycountry

from . import safe_yaml

from ..errors import UnknownCountryError

#: Codes pycountry does not carry but that data sources use.
EXTRA_CODES = {"XK": "Kosovo"}

#: Names used by USGS, the UN, the World Bank and news sources that pycountry does not resolve.
ALIASES = {
    "burma": "MM",
    "myanmar": "MM",
    "congo (kinshasa)": "CD",
    "democratic republic of the congo": "CD",
    "dr congo": "CD",
    "drc": "CD",
    "congo, dem. rep.": "CD",
    "congo (brazzaville)": "CG",
    "republic of the congo": "CG",
    "congo, rep.": "CG",
    "korea, north": "KP",
    "north korea": "KP",
    "korea, south": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "korea, rep.": "KR",
    "taiwan": "TW",
    "russia": "RU",
    "iran": "IR",
    "laos": "LA",
    "vietnam": "VN",
    "syria": "SY",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "moldova": "MD",
    "turkey": "TR",
    "turkiye": "TR",
    "czech republic": "CZ",
    "czechia": "CZ",
    "ivory coast": "CI",
    "cote d'ivoire": "CI",
    "cote divoire": "CI",
    "cape verde": "CV",
    "swaziland": "SZ",
    "eswatini": "SZ",
    "macedonia": "MK",
    "north macedonia": "MK",
    "brunei": "BN",
    "kosovo": "XK",
    "united kingdom": "GB",
    "uk": "GB",
    "great britain": "GB",
    "britain": "GB",
    "united states": "US",
    "usa": "US",
    "u.s.": "US",
    "hong kong": "HK",
    "macau": "MO",
    "palestine": "PS",
    "vatican": "VA",
    "micronesia": "FM",
    "the gambia": "GM",
    "gambia, the": "GM",
    "bahamas, the": "BS",
    "the bahamas": "BS",
    "east timor": "TL",
    "timor-leste": "TL",
}


#: Names that stand for more than one country: refused with the choices, never guessed.
AMBIGUOUS = {
    "congo": ("CD", "CG"),
    "korea": ("KP", "KR"),
}


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = unicodedata.normalize("NFKD", text.replace("\u00a0", " "))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return re.sub(r"\s+", " ", text).strip().lower()


def is_country_code(code: str) -> bool:
    """True when ``code`` is a known ISO 3166-1 alpha-2 code (upper case)."""
    if not isinstance(code, str) or len(code) != 2 or not code.isupper():
        return False
    return code in EXTRA_CODES or pycountry.countries.get(alpha_2=code) is not None


def country_name(code: str) -> str:
    """The common English name of an alpha-2 code ("Taiwan", "South Korea", "United Kingdom")."""
    if code in EXTRA_CODES:
        return EXTRA_CODES[code]
    record = pycountry.countries.get(alpha_2=code)
    if record is None:
        raise UnknownCountryError(f"unknown country code '{code}'")
    return getattr(record, "common_name", None) or record.name


def resolve_country(text: str) -> str:
    """Map an alpha-2 code, an alpha-3 code or a country name to its alpha-2 code.

    Raises
    ------
    UnknownCountryError
        When nothing matches.
    """
    raw = str(text).strip()
    if raw.isdigit():  # ISO numeric codes are not read: a number in a country column is a shifted value
        raise UnknownCountryError(f"unknown country '{raw}' (a number, not a country name or code)")
    if is_country_code(raw.upper()) and len(raw) == 2:
        return raw.upper()
    key = _normalise(raw)
    if key in ALIASES:
        return ALIASES[key]
    if key in AMBIGUOUS:
        choices = ", ".join(f"{code} ({country_name(code)})" for code in AMBIGUOUS[key])
        raise UnknownCountryError(f"'{raw}' is ambiguous: {choices}")
    if len(raw) == 3 and raw.isalpha():
        record = pycountry.countries.get(alpha_3=raw.upper())
        if record is not None:
            return record.alpha_2
    try:
        return pycountry.countries.lookup(key).alpha_2
    except LookupError:
        pass
    for record in pycountry.countries:
        names = {record.name, getattr(record, "common_name", ""), getattr(record, "official_name", "")}
        if key in {_normalise(name) for name in names if name}:
            return record.alpha_2
    raise UnknownCountryError(f"unknown country '{raw}'")


def _bloc_key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", _normalise(name))


@lru_cache(maxsize=1)
def load_blocs() -> dict[str, dict]:
    """The bloc table: name -> {"label", "members" (tuple of alpha-2), "note"}."""
    text = resources.files("chokepoint").joinpath("data", "blocs.yaml").read_text(encoding="utf-8")
    raw = safe_yaml.load(text) or {}
    blocs = {}
    for name, entry in raw.get("blocs", {}).items():
        members = tuple(sorted(entry["members"]))
        blocs[name] = {"label": entry.get("label", name), "members": members, "note": entry.get("note", "")}
    return blocs


def resolve_bloc(name: str) -> tuple[str, tuple[str, ...]]:
    """Return ``(canonical name, members)`` for a bloc name, ignoring case, spaces and hyphens."""
    blocs = load_blocs()
    wanted = _bloc_key(name)
    for canonical, entry in blocs.items():
        if _bloc_key(canonical) == wanted or _bloc_key(entry["label"]) == wanted:
            return canonical, entry["members"]
    known = ", ".join(sorted(blocs))
    raise UnknownCountryError(f"unknown bloc '{name}' (known: {known})")
