"""Walk Zoom's ``next_page_token`` pages: iterate items with ``async for``, or whole pages.

The same query (status, page_size, role_id…) is sent on every page, as Zoom requires; the walk
stops when the token comes back empty. A token Zoom repeats would loop forever, so it is an error.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from zoom_client.errors import ZoomResponseError
from zoom_client.http import Params, Requester
from zoom_client.models import Page

T = TypeVar("T", bound=BaseModel)


class AsyncPaginator(Generic[T]):
    """``async for item in paginator`` (every item of every page) or ``paginator.iter_pages()``."""

    def __init__(self, requester: Requester, path: str, *, key: str, model: type[T], params: Params) -> None:
        self._requester = requester
        self.path = path
        self.key = key
        self.model = model
        self.params: dict[str, Any] = {k: v for k, v in params.items() if v is not None}

    async def iter_pages(self) -> AsyncGenerator[Page[T], None]:
        token: str | None = None
        seen: set[str] = set()
        while True:
            query = dict(self.params)
            if token:
                query["next_page_token"] = token
            data = await self._requester.json("GET", self.path, params=query)
            page = self._page(data)
            yield page
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                raise ZoomResponseError(f"GET {self.path} repeated next_page_token; stopping the walk")
            seen.add(token)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item

    async def to_list(self) -> list[T]:
        """Every item of every page (convenience for small lists: groups, sub-accounts)."""
        return [item async for item in self]

    def _page(self, data: Any) -> Page[T]:
        if not isinstance(data, dict):
            raise ZoomResponseError(f"GET {self.path} answered a page that is not a JSON object")
        try:
            items = [self.model.model_validate(raw) for raw in data.get(self.key) or []]
        except ValidationError as exc:
            raise ZoomResponseError(
                f"GET {self.path}: an item of '{self.key}' does not match {self.model.__name__}: "
                f"{exc.error_count()} error(s), first at {exc.errors()[0]['loc']}"
            ) from None
        return Page[self.model](  # type: ignore[name-defined]
            items=items,
            next_page_token=data.get("next_page_token") or None,
            total_records=data.get("total_records"),
            page_size=data.get("page_size"),
        )

    def __repr__(self) -> str:
        return f"AsyncPaginator(GET {self.path}, {self.params})"


class Paginator(Generic[T]):
    """The sync face of an AsyncPaginator: each step runs on the client's private event loop."""

    def __init__(self, inner: AsyncPaginator[T], run: Callable[[Coroutine[Any, Any, Any]], Any]) -> None:
        self._inner = inner
        self._run = run

    def iter_pages(self) -> Iterator[Page[T]]:
        agen = self._inner.iter_pages()
        try:
            while True:
                try:
                    yield self._run(agen.__anext__())
                except StopAsyncIteration:
                    return
        finally:
            self._run(agen.aclose())

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items

    def to_list(self) -> list[T]:
        return list(self)

    def __repr__(self) -> str:
        return f"Paginator(GET {self._inner.path}, {self._inner.params})"
