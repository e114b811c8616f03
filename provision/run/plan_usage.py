"""Plan usage, read at most once per command.

GET /accounts/{id}/plans/usage is Heavy: its per-second budget and the daily Heavy budget (60,000
on Business+) are shared by every app installed on the account (ZOOM_API.md §4, §11), and a daily
429 stops them all until midnight UTC. A command therefore reads it once, the first time it needs
it (sync: for the snapshot; apply: for the free seats, after its downgrades); afterwards the
answer is carried forward by the changes the command itself made since, which it knows exactly:
the licensed users and add-on holders it counts, from the users it listed (sync) or from the
snapshot the journal keeps current (apply). `hosts` (seats bought) never moves inside a command.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlmodel import Session, col

from models import AccountSnapshot, ZoomUserSnapshot
from provision.core.readings import detect_pending_reading
from provision.core.state import LICENSED_TYPE
from zoom_client import AsyncZoomClient, PlanSeats, PlanUsage


@dataclass(frozen=True)
class Held:
    """What the account's users hold at one moment, as the command counts them."""

    licensed_active: int = 0
    licensed_pending: int = 0
    large_meeting: Mapping[int, int] = field(default_factory=dict)  # capacity -> holders


def recorded(session: Session, column: Any, account: str) -> Any:
    """One column of the account's latest snapshot (what its last sync recorded)."""
    return session.execute(
        select(column)
        .where(col(AccountSnapshot.account) == account)
        .order_by(col(AccountSnapshot.observed_at).desc(), col(AccountSnapshot.id).desc())
        .limit(1)
    ).scalar()


def seat_pool(engine: Engine, account: str = "") -> str:
    """The plan-usage pool whose seats the tool hands out (plan_base, or the policy's Zoom One
    product's), as the account's last sync recorded it."""
    with Session(engine) as session:
        return recorded(session, AccountSnapshot.seat_pool, account) or "plan_base"


def held_in_snapshot(engine: Engine, account: str = "") -> Held:
    """The snapshot's counts in one account ("" = the main one), kept current by apply's journal.

    A seat holder: a user whose zoom_one_type was read (or set by us) holding a product, or one
    never read that lists as Licensed (under "meetings" nobody is read: type 2, as before)."""
    in_account = col(ZoomUserSnapshot.account) == account
    zoom_one = col(ZoomUserSnapshot.zoom_one_type)
    holds = or_(and_(zoom_one.is_(None), col(ZoomUserSnapshot.type) == LICENSED_TYPE), zoom_one > 0)
    with Session(engine) as session:
        licensed = dict(
            session.execute(
                select(col(ZoomUserSnapshot.status), func.count())
                .where(holds, in_account)
                .group_by(col(ZoomUserSnapshot.status))
            ).all()
        )
        addons = dict(
            session.execute(
                select(col(ZoomUserSnapshot.large_meeting_capacity), func.count())
                .where(col(ZoomUserSnapshot.large_meeting).is_(True), in_account)
                .group_by(col(ZoomUserSnapshot.large_meeting_capacity))
            ).all()
        )
    return Held(
        licensed_active=int(licensed.get("active", 0)),
        licensed_pending=int(licensed.get("pending", 0)),
        large_meeting={int(c): int(n) for c, n in addons.items() if c is not None},
    )


