"""Finding people as an operator types them on the phone: by name in any script, and in the
rows an import rejected.

Names are compared folded: case, accents and harakat, apostrophe variants (ʼ ' ’ `), hyphens and
spaces ignored, Arabic hamza carriers, alef maksura and ta marbuta unified; and, so that
"Kovalenko" finds Коваленко, also in their Latin transliteration (anyascii). Every word typed
must start a word of the name, in any order ("олена коваленко" finds Коваленко Олена).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from models.reader import Reader, as_reader, in_list

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

_WORDS = re.compile(r"[\s\-\u2010-\u2015/,;.]+")
_APOSTROPHES = "'\u2019\u02bc\u2018`\u00b4\u02b9\u2032"
MAX_MATCHES = 50


def _fold_word(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word)
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn" and ch not in _APOSTROPHES)
    kept = kept.replace("\u0640", "")  # Arabic tatweel: stretching, not a letter
    return kept.casefold().replace("ى", "ي").replace("ة", "ه")


def name_words(text: str) -> tuple[str, ...]:
    """The folded words of a name as written."""
    return tuple(w for w in (_fold_word(part) for part in _WORDS.split(text)) if w)


def latin_words(text: str) -> tuple[str, ...]:
    """The folded words of the name's Latin transliteration (Коваленко -> kovalenko)."""
    from anyascii import anyascii  # only a search by name needs its tables

    return name_words(anyascii(text))


def matches(query: Sequence[str], words: Sequence[str]) -> bool:
    """Every word typed starts a different word of the name (any order)."""
    free = list(words)
    for typed in sorted(query, key=len, reverse=True):
        hit = next((i for i, w in enumerate(free) if w.startswith(typed)), None)
        if hit is None:
            return False
        free.pop(hit)
    return True


class NameQuery:
    """A name as typed, folded once, matched against many names."""

    def __init__(self, text: str) -> None:
        self.words = name_words(text)
        self.latin = latin_words(text)

    def __bool__(self) -> bool:
        return bool(self.words)

    def finds(self, name: str) -> bool:
        if not name:
            return False
        if matches(self.words, name_words(name)):
            return True
        return bool(self.latin) and matches(self.latin, latin_words(name))


@dataclass(frozen=True)
class Match:
    """One person whose name matches, with the schools that list them."""

    email: str
    given_name: str
    family_name: str
    schools: tuple[str, ...]  # codes, primary first; a school they left is marked "(left)"


def people_named(source: Reader | Session, text: str) -> list[Match]:
    """Everyone on a roster whose name matches `text` (at most MAX_MATCHES, by family name).

    A scan of the people's names in Python: folding and transliteration are not SQL, and even
    100,000 names take a fraction of a second, which a phone call can afford.
    """
    db = as_reader(source)
    query = NameQuery(text)
    if not query:
        return []
    found: dict[int, Match] = {}
    for pid, email, given, family in db.rows("SELECT id, email, given_name, family_name FROM person"):
        if query.finds(f"{given or ''} {family or ''}"):
            found[pid] = Match(email, given or "", family or "", ())
            if len(found) > MAX_MATCHES:
                break
    if not found:
        return []
    schools: dict[int, list[tuple[bool, str]]] = {}
    people, params = in_list("p", list(found))
    for pid, code, primary, active in db.rows(
        "SELECT m.person_id, i.code, m.is_primary, m.active FROM membership m "
        f"JOIN institution i ON i.id = m.institution_id WHERE m.person_id IN {people}",
        params,
    ):
        label = code if active else f"{code} (left)"
        schools.setdefault(pid, []).append((not (primary and active), label))
    result = [
        Match(m.email, m.given_name, m.family_name, tuple(label for _, label in sorted(schools.get(pid, []))))
        for pid, m in found.items()
    ]
    return sorted(result, key=lambda m: (name_words(m.family_name), name_words(m.given_name), m.email))


@dataclass(frozen=True)
class RejectedEntry:
    """A roster row the import rejected: where, why and when."""

    file: str
    sheet: str | None
    row: int
    column: str | None
    reason: str
    value: str | None
    email: str | None
    name: str | None
    imported_at: datetime | None
    batch_id: int


def rejected_rows(
    source: Reader | Session, *, email: str | None = None, name: str | None = None
) -> list[RejectedEntry]:
    """Rejected rows about one email, or about people whose name matches (newest import first)."""
    db = as_reader(source)
    sql = (
        'SELECT r.file, r.sheet, r."row", r."column", r.reason, r.value, r.email, r.name, b.started_at, '
        "r.batch_id FROM rejected_row r JOIN import_batch b ON b.id = r.batch_id "
    )
    found = (
        db.rows(sql + "WHERE r.email = :email", {"email": email})
        if email is not None
        else db.rows(sql + "WHERE r.name IS NOT NULL")
    )
    query = NameQuery(name) if name is not None else None
    entries = [
        RejectedEntry(file, sheet, row, column, reason, value, email_, name_, db.when(started), batch_id)
        for file, sheet, row, column, reason, value, email_, name_, started, batch_id in found
        if query is None or query.finds(name_ or "")
    ]
    return sorted(entries, key=lambda e: (-(e.batch_id), e.file, e.row))
