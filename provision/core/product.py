"""The product the tool hands out (policy `license`): Zoom Meetings, or a Zoom One / Workplace bundle.

"meetings" is the classic license, `type` 2 from the `plan_base` pool. Accounts sold as Zoom
Workplace / Zoom One for Education keep their seats in `plan_zoom_one…` pools, possibly with no
`plan_base`, and a person holds the license through `zoom_one_type` (ZOOM_API.md §11). The
Education values are named here by readable aliases; the pure core may not import zoom_client,
so tests/provision/test_product.py pins every value to zoom_client.ZoomOneType.
"""

from __future__ import annotations

import difflib
from typing import Any

from provision.core.state import BASIC_TYPE, LICENSED_TYPE

MEETINGS = "meetings"

# The Education zoom_one_type values of the 2025 Users spec (ZoomOneType.EDU_*), by alias. Bit
# flags above 2**53: Python ints keep them exact.
EDUCATION: dict[str, int] = {
    "school_campus": 18014398509481984,
    "enterprise_essentials": 72057594037927936,
    "enterprise_plus": 144115188075855872,
    "enterprise_student": 576460752303423488,
    "school_campus_plus_us_ca": 137438953472,
    "school_campus_plus_jp": 274877906944,
    "school_campus_plus_uk_ie": 549755813888,
    "school_campus_plus_au_nz": 1099511627776,
    "school_campus_plus_global_select": 2199023255552,
    "enterprise_premier_us_ca": 4294967296,
    "enterprise_premier_jp": 8589934592,
    "enterprise_premier_uk_ie": 17179869184,
    "enterprise_premier_au_nz": 34359738368,
    "enterprise_premier_global_select": 68719476736,
}
_BY_VALUE = {value: name for name, value in EDUCATION.items()}


def _spelling(text: str) -> str:
    # "School & Campus", "edu-school-campus" and "EDU_SCHOOL_CAMPUS" all read school_campus.
    words = text.strip().lower().replace("&", " ").replace("-", " ").replace("_", " ").split()
    words = [w for w in words if w not in ("and", "zoom", "one", "workplace", "for", "education")]
    if words and words[0] == "edu":
        words = words[1:]
    return "_".join(words)


def parse_license(value: Any) -> str:
    """The canonical policy value: "meetings", an Education alias, or a zoom_one_type's digits.

    An integer (or its digits) of a known Education value reads as its alias; another positive
    single-bit integer is kept as digits (a Zoom One product this table does not name). ValueError names
    the choices, with the closest one."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"must be a word or an integer, not {type(value).__name__}")
    if isinstance(value, int) or value.strip().isdigit():
        number = int(value)
        if number <= 0 or number & (number - 1):
            # Every product is one bit; 0 is "no Zoom One license" and a sum names several.
            raise ValueError(
                f'{value!r} is no zoom_one_type of one product (a single bit; "meetings" for type 2)'
            )
        return _BY_VALUE.get(number, str(number))
    if value.strip().lower() == MEETINGS:
        return MEETINGS
    name = _spelling(value)
    if name in EDUCATION:
        return name
    choices = [MEETINGS, *EDUCATION]
    close = difflib.get_close_matches(name or value, choices, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"unknown license {value!r}{hint}; expected \"meetings\", a zoom_one_type integer or one of: "
        + ", ".join(EDUCATION)
    )


def product_name(value: int) -> str:
    """A zoom_one_type as the policy would name it (its alias, else its digits)."""
    return _BY_VALUE.get(value, str(value))


def zoom_one_value(license: str) -> int | None:
    """The zoom_one_type a canonical license gives (None: Zoom Meetings, type 2 from plan_base)."""
    if license == MEETINGS:
        return None
    return EDUCATION.get(license) or int(license)


def license_type(raw_type: int, zoom_one: int | None, product: int | None) -> int:
    """A user's type as the plan reads it: Licensed when they hold the managed product.

    Under "meetings" it is Zoom's `type`. Under a Zoom One product V: Licensed when the user's
    zoom_one_type is V; Basic when it was read and is anything else (another bundle's seat is not
    ours to count or take; counting its holder as Basic only ever errs towards the Basic cap); and
    Zoom's `type` when it was not read (the user is on no roster we manage: a listed Licensed user
    is counted as holding a seat, the cautious way)."""
    if product is None or zoom_one is None:
        return raw_type
    if zoom_one == product:
        return LICENSED_TYPE
    return BASIC_TYPE if raw_type == LICENSED_TYPE or zoom_one else raw_type
