"""The words of the workbook a ministry sends a school, and the language it is written in.

The words live in the gettext catalogs beside the rejects' (importers/locale/<lang>/LC_MESSAGES/
school_report.po; English is the source). A school's language is its roster's: the one the
importer read from the headers of the last roster that listed the school (ImportBatch.summary's
"language"); for a roster imported before that was recorded, the headers of the school's rejected
rows and the script of its name; else English.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlmodel import col

from importers.explain import LANGUAGES, RIGHT_TO_LEFT, detect_language, translator
from models import ImportBatch, Institution, RejectedRow

DOMAIN = "school_report"

__all__ = ["DOMAIN", "RIGHT_TO_LEFT", "LatestRoster", "Words", "latest_rosters", "school_languages"]


def _(message: str) -> str:
    """Marks a message for extraction; the translation happens when it is shown."""
    return message


SHEETS = {
    "summary": _("Summary"),
    "licensed": _("Licensed"),
    "waiting": _("Waiting"),
    "issues": _("Import issues"),
}
HEADERS = {
    "field": _("Field"),
    "value": _("Value"),
    "email": _("Email"),
    "given_name": _("Given name"),
    "family_name": _("Family name"),
    "role": _("Role"),
    "license": _("License"),
    "counted_here": _("Counts against this school"),
    "addons": _("Add-ons"),
    "last_login": _("Last login (UTC)"),
    "invited": _("Invitation sent (UTC)"),
    "left": _("Left the roster (UTC)"),
    "place": _("Place in line"),
    "why": _("Why waiting"),
    "counted_at": _("Counts against school"),
    "file": _("File"),
    "sheet": _("Sheet"),
    "row": _("Row"),
    "column": _("Column"),
    "cell": _("Value as written"),
    "name": _("Name"),
    "problem": _("Problem"),
    "fix": _("How to fix it"),
    "imported_at": _("Imported at (UTC)"),
}
SUMMARY = {
    "code": _("School code"),
    "school_name": _("School name"),
    "region": _("Region"),
    "school_account": _("The school's Zoom account"),
    "quota": _("Licenses allocated"),
    "licensed": _("Licensed"),
    "pending": _("Invitations not accepted yet"),
    "waiting": _("Waiting"),
    "utilization": _("Utilization"),
    "members": _("People on the roster"),
    "observed_at": _("Zoom data observed at (UTC)"),
    "plan_at": _("Waiting list from the plan of (UTC)"),
    "issues_from": _("Import issues from"),
    "version": _("provision version"),
    "database": _("Database"),
    "account": _("Zoom account"),
    "operator": _("Operator"),
    "generated_utc": _("Generated at (UTC)"),
    "generated_local": _("Generated at (%(zone)s)"),
}
PHRASES = {
    "yes": _("yes"),
    "no": _("no"),
    "never_observed": _("not observed yet (run provision sync)"),
    "no_plan": _("no plan yet: nobody is waiting until a plan is made"),
    "no_issues": _("none"),
    "issues_from": _("%(file)s, imported %(when)s"),
    "licensed": _("Licensed"),
    "pending": _("Invitation sent, not accepted yet"),
    "admin": _("director (admin)"),
    "teacher": _("teacher"),
    "staff": _("staff"),
    "student": _("student"),
}
# Why someone waits, as the plan says it (provision.core.seats) -> the same in the school's
# words; the place in line has its own column. A sentence none of these match stays as the plan
# wrote it (English), so a new wording in the engine is never mistranslated, only untranslated.
_NUMBER = r"(?P<%s>[\d,]+)"
_IN_LINE = r"^waiting: \S+ in line at .+? \("
_SEATS = rf"account seats {_NUMBER % 'used'} of {_NUMBER % 'seats'} in use, "
_BASIC_CAP = rf"Basic-user cap: the account's {_NUMBER % 'cap'} Basic users are all taken"
WAITING_REASONS = (
    (
        re.compile(rf"{_IN_LINE}quota {_NUMBER % 'used'} of {_NUMBER % 'quota'} in use\)$"),
        _("Every license of the school's quota is in use (%(used)s of %(quota)s)."),
    ),
    (
        re.compile(rf"{_IN_LINE}{_SEATS}.+ has its proportional share of {_NUMBER % 'share'}\)$"),
        _(
            "Every license of the ministry is in use (%(used)s of %(seats)s); "
            "the school holds its proportional share (%(share)s)."
        ),
    ),
    (
        re.compile(rf"{_IN_LINE}{_SEATS}served by role priority\)$"),
        _("Every license of the ministry is in use (%(used)s of %(seats)s); licenses go by role priority."),
    ),
    (
        re.compile(rf"{_IN_LINE}{_SEATS}none left for a first seat at .+\)$"),
        _(
            "Every license of the ministry is in use (%(used)s of %(seats)s); "
            "none was left for a first license at this school."
        ),
    ),
    (
        re.compile(
            rf"^waiting: the account creates at most {_NUMBER % 'cap'} users a day "
            rf"\(Zoom's daily create cap; {_NUMBER % 'today'} created today\): created by a later plan$"
        ),
        _(
            "Zoom creates at most %(cap)s users a day on this account (%(today)s created today): "
            "this person's Zoom account is created on a later day."
        ),
    ),
    (
        re.compile(rf"^waiting: {_BASIC_CAP}; no Zoom account yet \(.+\)$"),
        _(
            "The Zoom account's Basic users are all taken (%(cap)s): this person gets a Zoom account "
            "once the ministry makes room."
        ),
    ),
    (
        re.compile(rf"^waiting: {_BASIC_CAP}; not reactivated yet \(.+\)$"),
        _(
            "The Zoom account's Basic users are all taken (%(cap)s): this person's Zoom account is "
            "reactivated once the ministry makes room."
        ),
    ),
    (
        re.compile(r"^waiting: invitations expired unanswered twice \(found (?P<found>[^)]+)\): "),
        _(
            "Two invitations expired unanswered (%(found)s): none is sent again by itself. Check the "
            "address on the roster and tell the ministry."
        ),
    ),
    (
        re.compile(
            r"^waiting: the invitation expired unanswered \(found (?P<found>[^)]+)\); "
            r"sent once more on (?P<due>\d{4}-\d{2}-\d{2}) "
        ),
        _("The invitation expired unanswered (%(found)s); it is sent once more on %(due)s."),
    ),
)
# A person on two rosters waits at the other school too: that school's entry names where they
# count, then the reason of that school's line (translated in turn).
_COUNTED_AT = re.compile(r"^waiting: counted at (?P<code>\S+), (?P<there>.+)$")
COUNTED_AT = _("Counts against school %(code)s: %(why)s")
# A refusal Zoom would repeat (provision.core.blocked): the school reads what it can do about it,
# not the operator's fix, by what the refusal was about.
_BLOCKED = re.compile(
    r"^blocked: (?P<why>.+) \((?:held back|Zoom refused) the \w+ on (?P<at>\d{4}-\d{2}-\d{2}); "
    r"a rerun will not help"
)
_ADDRESS_REFUSALS = re.compile(
    r"^(?:Zoom refuses to create the user \(code (?:1116|1107|1009)\)|the roster's data breaks Zoom's rules"
    r"|autoCreate works only for the account's managed)"
)
BLOCKED = (
    (
        re.compile(r"^the account's Basic-user cap is reached"),
        _(
            "Since %(at)s the Zoom account has no room for more users (its Basic-user cap): "
            "the ministry must make room."
        ),
    ),
    (
        _ADDRESS_REFUSALS,
        _(
            "Since %(at)s Zoom refuses this person's address as the roster writes it: "
            "check the address and tell the ministry."
        ),
    ),
)
BLOCKED_OTHER = _(
    "Since %(at)s Zoom refuses to set up this person's account: the ministry must fix it on its side."
)


class Words:
    """The workbook's words in one language: `words.sheet("waiting")`, `words.header("email")`…"""

    def __init__(self, language: str) -> None:
        self.language = language
        self.right_to_left = language in RIGHT_TO_LEFT
        self._t: Callable[[str], str] = translator(language, DOMAIN)

    def sheet(self, name: str) -> str:
        return self._t(SHEETS[name])[:31]  # Excel's longest sheet name

    def header(self, name: str) -> str:
        return self._t(HEADERS[name])

    def summary(self, name: str, **args: Any) -> str:
        text = self._t(SUMMARY[name])
        return text % args if args else text

    def phrase(self, name: str, **args: Any) -> str:
        text = self._t(PHRASES[name])
        return text % args if args else text

    def role(self, role: str) -> str:
        return self.phrase(role) if role in PHRASES else role

    def waiting_reason(self, reason: str) -> str:
        """The plan's reason in this language (as the plan wrote it when no pattern knows it)."""
        counted = _COUNTED_AT.match(reason)
        if counted:
            inner = f"waiting: {counted['there']}"
            there = self.waiting_reason(inner)
            return reason if there == inner else self._t(COUNTED_AT) % {"code": counted["code"], "why": there}
        blocked = _BLOCKED.match(reason)
        if blocked:
            message = next((m for p, m in BLOCKED if p.match(blocked["why"])), BLOCKED_OTHER)
            return self._t(message) % {"at": blocked["at"]}
        for pattern, message in WAITING_REASONS:
            found = pattern.match(reason)
            if found:
                return self._t(message) % found.groupdict()
        return reason


