"""`provision accounts`: every Zoom account of the ministry, with its seats, use, Basic users and
caps, read from the latest snapshot of each (no Zoom call). Read-only."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import Institution, ZoomUserSnapshot
from provision.core.accounts import MAIN, account_key
from provision.core.accounts_plan import create_cap
from provision.core.basic_cap import HOLDS_BASIC
from provision.core.policy import Policy
from provision.core.state import BASIC_TYPE, LICENSED_TYPE
from provision.store.loaders import load_account_seats, load_created_today


@dataclass(frozen=True)
class AccountRow:
    """One account as the last sync saw it (None: never synced)."""

    account: str  # the key: "" main, a sub-account id, an alias
    kind: str  # "main" | "sub-account" | "alias"
    schools: int
    seats_purchased: int | None
    licensed: int | None  # licensed active users listed
    pending: int | None  # licensed invitations listed
    free: int | None
    basic: int | None  # Basic users (active and invited): what the Basic cap counts
    basic_cap: int
    daily_create_cap: int | None  # None: the policy does not create with action=create
    created_today: int
    users: int | None
    observed_at: datetime | None

    def to_data(self) -> dict[str, Any]:
        """The row in every command's JSON vocabulary: the account's seats as `seats: {purchased,
        used, pending, free}` (None: never synced), its Basic users and caps beside them."""
        data = asdict(self)
        for name in ("seats_purchased", "licensed", "pending", "free"):
            del data[name]
        data["seats"] = (
            {
                "purchased": self.seats_purchased,
                "used": self.licensed,
                "pending": self.pending,
                "free": self.free,
            }
            if self.seats_purchased is not None
            else None
        )
        data["observed_at"] = self.observed_at.isoformat() if self.observed_at else None
        return data


@dataclass(frozen=True)
class AccountsReport:
    accounts: list[AccountRow]

    def to_data(self) -> dict[str, Any]:
        return {"accounts": [row.to_data() for row in self.accounts]}


def accounts(session: Session, policy: Policy) -> AccountsReport:
    """The main account, every account a school names or a sync saw, and every declared alias."""
    conn = session.connection()
    schools: dict[str, int] = {}
    for account, n in conn.execute(select(Institution.account, func.count()).group_by(Institution.account)):  # type: ignore[call-overload]
        key = account_key(account)
        schools[key] = schools.get(key, 0) + int(n)
    counts: dict[str, dict[str, int]] = {}
    snap = ZoomUserSnapshot.__table__  # type: ignore[attr-defined]
    for account, utype, status, n in conn.execute(
        select(snap.c.account, snap.c.type, snap.c.status, func.count()).group_by(
            snap.c.account, snap.c.type, snap.c.status
        )
    ):
        row = counts.setdefault(account_key(account), {"users": 0, "licensed": 0, "pending": 0, "basic": 0})
        row["users"] += n
        if utype == LICENSED_TYPE and status == "active":
            row["licensed"] += n
        elif utype == LICENSED_TYPE and status == "pending":
            row["pending"] += n
        elif utype == BASIC_TYPE and status in HOLDS_BASIC:
            row["basic"] += n
    seats = load_account_seats(session)
    created = load_created_today(session)
    keys = {MAIN} | set(schools) | set(seats) | set(counts) | policy.aliases
    rows = []
    for key in sorted(keys):
        seen = seats.get(key)
        listed = counts.get(key) if seen is not None else None
        purchased = seen.purchased if seen is not None else None
        in_use = (listed["licensed"] + listed["pending"]) if listed is not None else None
        rows.append(
            AccountRow(
                account=key,
                kind="main" if key == MAIN else ("alias" if key in policy.aliases else "sub-account"),
                schools=schools.get(key, 0),
                seats_purchased=purchased,
                licensed=listed["licensed"] if listed is not None else None,
                pending=listed["pending"] if listed is not None else None,
                free=max(purchased - in_use, 0) if purchased is not None and in_use is not None else None,
                basic=listed["basic"] if listed is not None else None,
                basic_cap=policy.for_account(key).basic_cap,
                daily_create_cap=create_cap(policy, key),
                created_today=created.get(key, 0),
                users=listed["users"] if listed is not None else None,
                observed_at=seen.observed_at if seen is not None else None,
            )
        )
    return AccountsReport(rows)
