"""Where an export came from, for the auditor who signs it: the Provenance sheet, and local times.

Excel has no time zones: every time is written as UTC and, when a zone is configured
(PROVISION_TIMEZONE, an IANA name such as Europe/Kyiv), again beside it in that zone.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from provision.errors import InputError
from provision.reports.xlsx import Column

UTC_MARK = "(UTC)"


def time_zone(name: str | None) -> tzinfo:
    """The configured zone (PROVISION_TIMEZONE), UTC when none; an unknown name is bad input."""
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"time zone {name!r} is not an IANA name (PROVISION_TIMEZONE, e.g. Europe/Kyiv, Asia/Beirut)"
        ) from None


def zone_label(tz: tzinfo) -> str:
    return getattr(tz, "key", None) or str(tz)


@dataclass(frozen=True)
class Provenance:
    """What made the export: the command line, the filters, and where it ran."""

    command_line: str = ""
    filters: dict[str, str | None] = field(default_factory=dict)
    version: str = ""
    database: str = ""
    account: str = ""
    operator: str = ""
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    tz: tzinfo = UTC

    def local(self, value: datetime) -> datetime:
        aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return aware.astimezone(self.tz).replace(tzinfo=None)

    def where(self) -> list[tuple[str, Any]]:
        """Which version wrote it, from which database and Zoom account, who and when, keyed
        (version, database, account, operator, generated_utc, generated_local) so that each
        workbook labels them in its own words. Times are naive, as Excel keeps them."""
        when = self.generated_at.astimezone(UTC)
        lines: list[tuple[str, Any]] = [
            ("version", self.version),
            ("database", self.database),
            ("account", self.account),
            ("operator", self.operator),
            ("generated_utc", when.replace(tzinfo=None)),
        ]
        if self.tz is not UTC:
            lines.append(("generated_local", self.local(when)))
        return lines

    def rows(self, counts: dict[str, int]) -> list[tuple[str, Any]]:
        """The sheet's (field, value) lines: an empty filter is said, never left blank."""
        said = {k: v for k, v in self.filters.items() if v}
        filters = "; ".join(f"{k} {v}" for k, v in said.items()) or "none: every record"
        lines: list[tuple[str, Any]] = [
            ("Command line", self.command_line),
            ("Filters", filters),
            ("Changes from", self.filters.get("since") or "the first record"),
            ("Changes until", self.filters.get("until") or "the export"),
            ("School", self.filters.get("school") or "every school"),
        ]
        labels = {
            "version": "provision version",
            "database": "Database",
            "account": "Zoom account",
            "operator": "Operator",
            "generated_utc": "Generated at (UTC)",
            "generated_local": f"Generated at ({zone_label(self.tz)})",
        }
        lines.extend((labels[key], value) for key, value in self.where())
        lines.append(("Time zone of local times", zone_label(self.tz)))
        lines.extend((f"Rows: {sheet}", n) for sheet, n in counts.items())
        lines.append(("Signed (name, date)", ""))
        return lines


def with_local(
    columns: Sequence[Column], rows: Iterable[Sequence[Any]], provenance: Provenance
) -> tuple[list[Column], Iterator[tuple[Any, ...]]]:
    """Each "(UTC)" time column followed by the same time in the configured zone (none for UTC)."""
    if provenance.tz is UTC:
        return list(columns), (tuple(r) for r in rows)
    label = f"({zone_label(provenance.tz)})"
    utc = [i for i, c in enumerate(columns) if c.kind == "datetime" and UTC_MARK in c.header]
    out: list[Column] = []
    for i, column in enumerate(columns):
        out.append(column)
        if i in utc:
            out.append(Column(column.header.replace(UTC_MARK, label), "datetime"))

    def widened() -> Iterator[tuple[Any, ...]]:
        for row in rows:
            values: list[Any] = []
            for i, value in enumerate(row):
                values.append(value)
                if i in utc:
                    values.append(provenance.local(value) if isinstance(value, datetime) else None)
            yield tuple(values)

    return out, widened()
