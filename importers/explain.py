"""Why a row was rejected and how to fix it, in plain words and in the roster's own language.

The words live in gettext catalogs (importers/locale/<lang>/LC_MESSAGES/rejects.po); English is
the source language. Catalogs are compiled from the .po in memory with Babel on first use, so
no generated .mo file is kept in the repository. The language of a roster is read from its
headers: Arabic or Cyrillic letters, or a French header word, else English.
"""

from __future__ import annotations

import gettext
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from importers import report as R
from importers.normalize import key

LOCALE_DIR = Path(__file__).with_name("locale")
DOMAIN = "rejects"
LANGUAGES = ("uk", "ar", "fr", "en")
RIGHT_TO_LEFT = frozenset({"ar"})
# Header words only a French roster uses, as importers.normalize.key spells them (no accents,
# no spaces); "role" is not one of them: English writes it the same.
_FRENCH = frozenset(
    {"prenom", "nom", "nomdefamille", "courriel", "fonction", "etablissement", "codeetablissement"}
    | {"adressecourriel", "adresseelectronique", "mel", "emel", "ecole", "codeecole"}
)


def _(message: str) -> str:
    """Marks a message for extraction; the translation happens when it is shown."""
    return message


def detect_language(headers: Iterable[str]) -> str:
    """uk, ar, fr or en, from the headers of a sheet as written."""
    words = [h for h in headers if h]
    for text in words:
        for ch in text:
            if not ch.isalpha():
                continue
            name = unicodedata.name(ch, "")
            if name.startswith("ARABIC"):
                return "ar"
            if name.startswith("CYRILLIC"):
                return "uk"
    if any(key(h) in _FRENCH for h in words):
        return "fr"
    return "en"


def headers_language(columns: Iterable[Mapping[str, str]]) -> str:
    """The language of a roster from its sheets' headers ({field: header as written} per sheet)."""
    return detect_language(h for headers in columns for h in headers.values() if not h.startswith("("))


@cache
def translations(language: str, domain: str = DOMAIN) -> gettext.NullTranslations:
    """The catalog of `language`, compiled from its .po in memory (English: the messages as they are).

    `domain` names the catalog: rejects (this module's words) or school_report (the workbook a
    ministry sends a school, provision.reports)."""
    po = LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"
    if language == "en" or not po.exists():
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=domain)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(language: str, domain: str = DOMAIN) -> Callable[[str], str]:
    return translations(language, domain).gettext


@dataclass(frozen=True)
class Explanation:
    problem: str
    fix: str


def _email_problem(value: str) -> tuple[str, str]:
    """What is wrong with an address a person typed (the importer only says "bad email")."""
    text = value.strip()
    if "@" not in text:
        return (
            _("The email address has no @ sign."),
            _("Write the whole address, for example name@school.edu.ua."),
        )
    if text.count("@") > 1:
        return (
            _("The email address has more than one @ sign."),
            _("Keep a single @ between the name and the domain."),
        )
    if any(ch.isspace() or ch in '<>(),;:"[]' for ch in text):
        return (
            _("The email address contains a space or a character addresses cannot have (, ; : < > quotes)."),
            _("Remove the spaces and punctuation; write only the address."),
        )
    local, _at, domain = text.partition("@")
    if not local:
        return (
            _("The email address has nothing before the @ sign."),
            _("Write the person's name part before the @."),
        )
    if ".." in text:
        return (_("The email address has two dots in a row."), _("Remove the extra dot."))
    if "." not in domain.strip(".") or domain.startswith(".") or domain.endswith("."):
        return (
            _("The part after the @ sign is not a complete domain (it has no dot, or it is cut short)."),
            _("Write the complete domain, for example @school21.edu.ua."),
        )
    return (_("The email address is not valid."), _("Check the address letter by letter and correct it."))


_REASONS = sorted(
    (
        R.BAD_EMAIL,
        R.MISSING_EMAIL,
        R.MISSING_NAME,
        R.UNKNOWN_SCHOOL,
        R.UNKNOWN_ROLE,
        R.BAD_PRIORITY,
        R.DUPLICATE,
        R.MISSING_CODE,
        R.BAD_SEATS,
        R.TOO_LONG,
        R.FORMULA_WITHOUT_VALUE,
    ),
    key=len,
    reverse=True,
)


def split_reason(stored: str) -> tuple[str, str]:
    """(reason, detail) of a rejected row as the database keeps it: "bad email (detail)"."""
    for reason in _REASONS:
        if stored == reason:
            return reason, ""
        if stored.startswith(f"{reason} (") and stored.endswith(")"):
            return reason, stored[len(reason) + 2 : -1]
    return stored, ""


