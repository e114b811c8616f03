"""Each account of a master account has its own rate budget and daily create cap (ZOOM_API.md §4),
in the sandbox as in Zoom, and the client paces each account apart with one token."""

from __future__ import annotations

import asyncio
import base64
import json
import time

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


async def test_one_client_drives_two_sub_accounts_each_at_its_own_ceiling() -> None:
    # Pro Medium is 20/s per account: 40 calls on each of two accounts take about two seconds,
    # not four as through one limiter, and the served limits are never exceeded (no 429).
    sb = Sandbox(SandboxConfig(tier="pro", rate_limits=True, sub_accounts={"sub-1": 5, "sub-2": 5}))
    async with AsyncZoomClient(sb.settings(tier="pro"), transport=sb.async_transport()) as zoom:
        subs = [zoom.sub_account("sub-1"), zoom.sub_account("sub-2")]
        await zoom.users.summary()  # the token
        started = time.monotonic()
        await asyncio.gather(*(sub.users.summary() for sub in subs for _ in range(40)))
        elapsed = time.monotonic() - started
        assert subs[0].limiter is not subs[1].limiter is not zoom.limiter
        assert subs[0].limiter is zoom.sub_account("sub-1").limiter
    assert elapsed < 3.5  # one limiter for both would need 80 / 20 = 4 s
    assert [sub.limiter.counts["Medium"] for sub in subs if sub.limiter] == [40, 40]
    assert not [r for r in sb.request_log if r.status == 429]
    assert zoom.token_fetches == 1
