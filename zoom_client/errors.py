"""Errors of the Zoom client: one tree, the class chosen by HTTP status.

    ZoomError
    ├── ZoomConfigError          credentials missing, settings invalid
    ├── ZoomAuthError            the token endpoint refused (4702/4704/4705/4706/4717)
    ├── ZoomConnectionError      network failure after retries
    │   └── ZoomTimeoutError
    ├── ZoomRequestError         a request we would send breaks Zoom's documented rules (permanent)
    ├── ZoomResponseError        a 2xx payload did not match the model
    └── ZoomAPIError(status, code, message, errors, tracking_id, method, path)
        ├── BadRequestError          400
        ├── AuthenticationError      401
        ├── PermissionDeniedError    403
        ├── NotFoundError            404
        ├── ConflictError            409
        ├── RateLimitError           429 (+ retry_at, category, limit_type)
        └── ServerError              5xx

Zoom's own ``code`` stays an attribute; the engine branches on it through the ``is_*``
predicates, not on one class per code. No message ever carries a token or a secret: texts
that came from the wire pass through :func:`scrub` first.

    try:
        await client.users.set_type(uid, UserType.LICENSED)
    except ZoomAPIError as err:
        if err.is_seat_exhausted():
            ...
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

#: POST /users refusals that concern the person or the account's setup (ZOOM_API.md §5, §11)
CREATE_REFUSALS: dict[int, str] = {
    1116: "email domain not in the account's limited domains",
    1107: "email domain blocked",
    2002: "SSO is not enabled on the account",
    2032: "SSO pre-provisioning is not enabled (ssoCreate)",
    1009: "the email already holds an active Zoom account elsewhere",
}
# 3412 has two texts (U21): "...maximum number of $n basic users..." (the Basic cap) and, on a
# conversion to paid, "...maximum number of $n paying users". Only the plural tells them apart
# (the Basic text also says "convert a paying user").
_PAYING_CAP = re.compile(r"paying users", re.I)
_SCOPES_TEXT = "does not contain scopes"
_SCOPE_LIST = re.compile(r"scopes\s*:?\s*\[([^\]]*)\]", re.I)

_SECRET_PATTERNS = (
    re.compile(r"(?i)(authorization\s*[:=]\s*)(bearer|basic)?\s*[^\s,;'\"}]+"),
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?i)((?:access_token|client_secret|token)[\"']?\s*[:=]\s*[\"']?)[^\s&,;'\"}]+"),
    re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # any JWT
)


def scrub(text: str) -> str:
    """``text`` with Authorization values, bearer/basic credentials, tokens and JWTs masked."""
    text = _SECRET_PATTERNS[0].sub(lambda m: m.group(1) + "***", text)
    text = _SECRET_PATTERNS[1].sub(lambda m: m.group(1) + " ***", text)
    text = _SECRET_PATTERNS[2].sub(lambda m: m.group(1) + "***", text)
    return _SECRET_PATTERNS[3].sub("***", text)


class ZoomError(Exception):
    """Root of everything the Zoom client raises."""

    #: True when an earlier attempt of the same call may have reached Zoom (timeout after
    #: sending, dropped connection, 5xx): a 409 then may be our own earlier write.
    after_ambiguous: bool = False

    def is_permanent(self) -> bool:
        """True when sending the same request again cannot succeed (a rerun cannot fix it; the
        input or the account must change). ZoomAPIError decides by Zoom's code."""
        return False


class ZoomConfigError(ZoomError):
    """Credentials are missing or a setting is invalid (names the setting, never its value)."""


class ZoomAuthError(ZoomError):
    """The token endpoint refused the credentials (Zoom codes 4702/4704/4705/4706/4717).

    The message holds Zoom's reason and code, never the client secret or the request body.
    """

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None) -> None:
        self.status = status
        self.code = code
        super().__init__(scrub(message))


class ZoomConnectionError(ZoomError):
    """Zoom could not be reached (DNS, refused, reset) even after the retries."""


class ZoomTimeoutError(ZoomConnectionError):
    """Zoom did not answer within the timeout, even after the retries."""


