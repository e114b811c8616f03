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
_ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_BOM = "\ufeff"
# Characters a person cannot see: controls, format characters (zero-width space and joiners,
# bidi controls, soft hyphen), separators, private-use, unassigned and surrogate code points.
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Co", "Cn", "Cs", "Zs", "Zl", "Zp"}
# Scripts that share a label legitimately (UTS #39 "highly restrictive": Japanese, Korean,
# Chinese with Bopomofo); any other mix of two scripts in one label is refused.
_SCRIPT_SETS = (
    frozenset({"HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"HAN", "HANGUL"}),
    frozenset({"HAN", "BOPOMOFO"}),
)
_NEUTRAL_SCRIPTS = {"COMMON", "INHERITED"}  # digits, punctuation, combining marks
NOT_AN_EMAIL = "not an email address (one @, a dot in the domain, no spaces)"
# An ASCII address that passes every check below (shape, no control character, no IDN label):
# dot-separated runs of allowed characters on both sides of one @, two labels or more after it.
_ATOM = r'[^\x00-\x20\x7f<>(),;:"\[\]@.]+'
_PLAIN_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})+")
_LABEL_SEPARATORS = re.compile(r"[.@+_\-]")


def _clean(s: str) -> str:
    """Trimmed (with a BOM, NBSPs and zero-width spaces at the edges), NFC, lower-cased."""
    if s.isascii():  # the common case, 100,000 times per roster: NFC changes nothing
        return s.strip().lower()
    s = unicodedata.normalize("NFC", s).replace(_BOM, "")
    return s.strip().strip("\u00a0\u200b").strip().lower()


def _ascii_domain(email: str) -> str:
    local, at, domain = email.rpartition("@")
    if not at or domain.isascii():
        return email
    import idna

    try:
        return f"{local}@{idna.encode(domain).decode('ascii')}"
    except (idna.IDNAError, UnicodeError):
        return email  # not a valid IDN: kept as typed, and email_problem says why


def normalize_email(s: str) -> str:
    """The one canonical form of an email, for rosters, Zoom's answers, queries and the policy.

    Trimmed (with a BOM, NBSPs and zero-width spaces at the edges), Unicode NFC, lower-cased,
    and an internationalized domain in its ASCII form (IDNA 2008: "школа.укр" and
    "xn--80ajgbuq.xn--j1amh" are one domain): what Zoom and mail systems without SMTPUTF8 take.
    It never refuses; email_problem says whether the result may be used.
    """
    if s.isascii():
        return s.strip().lower()
    return _ascii_domain(_clean(s))


def plain_email(typed: str) -> str | None:
    """normalize_email(typed) when that is a plain ASCII address email_problem accepts (the
    common case, 100,000 times a roster: one match); None otherwise, for those two to say."""
    if not typed.isascii():
        return None
    text = typed.strip().lower()
    if "xn--" in text or _PLAIN_EMAIL.fullmatch(text) is None:
        return None
    return text


def _char(ch: str) -> str:
    fallback = "CONTROL CHARACTER" if unicodedata.category(ch) == "Cc" else "UNNAMED CHARACTER"
    return f"U+{ord(ch):04X} {unicodedata.name(ch, fallback)}"


def _script_mix(text: str) -> str | None:
    """The first label of `text` mixing scripts, as a reason naming the intruding character."""
    from confusable_homoglyphs import categories, confusables

    start = 0
    for label in _LABEL_SEPARATORS.split(text):
        letters = [
            (i, ch, script)
            for i, ch in enumerate(label, start)
            if (script := categories.alias(ch)) not in _NEUTRAL_SCRIPTS
        ]
        start += len(label) + 1
        scripts = {script for _, _, script in letters}
        if len(scripts) <= 1 or any(scripts <= allowed for allowed in _SCRIPT_SETS):
            continue
        counts = {s: sum(1 for _, _, x in letters if x == s) for s in scripts}
        # The label's own script is the one most of its letters are written in (ties: the first).
        main = max(scripts, key=lambda s: (counts[s], -min(i for i, _, x in letters if x == s)))
        i, ch, script = next(item for item in letters if item[2] != main)
        looks = confusables.is_confusable(ch, preferred_aliases=[main.lower()])
        like = f", which looks like {looks[0]['homoglyphs'][0]['c']!r}" if looks else ""
        return (
            f"{_char(ch)} at position {i + 1} among {main.title()} letters{like}: "
            "one address must be written in one script"
        )
    return None


def email_problem(typed: str) -> str | None:
    """Why `typed` cannot be taken as an email, or None when it can.

    Besides the shape (one @, a dot in the domain, no spaces), refused are what would let an
    address pass for another one: invisible characters (zero-width, bidi controls), compatibility
    forms (fullwidth "ａ", ligatures, superscripts), scripts mixed in one label (a Cyrillic "о"
    among Latin letters) and a domain that is no valid internationalized domain name. The reason
    names the character and its position (1-based, in the address as typed, trimmed).
    """
    text = _clean(typed)
    if text.isascii() and "xn--" not in text and _PLAIN_EMAIL.fullmatch(text):
        return None  # the common case, 100,000 times per roster: one match instead of four checks
    if not _shape_ok(text):
        return NOT_AN_EMAIL
    if text.isascii():
        control = _ASCII_CONTROL.search(text)
        if control:
            where = control.start() + 1
            return f"{_char(control.group())} at position {where}: an invisible control character"
        return _idn_problem(text)
    for i, ch in enumerate(text):
        if unicodedata.category(ch) in _INVISIBLE_CATEGORIES:
            return f"{_char(ch)} at position {i + 1}: an invisible character (delete it, retype the address)"
        plain = unicodedata.normalize("NFKC", ch)
        if plain != ch:
            return f"{_char(ch)} at position {i + 1}: a compatibility form of {plain!r} (type {plain!r})"
    return _script_mix(text) or _idn_problem(text)


def _idn_problem(email: str) -> str | None:
    domain = email.rpartition("@")[2]
    if domain.isascii() and "xn--" not in domain:
        return None
    import idna

    try:
        unicode_domain = idna.decode(domain) if domain.isascii() else domain
        idna.encode(unicode_domain)
    except (idna.IDNAError, UnicodeError) as exc:
        return f"the domain {domain!r} is not a valid internationalized domain name ({exc})"
    if domain.isascii():
        # An ASCII-encoded domain (xn--…) can hide the same mix: judge its Unicode form.
        mix = _script_mix(unicode_domain)
        if mix:
            return f"the domain {domain!r} reads {unicode_domain!r}, where {mix}"
    return None


def _shape_ok(email: str) -> bool:
    local, at, domain = email.partition("@")
    return (
        bool(local and at)
        and "@" not in domain
        and "." in domain[1:-1]
        and ".." not in email
        and _EMAIL_FORBIDDEN.search(email) is None
    )


def is_valid_email(email: str) -> bool:
    """True when email_problem finds nothing."""
    return email_problem(email) is None


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
