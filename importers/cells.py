"""Text we write into a spreadsheet cell is never run as a formula (the one guard for rejects,
exports and audit workbooks).

Excel and LibreOffice evaluate a cell typed as `=HYPERLINK(...)`, `+1+1`, `-2+3` or `@SUM(...)`:
whoever controls a roster name would control a formula in the spreadsheet of the school or the
auditor (OWASP "CSV injection"). Writers either store such text as a typed string
(provision.reports.xlsx) or prefix it with the apostrophe OWASP recommends (CSV, rejects).
"""

from __future__ import annotations

from typing import Any

# The characters a spreadsheet reads as the start of a formula (OWASP), plus the full-width
# forms some spreadsheet programs fold to them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could read `text` as a formula (leading blanks are skipped too)."""
    stripped = text.lstrip(" \u00a0")
    return bool(stripped) and (stripped.startswith(FORMULA_TRIGGERS) or text.startswith(FORMULA_TRIGGERS))


def csv_safe(value: Any) -> Any:
    """The value for a cell with no type (CSV): a formula-like string gets the leading apostrophe."""
    if isinstance(value, str) and is_formula_like(value):
        return "'" + value
    return value
