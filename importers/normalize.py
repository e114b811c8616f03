"""Normalization of what people type: emails, names, header keys and flags (role words: importers.roles)."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from functools import lru_cache
from typing import Any

# Deliberately loose: the local part may be any script (NFC), but there must be exactly one @,
# no spaces or list punctuation, and a dot inside the domain. Zoom decides the rest.
_EMAIL_FORBIDDEN = re.compile(r"[\s<>(),;:\"\[\]]")
_BOM = "\ufeff"


def normalize_email(s: str) -> str:
    """Trimmed, Unicode NFC, lower-cased (also strips a BOM and NBSPs around it)."""
    if s.isascii():  # the common case, 100,000 times per roster: NFC changes nothing
        return s.strip().lower()
    s = unicodedata.normalize("NFC", s).replace(_BOM, "")
    return s.strip().strip("\u00a0\u200b").strip().lower()


def is_valid_email(email: str) -> bool:
    local, at, domain = email.partition("@")
    return (
        bool(local and at)
        and "@" not in domain
        and "." in domain[1:-1]
        and ".." not in email
        and _EMAIL_FORBIDDEN.search(email) is None
    )


def normalize_name(s: str) -> str:
    """Names are kept as written (Cyrillic, Arabic, accents intact): only trimmed and NFC."""
    if s.isascii():
        return " ".join(s.split())
    s = unicodedata.normalize("NFC", s).replace(_BOM, "")
    return " ".join(s.split())


def key(s: str) -> str:
    """A comparison key for headers and role words: case, spaces, punctuation, BOM and
    diacritics ignored (so "E-mail", " EMAIL ", "Ім'я" and "Имя" compare as their letters;
    Arabic hamza carriers and harakat fold onto the bare letter)."""
    s = unicodedata.normalize("NFKD", s.replace(_BOM, ""))
    out = [ch for ch in s if ch.isalnum() and unicodedata.category(ch) != "Mn"]
    # ى (alef maksura) and ة (ta marbuta) are spelled either way in Arabic spreadsheets
    return "".join(out).casefold().replace("ى", "ي").replace("ة", "ه")


def cell_text(value: Any) -> str:
    """A cell's value as text: integral floats without ".0", dates in ISO form, None as ""."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


ROLES = ("admin", "teacher", "staff", "student")  # the four roles (role words: importers.roles)

_TRUE = {key(w) for w in ("true", "yes", "y", "1", "x", "так", "да", "oui", "vrai", "نعم", "primary")}
_FALSE = {key(w) for w in ("false", "no", "n", "0", "ні", "нет", "non", "faux", "لا", "")}


@lru_cache(maxsize=1024)
def parse_flag(word: str) -> bool | None:
    """TRUE/так/да/oui/نعم -> True, FALSE/ні/нет/non/لا/empty -> False, anything else None."""
    k = key(word)
    if k in _TRUE:
        return True
    if k in _FALSE:
        return False
    return None
