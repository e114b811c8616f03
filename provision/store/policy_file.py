"""The policy file: read, parsed and checked into a Policy (provision.core.policy).

PROVISION_POLICY_FILE or PROVISION_POLICY (settings.policy_file) names it; every key has a
default, so an empty file is the default policy. An unknown key or a bad value is an InputError
naming the file and the key: a typo in a safety threshold must never silently fall back to a
default. Protected emails are normalized with the importers' rule, the one that made the roster's
emails, so that " Director@School.UA " protects the person the roster lists.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path

from pydantic import ValidationError

from importers.normalize import normalize_email
from provision.core.policy import DEFAULT_POLICY_TOML, Policy
from provision.errors import InputError


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(top level)"


def parse_policy(text: str, *, source: str = "policy") -> Policy:
    """Parse TOML text into a Policy; errors name `source` and the key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{source}: not valid TOML: {exc}") from exc
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            key = _where(error["loc"])
            if error["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(error["loc"][-1]), list(Policy.model_fields), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(f"unknown key {key!r}{hint}")
            else:
                message = error["msg"].removeprefix("Value error, ")
                problems.append(f"key {key!r}: {message}")
        raise InputError(f"{source}: " + "; ".join(problems)) from None
    protected = sorted({normalize_email(email) for email in policy.protected_emails} - {""})
    return policy.model_copy(update={"protected_emails": protected})


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy in `path`, or the default policy when no file is given."""
    if path is None:
        return parse_policy(DEFAULT_POLICY_TOML, source="default policy")
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{file}: policy file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{file}: cannot read the policy file: {exc}") from exc
    return parse_policy(text, source=str(file))
