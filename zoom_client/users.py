"""Users: list, get, create, update type and profile, status, remove, settings add-ons, bulk features."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from zoom_client._bodies import (
    BulkFeaturesBody,
    CreateUserBody,
    FeatureChange,
    SettingsBody,
    StatusBody,
    UpdateUserBody,
    UserInfo,
    UserRef,
)
from zoom_client._resource import Resource, parse, segment
from zoom_client.errors import BadRequestError, ConflictError, NotFoundError
from zoom_client.models import (
    BulkFeatureResult,
    CreateAction,
    User,
    UserSettings,
    UsersSummary,
    UserStatus,
    UserType,
)
from zoom_client.paginate import AsyncPaginator

log = logging.getLogger(__name__)

BULK_MAX = 30  # POST /users/features takes at most 30 users a call
#: POST /users/features large_meeting values by capacity (0 = off); 2025 Users spec
LARGE_MEETING_VALUES: dict[int, int] = {0: 0, 100: 1, 200: 32, 300: 64, 500: 128, 1000: 256}


class Users(Resource):
    """``client.users`` (or ``client.sub_account(id).users``)."""

    def list(
        self,
        *,
        status: UserStatus | str = UserStatus.ACTIVE,
        page_size: int = 300,
        role_id: str | None = None,
    ) -> AsyncPaginator[User]:
        """Every user of one status, all pages (GET /users, Medium). Pending users have no id."""
        if not 1 <= page_size <= 2000:
            raise ValueError("page_size must be between 1 and 2000")
        return AsyncPaginator(
            self._requester,
            f"{self._prefix}/users",
            key="users",
            model=User,
            params={"status": str(UserStatus(status)), "page_size": page_size, "role_id": role_id},
        )

    async def get(self, user_id_or_email: str) -> User:
        """One user by id or email (GET /users/{userId}). NotFoundError (1001) if there is none."""
        path = f"{self._prefix}/users/{segment(user_id_or_email, 'user id')}"
        return parse(User, await self._requester.json("GET", path), "GET", path)

    async def create(
        self,
        *,
        email: str,
        type: UserType | int = UserType.LICENSED,
        action: CreateAction | str = CreateAction.CREATE,
        first_name: str | None = None,
        last_name: str | None = None,
        display_name: str | None = None,
    ) -> User:
        """Create (or invite, with ``action=create``) a user (POST /users, Light).

        Zoom takes no idempotency key, so a create is never blindly repeated: when an attempt
        may have reached Zoom (timeout, dropped connection, 5xx) the POST is retried and a 409
        (code 1005, email taken) on the retry means our first attempt worked: the user is read
        back with GET /users/{email} and returned. A 409 on the first attempt is someone else's
        user and raises ConflictError (``is_email_taken()``). Likewise a 400 (e.g. seats exhausted)
        after an ambiguous attempt returns the user if it exists by then.
        """
        body = CreateUserBody(
            action=CreateAction(action).value,
            user_info=UserInfo(
                email=email,
                type=int(type),
                first_name=first_name,
                last_name=last_name,
                display_name=display_name,
            ),
        )
        path = f"{self._prefix}/users"
        try:
            data = await self._requester.json("POST", path, json_body=body.payload())
        except ConflictError as err:
            if not (err.after_ambiguous and err.is_email_taken()):
                raise
            log.info("create of a user answered 409 after a lost answer; reading the user back")
            return await self.get(email)
        except BadRequestError as err:
            # The lost first attempt may have taken the last seat, so the retry is refused
            # (2034/3412) although the user exists: look before reporting a failure.
            if not err.after_ambiguous:
                raise
            try:
                return await self.get(email)
            except NotFoundError:
                raise err from None
        return parse(User, data, "POST", path)

    async def update(
        self,
        user_id: str,
        *,
        type: UserType | int | None = None,
        first_name: str | None = None,
        last_name: str | None = None,
        display_name: str | None = None,
        dept: str | None = None,
        group_id: str | None = None,
        job_title: str | None = None,
        company: str | None = None,
        location: str | None = None,
        language: str | None = None,
        timezone: str | None = None,
    ) -> None:
        """Change type and/or profile fields (PATCH /users/{userId}, 204). Unset fields stay."""
        body = UpdateUserBody(
            type=int(type) if type is not None else None,
            first_name=first_name,
            last_name=last_name,
            display_name=display_name,
            dept=dept,
            group_id=group_id,
            job_title=job_title,
            company=company,
            location=location,
            language=language,
            timezone=timezone,
        )
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}"
        await self._requester.request("PATCH", path, json_body=body.payload())

    async def set_type(self, user_id: str, type: UserType | int) -> None:
        """PATCH {"type": n}: 2 licenses, 1 returns the seat. Seat codes: ``is_seat_exhausted()``."""
        await self.update(user_id, type=type)

    async def activate(self, user_id: str) -> None:
        await self._status(user_id, "activate")

    async def deactivate(self, user_id: str) -> None:
        """Deactivation also takes every license the user holds (Zoom's rule)."""
        await self._status(user_id, "deactivate")

    async def _status(self, user_id: str, action: str) -> None:
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}/status"
        await self._requester.request("PUT", path, json_body=StatusBody(action=action).payload())  # type: ignore[arg-type]

    async def disassociate(self, user_id: str) -> None:
        """Unlink the user from the account; they keep a free personal Zoom account (204)."""
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}"
        await self._requester.request("DELETE", path, params={"action": "disassociate"})

    async def delete(self, user_id: str, *, permanently: bool = False) -> None:
        """Delete a user for good. Refused (ValueError) unless ``permanently=True``: nothing in
        this tool deletes Zoom users by default; use :meth:`disassociate` or a downgrade."""
        if permanently is not True:
            raise ValueError("users.delete() deletes a Zoom user for good; pass permanently=True")
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}"
        await self._requester.request("DELETE", path, params={"action": "delete"})

    async def get_settings(self, user_id: str) -> UserSettings:
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}/settings"
        return parse(UserSettings, await self._requester.json("GET", path), "GET", path)

    async def update_features(
        self,
        user_id: str,
        *,
        large_meeting: bool | None = None,
        large_meeting_capacity: int | None = None,
        webinar: bool | None = None,
        webinar_capacity: int | None = None,
    ) -> None:
        """Add-ons (PATCH /users/{userId}/settings {"feature": …}). Code 1108: needs Licensed;
        code 200: add-on seats exhausted (``is_addon_seats_exhausted()``)."""
        body = SettingsBody(
            feature=FeatureChange(
                large_meeting=large_meeting,
                large_meeting_capacity=large_meeting_capacity,  # type: ignore[arg-type]
                webinar=webinar,
                webinar_capacity=webinar_capacity,
            )
        )
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}/settings"
        await self._requester.request("PATCH", path, json_body=body.payload())

    async def bulk_features(
        self,
        *,
        feature_type: str,
        feature_value: int | str,
        user_ids: Sequence[str] = (),
        emails: Sequence[str] = (),
    ) -> BulkFeatureResult:
        """POST /users/features for at most 30 users; per-user failures come back in
        ``fail_details`` (e.g. "Not enough seats"), they are not raised."""
        if isinstance(user_ids, str) or isinstance(emails, str):
            raise TypeError("user_ids and emails are sequences of strings, not one string")
        refs = [UserRef(id=u) for u in user_ids] + [UserRef(email=e) for e in emails]
        if not refs:
            raise ValueError("bulk_features needs at least one user id or email")
        if len(refs) > BULK_MAX:
            raise ValueError(f"bulk_features takes at most {BULK_MAX} users a call, got {len(refs)}")
        body = BulkFeaturesBody(feature_type=feature_type, feature_value=str(feature_value), users=refs)
        path = f"{self._prefix}/users/features"
        return parse(
            BulkFeatureResult,
            await self._requester.json("POST", path, json_body=body.payload()),
            "POST",
            path,
        )

    async def summary(self) -> UsersSummary:
        path = f"{self._prefix}/users/summary"
        return parse(UsersSummary, await self._requester.json("GET", path), "GET", path)
