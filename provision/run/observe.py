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
from sqlmodel import Session, col

from importers import normalize_email
from models import AccountSnapshot, AuditEvent, Institution, ManagedUser, Person, ZoomUserSnapshot
from models.locks import ZOOM, operation_lock
from provision.core.accounts import MAIN, account_key, describe
from provision.core.product import license_type
from provision.core.readings import SeatCount, count_seats
from provision.errors import InputError, SeatLimitError
from provision.run.invitations import expired_events, find_expired
from provision.run.plan_usage import PlanUsageOnce, PlanUsageReads, once_for
from provision.run.zoom_access import ZoomAccounts
from zoom_client import (
    AsyncZoomClient,
    PlanSeats,
    PlanUsage,
    User,
    UserStatus,
    UserType,
    ZoomAPIError,
)
from zoom_client.models import zoom_one_pool_key

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
    # Per-user reads the list could not spare: {"zoom_one_type": GET /users/{id} calls}
    per_user_reads: dict[str, int] = field(default_factory=dict)
    zoom_one_holders: int | None = None  # users read holding the managed Zoom One product
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
            "per_user_reads": dict(self.per_user_reads),
            **({"zoom_one_holders": self.zoom_one_holders} if self.zoom_one_holders is not None else {}),
            "addons": self.addons,
            "groups": self.groups,
            "large_meeting_users": self.large_meeting_users,
            "elapsed_seconds": round(self.elapsed, 3),
            "notes": list(self.notes),
            **({"account": self.account} if self.account else {}),
        }


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def seat_pool_key(product: int | None) -> str:
    """The plan-usage pool whose seats the tool hands out: plan_base for Zoom Meetings, else the
    Zoom One product's pool (zoom_client.zoom_one_pool_key)."""
    return "plan_base" if product is None else zoom_one_pool_key(product)


def managed_pool(usage: PlanUsage, product: int | None) -> tuple[str, PlanSeats]:
    """The managed product's pool; a permanent InputError naming the pools the account has."""
    key = seat_pool_key(product)
    pool = usage.pool(key)
    if pool is None:
        have = ", ".join(sorted(usage.pools())) or "none"
        what = 'license "meetings"' if product is None else f"zoom_one_type {product}"
        raise InputError(
            f"the account's plan usage has no {key} pool for {what}; the account has: {have}. "
            "Set the policy's `license` to the product the account holds (a rerun of sync "
            "will not change this)"
        )
    return key, pool


