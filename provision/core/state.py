"""The two inputs of a plan, as plain values: the desired state (rosters) and the observed one (Zoom).

These values are what the pure core (`seats`, `diff`) works on, and what tests build by hand.
The per-person ones are NamedTuples: immutable like frozen dataclasses, and built four times
faster, which matters at 100,000 people.
provision.store.loaders reads them from the database.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from provision.core.blocked import Blocked
from provision.core.invitations import Invitations
from provision.core.readings import SeatCount, count_seats
from provision.errors import InputError

if TYPE_CHECKING:
    from provision.core.contested import Contest

# Zoom's user types (the license), named once for the core. Plain ints, because the pure core
# may not import zoom_client; tests/provision/test_user_types.py pins them to zoom_client.UserType,
# which every layer above the core uses.
BASIC_TYPE = 1
LICENSED_TYPE = 2
UNASSIGNED_TYPE = 4  # "Unassigned without Meetings Basic": no seat, outside the Basic-user cap
NONE_TYPE = 99  # only users created with ssoCreate
TYPE_NAMES = {
    BASIC_TYPE: "Basic",
    LICENSED_TYPE: "Licensed",
    UNASSIGNED_TYPE: "Unassigned",
    NONE_TYPE: "None",
}


@dataclass(frozen=True, slots=True)
class School:
    code: str
    name: str = ""
    seats: int = 0  # the school's quota of licenses
    zoom_group_id: str | None = None
    region: str = ""
    account: str = ""  # the Zoom account of its people ("" main; provision.core.accounts)


class Member(NamedTuple):
    """One roster line of a person: their role at one institution."""

    institution_code: str
    role: str
    is_primary: bool = True
    active: bool = True
    left_at: datetime | None = None
    priority: int | None = None  # the roster's priority column (lower is served first)
    position: int | None = None  # the row's place in the school's roster file (0 first)


class DesiredPerson(NamedTuple):
    email: str  # normalized
    given_name: str = ""
    family_name: str = ""
    memberships: tuple[Member, ...] = ()


@dataclass
class Desired:
    """The rosters: every institution and every person any roster lists (or listed)."""

    schools: dict[str, School] = field(default_factory=dict)
    people: dict[str, DesiredPerson] = field(default_factory=dict)
    scope: str | None = None  # the school asked for, if any

    def has_active(self) -> bool:
        return any(m.active for p in self.people.values() for m in p.memberships)


class ZoomUser(NamedTuple):
    """One user of the Zoom account as last observed."""

    email: str
    zoom_id: str | None  # None for pending invitations
    type: int = BASIC_TYPE
    status: str = "active"  # active | inactive | pending
    group_ids: tuple[str, ...] = ()
    large_meeting: bool = False
    large_meeting_capacity: int | None = None
    role_id: str | None = None  # "0" owner, "1" admin, when the snapshot knows it
    first_name: str = ""
    last_name: str = ""
    last_login_time: datetime | None = None
    observed_at: datetime | None = None
    account: str = ""  # the Zoom account it was listed in ("" main)

    @property
    def holds_seat(self) -> bool:
        # Deactivation removes every license, whatever type the listing still shows.
        return self.type == LICENSED_TYPE and self.status == "active"

    def state(self) -> dict[str, Any]:
        """The observed state as an audit "before" (JSON-safe)."""
        data: dict[str, Any] = {"type": self.type, "status": self.status}
        if self.large_meeting:
            data["large_meeting_capacity"] = self.large_meeting_capacity
        if self.group_ids:
            data["group_ids"] = list(self.group_ids)
        return data


@dataclass(frozen=True, slots=True)
class AccountSeats:
    """Zoom's plan usage: the account-wide seat count."""

    purchased: int
    used: int
    pending: int = 0
    observed_at: datetime | None = None
    # {"large_meeting_500": {"hosts": n, "usage": n}, ...}; missing means not known
    addons: Mapping[str, Any] = field(default_factory=dict)
    # Every plan-usage pool {key: {"hosts", "usage", "pending"}}, the one the tool hands out, and
    # the reading of `usage` sync detected (provision.core.readings); empty/None: not recorded.
    pools: Mapping[str, Any] = field(default_factory=dict)
    seat_pool: str = "plan_base"
    reading: str | None = None


@dataclass
class Observed:
    users: dict[str, ZoomUser] = field(default_factory=dict)
    account: AccountSeats | None = None
    managed: frozenset[str] = frozenset()  # emails the tool created or adopted
    # Emails whose license our own last succeeded action set to Licensed: if Zoom now shows them
    # Basic, someone took it by hand, and they keep their place ahead of people still waiting.
    licensed_by_us: frozenset[str] = frozenset()
    # The last permanent refusal per email (provision.core.blocked), read from the journal.
    blocked: Mapping[str, Blocked] = field(default_factory=dict)
    # Expired invitations per email, and our resends (provision.core.invitations), from the audit.
    invitations: Mapping[str, Invitations] = field(default_factory=dict)
    # Users whose license another writer set back after our last changes (provision.core.contested).
    contested: Mapping[str, Contest] = field(default_factory=dict)
    # Every account's seats by account key (`account` is the main account's, accounts[""]) and
    # the users each account created today (its daily create cap): provision.core.accounts_plan.
    accounts: Mapping[str, AccountSeats] = field(default_factory=dict)
    created_today: Mapping[str, int] = field(default_factory=dict)

    def seat_count(self) -> SeatCount:
        """The managed pool's seats counted from the users listed (licensed active + pending)."""
        assert self.account is not None
        active = pending = 0
        for user in self.users.values():
            if user.type == LICENSED_TYPE:
                if user.status == "active":
                    active += 1
                elif user.status == "pending":
                    pending += 1
        account = self.account
        return count_seats(
            purchased=account.purchased,
            usage=account.used,
            pending=account.pending,
            licensed_active=active,
            licensed_pending=pending,
        )

    @property
    def snapshot_at(self) -> datetime | None:
        if self.account is not None and self.account.observed_at is not None:
            return self.account.observed_at
        times = [u.observed_at for u in self.users.values() if u.observed_at is not None]
        return max(times) if times else None


def unknown_school(code: str, known: list[str]) -> InputError:
    close = difflib.get_close_matches(code, known, n=3, cutoff=0.6)
    hint = f" (did you mean {', '.join(close)}?)" if close else ""
    return InputError(f"unknown school {code!r}{hint}")
