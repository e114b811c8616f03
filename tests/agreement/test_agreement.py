"""Every case of the shared table, played against a respx mock and against the sandbox."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx

from tests.agreement.cases import CASES, SUB, Case, base_state
from zoom_client import AsyncZoomClient, ZoomSettings
from zoom_client.errors import ZoomAPIError
from zoom_client.sandbox import Sandbox, SandboxConfig

# autoCreate needs the email's domain to be one of the account's managed domains (as on Zoom).
MANAGED = ["s.org", "school.org", "sub1.org"]

API = "https://api.zoom.test/v2"
OAUTH = "https://zoom.test/oauth/token"
IDS = [case.name for case in CASES]


async def _no_sleep(seconds: float) -> None:
    return None


def _sandbox(case: Case) -> Sandbox:
    sb = Sandbox(
        SandboxConfig(
            managed_domains=MANAGED, seats=5, large_meeting_seats={500: 1, 1000: 0}, sub_accounts={SUB: 2}
        )
    )
    base_state(sb)
    if case.setup is not None:
        case.setup(sb)
    return sb


async def _outcome(case: Case, client: AsyncZoomClient) -> tuple[str, Any]:
    """What the client call ended in: ("ok", None) or ("error", (status, code))."""
    try:
        await case.call(client)
    except ZoomAPIError as err:
        return "error", (err.status, err.code)
    return "ok", None


def _expected(case: Case) -> tuple[str, Any]:
    return ("ok", None) if case.status < 400 else ("error", (case.status, case.code))


def test_examples_have_the_shape_the_table_promises() -> None:
    for case in CASES:
        if case.example is None:
            assert case.status == 204, case.name
            continue
        assert case.keys <= set(case.example), case.name
        if case.code is not None:
            assert case.example["code"] == case.code, case.name


@pytest.mark.parametrize("case", CASES, ids=IDS)
async def test_client_against_respx(case: Case) -> None:
    router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
    router.post(OAUTH).respond(200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600})
    route = router.request(case.method, url__regex=rf"^{API}{case.path.replace('@', '(@|%40)')}(\?.*)?$")
    if case.example is None:
        route.respond(case.status)
    else:
        route.respond(case.status, json=case.example)
    settings = ZoomSettings(
        account_id="a", client_id="c", client_secret="s", api_url=API, oauth_url=OAUTH, max_retries=0
    )
    async with AsyncZoomClient(
        settings, transport=httpx.MockTransport(router.async_handler), sleep=_no_sleep
    ) as z:
        assert await _outcome(case, z) == _expected(case)
    request = route.calls[0].request
    assert set(case.query.items()) <= set(request.url.params.items()), case.name
    if case.body is not None:
        assert json.loads(request.content) == case.body


def _raw(sb: Sandbox, case: Case) -> httpx.Response:
    with httpx.Client(transport=sb.transport(), base_url="https://sandbox.zoom.invalid") as raw:
        basic = base64.b64encode(f"{sb.config.client_id}:{sb.config.client_secret}".encode()).decode()
        token = raw.post(
            "/oauth/token",
            params={"grant_type": "account_credentials", "account_id": sb.config.account_id},
            headers={"Authorization": f"Basic {basic}"},
        ).json()["access_token"]
        query = dict(case.query)
        return raw.request(
            case.method,
            "/v2" + case.path,
            params=query or None,
            json=case.body,
            headers={"Authorization": f"Bearer {'forged' if case.bad_token else token}"},
        )


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_sandbox_answers_the_same_shape(case: Case) -> None:
    answer = _raw(_sandbox(case), case)
    assert answer.status_code == case.status, answer.text
    if case.example is None:
        assert answer.content == b""
        return
    data = answer.json()
    assert case.keys <= set(data), f"missing {case.keys - set(data)}"
    if case.code is not None:
        assert data["code"] == case.code
    for key, value in case.example.items():
        # Lists of objects: the sandbox's items carry at least the example item's keys.
        if isinstance(value, list) and value and isinstance(value[0], dict) and data[key]:
            assert set(value[0]) <= set(data[key][0]), key
            if "id" not in value[0]:  # pending users: Zoom lists them without an id
                assert "id" not in data[key][0], key


@pytest.mark.parametrize(
    "case", [c for c in CASES if not c.bad_token], ids=[c.name for c in CASES if not c.bad_token]
)
async def test_client_against_the_sandbox(case: Case) -> None:
    sb = _sandbox(case)
    async with AsyncZoomClient(
        sb.settings(max_retries=0), transport=sb.async_transport(), sleep=_no_sleep
    ) as z:
        assert await _outcome(case, z) == _expected(case)
    sent = [r for r in sb.request_log if r.category != "OAuth"]
    assert (sent[0].method, sent[0].path) == (case.method, case.path)
