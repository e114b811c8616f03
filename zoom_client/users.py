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
    SwitchAccountBody,
    UpdateUserBody,
    UserInfo,
    UserInfoFeature,
    UserRef,
)
from zoom_client._resource import Resource, parse, segment
from zoom_client.errors import BadRequestError, ConflictError, NotFoundError
from zoom_client.models import (
    BULK_USER_TYPES,
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
        zoom_one_type: int | None = None,
    ) -> User:
        """Create (or invite, with ``action=create``) a user (POST /users, Light).

        ``zoom_one_type`` gives a Zoom Workplace / Zoom One license at creation
        (``user_info.feature.zoom_one_type``). Refusals that concern the person or the account's
        setup (1116, 1107, 2002, 2032, 1009, 200) answer ``is_create_refused()`` with a
        ``refusal_reason()``; the Basic-user cap answers ``is_basic_cap_reached()``.

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
                feature=UserInfoFeature(zoom_one_type=int(zoom_one_type))
                if zoom_one_type is not None
                else None,
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
        zoom_one_type: int | None = None,
    ) -> None:
        """Change type and/or profile fields (PATCH /users/{userId}, 204). Unset fields stay.

        ``type`` and ``zoom_one_type`` cannot go in one PATCH (Zoom: code 300; ValueError here).
        On a *pending* user Zoom answers 204 to a type change and changes nothing: re-read."""
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
            zoom_one_type=int(zoom_one_type) if zoom_one_type is not None else None,
        )
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}"
        await self._requester.request("PATCH", path, json_body=body.payload())

    async def set_type(self, user_id: str, type: UserType | int) -> None:
        """PATCH {"type": n}: 2 licenses, 1 returns the seat, 4 = "Unassigned without Meetings
        Basic" (outside the Basic cap). Refusals: ``is_seat_exhausted()`` (no licensed seat),
        ``is_basic_cap_reached()`` (2033/3412: permanent)."""
        await self.update(user_id, type=type)

    async def set_zoom_one_type(self, user_id: str, value: int) -> None:
        """PATCH {"zoom_one_type": V}: give a Zoom Workplace / Zoom One license, 0 takes it back.
        The one-user fallback of :meth:`bulk_zoom_one_type`."""
        await self.update(user_id, zoom_one_type=value)

    async def activate(self, user_id: str) -> None:
        await self._status(user_id, "activate")

    async def deactivate(self, user_id: str) -> None:
        """Deactivation also takes every license the user holds (Zoom's rule)."""
        await self._status(user_id, "deactivate")

    async def _status(self, user_id: str, action: str) -> None:
        path = f"{self._prefix}/users/{segment(user_id, 'user id')}/status"
        await self._requester.request("PUT", path, json_body=StatusBody(action=action).payload())

    async def switch_account(self, user_id: str, account_id: str) -> None:
        """Move the user to another account of the same master account (204): PUT
        /accounts/{accountId}/users/{userId}/account, ``accountId`` the account the user is in
        now (``me`` for the master). Documented from the master to a sub-account and between
        sub-accounts; refused for admins and the owner (400/1117). Scope ``user:master``."""
        path = f"{self._prefix or '/accounts/me'}/users/{segment(user_id, 'user id')}/account"
        await self._requester.request(
            "PUT", path, json_body=SwitchAccountBody(account_id=account_id).payload()
        )

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
                large_meeting_capacity=large_meeting_capacity,
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

    async def _bulk_all(
        self, feature_type: str, value: int | str, user_ids: Sequence[str], emails: Sequence[str]
    ) -> BulkFeatureResult:
        if isinstance(user_ids, str) or isinstance(emails, str):
            raise TypeError("user_ids and emails are sequences of strings, not one string")
        refs = [("id", u) for u in user_ids] + [("email", e) for e in emails]
        if not refs:
            raise ValueError(f"{feature_type}: needs at least one user id or email")
        result = BulkFeatureResult()
        for start in range(0, len(refs), BULK_MAX):
            chunk = refs[start : start + BULK_MAX]
            part = await self.bulk_features(
                feature_type=feature_type,
                feature_value=value,
                user_ids=[v for k, v in chunk if k == "id"],
                emails=[v for k, v in chunk if k == "email"],
            )
            result = result.merge(part)
        return result

    async def bulk_zoom_one_type(
        self, value: int, *, user_ids: Sequence[str] = (), emails: Sequence[str] = ()
    ) -> BulkFeatureResult:
        """Give (``value``) or take back (0) a Zoom Workplace / Zoom One license, any number of
        users in calls of 30 (POST /users/features ``feature_type=zoom_one_type``; the value goes
        as a string, exact above 2**53). Per-user failures in ``fail_details`` / ``failures()``."""
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"zoom_one_type must be a non-negative int, got {value!r}")
        return await self._bulk_all("zoom_one_type", str(int(value)), user_ids, emails)

    async def bulk_large_meeting(
        self, capacity: int, *, user_ids: Sequence[str] = (), emails: Sequence[str] = ()
    ) -> BulkFeatureResult:
        """The Large Meeting add-on for any number of users, in calls of 30 (POST /users/features
        ``feature_type=large_meeting``): capacity 500 or 1000 (also 100/200/300), 0 = off."""
        if capacity not in LARGE_MEETING_VALUES:
            raise ValueError(f"large meeting capacity must be one of {sorted(LARGE_MEETING_VALUES)}")
        return await self._bulk_all("large_meeting", LARGE_MEETING_VALUES[capacity], user_ids, emails)

    async def bulk_user_type(
        self, type: UserType | int, *, user_ids: Sequence[str] = (), emails: Sequence[str] = ()
    ) -> BulkFeatureResult:
        """``type`` 1, 2 or 99 for any number of users, in calls of 30. Type 4 is not taken by
        the bulk endpoint (ValueError): PATCH each user with :meth:`set_type`."""
        if type not in BULK_USER_TYPES:
            raise ValueError("POST /users/features takes user_type 1, 2 or 99 only; use set_type for 4")
        return await self._bulk_all("user_type", int(type), user_ids, emails)

    async def summary(self) -> UsersSummary:
        path = f"{self._prefix}/users/summary"
        return parse(UsersSummary, await self._requester.json("GET", path), "GET", path)
