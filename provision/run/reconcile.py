"""Reconcile: observe Zoom, report the drift by kind, and (with fix) apply the corrective plan.

The nightly job (`provision reconcile --json` from cron). Each run stores a DriftReport row (the
audit export shows the newest). `fix=True` computes the plan from the fresh snapshot with the
same policy, safety thresholds and lock as `provision apply`, applies it, observes again and
stores a second report: the one that says whether Zoom is now clean.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from models import AuditEvent, DriftReport, ZoomUserSnapshot
from models.locks import ZOOM, operation_lock
from provision.core.accounts import MAIN
from provision.core.drift import Drift, SetBy, compute_drift, fold_audit
from provision.core.kinds import DriftKind
from provision.core.plan import Plan
from provision.core.policy import Policy
from provision.errors import InputError
from provision.run.apply import ApplyResult
from provision.run.apply_session import apply_session
from provision.run.observe import SyncResult, observe, observe_accounts
from provision.run.plan_usage import PlanUsageReads, once_for
from provision.run.zoom_access import ZoomAccounts
from provision.store.audit import record_contests
from provision.store.journal import SUCCEEDED
from provision.store.loaders import load_desired, load_observed
from zoom_client import AsyncZoomClient

# stage, done, total (None while unknown): the same shape as observe's and apply's callbacks
Progress = Callable[[str, int, int | None], None]
# Shown the corrective plan before it is applied; False leaves Zoom as it is.
Confirm = Callable[[Plan], bool]

EXIT_CLEAN = 0
EXIT_DRIFT = 3


@dataclass
class ReconcileResult:
    drift: Drift  # the final state: after the fix when one was applied
    report_id: int
    found: Drift  # what the first look found (the same object as drift without a fix)
    plan: Plan | None = None  # the corrective plan (fix only)
    applied: ApplyResult | None = None
    declined: bool = False  # the operator said no to the corrective plan

    @property
    def clean(self) -> bool:
        return self.drift.clean

    @property
    def exit_code(self) -> int:
        return EXIT_CLEAN if self.clean else EXIT_DRIFT

    def to_data(self) -> dict[str, Any]:
        data = self.drift.to_data()
        data["report_id"] = self.report_id
        if self.plan is not None or self.declined:
            data["fix"] = {
                "found": self.found.counts,
                "found_alerts": self.found.alerts,
                "plan_fingerprint": self.plan.fingerprint if self.plan is not None else None,
                "actions": self.plan.counts() if self.plan is not None else {},
                "applied": self.applied.to_data() if self.applied is not None else None,
                "declined": self.declined,
            }
        return data


def load_audit_facts(session: Session) -> dict[str, dict[str, SetBy]]:
    """What our own succeeded actions last set, per email and field (the audit log, oldest first)."""
    stmt = (
        select(
            col(AuditEvent.person_email),
            col(AuditEvent.at),
            col(AuditEvent.actor),
            col(AuditEvent.action),
            col(AuditEvent.institution_code),
            col(AuditEvent.after),
        )
        .where(col(AuditEvent.result) == SUCCEEDED)
        .order_by(col(AuditEvent.at), col(AuditEvent.id))
    )
    # Core rows, not ORM: one pass over what can be a row per action of a year of applies.
    return fold_audit(session.connection().execute(stmt))


def load_created(session: Session) -> dict[str, datetime]:
    """When Zoom created each user (reclaim and stale-invitation ages)."""
    stmt = select(col(ZoomUserSnapshot.email), col(ZoomUserSnapshot.user_created_at)).where(
        col(ZoomUserSnapshot.user_created_at).is_not(None)
    )
    return {email: created for email, created in session.connection().execute(stmt) if created is not None}


def check(session: Session, policy: Policy, *, now: datetime | None = None) -> Drift:
    """The drift of the last snapshot (no Zoom call): what `reconcile` reports after its sync."""
    observed = load_observed(session, product=policy.zoom_one_type)
    if observed.account is None and not observed.users:
        raise InputError("no Zoom snapshot: run `provision sync` first")
    return compute_drift(
        load_desired(session),
        observed,
        policy,
        audit=load_audit_facts(session),
        created=load_created(session),
        now=now,
    )


def store(session: Session, drift: Drift, *, actor: str) -> DriftReport:
    report = DriftReport(at=drift.at, actor=actor, data=drift.to_data(), clean=drift.clean)
    session.add(report)
    session.flush()
    return report


def latest_report(session: Session) -> DriftReport | None:
    return session.execute(
        select(DriftReport).order_by(col(DriftReport.at).desc(), col(DriftReport.id).desc()).limit(1)
    ).scalar_one_or_none()


async def _observe(
    engine: Engine,
    client: AsyncZoomClient | ZoomAccounts,
    policy: Policy,
    actor: str,
    progress: Progress | None,
    now: datetime | None,
    plan_usage: PlanUsageReads | None = None,
) -> tuple[Drift, int, SyncResult]:
    product = policy.zoom_one_type  # the license the tool hands out: its pool gives the seats
    if isinstance(client, ZoomAccounts):  # every account, each with its own client
        found = await observe_accounts(
            engine, client, progress=progress, actor=actor, plan_usage=plan_usage, product=product
        )
        result = found[MAIN]
    else:
        once = None if plan_usage is None else once_for(plan_usage, client, MAIN)
        result = await observe(
            engine, client, progress=progress, plan_usage=once, actor=actor, product=product
        )
    with Session(engine) as session, session.begin():
        drift = check(session, policy, now=now)
        report = store(session, drift, actor=actor)
        record_contests(session, drift.kinds[DriftKind.CONTESTED], actor=actor)
        assert report.id is not None
        return drift, report.id, result


async def reconcile(
    engine: Engine,
    client: AsyncZoomClient | ZoomAccounts,
    policy: Policy,
    *,
    actor: str,
    fix: bool = False,
    force: bool = False,
    confirm: Confirm | None = None,
    concurrency: int = 16,
    progress: Progress | None = None,
    apply_progress: Callable[[str, int, int], None] | None = None,
    now: datetime | None = None,
) -> ReconcileResult:
    """Observe, report (a DriftReport row), and with `fix` apply the corrective plan and look again.

    The fix runs under the apply lock (LockedError if an apply is running), with the policy's
    safety thresholds (UnsafePlanError unless `force`); an apply left incomplete raises
    ApplyIncomplete like `provision apply` (the first report is stored either way).
    """
    if not fix:
        with operation_lock(engine, ZOOM):  # its sync replaces the snapshot
            drift, report_id, _ = await _observe(engine, client, policy, actor, progress, now)
        return ReconcileResult(drift=drift, report_id=report_id, found=drift)

    # Plan usage (Heavy, a daily budget shared by every app on the account) is read once, by the
    # first look, and carried forward by the fix's own changes for the apply and the second look.
    once: PlanUsageReads = {}
    with apply_session(engine, actor=actor, policy=policy) as applying:
        found, report_id, _ = await _observe(engine, client, policy, actor, progress, now, once)
        # Never an older unfinished plan: the fix is the plan of what this look found.
        chosen = applying.choose(resume=False, force=force, now=now)
        plan = chosen.plan
        if plan.is_empty:
            # Only kinds no plan repairs (reclaim candidates, old invitations, unmanaged users).
            return ReconcileResult(drift=found, report_id=report_id, found=found, plan=plan)
        if confirm is not None and not confirm(plan):
            return ReconcileResult(drift=found, report_id=report_id, found=found, plan=plan, declined=True)
        applied = await applying.run(
            client, chosen, concurrency=concurrency, progress=apply_progress, plan_usage=once
        )
        after, after_id, _ = await _observe(engine, client, policy, actor, progress, now, once)
    return ReconcileResult(drift=after, report_id=after_id, found=found, plan=plan, applied=applied)
