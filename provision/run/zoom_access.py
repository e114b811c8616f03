"""Where the engine gets its Zoom clients: the real account, or the in-process sandbox; and,
for a ministry of many accounts, the client of each account by its key (`ZoomAccounts.client_for`).

The sandbox keeps its state in a JSON file between commands, so that `provision --sandbox sync`,
`plan` and `apply` all see the same simulated account.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from pydantic import SecretStr

from provision.core.accounts import MAIN, AccountConfig, account_key
from provision.errors import NotConfiguredError
from provision.settings import AppSettings
from zoom_client import AsyncZoomClient, ZoomSettings
from zoom_client.settings import credentials_in_env

# A small education account: enough for demos and CLI runs without any setup.
DEFAULT_SANDBOX_SEATS = 1000
DEFAULT_SANDBOX_LARGE_MEETING = {500: 20, 1000: 0}


def default_sandbox() -> Any:
    from zoom_client.sandbox import Sandbox, SandboxConfig

    return Sandbox(
        SandboxConfig(seats=DEFAULT_SANDBOX_SEATS, large_meeting_seats=dict(DEFAULT_SANDBOX_LARGE_MEETING))
    )


@asynccontextmanager
async def open_zoom(settings: AppSettings) -> AsyncIterator[AsyncZoomClient]:
    """An open AsyncZoomClient for the configured account (sandbox state saved back on exit)."""
    if settings.sandbox:
        from zoom_client.sandbox import Sandbox

        path = settings.sandbox_state
        sandbox = Sandbox.load(path) if path.exists() else default_sandbox()
        try:
            async with AsyncZoomClient(sandbox.settings(), transport=sandbox.async_transport()) as client:
                yield client
        finally:
            # Saved even after a failure: what the sandbox did is what Zoom would have done.
            sandbox.save(path)
        return
    if not credentials_in_env():
        raise NotConfiguredError(
            "no Zoom credentials: set ZOOM_ACCOUNT_ID, ZOOM_CLIENT_ID, ZOOM_CLIENT_SECRET or use --sandbox"
        )
    # Partly configured: from_env names the missing variables (ZoomConfigError, exit 2).
    async with AsyncZoomClient(ZoomSettings.from_env()) as client:
        yield client


OpenAlias = Callable[[str, ZoomSettings], AsyncZoomClient]


class ZoomAccounts:
    """The Zoom client of every account a command works on, by account key (a plain string,
    provision.core.accounts): one client, hence one rate limiter, per account.

    - ``""``: the main client (ZOOM_* credentials, or the sandbox);
    - a declared alias: a client of its own, its credentials read from the environment variables
      the policy's ``[accounts.ALIAS]`` names (opened on first use, closed with this object);
    - anything else: a sub-account id of the main (master) account, ``main.sub_account(id)``.
    """

    def __init__(
        self,
        main: AsyncZoomClient,
        accounts: Mapping[str, AccountConfig] | None = None,
        *,
        environ: Mapping[str, str] | None = None,
        open_alias: OpenAlias | None = None,
        sandbox: bool = False,
    ) -> None:
        self.main = main
        # The in-process sandbox is one master account: it plays each alias as its sub-account of
        # that name (`provision sandbox serve --sub-account kyiv=50`), credentials unread.
        self._sandbox = sandbox
        self._config = dict(accounts or {})
        self._environ = environ
        self._open_alias = open_alias or _open_alias
        self._aliases: dict[str, AsyncZoomClient] = {}

    def client_for(self, account: str) -> AsyncZoomClient:
        """The client that reaches account `account` (the same object every time)."""
        key = account_key(account)
        if key == MAIN:
            return self.main
        config = self._config.get(key)
        if config is not None and config.is_alias and not self._sandbox:
            client = self._aliases.get(key)
            if client is None:
                client = self._aliases[key] = self._open_alias(
                    key, alias_settings(key, config, self.main.settings, self._environ)
                )
            return client
        return self.main.sub_account(key)

    async def aclose(self) -> None:
        clients, self._aliases = list(self._aliases.values()), {}
        for client in clients:
            await client.aclose()

    async def __aenter__(self) -> ZoomAccounts:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def alias_settings(
    alias: str, config: AccountConfig, main: ZoomSettings, environ: Mapping[str, str] | None = None
) -> ZoomSettings:
    """The settings of an alias account: its credentials from the variables the policy names,
    everything else (URLs, retries, timeout; the tier unless the alias sets one) as the main's.

    NotConfiguredError names the variables that are not set, never a value.
    """
    env = os.environ if environ is None else environ
    names = {
        "account_id": config.account_id_env,
        "client_id": config.client_id_env,
        "client_secret": config.client_secret_env,
    }
    values = {field: env.get(name, "").strip() if name else "" for field, name in names.items()}
    missing = [str(names[field]) for field, value in values.items() if not value]
    if missing:
        raise NotConfiguredError(
            f"account {alias}: set {', '.join(missing)} (the policy's [accounts.{alias}] names them)"
        )
    return main.model_copy(
        update={
            "account_id": values["account_id"],
            "client_id": values["client_id"],
            "client_secret": SecretStr(values["client_secret"]),
            "auth": "s2s",
            "tier": config.tier or main.tier,
        }
    )


def _open_alias(alias: str, settings: ZoomSettings) -> AsyncZoomClient:
    return AsyncZoomClient(settings)


@asynccontextmanager
async def open_accounts(
    settings: AppSettings, accounts: Mapping[str, AccountConfig] | None = None
) -> AsyncIterator[ZoomAccounts]:
    """`open_zoom`, with every account of the policy reachable through `client_for(key)`."""
    async with open_zoom(settings) as main, ZoomAccounts(main, accounts, sandbox=settings.sandbox) as zoom:
        yield zoom
