"""The package root exports exactly what docs/interfaces.md §1 promises (plus a few additions)."""

from __future__ import annotations

import zoom_client

PROMISED = {
    "ZoomSettings",
    "AsyncZoomClient",
    "ZoomClient",
    "UserType",
    "UserStatus",
    "CreateAction",
    "User",
    "Page",
    "UsersSummary",
    "PlanSeats",
    "PlanUsage",
    "UserFeatures",
    "UserSettings",
    "BulkFeatureResult",
    "BulkFailure",
    "Group",
    "GroupMember",
    "SubAccount",
    "ZoomError",
    "ZoomConfigError",
    "ZoomAuthError",
    "ZoomConnectionError",
    "ZoomTimeoutError",
    "ZoomResponseError",
    "ZoomAPIError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "RateLimitError",
    "ServerError",
}
ADDITIONS = {
    "AsyncPaginator",
    "Paginator",
    "Category",
    "RateLimiter",
    "RateTier",
    "SubAccountClient",
    "ZoomOneType",
    "ZoomRequestError",
}


def test_all_is_the_promised_surface() -> None:
    assert set(zoom_client.__all__) == PROMISED | ADDITIONS
    for name in zoom_client.__all__:
        assert getattr(zoom_client, name) is not None


def test_error_tree() -> None:
    z = zoom_client
    assert issubclass(z.ZoomTimeoutError, z.ZoomConnectionError)
    for cls in (
        z.ZoomConfigError,
        z.ZoomAuthError,
        z.ZoomConnectionError,
        z.ZoomRequestError,
        z.ZoomResponseError,
        z.ZoomAPIError,
    ):
        assert issubclass(cls, z.ZoomError)
    for cls in (
        z.BadRequestError,
        z.AuthenticationError,
        z.PermissionDeniedError,
        z.NotFoundError,
        z.ConflictError,
        z.RateLimitError,
        z.ServerError,
    ):
        assert issubclass(cls, z.ZoomAPIError)


def test_user_type_keeps_unknown_integers() -> None:
    user = zoom_client.User.model_validate({"email": "a@x", "type": 3, "new_field": True})
    assert user.type == 3
    assert not isinstance(user.type, zoom_client.UserType)
    assert (
        zoom_client.User.model_validate({"email": "a@x", "type": 4}).type is zoom_client.UserType.UNASSIGNED
    )
