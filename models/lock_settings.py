"""What the CLI sets once per command for models.locks: how long to wait for a held lock, and
who we are (named to whoever must wait for us).

Apart from models.locks so that setting them loads no SQLAlchemy: a question on the phone
takes no lock.
"""

from __future__ import annotations

from contextvars import ContextVar

lock_wait: ContextVar[float] = ContextVar("lock_wait", default=0.0)
lock_owner: ContextVar[str] = ContextVar("lock_owner", default="")
