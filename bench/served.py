"""A Zoom sandbox served by uvicorn in a process of its own, for the benchmarks that measure the
client against a real socket (bench/apply, bench/accounts).

The server script (each benchmark's own: which accounts, users and faults it holds) gets `cfg` as
JSON in argv[1] with `port` and `ids_file` added, writes the ids of the users it made to
`ids_file`, prints one JSON line of its credentials and URLs, then serves on `port`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from zoom_client import ZoomSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def loopback(url: str, port: int) -> str:
    """The sandbox's in-process URL moved onto the served port (path kept)."""
    parts = urlsplit(url)
    return urlunsplit(("http", f"127.0.0.1:{port}", parts.path, parts.query, ""))


class ServedSandbox:
    """The server script running; `settings` reach it, `ids()` are the users it made."""

    def __init__(
        self,
        script: str,
        cfg: dict[str, Any],
        *,
        timeout: float,
        rate_share: float = 1.0,
        start_within: float = 30.0,
    ) -> None:
        self.port = free_port()
        self.ids_file = Path(tempfile.mkstemp(suffix=".json")[1])
        self.stop_within = timeout
        config = {**cfg, "port": self.port, "ids_file": str(self.ids_file)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", script, json.dumps(config)], stdout=subprocess.PIPE, text=True
        )
        assert self.proc.stdout is not None
        info = json.loads(self.proc.stdout.readline())
        self.settings = ZoomSettings(
            account_id=info["account_id"],
            client_id=info["client_id"],
            client_secret=info["client_secret"],
            api_url=loopback(info["api_url"], self.port),
            oauth_url=loopback(info["oauth_url"], self.port),
            tier="business_plus",
            rate_share=rate_share,
            timeout=timeout,
        )
        deadline = time.monotonic() + start_within
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)

    def ids(self) -> Any:
        return json.loads(self.ids_file.read_text())

    def env(self) -> dict[str, str]:
        """The environment a `provision` process needs to reach this sandbox."""
        s = self.settings
        return {
            "ZOOM_ACCOUNT_ID": s.account_id,
            "ZOOM_CLIENT_ID": s.client_id,
            "ZOOM_CLIENT_SECRET": s.client_secret.get_secret_value(),
            "ZOOM_API_URL": s.api_url,
            "ZOOM_OAUTH_URL": s.oauth_url,
            "ZOOM_RATE_TIER": "business_plus",
            # The share this bench paces to, as the in-process client does: without it a worker
            # process took the default 0.5 and drove its accounts at half their ceiling.
            "ZOOM_RATE_SHARE": str(s.rate_share),
        }

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=self.stop_within)
        self.ids_file.unlink(missing_ok=True)