@dataclass(frozen=True)
class LatestRoster:
    """The last committed roster import that listed a school: its batch and recorded language."""

    batch_id: int
    language: str | None  # None: imported before the language was recorded


def latest_rosters(session: Session, codes: Iterable[str]) -> dict[str, LatestRoster]:
    """Per school code, the latest committed roster batch that listed it (none: never listed)."""
    wanted = set(codes)
    found: dict[str, LatestRoster] = {}
    stmt = (
        select(col(ImportBatch.id), col(ImportBatch.institution_code), col(ImportBatch.summary))
        .where(col(ImportBatch.kind) == "roster", col(ImportBatch.committed))
        .order_by(col(ImportBatch.id).desc())
    )
    for batch_id, school, summary in session.execute(stmt):
        data = summary if isinstance(summary, dict) else {}
        listed = data.get("school_codes")
        named = {school} if school else set()
        if isinstance(listed, list):
            named.update(str(c) for c in listed)
        language = data.get("language")
        for code in (named & wanted) - found.keys():
            found[code] = LatestRoster(batch_id, language if language in LANGUAGES else None)
        if len(found) == len(wanted):
            break
    return found


def school_languages(
    session: Session, rosters: Mapping[str, LatestRoster], codes: Iterable[str]
) -> dict[str, str]:
    """uk, ar, fr or en for each school code (see the module's docstring for where it comes from)."""
    languages = {code: roster.language for code, roster in rosters.items() if roster.language is not None}
    unknown = sorted(set(codes) - languages.keys())
    if not unknown:
        return languages
    headers: dict[str, list[str]] = {code: [] for code in unknown}
    for code, column in session.execute(
        select(col(RejectedRow.institution_code), col(RejectedRow.column))
        .where(col(RejectedRow.institution_code).in_(unknown))
        .distinct()
    ):
        if code and column:
            headers[code].append(column)
    for code, name in session.execute(
        select(col(Institution.code), col(Institution.name)).where(col(Institution.code).in_(unknown))
    ):
        languages[code] = detect_language([*headers[code], name or ""])
    return languages
