"""A license we gave and someone took back by hand in the Zoom portal is given back first.

Without this, the seat freed by hand went to the first person waiting, and the nightly
reconcile reported the same hand change every night with nothing to fix it.
"""

from __future__ import annotations

from provision.core.policy import Policy
from tests.provision.apply_kit import (
    assert_audited_once,
    assert_no_seat_refusal,
    converge,
    database,
    fresh_plan,
    licensed_emails,
    roster_change,
    seed,
)
from zoom_client.sandbox import Sandbox, SandboxConfig

POLICY = Policy(create_action="autoCreate", grace_days=0, use_groups=False, addons={})
HOLDER = "z.teacher@school.example"
WAITING = "a.teacher@school.example"  # first by email: would win an ordinary tie


async def test_license_taken_by_hand_goes_back_to_its_holder_not_to_the_waiting_list(
    database_url: str,
) -> None:
    engine = database(database_url)
    seed(engine, {"0101": 10}, [(HOLDER, "0101", "teacher")])
    sandbox = Sandbox(SandboxConfig(managed_domains=["school.example"], seats=1))
    await converge(engine, sandbox, POLICY)
    assert licensed_emails(sandbox) == {HOLDER}

    roster_change(engine, join=[(WAITING, "0101", "teacher")])
    await converge(engine, sandbox, POLICY)
    assert licensed_emails(sandbox) == {HOLDER}  # the account's one seat is in use: WAITING waits

    sandbox.set_user_type(HOLDER, 1)  # "by hand" in the Zoom portal
    plan, result = await converge(engine, sandbox, POLICY)

    assert result.complete
    assert [(a.kind.value, a.email) for a in plan.actions] == [("license", HOLDER)]
    assert [w.email for w in plan.waiting] == [WAITING]
    assert licensed_emails(sandbox) == {HOLDER}
    assert (await fresh_plan(engine, sandbox, POLICY)).actions == []
    assert_audited_once(engine)
    assert_no_seat_refusal(sandbox)