class PlanUsageOnce:
    """The one plan-usage read of a command, shared by everything the command runs.

    `get(engine)` reads on the first call and remembers what the snapshot's users held then;
    later calls return that answer moved by what they hold now (`carried`). `reads` counts real
    requests."""

    def __init__(self, client: AsyncZoomClient, account: str = "") -> None:
        # The pool that moves is the one the tool hands out (the account's last sync says which).
        self._client = client
        self.account = account  # whose users the snapshot counts (one read per account)
        self._read: PlanUsage | None = None
        self._held = Held()
        self.reads = 0
        self._early: asyncio.Task[PlanUsage] | None = None  # the read `start_early` began

    @property
    def has_read(self) -> bool:
        return self._read is not None

    def start_early(self, engine: Engine) -> None:
        """Begin the first read now, in the background, for a caller that will want it and sends
        nothing to the account before it does (so the answer is the same as read then): its
        100 ms or more in flight overlap the caller's own preparations instead of delaying them."""
        if self._read is None and self._early is None:
            self._early = asyncio.ensure_future(self._first(engine))

    async def discard_early(self) -> None:
        """End a read begun early that nobody took (the run stopped first, another worker took
        the account): never left running past the client, its failure not left unread."""
        early, self._early = self._early, None
        if early is not None:
            early.cancel()
            with contextlib.suppress(BaseException):
                await early

    async def get(self, engine: Engine) -> PlanUsage:
        """Plan usage now: read the first time, else the read carried forward by what the
        snapshot (the journal keeps it current) shows changed since."""
        if self._read is None:
            early, self._early = self._early, None
            # A read begun early that failed fails this call, once: the next one reads again.
            return await (early if early is not None else self._first(engine))
        return carried(
            self._read, self._held, held_in_snapshot(engine, self.account), seat_pool(engine, self.account)
        )

    async def _first(self, engine: Engine) -> PlanUsage:
        read = await self._client.accounts.plan_usage()
        self.reads += 1
        self._held = held_in_snapshot(engine, self.account)
        self._read = read
        return read

    def rebase(self, engine: Engine) -> None:
        """The snapshot now holds what the users held when Zoom answered (sync just wrote it from
        the lists read beside plan usage): count from there."""
        self._held = held_in_snapshot(engine, self.account)


def carried(usage: PlanUsage, then: Held, now: Held, key: str = "plan_base") -> PlanUsage:
    """`usage` as it stands after the users went from holding `then` to holding `now`; `key` is
    the pool they hold seats of (plan_base, or a Zoom One product's, summed into one entry).

    Pending invitations move `usage` too only where the numbers read showed that Zoom counts them
    inside it; where that was not established they are kept apart, the cautious reading (a seat
    too few, never one too many)."""
    update: dict[str, object] = {}
    base = usage.pool(key)
    if base is not None:
        gained = now.licensed_active - then.licensed_active
        invited = now.licensed_pending - then.licensed_pending
        reading = detect_pending_reading(
            usage=base.usage,
            pending=base.pending,
            licensed_active=then.licensed_active,
            licensed_pending=then.licensed_pending,
        )
        inside = reading.reading == "pending_in_usage"
        shifted = base.model_copy(
            update={
                "usage": max(0, base.usage + gained + (invited if inside else 0)),
                "pending": max(0, base.pending + invited),
            }
        )
        update[key] = shifted if key == "plan_base" else [shifted]
    pools: list[PlanSeats] = []
    moved_once: set[int] = set()
    for pool in usage.plan_large_meeting:
        capacity = next((c for c in (500, 1000) if str(c) in (pool.type or "")), None)
        if capacity is None or capacity in moved_once:  # the add-ons move the pool apply counts from
            pools.append(pool)
            continue
        moved_once.add(capacity)
        moved = now.large_meeting.get(capacity, 0) - then.large_meeting.get(capacity, 0)
        pools.append(pool.model_copy(update={"usage": max(0, pool.usage + moved)}))
    update["plan_large_meeting"] = pools
    return usage.model_copy(update=update)


# One read per account per command: {account key: its PlanUsageOnce}, shared by a command's looks
# and its apply (reconcile --fix), filled as each account is first read.
PlanUsageReads = dict[str, PlanUsageOnce]


def once_for(reads: PlanUsageReads | None, client: AsyncZoomClient, account: str) -> PlanUsageOnce:
    """The command's read of `account` (made on first use), or a fresh one without `reads`."""
    if reads is None:
        return PlanUsageOnce(client, account)
    found = reads.get(account)
    if found is None:
        found = reads[account] = PlanUsageOnce(client, account)
    return found
