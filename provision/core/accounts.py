"""Zoom accounts: which account a school's people live in, named by one plain string (the key).

A ministry's licenses can span a master account and its sub-accounts, or several accounts with
credentials of their own (issue 17). Everywhere (Institution.account, Operation.account, the
snapshots, Action.account, plan files) an account is a plain string key:

- ``""`` is the main account: the one ZOOM_ACCOUNT_ID and its credentials name;
- a Zoom account id is a sub-account of that master account, reached with the master's own
  credentials under ``/accounts/{accountId}/…`` (ZOOM_API.md §2.2); usable as it is;
- an alias is a name declared in the policy's ``[accounts.NAME]`` table, whose keys name the
  environment variables holding that account's credentials (never the secrets themselves).

A policy ``[accounts.KEY]`` table may also set that account's own caps and safety thresholds
(a sub-account id needs no table at all). Pure: no environment, no Zoom.
"""

from __future__ import annotations

import difflib
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAIN = ""  # the main account's key

# Zoom's account ids are opaque strings of letters, digits, "-" and "_" (the specs' examples run
# from 12 to 22 characters: "z8aaaaaaCfp8uQ", "lq8QK_AAAAAAAAA"); no format is documented, so
# anything of that alphabet from 8 characters on is taken as one.
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
# An alias: a short lower-case name, so it reads as a name in plans and never as an id by mistake.
_ALIAS = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def looks_like_account_id(text: str) -> bool:
    return _ACCOUNT_ID.fullmatch(text) is not None


def account_key(value: str | None) -> str:
    """The key stored for a cell or column value: trimmed, None and blanks the main account."""
    return (value or "").strip()


def describe(key: str) -> str:
    """How messages and reports name an account."""
    return "the main account" if key == MAIN else f"account {key}"


class AccountConfig(BaseModel):
    """One ``[accounts.KEY]`` table of the policy file.

    With ``account_id_env`` it declares an alias: an account with credentials of its own, read
    from the environment variables named here. Without, it only tunes an account the key names
    (a sub-account id, or ``main``): every key below is optional and falls back to the policy's.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    account_id_env: str | None = None
    client_id_env: str | None = None
    client_secret_env: str | None = None
    tier: Literal["business_plus", "pro"] | None = None  # its rate-limit tier (default: the main's)
    basic_cap: int | None = Field(default=None, ge=0)  # Basic users it may hold (Zoom: 9,999)
    daily_create_cap: int | None = Field(default=None, ge=0)  # POST /users create calls a day
    max_revoke_count: int | None = Field(default=None, ge=0)
    max_revoke_share: float | None = Field(default=None, ge=0, le=1)

    @model_validator(mode="after")
    def _credentials_together(self) -> AccountConfig:
        names = (self.account_id_env, self.client_id_env, self.client_secret_env)
        given = [name for name in names if name is not None]
        if given and len(given) != len(names):
            raise ValueError(
                "an account with its own credentials names all three environment variables: "
                "account_id_env, client_id_env, client_secret_env"
            )
        for name in given:
            if _ENV_NAME.fullmatch(name) is None:
                raise ValueError(f"{name!r} is not the name of an environment variable")
        return self

    @property
    def is_alias(self) -> bool:
        return self.account_id_env is not None


MAIN_TABLE = "main"  # `[accounts.main]` tunes the main account


def check_accounts(accounts: dict[str, AccountConfig]) -> None:
    """ValueError for a table whose key is neither an alias name nor an account id."""
    for key, config in accounts.items():
        if key == MAIN_TABLE:
            if config.is_alias:
                raise ValueError("[accounts.main] is the main account: its credentials are ZOOM_*")
        elif config.is_alias:
            if _ALIAS.fullmatch(key) is None:
                raise ValueError(
                    f"alias {key!r}: lower-case letters, digits, '-' and '_', starting with a letter"
                )
        elif not looks_like_account_id(key):
            raise ValueError(
                f"{key!r} is neither an alias (it names no account_id_env) nor a Zoom account id"
            )


def config_for(accounts: dict[str, AccountConfig], key: str) -> AccountConfig:
    """The policy's table for account `key` (an empty one when it has none)."""
    return accounts.get(MAIN_TABLE if key == MAIN else key) or AccountConfig()


def key_problem(value: str, aliases: frozenset[str] | set[str]) -> str | None:
    """Why a schools file's `account` cell cannot be used, or None when it can.

    Declared aliases first; then anything shaped like a Zoom account id is a sub-account id.
    A value close to a declared alias is a typo of it, even when shaped like an id.
    """
    if value == MAIN or value in aliases:
        return None
    close = difflib.get_close_matches(value, sorted(aliases), n=1, cutoff=0.75)
    if close:
        return f"no account alias {value!r} is declared (did you mean {close[0]!r}?)"
    if looks_like_account_id(value):
        return None
    declared = f" (declared: {', '.join(sorted(aliases))})" if aliases else " (none is declared)"
    return (
        f"{value!r} is neither an account alias of the policy's accounts table{declared} "
        "nor a Zoom account id (letters, digits, '-' and '_', at least 8)"
    )
