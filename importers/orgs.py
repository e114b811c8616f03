"""The orgs of a package (orgs.csv) and which institution each one counts for.

Orgs of an institution type become institutions; a district (or a local or state org) above
them is their region; any other org below a school (a department, a faculty, a campus) counts
as that school. These are data tables: a new SIS org type is one word added here.
"""

from __future__ import annotations

from dataclasses import dataclass

from importers.normalize import key, normalize_name
from importers.package import Package

# Orgs that are institutions (OneRoster "school"; SDS also exports universities as "college").
INSTITUTION_TYPES = frozenset(key(t) for t in ("school", "college", "university"))
# Orgs above the schools, nearest first as the region: OneRoster district, local, state, national;
# SDS adds ministryOfEducation. A membership at one of them is at no school.
REGION_TYPES = (key("district"), key("local"), key("state"))
ABOVE_SCHOOL_TYPES = frozenset((*REGION_TYPES, key("national"), key("ministryOfEducation")))


@dataclass(frozen=True)
class Org:
    sourced_id: str
    name: str
    type: str  # as written
    identifier: str
    parent: str
    row: int
    deleted: bool

    @property
    def kind(self) -> str:
        return key(self.type)

    @property
    def is_institution(self) -> bool:
        return self.kind in INSTITUTION_TYPES

    @property
    def is_above_school(self) -> bool:
        return self.kind in ABOVE_SCHOOL_TYPES


def read_orgs(pkg: Package) -> dict[str, Org]:
    """sourcedId -> org, for every org of orgs.csv ({} when the package has none)."""
    table = pkg.table("orgs.csv")
    if table is None:
        return {}
    out: dict[str, Org] = {}
    for n, get in table.records():
        sid = get("sourcedId")
        if not sid or sid in out:
            continue
        out[sid] = Org(
            sid,
            normalize_name(get("name")),
            get("type"),
            normalize_name(get("identifier")),
            get("parentSourcedId"),
            n,
            get("status").lower() == "tobedeleted",
        )
    return out


def ancestors(org: Org, orgs: dict[str, Org]) -> list[Org]:
    """The orgs above `org`, nearest first (a parent loop in the file ends the walk)."""
    out: list[Org] = []
    seen = {org.sourced_id}
    parent = orgs.get(org.parent)
    while parent is not None and parent.sourced_id not in seen:
        out.append(parent)
        seen.add(parent.sourced_id)
        parent = orgs.get(parent.parent)
    return out


def institution_of(org: Org, orgs: dict[str, Org]) -> Org | None:
    """The institution an org counts for: itself, else the nearest institution above it."""
    if org.is_institution:
        return org
    return next((a for a in ancestors(org, orgs) if a.is_institution), None)


def region_of(org: Org, orgs: dict[str, Org]) -> str | None:
    """The name of the nearest district above a school (else its local or state org)."""
    above = ancestors(org, orgs)
    for kind in REGION_TYPES:
        found = next((a for a in above if a.kind == kind and a.name), None)
        if found is not None:
            return found.name
    return None
