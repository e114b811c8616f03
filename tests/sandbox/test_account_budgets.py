"""Each account of a master account has its own rate budget and daily create cap (ZOOM_API.md §4),
in the sandbox as in Zoom."""

from __future__ import annotations

import base64
import json

import pytest

from zoom_client import AsyncZoomClient
from zoom_client.errors import RateLimitError
from zoom_client.sandbox import Sandbox, SandboxConfig

MANAGED = ["s.org"]


def _auth(sb: Sandbox) -> dict[str, str]:
    basic = base64.b64encode(b"sandbox-client:sandbox-secret").decode()
    token = sb.process(
        "POST",
        "/oauth/token",
        "grant_type=account_credentials&account_id=sandbox-account",
        {"authorization": "Basic " + basic},
        b"",
    )
    return {"authorization": "Bearer " + json.loads(token.body)["access_token"]}


def test_each_sub_account_answers_429_only_past_its_own_per_second_budget() -> None:
    sb = Sandbox(SandboxConfig(tier="pro", rate_limits=True, sub_accounts={"sub-1": 5, "sub-2": 5}))
    auth = _auth(sb)
    statuses: dict[str, list[int]] = {}
    for prefix in ("", "/accounts/sub-1", "/accounts/sub-2", "/accounts/me"):
        statuses[prefix] = [
            sb.process("GET", f"/v2{prefix}/users/summary", "", auth, b"").status for _ in range(25)
        ]
    # Pro: Medium 20/s per account. `me` is the main account: its budget was spent first.
    assert [s.count(200) for s in statuses.values()] == [20, 20, 20, 0]
    assert statuses["/accounts/sub-1"][-1] == 429


def test_under_the_other_reading_the_masters_token_spends_the_masters_budget() -> None:
    # Undocumented which account a master's call to /accounts/{sub}/... is charged to: the
    # sandbox plays both (zoom_client.budgets); here every call draws on the master's 20/s.
    config = SandboxConfig(tier="pro", rate_limits=True, sub_accounts={"sub-1": 5, "sub-2": 5})
    config.sub_account_budget = "master"
    sb = Sandbox(config)
    auth = _auth(sb)
    statuses = [
        sb.process("GET", f"/v2{prefix}/users/summary", "", auth, b"").status
        for prefix in ("/accounts/sub-1", "/accounts/sub-2", "")
        for _ in range(10)
    ]
    assert statuses == [200] * 20 + [429] * 10


async def test_the_daily_create_cap_counts_per_account(sleeps: object) -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, daily_create_cap=1, sub_accounts={"sub-1": 5}))
    async with AsyncZoomClient(sb.settings(), transport=sb.async_transport(), sleep=sleeps) as zoom:  # type: ignore[arg-type]
        await zoom.users.create(email="a@s.org", type=1, action="create")
        await zoom.sub_account("sub-1").users.create(email="b@s.org", type=1, action="create")
        with pytest.raises(RateLimitError) as err:
            await zoom.sub_account("sub-1").users.create(email="c@s.org", type=1, action="create")
    assert err.value.limit_type == "Daily-limit"
    assert sb.find_user("b@s.org", account_id="sub-1") is not None
    assert sb.find_user("c@s.org", account_id="sub-1") is None
