"""Observe: read the Zoom account into the snapshot tables (`provision sync`).

Users of every status, the plan's seats and add-on pools, and who holds a Large Meetings add-on.
Nothing here decides anything; a seat answer that makes no sense stops the run before a single
row is written, because a plan built on it could revoke licenses for no reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlmodel import Session

from importers import normalize_email
from models import AccountSnapshot, AuditEvent, Institution, ZoomUserSnapshot
from models.locks import ZOOM, operation_lock
from provision.core.accounts import MAIN, account_key, describe
from provision.core.readings import SeatCount, count_seats
from provision.errors import InputError, SeatLimitError
from provision.run.invitations import expired_events, find_expired
from provision.run.plan_usage import PlanUsageOnce, PlanUsageReads, once_for
from provision.run.zoom_access import ZoomAccounts
from zoom_client import AsyncZoomClient, PlanUsage, User, UserStatus, UserType, ZoomAPIError

log = logging.getLogger("provision.run.observe")

# stage ("users", "add-ons", ...), done, total (None while unknown)
Progress = Callable[[str, int, int | None], None]

_STATUS_RANK = {UserStatus.ACTIVE.value: 0, UserStatus.INACTIVE.value: 1, UserStatus.PENDING.value: 2}
_SETTINGS_CONCURRENCY = 8


@dataclass
class SyncResult:
    observed_at: datetime
    users: dict[str, int]  # per status
    licensed: int
    seats_purchased: int
    seats_used: int
    seats_pending: int
    addons: dict[str, dict[str, int]]
    groups: int
    large_meeting_users: int
    elapsed: float
    requests: int = 0
    notes: list[str] = field(default_factory=list)
    seats: SeatCount | None = None  # counted from the users listed; plan usage as the cross-check
    pools: dict[str, dict[str, int]] = field(default_factory=dict)
    seat_pool: str = "plan_base"
    account: str = MAIN  # the account observed ("" the main one)

    @property
    def users_total(self) -> int:
        return sum(self.users.values())

    def to_data(self) -> dict[str, Any]:
        return {
            "observed_at": self.observed_at.isoformat(),
            "users": dict(self.users),
            "users_total": self.users_total,
            "licensed": self.licensed,
            "seats": {
                "purchased": self.seats_purchased,
                "used": self.seats_used,
                "pending": self.seats_pending,
                "free": self.seats.free
                if self.seats
                else max(0, self.seats_purchased - self.seats_used - self.seats_pending),
                **(
                    {
                        "pool": self.seat_pool,
                        "licensed_active": self.seats.licensed_active,
                        "licensed_pending": self.seats.licensed_pending,
                        "in_use": self.seats.in_use,
                        "pending_reading": self.seats.reading.reading,
                        "reading_detail": self.seats.reading.detail,
                    }
                    if self.seats
                    else {}
                ),
            },
            "pools": self.pools,
            "addons": self.addons,
            "groups": self.groups,
            "large_meeting_users": self.large_meeting_users,
            "elapsed_seconds": round(self.elapsed, 3),
            "notes": list(self.notes),
            **({"account": self.account} if self.account else {}),
        }


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def check_plan_usage(usage: PlanUsage, licensed_seen: int) -> None:
    """Refuse seat figures no sane plan has: they would make the plan revoke for no reason."""
    base = usage.plan_base
    if base is None or base.hosts <= 0:
        raise SeatLimitError(
            "Zoom reports 0 purchased licensed seats (plan usage); refusing to snapshot an account "
            "that would make every license look unaffordable. Check the account's plan and rerun sync."
        )
    if base.hosts < base.usage:
        raise SeatLimitError(
            f"Zoom reports {base.hosts} purchased seats but {base.usage} in use; refusing to snapshot "
            "nonsense seat figures. Rerun sync later or check the account's plan."
        )
    if licensed_seen > base.hosts:
        raise SeatLimitError(
            f"Zoom lists {licensed_seen} licensed users but reports only {base.hosts} purchased seats; "
            "refusing to snapshot nonsense seat figures. Rerun sync later or check the account's plan."
        )


def pools_data(usage: PlanUsage) -> dict[str, dict[str, int]]:
    """Every seat pool plan usage returned (unknown keys kept), its parts summed."""
    found: dict[str, dict[str, int]] = {}
    for key in usage.pools():
        pool = usage.pool(key)
        if pool is not None:
            found[key] = {"hosts": pool.hosts, "usage": pool.usage, "pending": pool.pending}
    return found


def addons_data(usage: PlanUsage) -> dict[str, dict[str, int]]:
    addons: dict[str, dict[str, int]] = {}
    for capacity in (500, 1000):
        pool = usage.large_meeting_pool(capacity)
        if pool is not None:
            addons[f"large_meeting_{capacity}"] = {"hosts": pool.hosts, "usage": pool.usage}
    return addons


async def _list_users(client: AsyncZoomClient, progress: Progress) -> dict[str, User]:
    by_email: dict[str, User] = {}
    seen = 0
    for status in (UserStatus.ACTIVE, UserStatus.INACTIVE, UserStatus.PENDING):
        async for page in client.users.list(status=status).iter_pages():
            for user in page.items:
                email = normalize_email(user.email)  # the roster's canonical form (IDN domains too)
                if user.status is None:
                    user = user.model_copy(update={"status": status.value})
                known = by_email.get(email)
                # The same address can show under two statuses while Zoom moves it: keep the most alive.
                if known is None or _STATUS_RANK.get(user.status or "", 3) < _STATUS_RANK.get(
                    known.status or "", 3
                ):
                    by_email[email] = user
            seen += len(page.items)
            progress("users", seen, None)
    return by_email


async def _large_meeting_holders(
    client: AsyncZoomClient, users: dict[str, User], expected: int, progress: Progress
) -> dict[str, int | None]:
    """email -> capacity for users holding the add-on.

    Only licensed users can hold one, and the pool's usage says how many there are: we stop as
    soon as all are found, and read nothing at all when the pools are unused (the common case).
    """
    holders: dict[str, int | None] = {}
    if expected <= 0:
        return holders
    candidates = [(email, u) for email, u in users.items() if int(u.type) == UserType.LICENSED and u.id]
    done = 0
    stop = asyncio.Event()
    queue: asyncio.Queue[tuple[str, User]] = asyncio.Queue()
    for item in candidates:
        queue.put_nowait(item)

    async def worker() -> None:
        nonlocal done
        while not stop.is_set():
            try:
                email, user = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            settings = await client.users.get_settings(user.id or email)
            feature = settings.feature
            if feature is not None and feature.large_meeting:
                holders[email] = feature.large_meeting_capacity
                if len(holders) >= expected:
                    stop.set()
            done += 1
            progress("add-ons", done, len(candidates))

    await asyncio.gather(*(worker() for _ in range(_SETTINGS_CONCURRENCY)))
    return holders


async def sync(
    engine: Engine,
    client: AsyncZoomClient,
    *,
    progress: Progress | None = None,
    account: str = MAIN,
    plan_usage: PlanUsageOnce | None = None,
    actor: str = "sync",
) -> SyncResult:
    """Replace the snapshot of `account` (the client's) with what Zoom says now; SeatLimitError
    (nothing written) on nonsense seats.

    Holds the Zoom lock: a sync during an apply would store a snapshot short of the users the apply
    is creating, and the next plan would try to create them again (LockedError names the holder).
    """
    with operation_lock(engine, ZOOM):
        return await observe(
            engine, client, progress=progress, account=account, plan_usage=plan_usage, actor=actor
        )


def accounts_to_sync(engine: Engine) -> list[str]:
    """The main account, every account a school names, and every account observed before (its
    users may have moved or its schools gone elsewhere): the accounts a sync reads."""
    with Session(engine) as session:
        named = session.execute(select(Institution.account).distinct()).scalars().all()  # type: ignore[call-overload]
        seen = session.execute(select(AccountSnapshot.account).distinct()).scalars().all()  # type: ignore[call-overload]
    return sorted({MAIN} | {account_key(k) for k in (*named, *seen)})


async def listed_sub_accounts(client: AsyncZoomClient) -> list[str]:
    """The sub-accounts the master lists (GET /accounts): a school's people may be users there
    even when no school names it, and planning must see them (never create a user twice). An
    account that is no master (Zoom refuses the call) has none."""
    try:
        return [sub.id for sub in await client.accounts.list().to_list() if sub.id]
    except ZoomAPIError as exc:
        log.info("no sub-accounts listed (%s): syncing the accounts the schools name", exc)
        return []


async def sync_accounts(
    engine: Engine,
    zoom: ZoomAccounts,
    *,
    progress: Progress | None = None,
    keys: list[str] | None = None,
    actor: str = "sync",
) -> dict[str, SyncResult]:
    """`sync` of every account (`accounts_to_sync`), each with its own client and rate budget,
    all at once under one Zoom lock. Each account's snapshot is written whole or not at all, on
    its own; the first failure is raised once every account has finished (an account Zoom does
    not know: InputError naming it)."""
    with operation_lock(engine, ZOOM):
        return await observe_accounts(engine, zoom, progress=progress, keys=keys, actor=actor)


async def observe_accounts(
    engine: Engine,
    zoom: ZoomAccounts,
    *,
    progress: Progress | None = None,
    keys: list[str] | None = None,
    actor: str = "sync",
    plan_usage: PlanUsageReads | None = None,
) -> dict[str, SyncResult]:
    """`sync_accounts` for a caller that already holds the Zoom lock (reconcile). `plan_usage`:
    the command's reads by account (reconcile --fix looks twice around its apply)."""
    if keys is None:
        keys = sorted(set(accounts_to_sync(engine)) | set(await listed_sub_accounts(zoom.main)))
    outcomes = await asyncio.gather(
        *(
            observe(
                engine,
                zoom.client_for(key),
                progress=progress,
                account=key,
                actor=actor,
                plan_usage=None if plan_usage is None else once_for(plan_usage, zoom.client_for(key), key),
            )
            for key in keys
        ),
        return_exceptions=True,
    )
    results: dict[str, SyncResult] = {}
    for key, outcome in zip(keys, outcomes, strict=True):
        if (
            isinstance(outcome, ZoomAPIError)
            and key != MAIN
            and (outcome.code == 2001 or outcome.status == 404)
        ):
            raise InputError(
                f"{describe(key)}: Zoom knows no such sub-account of the master account "
                f"({outcome}); correct the schools file's account column or the policy's [accounts]"
            ) from outcome
        if isinstance(outcome, BaseException):
            raise outcome
        results[key] = outcome
    return results


async def observe(
    engine: Engine,
    client: AsyncZoomClient,
    *,
    progress: Progress | None = None,
    account: str = MAIN,
    plan_usage: PlanUsageOnce | None = None,
    actor: str = "sync",
) -> SyncResult:
    """`sync` for a caller that already holds the Zoom lock (reconcile --fix).

    `plan_usage`: the command's one read of this account (reconcile observes twice around its
    fix); without it this call reads plan usage itself."""
    report = progress or _noop
    started = time.monotonic()
    users = await _list_users(client, report)
    once = plan_usage or PlanUsageOnce(client, account)
    reading_now = not once.has_read
    report("plan usage", 0, 1)
    usage = await once.get(engine)
    report("plan usage", 1, 1)
    licensed = sum(1 for u in users.values() if int(u.type) == UserType.LICENSED and u.status != "inactive")
    check_plan_usage(usage, licensed)
    addons = addons_data(usage)
    expected_addons = sum(pool["usage"] for pool in addons.values())
    holders = await _large_meeting_holders(client, users, expected_addons, report)
    groups = 0
    async for _group in client.groups.list():
        groups += 1
    expired = await find_expired(engine, client, users, account)  # before the snapshot forgets them
    observed_at = datetime.now(UTC)
    rows = [_snapshot_row(email, user, holders, observed_at, account) for email, user in users.items()]
    base = usage.plan_base
    assert base is not None  # check_plan_usage
    seats = count_seats(
        purchased=base.hosts,
        usage=base.usage,
        pending=base.pending,
        licensed_active=sum(
            1 for u in users.values() if int(u.type) == UserType.LICENSED and u.status == "active"
        ),
        licensed_pending=sum(
            1 for u in users.values() if int(u.type) == UserType.LICENSED and u.status == "pending"
        ),
    )
    pools = pools_data(usage)
    notes = [seats.disagreement] if seats.disagreement else []
    if expired:
        notes.append(
            f"{len(expired)} invitations expired unanswered: each is sent once more after the policy's "
            "reinvite_after_days (`provision reconcile` lists them)"
        )
    with Session(engine) as session, session.begin():
        snap = ZoomUserSnapshot.__table__  # type: ignore[attr-defined]
        session.execute(delete(snap).where(snap.c.account == account))
        others = session.execute(select(snap.c.id).where(snap.c.account != account).limit(1)).first()
        if others is not None:
            # Users now listed here were listed in another account before: they moved (an email
            # is one Zoom user), so the older row goes.
            emails = [row["email"] for row in rows]
            for start in range(0, len(emails), 500):
                session.execute(delete(snap).where(snap.c.email.in_(emails[start : start + 500])))
        if expired:
            session.execute(insert(AuditEvent), expired_events(expired, actor=actor, at=observed_at))
        if rows:
            session.execute(insert(ZoomUserSnapshot), rows)
        session.add(
            AccountSnapshot(
                account=account,
                observed_at=observed_at,
                seats_purchased=base.hosts,
                seats_used=base.usage,
                seats_pending=base.pending,
                addons=addons,
                users_total=len(rows),
                pools=pools,
                seat_pool="plan_base",
                pending_reading=seats.reading.reading,
            )
        )
    if reading_now:
        once.rebase(engine)
    counts: dict[str, int] = {}
    for user in users.values():
        counts[user.status or "unknown"] = counts.get(user.status or "unknown", 0) + 1
    report("done", len(rows), len(rows))
    return SyncResult(
        observed_at=observed_at,
        users=counts,
        licensed=licensed,
        seats_purchased=base.hosts,
        seats_used=base.usage,
        seats_pending=base.pending,
        addons=addons,
        groups=groups,
        large_meeting_users=len(holders),
        elapsed=time.monotonic() - started,
        notes=notes,
        seats=seats,
        pools=pools,
        account=account,
    )


# The owner/admin protection needs role_id; stored as soon as the snapshot table has the column.
_HAS_ROLE = "role_id" in ZoomUserSnapshot.__table__.c  # type: ignore[attr-defined]


def _snapshot_row(
    email: str, user: User, holders: dict[str, int | None], at: datetime, account: str = MAIN
) -> dict[str, Any]:
    row = {
        "email": email,
        "account": account,
        "zoom_id": user.id,
        "type": int(user.type),
        "status": user.status,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "dept": user.dept,
        "group_ids": list(user.group_ids or []),
        "last_login_time": user.last_login_time,
        "user_created_at": user.user_created_at,
        "large_meeting": email in holders,
        "large_meeting_capacity": holders.get(email),
        "observed_at": at,
    }
    if _HAS_ROLE:
        row["role_id"] = user.role_id
    return row
