"""The one exception the sandbox's state raises: a Zoom error answer (status, code, message)."""

from __future__ import annotations

from typing import Any


class ZoomFail(Exception):
    """Becomes the HTTP answer ``status`` with Zoom's body ``{"code": code, "message": message}``."""

    def __init__(self, status: int, code: int, message: str, *, errors: list[dict[str, Any]] | None = None):
        super().__init__(f"{status}/{code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


def user_missing(user_id: str) -> ZoomFail:
    return ZoomFail(404, 1001, f"User does not exist: {user_id}.")


def group_missing(group_id: str) -> ZoomFail:
    return ZoomFail(404, 4130, f"A group with this {group_id} does not exist.")


def invalid_field(field: str, message: str = "Invalid field.") -> ZoomFail:
    return ZoomFail(400, 300, "Validation Failed.", errors=[{"field": field, "message": message}])