def explain(reason: str, value: str | None, detail: str, column: str | None, language: str) -> Explanation:
    """The problem and its fix for one rejected cell, in `language`."""
    t = translator(language)
    value = value or ""
    args = {"value": value, "column": column or "", "detail": detail}
    if reason == R.BAD_EMAIL and detail.startswith("no such user"):
        problem, fix = (
            _("No user with this id in users.csv."),
            _("Add the person to users.csv, or delete this row."),
        )
    elif reason == R.BAD_EMAIL and "U+" in detail:  # normalize.email_problem named a character
        problem = _(
            "The email address has a character that is invisible or looks like another one: %(detail)s."
        )
        fix = _("Type the address again by hand, in one alphabet, without copying it from elsewhere.")
    elif reason == R.BAD_EMAIL:
        problem, fix = _email_problem(value)
    elif reason == R.TOO_LONG:
        problem = _("The value is longer than Zoom accepts: %(detail)s.")
        fix = _("Shorten it in the roster (Zoom takes at most 64 characters of a name and 128 of an email).")
    elif reason == R.FORMULA_WITHOUT_VALUE:
        problem = _("The cell holds a formula (%(value)s) whose result was never saved in the file.")
        fix = _(
            "Open the file in Excel or LibreOffice and save it again, or paste the values over the formulas."
        )
    elif reason == R.MISSING_EMAIL and detail.startswith("the username is an address"):
        problem = _("The email address is empty; the username is an address.")
        fix = _("Fill in the email, or set email_from_username = true in the policy to use the username.")
    elif reason == R.MISSING_EMAIL:
        problem, fix = _("The email address is empty."), _("Fill in the person's work email address.")
    elif reason == R.MISSING_NAME:
        problem, fix = _("The name is empty."), _("Fill in the person's given name and family name.")
    elif reason == R.UNKNOWN_ROLE:
        problem = _("The role \u201c%(value)s\u201d is not one we know.")
        fix = _("Write one of: teacher, director (admin), staff, student.")
    elif reason == R.UNKNOWN_SCHOOL and detail.startswith("the file is for school"):
        problem = _("This file is for another school than the one this row names (\u201c%(value)s\u201d).")
        fix = _("Move the row to the file of its own school, or correct the school code.")
    elif reason == R.UNKNOWN_SCHOOL and "no school imported" in detail:  # a package's org
        problem = _("The org \u201c%(value)s\u201d is not a school imported from this package.")
        fix = _(
            "Import the schools from the package first (provision import schools), then the roster again."
        )
    elif reason == R.UNKNOWN_SCHOOL and detail == "no such org in the package":  # the --seats sheet
        problem = _("No school of the package has the code or sourcedId \u201c%(value)s\u201d.")
        fix = _("Use a school's code or its sourcedId as the package lists them.")
    elif reason == R.UNKNOWN_SCHOOL:
        problem = _("The school code \u201c%(value)s\u201d is not in the ministry's list.")
        fix = _("Use the code the ministry issued to the school (ask the ministry if unsure).")
    elif reason == R.DUPLICATE:
        first = re.search(r"first at row (\d+)", detail)
        args["first"] = first.group(1) if first else "?"
        problem = _("The same person is already listed above, at row %(first)s.")
        fix = _("Delete one of the two rows.")
    elif reason == R.MISSING_CODE:
        problem, fix = _("The school code is empty."), _("Fill in the code the ministry issued.")
    elif reason == R.BAD_SEATS:
        problem = _("The number of licenses \u201c%(value)s\u201d is not a whole number.")
        fix = _("Write a whole number, for example 25.")
    else:  # a reason this catalog does not know yet: said as the importer says it
        text = f"{reason} ({detail})" if detail else reason
        return Explanation(text, t(_("Correct the value and send the file again.")))
    return Explanation(t(problem) % args, t(fix) % args)


def labels(language: str) -> dict[str, str]:
    """The fixed words of the rejects workbook (sheet name and headers) in `language`."""
    t = translator(language)
    return {
        "sheet": t(_("Rows to fix")),
        "file": t(_("File")),
        "sheet_name": t(_("Sheet")),
        "row": t(_("Row")),
        "column": t(_("Wrong column")),
        "problem": t(_("Problem")),
        "fix": t(_("How to fix it")),
        "no_school": t(_("no school")),
    }