class ZoomRequestError(ZoomError, ValueError):
    """A request body breaks Zoom's documented rules (a name over 64 characters, an email over
    128): refused before anything is sent. Permanent: the same data fails the same way on every
    rerun, so the data (the roster) must change.

    ``model`` is the body's name, ``field`` the first bad field (dotted), ``reason`` the rule.
    The message never holds the value itself (names and emails are personal data).
    """

    def __init__(self, model: str, field: str, reason: str) -> None:
        self.model = model
        self.field = field
        self.reason = reason
        super().__init__(
            f"not sent to Zoom ({model}): {field} {reason}; "
            "a rerun sends the same value: correct the data at its source"
        )

    def is_permanent(self) -> bool:
        return True


class ZoomResponseError(ZoomError):
    """A 2xx answer whose payload is not what the Zoom API documents."""


class ZoomAPIError(ZoomError):
    """Zoom answered with an error status.

    ``str(err)`` = ``[400/2034] message (PATCH /users/x, tracking id t)``.
    """

    status: int

    def __init__(
        self,
        message: str,
        *,
        status: int,
        code: int | None = None,
        errors: list[dict[str, Any]] | None = None,
        tracking_id: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = scrub(message)
        self.errors = list(errors or [])
        self.tracking_id = tracking_id
        self.method = method
        self.path = path
        super().__init__(self._render())

    def _render(self) -> str:
        head = f"[{self.status}/{self.code}]" if self.code is not None else f"[{self.status}]"
        text = f"{head} {self.message}"
        if self.errors:
            fields = ", ".join(
                f"{e.get('field')}: {e.get('message')}" for e in self.errors if isinstance(e, dict)
            )
            if fields:
                text += f" ({scrub(fields)})"
        where = " ".join(p for p in (self.method, self.path) if p)
        tracking = f"tracking id {self.tracking_id}" if self.tracking_id else ""
        tail = ", ".join(p for p in (where, tracking) if p)
        return f"{text} ({tail})" if tail else text

    def __str__(self) -> str:
        return self._render()

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(status={self.status}, code={self.code}, tracking_id={self.tracking_id!r})"

    # Predicates the engine branches on (codes from ../shared/ZOOM_API.md §1.12, §5).
    def is_user_missing(self) -> bool:
        return self.code == 1001

    def is_email_taken(self) -> bool:
        return self.code == 1005

    def is_seat_exhausted(self) -> bool:
        """No licensed (paid) seat left: 2034, 2038, or 3412 when its text caps "paying users".

        Not the Basic-user cap (:meth:`is_basic_cap_reached`): freeing a licensed seat does not
        help there, and the two need different advice."""
        if self.code in (2034, 2038):
            return True
        return self.code == 3412 and _PAYING_CAP.search(self.message) is not None

    def is_basic_cap_reached(self) -> bool:
        """The account holds its maximum of Basic users (9,999 by default): 2033, 3412 (the Basic
        variant), or 2039 (a Zoom One / United license cannot be switched off for want of a Basic
        place). Permanent for this run: only removing Basic or pending users makes room, never a
        retry (type 4, "Unassigned without Meetings Basic", is outside the cap)."""
        if self.code in (2033, 2039):
            return True
        return self.code == 3412 and _PAYING_CAP.search(self.message) is None

    def is_create_refused(self) -> bool:
        """POST /users refused for a reason that concerns this person or the account's setup,
        not load: 1116 (email outside the account's limited domains), 1107 (domain blocked),
        2002 / 2032 (SSO not enabled / pre-provisioning off, for ssoCreate), 1009 (the email
        holds an active account elsewhere), 200 on POST /users (no permission for the action,
        e.g. autoCreate without a managed domain or custCreate without the ISV contract)."""
        if self.code in CREATE_REFUSALS:
            return True
        return self.code == 200 and self.method == "POST" and (self.path or "").rstrip("/").endswith("/users")

    def refusal_reason(self) -> str | None:
        """A short plain reason for a create refusal or a Basic cap (for per-person reports)."""
        if self.is_basic_cap_reached():
            return "Basic-user cap reached"
        if self.code in CREATE_REFUSALS:
            return CREATE_REFUSALS[self.code]
        if self.is_create_refused():
            return "create action not permitted on this account"
        return None

    def is_missing_scope(self) -> bool:
        """The app's token lacks a scope this call needs: code 4711 ("Invalid access token, does
        not contain scopes:[…]"), or the same text under 4700/104. A new token does not fix it:
        the scope must be added to the app in the Marketplace."""
        return self.code == 4711 or (_SCOPES_TEXT in self.message.lower() and self.code in (4700, 104, None))

    @property
    def missing_scopes(self) -> list[str]:
        """The scopes Zoom named in a missing-scope answer (any one of them would do), in order."""
        if not self.is_missing_scope():
            return []
        match = _SCOPE_LIST.search(self.message)
        if match is None:
            return []
        return [s.strip() for s in match.group(1).split(",") if s.strip()]

    def is_permanent(self) -> bool:
        """A refusal that the same call, repeated, gets again: never advise "run again" for it.

        Basic-user cap, create refusals, an expired invitation, a missing scope, a validation
        error (300), a user who does not exist (1001). Seat exhaustion is not in this list:
        a seat freed later (or bought) lets the same call succeed."""
        return (
            self.is_basic_cap_reached()
            or self.is_create_refused()
            or self.is_invitation_expired()
            or self.is_missing_scope()
            or self.code in (300, 1001)
        )

    def is_addon_seats_exhausted(self) -> bool:
        """Code 200 from PATCH /users/{id}/settings: "You can add max $n Large 500 users"."""
        return self.code == 200 and (self.path or "").rstrip("/").endswith("/settings")

    def needs_licensed(self) -> bool:
        return self.code == 1108

    def is_invitation_expired(self) -> bool:
        return self.code == 1120

    def is_group_missing(self) -> bool:
        return self.code == 4130

    def is_group_name_taken(self) -> bool:
        return self.code == 4132

    def is_token_invalid(self) -> bool:
        """401 for the token itself (code 124, no code, or "invalid/expired access token" without a
        scope complaint): worth one fresh token. A missing scope is not fixed by a new token."""
        if self.status != 401:
            return False
        text = self.message.lower()
        if "scope" in text:
            return False
        return self.code in (124, None) or "access token" in text


class BadRequestError(ZoomAPIError):
    """400: bad data, and most business refusals (seat codes 2034/2038, Basic cap 2033/3412, 1108,
    1120, create refusals 1116/1107/2002/2032/1009, missing scope 4711…)."""


class AuthenticationError(ZoomAPIError):
    """401: the access token was refused even after one refresh."""


class PermissionDeniedError(ZoomAPIError):
    """403: the app lacks a scope or the account lacks the feature."""


class NotFoundError(ZoomAPIError):
    """404: user (1001) or group (4130) does not exist."""


class ConflictError(ZoomAPIError):
    """409: the email (1005) or group name (4132) is already taken."""


class RateLimitError(ZoomAPIError):
    """429 that the client will not wait out: a daily limit, or retries exhausted.

    ``retry_at`` is when Zoom says the budget comes back (UTC), if it said so.
    """

    def __init__(
        self,
        message: str,
        *,
        retry_at: datetime | None = None,
        retry_after: float | None = None,
        category: str | None = None,
        limit_type: Literal["QPS", "Daily-limit"] | None = None,
        **kwargs: Any,
    ) -> None:
        self.retry_at = retry_at
        #: Retry-After when Zoom gave it in seconds (exact, unlike retry_at which adds the clock)
        self.retry_after = retry_after
        self.category = category
        self.limit_type = limit_type
        kwargs.setdefault("status", 429)
        super().__init__(message, **kwargs)

    def _render(self) -> str:
        text = super()._render()
        extra = [p for p in (self.limit_type, self.category) if p]
        if self.retry_at is not None:
            extra.append(f"retry at {self.retry_at.isoformat()}")
        return f"{text} [{', '.join(extra)}]" if extra else text


class ServerError(ZoomAPIError):
    """5xx from Zoom, after the retries."""


STATUS_ERRORS: dict[int, type[ZoomAPIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


def error_class(status: int) -> type[ZoomAPIError]:
    """The ZoomAPIError subclass for an HTTP status (5xx -> ServerError; other 4xx -> ZoomAPIError)."""
    if status >= 500:
        return ServerError
    return STATUS_ERRORS.get(status, ZoomAPIError)
