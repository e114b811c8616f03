"""Reading back `sent` operations whose answer never came, in as few round trips as Zoom allows.

A worker that takes over a dead one's account finds up to 2 × concurrency bulk calls' users
`sent` (marked while they waited for a slot, or in flight when it died), and so does a rerun
after a kill. Reading each back is one GET per user (`concurrency` at a time). The kinds whose
target GET /users shows (a license's `type`: executors.verify_listed) can instead be read from
the account's list, LIST_PAGE users a page, one page per round trip. The list is read only while
its pages are fewer round trips than the GETs they replace, so a handful of `sent` users still
costs a handful of GETs (at most one page more); whoever the pages read do not show (pending or
inactive users, pages left unread) is read one by one as before. The list settles only what it
shows done: whether it can lag behind a write just made is undocumented, and a lagging list would
show that write not done, so those are read one by one too before anything is sent again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from math import ceil

from provision.run.executors import Done, listable, verify_listed
from provision.store.journal import OpRecord
from zoom_client import AsyncZoomClient

# GET /users page_size: the 2025 spec's maximum. A Zoom that answers fewer a page (older specs
# said 300) only makes the list dearer, which the round-trip count then sees.
LIST_PAGE = 2000


@dataclass
class Listed:
    """What the account's list settled: done (with what Zoom holds); and what each user's own GET
    must read (not shown done: the list may lag behind a write; not shown; pages not read)."""

    done: list[tuple[OpRecord, Done]] = field(default_factory=list)
    unread: list[OpRecord] = field(default_factory=list)


async def read_listed(client: AsyncZoomClient, ops: Sequence[OpRecord], concurrency: int) -> Listed:
    """Settle what the account's user list can, while that is fewer round trips; ZoomError as the
    list raises it (the caller reads everything one by one then, or stops)."""
    wanted = {op.action.zoom_id: op for op in ops if op.action.zoom_id and listable(op.action)}
    found = Listed(unread=[op for op in ops if op.action.zoom_id not in wanted])
    if ceil(len(wanted) / max(1, concurrency)) <= 2:  # two rounds of GETs: no list can beat that
        found.unread.extend(wanted.values())
        return found
    pages = client.users.list(page_size=LIST_PAGE).iter_pages()
    read = 0
    try:
        async for page in pages:
            read += 1
            for user in page.items:
                op = wanted.pop(user.id or "", None)
                if op is None:
                    continue
                done = verify_listed(op.action, user)
                if done is None:
                    found.unread.append(op)
                else:
                    found.done.append((op, done))
            if not wanted or page.next_page_token is None:
                break
            per_page = page.page_size or len(page.items) or 1
            pages_left = ceil((page.total_records or 0) / per_page) - read
            if pages_left >= ceil(len(wanted) / max(1, concurrency)):
                break  # the rest one by one: as few round trips
    finally:
        await pages.aclose()
    found.unread.extend(wanted.values())
    return found
