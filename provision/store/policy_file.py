"""The policy file: read, parsed and checked into a Policy (provision.core.policy).

PROVISION_POLICY_FILE or PROVISION_POLICY (settings.policy_file) names it; every key has a
default, so an empty file is the default policy. An unknown key or a bad value is an InputError
naming the file and the key: a typo in a safety threshold must never silently fall back to a
default. Protected emails are normalized with the importers' rule, the one that made the roster's
emails, so that " Director@School.UA " protects the person the roster lists.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from importers.normalize import normalize_email
from provision.core.policy import Policy
from provision.errors import InputError

DEFAULT_POLICY_TOML = """\
# provision policy: every key is optional; these are the defaults.

# Roles that get a Zoom license, and the order in which a school's quota is filled
# (then by email, so the order is stable from one run to the next).
licensed_roles = ["admin", "teacher", "staff"]
role_priority = ["admin", "teacher", "staff", "student"]

# People who already hold a license keep it ahead of newcomers of a higher priority; false fills
# each quota strictly by priority (a new admin may then take a teacher's seat).
keep_holders = true

# What revoking a license does to someone who left: "downgrade" (to Basic, keeps the account
# and its recordings) or "deactivate". Users are never deleted.
revoke = "downgrade"

# Days after leaving the roster before the license is taken back.
grace_days = 14

# How new users are created: "create" (Zoom emails an invitation), "autoCreate", "custCreate",
# "ssoCreate" (depends on the account's plan and SSO).
create_action = "create"

# Add the user to the school's Zoom group (Institution.zoom_group_id) when it has one.
use_groups = true

# Never touched, only listed.
protected_emails = []
protect_owner = true    # the account owner (role_id 0)
protect_admins = true   # account admins (role_id 1)

# Reconcile: a license unused for this many days is reported for reclaim (0 = never).
inactive_days = 90
# Reconcile: an invitation pending for this many days is reported.
pending_days = 30

# Safety: a plan that takes back more licenses than this is refused unless --force.
max_revoke_count = 200           # whole account
max_revoke_share = 0.10          # of the account's managed licensed users
max_school_revoke_count = 25     # any one school
max_school_revoke_share = 0.30   # of that school's licensed users
# Shares are only judged above this many revocations (one departure in a school of three is 33%).
revoke_share_min_count = 5

# Large Meetings add-on per role: capacity 500 or 1000. Only licensed users get one.
[addons]
admin = 500
"""


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
                problems.append(f"unknown key {key!r}")
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
