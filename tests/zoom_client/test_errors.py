"""Errors: class by status, Zoom's code/message/errors/tracking id kept, predicates, malformed
bodies, and no secret or token in any exception text or log record."""

from __future__ import annotations

import logging

import httpx
import pytest
import respx

from zoom_client import (
    AsyncZoomClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ZoomAPIError,
    ZoomError,
    ZoomResponseError,
)
from zoom_client.errors import scrub

from .conftest import API, SECRET, TOKEN


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (429, RateLimitError),
        (500, ServerError),
        (503, ServerError),
        (418, ZoomAPIError),
    ],
)
async def test_status_picks_the_class(
    client: AsyncZoomClient, router: respx.MockRouter, status: int, cls: type[ZoomAPIError]
) -> None:
    headers = {"X-RateLimit-Type": "Daily-limit"} if status == 429 else {}
    router.get(f"{API}/users/summary").respond(status, json={"code": 7, "message": "nope"}, headers=headers)
    with pytest.raises(ZoomAPIError) as info:
        await client.users.summary()
    assert type(info.value) is cls
    assert isinstance(info.value, ZoomError)
    assert (info.value.status, info.value.code) == (status, 7)


async def test_message_names_status_code_call_and_tracking_id(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.patch(f"{API}/users/u1").respond(
        400,
        json={"code": 2034, "message": "Your account has reached the maximum number of Licensed users."},
        headers={"x-zm-trackingid": "v=2.0;clid=us06;rid=WEB_abc"},
    )
    with pytest.raises(BadRequestError) as info:
        await client.users.set_type("u1", 2)
    err = info.value
    assert str(err) == (
        "[400/2034] Your account has reached the maximum number of Licensed users. "
        "(PATCH /users/u1, tracking id v=2.0;clid=us06;rid=WEB_abc)"
    )
    assert err.tracking_id == "v=2.0;clid=us06;rid=WEB_abc"
    assert (err.method, err.path) == ("PATCH", "/users/u1")
    assert err.is_seat_exhausted()


async def test_validation_errors_are_kept(client: AsyncZoomClient, router: respx.MockRouter) -> None:
    router.post(f"{API}/users").respond(
        400,
        json={
            "code": 300,
            "message": "Validation Failed.",
            "errors": [{"field": "user_info.email", "message": "Invalid field."}],
        },
    )
    with pytest.raises(BadRequestError) as info:
        await client.users.create(email="not-an-email")
    assert info.value.errors == [{"field": "user_info.email", "message": "Invalid field."}]
    assert "user_info.email: Invalid field." in str(info.value)


@pytest.mark.parametrize(
    ("code", "path", "predicate"),
    [
        (1001, "/users/u1", "is_user_missing"),
        (1005, "/users", "is_email_taken"),
        (2033, "/users/u1", "is_basic_cap_reached"),
        (2034, "/users", "is_seat_exhausted"),
        (2038, "/users/u1", "is_seat_exhausted"),
        (3412, "/users/u1/status", "is_basic_cap_reached"),
        (200, "/users/u1/settings", "is_addon_seats_exhausted"),
        (1108, "/users/u1/settings", "needs_licensed"),
        (1120, "/users/u1/settings", "is_invitation_expired"),
        (4130, "/groups/g1", "is_group_missing"),
        (4132, "/groups", "is_group_name_taken"),
    ],
)
def test_predicates(code: int, path: str, predicate: str) -> None:
    err = BadRequestError("m", status=400, code=code, method="PATCH", path=path)
    predicates = [
        "is_user_missing",
        "is_email_taken",
        "is_seat_exhausted",
        "is_basic_cap_reached",
        "is_addon_seats_exhausted",
        "needs_licensed",
        "is_invitation_expired",
        "is_group_missing",
        "is_group_name_taken",
    ]
    assert [p for p in predicates if getattr(err, p)()] == [predicate]


def test_code_200_elsewhere_is_not_addon_exhaustion() -> None:
    err = BadRequestError(
        "Only available for paid account", status=400, code=200, path="/accounts/me/plans/usage"
    )
    assert not err.is_addon_seats_exhausted()


@pytest.mark.parametrize(
    ("status", "content", "headers", "code", "message"),
    [
        (
            502,
            b"<html><body><h1>502 Bad Gateway</h1></body></html>",
            {"content-type": "text/html"},
            None,
            "502 Bad Gateway",
        ),
        (404, b"", {}, None, "Not Found"),
        (
            400,
            b'{"code": 1001, "message": "User "x" does not exist"}',
            {"content-type": "application/json"},
            1001,
            'User "x" does not exist',
        ),
        (400, b"[1, 2]", {"content-type": "application/json"}, None, "[1, 2]"),
        (403, b'{"code": "abc"}', {}, None, "Forbidden"),
    ],
    ids=["html", "empty", "unescaped-quotes", "json-array", "code-not-int"],
)
async def test_malformed_error_bodies_still_give_api_errors(
    client: AsyncZoomClient,
    router: respx.MockRouter,
    status: int,
    content: bytes,
    headers: dict[str, str],
    code: int | None,
    message: str,
) -> None:
    router.get(f"{API}/users/u1").respond(status, content=content, headers=headers)
    with pytest.raises(ZoomAPIError) as info:
        await client.users.get("u1")
    assert info.value.status == status
    assert info.value.code == code
    assert info.value.message == message


async def test_success_body_not_matching_model_is_response_error(
    client: AsyncZoomClient, router: respx.MockRouter
) -> None:
    router.get(f"{API}/users/u1").respond(200, json={"id": "u1"})
    with pytest.raises(ZoomResponseError, match="email"):
        await client.users.get("u1")
    router.get(f"{API}/users/summary").respond(200, content=b"<html>maintenance</html>")
    with pytest.raises(ZoomResponseError, match="not JSON"):
        await client.users.summary()


def test_scrub_masks_credentials() -> None:
    text = (
        f"Authorization: Bearer {TOKEN} basic Y2xpZW50OnNlY3JldA== access_token={TOKEN} "
        f'"client_secret": "{SECRET}" eyJhbGciOiJIUzI1NiJ9.eyJpc3MiOiJrIn0.c2lnbmF0dXJl'
    )
    cleaned = scrub(text)
    for secret in (TOKEN, SECRET, "Y2xpZW50OnNlY3JldA==", "eyJhbGciOiJIUzI1NiJ9"):
        assert secret not in cleaned


async def test_no_secret_in_any_error_or_log_record(
    client: AsyncZoomClient, router: respx.MockRouter, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # A misbehaving proxy that echoes the request's Authorization header in its error page.
    router.get(f"{API}/users/u1").mock(
        side_effect=lambda r: httpx.Response(
            400, text=f"bad request; Authorization: {r.headers['authorization']}"
        )
    )
    router.get(f"{API}/users/summary").mock(
        side_effect=[httpx.Response(401, json={"code": 124}), httpx.Response(500), httpx.ReadTimeout("t")] * 3
    )
    router.patch(f"{API}/users/u1").mock(
        side_effect=lambda r: httpx.Response(
            400, json={"code": 300, "message": f"access_token={TOKEN} invalid"}
        )
    )
    texts: list[str] = []
    for call in (client.users.get("u1"), client.users.summary(), client.users.set_type("u1", 2)):
        with pytest.raises(ZoomError) as info:
            await call
        texts += [str(info.value), repr(info.value), str(info.value.__cause__ or "")]
    texts += [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records]
    for text in texts:
        assert TOKEN not in text
        assert SECRET not in text
    assert any("Retry" in t or "retry" in t for t in texts)  # the retries were logged
