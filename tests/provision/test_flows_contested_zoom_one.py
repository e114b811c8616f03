"""Another writer on a Zoom One account (issue 12, asks 1 and 6): a SAML mapping that sets the
School & Campus license (zoom_one_type) back after each of our changes is contested after two,
under both ways the account may list its holders (ZOOM_API.md §11): sandbox -> sync -> plan ->
apply -> (set back) -> again -> plan / reconcile."""

from __future__ import annotations

import asyncio

import pytest

from provision.core.kinds import DriftKind
from provision.core.policy import Policy
from provision.run.reconcile import ReconcileResult, reconcile
from tests.provision.apply_kit import audit_events, converge, database, open_client, seed
from zoom_client import ZoomOneType
from zoom_client.sandbox import OtherWriter, Sandbox, SandboxConfig

CAMPUS = int(ZoomOneType.EDU_SCHOOL_CAMPUS)
SAML, T2, NEW = "saml@school.ua", "t2@school.ua", "z.new@school.ua"
POLICY = Policy(license="school_campus", grace_days=0, use_groups=False, addons={})


def _holders(sandbox: Sandbox) -> set[str]:
    return {u["email"] for u in sandbox.users() if int(u.get("zoom_one_type") or 0) == CAMPUS}


@pytest.mark.parametrize("listed_licensed", [True, False], ids=["listed-licensed", "listed-basic"])
def test_zoom_one_license_set_back_twice_is_contested(listed_licensed: bool, sqlite_url: str) -> None:
    engine = database(sqlite_url)
    seed(engine, {"0421": 3}, [(e, "0421", "teacher") for e in (SAML, T2, NEW)])
    sandbox = Sandbox(
        SandboxConfig(plan_base=False, zoom_one_seats={CAMPUS: 2}, zoom_one_reports_licensed=listed_licensed)
    )
    for email in (SAML, T2):
        sandbox.add_user(email=email, type=1)
    sandbox.add_other_writer(OtherWriter(field="zoom_one_type", value=0, emails={SAML}))

    first, _ = asyncio.run(converge(engine, sandbox, POLICY))
    assert {a.email for a in first.actions if a.kind == "zoom_one_on"} == {SAML, T2}
    assert _holders(sandbox) == {T2}  # the SAML mapping took it back
    second, _ = asyncio.run(converge(engine, sandbox, POLICY))
    assert [(a.kind, a.email) for a in second.actions] == [("zoom_one_on", SAML)]
    assert second.contested == []  # once is no contest
    assert _holders(sandbox) == {T2}
    assert len(sandbox.writer_log) == 2

    third, _ = asyncio.run(converge(engine, sandbox, POLICY))
    [item] = third.contested
    assert (item["email"], item["setbacks"], item["left_alone"]) == (SAML, 2, True)
    # Read as the plan reads the license (core.product.license_type): held = 2, not held = 1,
    # whichever type Zoom lists; the audit rows of our changes carry the product set.
    assert (item["field"], item["ours"], item["theirs"], item["ours_action"]) == ("type", 2, 1, "zoom_one_on")
    ours = [e.after for e in audit_events(engine) if e.person_email == SAML and e.action == "zoom_one_on"]
    assert [a["zoom_one_type"] for a in ours] == [str(CAMPUS)] * 2
    assert SAML not in {a.email for a in third.actions}  # left alone: nothing more sent
    assert len(sandbox.writer_log) == 2
    assert _holders(sandbox) == {T2, NEW}  # the seat SAML does not use went to the one waiting

    async def nightly() -> ReconcileResult:
        async with open_client(sandbox) as client:
            return await reconcile(engine, client, POLICY, actor="nightly")

    found = asyncio.run(nightly())
    assert [i["email"] for i in found.drift.kinds[DriftKind.CONTESTED]] == [SAML]
    assert found.exit_code == 3