def check_plan_usage(pool: PlanSeats, licensed_seen: int, key: str = "plan_base") -> None:
    """Refuse seat figures no sane plan has: they would make the plan revoke for no reason."""
    if pool.hosts <= 0:
        raise SeatLimitError(
            f"Zoom reports 0 purchased licensed seats (plan usage, {key}); refusing to snapshot an account "
            "that would make every license look unaffordable. Check the account's plan and rerun sync."
        )
    if pool.hosts < pool.usage:
        raise SeatLimitError(
            f"Zoom reports {pool.hosts} purchased seats but {pool.usage} in use ({key}); refusing to "
            "snapshot nonsense seat figures. Rerun sync later or check the account's plan."
        )
    if licensed_seen > pool.hosts:
        raise SeatLimitError(
            f"Zoom lists {licensed_seen} licensed users but reports only {pool.hosts} purchased seats "
            f"({key}); refusing to snapshot nonsense seat figures. Rerun sync later or check the "
            "account's plan."
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


def _ours(engine: Engine) -> set[str]:
    """Emails on any roster or managed by the tool: whose Zoom One license matters."""
    with Session(engine) as session:
        people = session.execute(select(col(Person.email))).scalars().all()
        managed = session.execute(select(col(ManagedUser.email))).scalars().all()
    return {*people, *managed}


async def _zoom_one_types(
    client: AsyncZoomClient,
    users: dict[str, User],
    ours: set[str],
    pool: PlanSeats,
    progress: Progress,
) -> dict[str, int]:
    """email -> zoom_one_type, read with GET /users/{id} (the list does not carry it).

    Only where it matters: our people (on a roster or managed) whom the list shows Licensed,
    since a Zoom One holder lists as type 2 (ZOOM_API.md §11: unverified). When the pool counts
    more holders than the list shows Licensed users at all, holders do not list as type 2 on this
    account (or the pool counts invitations and the list shows none Licensed): then every active
    or invited user is read, ours to know whom we license, the others
    because their seats count too. Deactivated users hold no license.
    """
    alive = [(email, u) for email, u in users.items() if u.status in ("active", "pending")]
    listed = [u for u in users.values() if int(u.type) == UserType.LICENSED]
    listed_pending = any(u.status == "pending" for u in listed)
    # Holders list as Licensed when the list has at least as many as the pool counts in `usage`
    # (under either reading), and some invitation among them when the pool counts any pending.
    if len(listed) >= pool.usage and (pool.pending == 0 or listed_pending):
        mine = [(email, u) for email, u in alive if email in ours and int(u.type) == UserType.LICENSED]
    else:
        mine = alive
    found: dict[str, int] = {}
    queue: asyncio.Queue[tuple[str, User]] = asyncio.Queue()
    for item in mine:
        queue.put_nowait(item)

    async def worker() -> None:
        while True:
            try:
                email, user = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            try:
                read = await client.users.get(user.id or email)
            except ZoomAPIError as exc:
                if exc.is_user_missing() or exc.is_invitation_expired():
                    continue  # gone since the list: the next sync sees it
                raise
            found[email] = int(read.zoom_one_type or 0)
            progress("zoom one", len(found), len(mine))

    await asyncio.gather(*(worker() for _ in range(_SETTINGS_CONCURRENCY)))
    return found


async def sync(
    engine: Engine,
    client: AsyncZoomClient,
    *,
    progress: Progress | None = None,
    account: str = MAIN,
    plan_usage: PlanUsageOnce | None = None,
    actor: str = "sync",
    product: int | None = None,
) -> SyncResult:
    """Replace the snapshot of `account` (the client's) with what Zoom says now; SeatLimitError
    (nothing written) on nonsense seats.

    Holds the Zoom lock: a sync during an apply would store a snapshot short of the users the apply
    is creating, and the next plan would try to create them again (LockedError names the holder).
    `product` is the policy's Zoom One product (`Policy.zoom_one_type`; None: Zoom Meetings): its
    pool gives the seats, and each of our users' zoom_one_type is read and kept.
    """
    with operation_lock(engine, ZOOM):
        return await observe(
            engine,
            client,
            progress=progress,
            account=account,
            plan_usage=plan_usage,
            actor=actor,
            product=product,
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
    product: int | None = None,
) -> dict[str, SyncResult]:
    """`sync` of every account (`accounts_to_sync`), each with its own client and rate budget,
    all at once under one Zoom lock. Each account's snapshot is written whole or not at all, on
    its own; the first failure is raised once every account has finished (an account Zoom does
    not know: InputError naming it). `product`: the policy's license, the same on every account."""
    with operation_lock(engine, ZOOM):
        return await observe_accounts(
            engine, zoom, progress=progress, keys=keys, actor=actor, product=product
        )


async def observe_accounts(
    engine: Engine,
    zoom: ZoomAccounts,
    *,
    progress: Progress | None = None,
    keys: list[str] | None = None,
    actor: str = "sync",
    plan_usage: PlanUsageReads | None = None,
    product: int | None = None,
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
                product=product,
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
    product: int | None = None,
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
    key, pool = managed_pool(usage, product)
    zoom_one: dict[str, int] = {}
    if product is not None:
        zoom_one = await _zoom_one_types(client, users, _ours(engine), pool, report)

    def holds(email: str, user: User) -> int:
        return license_type(int(user.type), zoom_one.get(email), product) == UserType.LICENSED

    licensed = sum(1 for email, u in users.items() if holds(email, u) and u.status != "inactive")
    check_plan_usage(pool, licensed, key)
    addons = addons_data(usage)
    expected_addons = sum(pool["usage"] for pool in addons.values())
    holders = await _large_meeting_holders(client, users, expected_addons, report)
    groups = 0
    async for _group in client.groups.list():
        groups += 1
    expired = await find_expired(engine, client, users, account)  # before the snapshot forgets them
    observed_at = datetime.now(UTC)
    rows = [
        _snapshot_row(email, user, holders, observed_at, account, zoom_one.get(email))
        for email, user in users.items()
    ]
    seats = count_seats(
        purchased=pool.hosts,
        usage=pool.usage,
        pending=pool.pending,
        licensed_active=sum(1 for e, u in users.items() if u.status == "active" and holds(e, u)),
        licensed_pending=sum(1 for e, u in users.items() if u.status == "pending" and holds(e, u)),
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
                seats_purchased=pool.hosts,
                seats_used=pool.usage,
                seats_pending=pool.pending,
                addons=addons,
                users_total=len(rows),
                pools=pools,
                seat_pool=key,
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
        seats_purchased=pool.hosts,
        seats_used=pool.usage,
        seats_pending=pool.pending,
        addons=addons,
        groups=groups,
        large_meeting_users=len(holders),
        elapsed=time.monotonic() - started,
        notes=notes,
        seats=seats,
        pools=pools,
        seat_pool=key,
        per_user_reads={"zoom_one_type": len(zoom_one)},
        zoom_one_holders=sum(1 for v in zoom_one.values() if v == product) if product is not None else None,
        account=account,
    )


# The owner/admin protection needs role_id; stored as soon as the snapshot table has the column.
_HAS_ROLE = "role_id" in ZoomUserSnapshot.__table__.c  # type: ignore[attr-defined]


def _snapshot_row(
    email: str,
    user: User,
    holders: dict[str, int | None],
    at: datetime,
    account: str = MAIN,
    zoom_one: int | None = None,
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
        "zoom_one_type": zoom_one,
        "observed_at": at,
    }
    if _HAS_ROLE:
        row["role_id"] = user.role_id
    return row
