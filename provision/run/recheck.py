"""The resume's recheck: which unfinished actions of a plan still have their reason.

A plan left unfinished (Zoom's daily create limit, a kill) may be taken up again days later:
someone it was to license may have left every roster since. Before any of it is sent again, the
plan is compared with the one the current rosters, policy and snapshot give: an unsent action it
no longer has is ended as DROPPED (audited), never sent; a `sent` one is named, to be read back
from Zoom and dropped unless Zoom shows it done (apply's `drop_unless_done`).

Whoever takes up a plan that nobody is working does this, holding the Zoom lock exclusively so
that no worker joins before it is done: `provision apply` (ApplySession.choose) and a
`provision worker` that finds the plan alone (provision.run.workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session

from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.run.apply import REASON_GONE
from provision.store import journal
from provision.store.planning import replan


@dataclass(frozen=True)
class Rechecked:
    dropped: int  # unsent actions whose reason is gone: ended, never sent
    in_flight: frozenset[int]  # seqs of `sent` actions whose reason is gone


def recheck(
    engine: Engine, plan: Plan, policy: Policy, *, actor: str, now: datetime | None = None
) -> Rechecked:
    """End the unsent actions of `plan` that the current inputs no longer give; name the `sent` ones."""
    with Session(engine) as session:
        current = replan(session, plan, policy, now=now)
    wanted = {action.key() for action in current.actions}
    ops, _ = journal.prepare(engine, plan)
    gone = [op for op in ops if op.action.key() not in wanted]
    unsent = [op.seq for op in gone if op.state in (journal.PENDING, journal.FAILED)]
    dropped = journal.end_unsent(engine, plan.fingerprint, ops, unsent, journal.DROPPED, REASON_GONE, actor)
    return Rechecked(dropped, frozenset(op.seq for op in gone if op.state == journal.SENT))
