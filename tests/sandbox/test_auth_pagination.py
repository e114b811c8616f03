"""OAuth (credentials, expiry mid-run), and list pagination with expiring page tokens."""

from __future__ import annotations

import base64

import httpx
import pytest

from zoom_client import AsyncZoomClient
from zoom_client.errors import BadRequestError, ZoomAuthError
from zoom_client.sandbox import Sandbox, SandboxConfig

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["s.org", "school.org", "sub1.org"]


def _token(sb: Sandbox, client: httpx.Client) -> str:
    basic = base64.b64encode(f"{sb.config.client_id}:{sb.config.client_secret}".encode()).decode()
    answer = client.post(
        "/oauth/token",
        params={"grant_type": "account_credentials", "account_id": sb.config.account_id},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200
    assert answer.json()["expires_in"] == sb.config.token_ttl
    return answer.json()["access_token"]


def test_token_endpoint_and_401_124() -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED, token_ttl=60))
    with httpx.Client(transport=sb.transport(), base_url="https://sandbox.zoom.invalid") as raw:
        bad = raw.post(
            "/oauth/token",
            params={"grant_type": "account_credentials", "account_id": "x"},
            headers={"Authorization": "Basic " + base64.b64encode(b"sandbox-client:nope").decode()},
        )
        assert bad.status_code == 401
        assert bad.json()["error"] == "invalid_client"
        token = _token(sb, raw)
        ok = raw.get("/v2/users/summary", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200
        unknown = raw.get("/v2/users/summary", headers={"Authorization": "Bearer forged"})
        assert unknown.status_code == 401
        assert unknown.json() == {
            "code": 124,
            "message": "Invalid access token.",
        }
        sb.clock.advance(61)
        expired = raw.get("/v2/users/summary", headers={"Authorization": f"Bearer {token}"})
        assert expired.status_code == 401
        assert expired.json()["code"] == 124
        assert "expired" in expired.json()["message"]


async def test_client_with_a_wrong_secret_gets_an_auth_error_without_the_secret() -> None:
    sb = Sandbox()
    async with AsyncZoomClient(
        sb.settings(client_secret="wrong-S3CRET"), transport=sb.async_transport()
    ) as z:
        with pytest.raises(ZoomAuthError) as err:
            await z.users.summary()
    assert "wrong-S3CRET" not in str(err.value)


async def test_token_expiry_mid_run_is_survived(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    await zoom.users.create(email="a@s.org", type=1, action="autoCreate")
    sb.clock.advance(sb.config.token_ttl + 1)  # the client's clock did not move: it trusts its token
    await zoom.users.create(email="b@s.org", type=1, action="autoCreate")
    assert zoom.token_fetches == 2
    assert [r.status for r in sb.request_log if r.path == "/users" and r.method == "POST"] == [201, 401, 201]


async def test_walks_ten_thousand_users(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    for i in range(10_000):
        sb.add_user(email=f"u{i:05d}@s.org", type=1)
    pages = [page async for page in zoom.users.list(page_size=300).iter_pages()]
    emails = [u.email for p in pages for u in p.items]
    assert len(pages) == 34
    assert pages[0].total_records == 10_000
    assert emails == [f"u{i:05d}@s.org" for i in range(10_000)]


def test_page_tokens_expire_after_15_minutes_and_keep_the_query() -> None:
    sb = Sandbox(SandboxConfig(managed_domains=MANAGED))
    for i in range(5):
        sb.add_user(email=f"v{i}@s.org")
    with httpx.Client(transport=sb.transport(), base_url="https://sandbox.zoom.invalid") as raw:
        auth = {"Authorization": f"Bearer {_token(sb, raw)}"}
        first = raw.get("/v2/users", params={"page_size": 2}, headers=auth).json()
        assert first["page_count"] == 3
        assert len(first["users"]) == 2
        assert first["next_page_token"]
        second = raw.get(
            "/v2/users", params={"page_size": 2, "next_page_token": first["next_page_token"]}, headers=auth
        ).json()
        assert [u["email"] for u in second["users"]] == ["v2@s.org", "v3@s.org"]
        other = raw.get(
            "/v2/users",
            params={"page_size": 2, "status": "inactive", "next_page_token": second["next_page_token"]},
            headers=auth,
        )
        assert other.status_code == 400
        assert other.json()["code"] == 300
        again = raw.get("/v2/users", params={"page_size": 2}, headers=auth).json()
        sb.clock.advance(15 * 60 + 1)
        late = raw.get(
            "/v2/users", params={"page_size": 2, "next_page_token": again["next_page_token"]}, headers=auth
        )
        assert late.status_code == 400
        assert late.json()["code"] == 300
        assert "expired" in late.json()["message"]


async def test_page_size_beyond_the_spec_is_refused(zoom: AsyncZoomClient, sb: Sandbox) -> None:
    sb.add_user(email="z@s.org")
    assert [u.email async for u in zoom.users.list(page_size=2000)] == ["z@s.org"]
    sb.config.max_page_size = 300  # the older spec's limit
    with pytest.raises(BadRequestError) as err:
        _ = [u async for u in zoom.users.list(page_size=301)]
    assert err.value.code == 300
