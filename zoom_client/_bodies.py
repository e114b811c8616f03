"""Request bodies we send, strict (``extra="forbid"``): a misspelt field fails here, not at Zoom.

Field names are Zoom's (checked against ../shared/zoom-spec by tests/zoom_client/test_spec_conformance.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from zoom_client.errors import ZoomRequestError


def _reason(error: Any) -> str:
    """Pydantic's rule in words, with the size of what was given (never the value: personal data)."""
    value = error.get("input")
    ctx = error.get("ctx") or {}
    if error["type"] == "string_too_long":
        return f"is {len(value)} characters long; Zoom takes at most {ctx.get('max_length')}"
    if error["type"] == "string_too_short":
        return f"is {len(value)} characters long; Zoom needs at least {ctx.get('min_length')}"
    return str(error["msg"]).removeprefix("Value error, ")


class Body(BaseModel):
    """A request body; constructing one that breaks Zoom's rules raises ZoomRequestError."""

    model_config = ConfigDict(extra="forbid")

    def __init__(self, **data: Any) -> None:
        # ValidationError is no ZoomError: uncaught, it would surface as an "internal error"
        # after the operation was journaled as sent. Nothing has been sent at this point.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "body"
            raise ZoomRequestError(type(self).__name__, field, _reason(first)) from None

    def payload(self) -> dict[str, Any]:
        """The JSON to send: unset options left out, so Zoom keeps its current values."""
        return self.model_dump(mode="json", exclude_none=True)


class UserInfoFeature(Body):
    # An integer in the spec (JSON numbers carry big ints exactly; Python never rounds them)
    zoom_one_type: int | None = Field(default=None, ge=0)


class UserInfo(Body):
    email: str = Field(min_length=3, max_length=128)
    type: int
    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    feature: UserInfoFeature | None = None


class CreateUserBody(Body):
    action: Literal["create", "autoCreate", "custCreate", "ssoCreate"]
    user_info: UserInfo


class UpdateUserBody(Body):
    type: int | None = None
    first_name: str | None = Field(default=None, max_length=64)
    last_name: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=128)
    dept: str | None = None
    group_id: str | None = None  # Zoom honours it only for pending users
    job_title: str | None = None
    company: str | None = None
    location: str | None = None
    language: str | None = None
    timezone: str | None = None
    zoom_one_type: int | None = Field(default=None, ge=0)  # 0 turns the Workplace license off

    @model_validator(mode="after")
    def _not_empty(self) -> UpdateUserBody:
        if not self.payload():
            raise ValueError("an update needs at least one field")
        if self.type is not None and self.zoom_one_type is not None:
            # Zoom refuses the pair with code 300 (ZOOM_API.md §1.5): two PATCHes, never one.
            raise ValueError("type and zoom_one_type cannot be changed in the same PATCH")
        return self


class StatusBody(Body):
    action: Literal["activate", "deactivate"]


class SwitchAccountBody(Body):
    account_id: str = Field(min_length=1)


class FeatureChange(Body):
    large_meeting: bool | None = None
    large_meeting_capacity: Literal[500, 1000] | None = None
    webinar: bool | None = None
    webinar_capacity: int | None = None


class SettingsBody(Body):
    feature: FeatureChange

    @model_validator(mode="after")
    def _not_empty(self) -> SettingsBody:
        if not self.feature.payload():
            raise ValueError("a settings update needs at least one feature")
        return self


class UserRef(Body):
    """A user named by id or by email (Zoom takes either; the id wins if both are given)."""

    id: str | None = None
    email: str | None = None


class BulkFeaturesBody(Body):
    feature_type: str = Field(min_length=1)
    feature_value: str  # a string in Zoom's spec, even for numeric values ("2", "128")
    users: list[UserRef] = Field(min_length=1, max_length=30)


class GroupBody(Body):
    name: str = Field(min_length=1, max_length=128)


class GroupMembersBody(Body):
    members: list[UserRef] = Field(min_length=1, max_length=30)


class MoveMemberBody(Body):
    action: Literal["move", "set_primary"]
    target_group_id: str | None = None
