"""Other writers of licenses (SAML mapping at login, Moodle's license recycling) in the sandbox:
a mixin of ``Sandbox``. See ``rules.OtherWriter`` for what one does."""

from __future__ import annotations

import threading
from dataclasses import asdict
from datetime import datetime
from typing import Any

from zoom_client.sandbox.clock import SandboxClock
from zoom_client.sandbox.rules import OtherWriter, WriterEvent, WriterQueue


class WritersMixin:
    """Needs ``_lock``, ``clock``, ``_writers``, ``_writer_queue`` and ``_accounts()``. The
    writers, their resets due and their log are kept in the state file (``Sandbox.save``), so a
    ``--sandbox`` CLI run or a served sandbox plays them across processes."""

    _lock: threading.RLock
    clock: SandboxClock
    _writers: list[OtherWriter]
    _writer_queue: WriterQueue

    def _accounts(self) -> list[Any]:
        raise NotImplementedError

    def add_other_writer(self, writer: OtherWriter) -> OtherWriter:
        """Switch on another writer (SAML mapping, Moodle recycling) that sets licenses back
        after our API changes; ``writer.enabled = False`` switches it off again."""
        with self._lock:
            self._writers.append(writer)
            return writer

    @property
    def writer_log(self) -> list[WriterEvent]:
        """Every reset another writer made: email, field, our value, theirs, when. Looking is like
        any helper's look at the account: the resets due by sandbox time are made first (a reset
        must not wait for our next request, which may never come)."""
        with self._lock:
            self._run_writers()
            return self._writer_queue.log

    def run_other_writers(self) -> int:
        """Apply the other writers' resets that are due by sandbox time; how many were made."""
        with self._lock:
            return self._run_writers()

    def _license_changed(self, user: dict[str, Any], name: str, new: Any) -> None:
        due = self.clock.monotonic()
        for writer in self._writers:
            if writer.field == name and new != writer.value and writer.watches(user["email"]):
                self._writer_queue.due.append((due + writer.delay, user["id"], writer))

    def _run_writers(self) -> int:
        queue = self._writer_queue
        if not queue.due:
            return 0
        now = self.clock.monotonic()
        ready = [entry for entry in queue.due if entry[0] <= now]
        queue.due = [entry for entry in queue.due if entry[0] > now]
        done = 0
        for _, uid, writer in ready:
            account = next((a for a in self._accounts() if uid in a.users_by_id), None)
            if account is None or not writer.enabled:
                continue
            user = account.users_by_id[uid]
            ours = user.get(writer.field)
            if ours == writer.value:
                continue
            account.force_license(user, writer.field, writer.value)
            queue.log.append(
                WriterEvent(self.clock.now(), user["email"], writer.field, ours, writer.value, writer.name)
            )
            done += 1
        return done

    def _writers_data(self) -> dict[str, Any]:
        """The writers, their resets still due (as seconds from now: the monotonic clock does not
        survive the process) and their log, for the state file."""
        now = self.clock.monotonic()
        index = {id(writer): n for n, writer in enumerate(self._writers)}
        return {
            "writers": [
                {**asdict(w), "emails": sorted(w.emails) if w.emails is not None else None}
                for w in self._writers
            ],
            "due": [
                [max(due - now, 0.0), uid, index[id(writer)]]
                for due, uid, writer in self._writer_queue.due
                if id(writer) in index
            ],
            "log": [{**asdict(event), "at": event.at.isoformat()} for event in self._writer_queue.log],
        }

    def _load_writers(self, data: dict[str, Any]) -> None:
        for item in data.get("writers", []):
            emails = item.get("emails")
            watched = set(emails) if emails is not None else None
            self._writers.append(OtherWriter(**{**item, "emails": watched}))
        now = self.clock.monotonic()
        self._writer_queue.due = [
            (now + float(left), str(uid), self._writers[int(n)]) for left, uid, n in data.get("due", [])
        ]
        self._writer_queue.log = [
            WriterEvent(**{**event, "at": datetime.fromisoformat(event["at"])})
            for event in data.get("log", [])
        ]
