"""Errors of the engine. Each carries the exit code the CLI ends with.

ProvisionError (1)
├── InputError (2)            bad file, unknown school, bad policy, stale plan
├── NotConfiguredError (2)    no Zoom credentials and no --sandbox
├── NotInstalledError (2)     the command needs an optional extra that is not installed
├── UnsafePlanError (1)       a plan revokes more than the policy allows; --force
├── SeatLimitError (1)        Zoom's seat count makes the plan impossible
└── ApplyIncompleteError (1)  operations left unfinished; rerun apply to complete
"""

from __future__ import annotations

from typing import ClassVar


class ProvisionError(Exception):
    """Root of every error the engine raises on purpose."""

    exit_code: ClassVar[int] = 1


class InputError(ProvisionError):
    """The operator's input (file, option, plan, policy) is wrong; nothing was changed."""

    exit_code: ClassVar[int] = 2


class NotConfiguredError(ProvisionError):
    """No Zoom credentials are configured and the sandbox was not asked for."""

    exit_code: ClassVar[int] = 2


class NotInstalledError(ProvisionError):
    """The command needs an optional part of the package (an extra) that is not installed."""

    exit_code: ClassVar[int] = 2


class UnsafePlanError(ProvisionError):
    """The plan crosses a safety threshold of the policy; rerun with --force to accept."""


class SeatLimitError(ProvisionError):
    """The account's seats make the plan impossible (or Zoom's seat answer makes no sense)."""


class ApplyIncompleteError(ProvisionError):
    """Some operations did not finish; running the same apply again completes them."""
