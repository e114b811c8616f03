"""What every resource shares: the requester, a path prefix (sub-accounts), path quoting, parsing."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from pydantic import BaseModel, ValidationError

from zoom_client.errors import ZoomResponseError
from zoom_client.http import Requester

M = TypeVar("M", bound=BaseModel)


def segment(value: str, what: str) -> str:
    """One path segment, checked and URL-encoded (emails keep their @; / and ? cannot break out)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string")
    return quote(value.strip(), safe="@.")


def parse(model: type[M], data: Any, method: str, path: str) -> M:
    """``data`` as ``model``, or ZoomResponseError naming the call and the first bad field."""
    try:
        return model.model_validate(data if data is not None else {})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise ZoomResponseError(
            f"{method} {path} answered a payload that is not a {model.__name__}: "
            f"{'.'.join(str(p) for p in first['loc']) or 'body'}: {first['msg']}"
        ) from None


class Resource:
    def __init__(self, requester: Requester, prefix: str = "") -> None:
        self._requester = requester
        self._prefix = prefix  # "" or "/accounts/{accountId}" for a sub-account
