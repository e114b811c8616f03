"""The policy: who should hold a license, what revoking does, and when a plan is too dangerous.

Read from a TOML file by provision.store.policy_file; every key has a default, so an empty file is
the default policy (DEFAULT_POLICY_TOML spells them out, with what each key means).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from provision.core.accounts import MAIN_TABLE, AccountConfig, check_accounts, config_for
from provision.core.product import MEETINGS, parse_license, zoom_one_value

ROLES = ("admin", "teacher", "staff", "student")
ADDON_CAPACITIES = (500, 1000)

DEFAULT_POLICY_TOML = """\
# provision policy: every key is optional; these are the defaults.

# The product the tool hands out: "meetings" (Zoom Meetings: type 2, seats from plan_base) or a
# Zoom One / Workplace for Education bundle, given and taken back through zoom_one_type, its seats
# from its own plan-usage pool: "school_campus", "school_campus_plus_us_ca" (_jp, _uk_ie, _au_nz,
# _global_select), "enterprise_essentials", "enterprise_plus", "enterprise_premier_us_ca" (...),
# "enterprise_student", or the zoom_one_type integer itself.
license = "meetings"

# Roles that get a Zoom license, and their priority (with allocation = "priority", the order in
# which quotas and seats are filled; otherwise it only breaks ties in a roster's own order).
licensed_roles = ["admin", "teacher", "staff"]
role_priority = ["admin", "teacher", "staff", "student"]

# When the quotas of the schools with demand add up to more seats than the account can give:
# "proportional" gives each school seats in proportion to its quota (largest remainder; every
# school with demand gets one seat while seats last) and serves each school in its roster's
# order (its priority column, else its rows' order); "priority" serves the whole account by
# role priority first, then the rosters' order.
allocation = "proportional"

# People who already hold a license keep it ahead of newcomers of a higher priority; false fills
# each quota strictly by priority (a new admin may then take a teacher's seat).
keep_holders = true

# What revoking a license does to someone who left: "downgrade" (to Basic, keeps the account
# and its recordings), "unassign" (to Unassigned: keeps the account, hosts no meetings, and does
# not count against the account's 9,999 Basic users) or "deactivate". Users are never deleted.
revoke = "downgrade"

# The account's Basic-user cap (Zoom: 9,999 Basic users). A plan never passes it: a license
# taken back that would is unassigned instead, and a Basic account that would is not created.
basic_cap = 9999

# Someone on a roster waiting for a seat: "none" (no Zoom account until a seat is theirs),
# "basic" (a Basic account now, within basic_cap) or "unassigned" (type 4, outside the cap).
create_waiting = "none"

# A managed user whose license someone else sets back after two of our changes in a row (SAML
# mapping at each login, Moodle's license recycling) is "contested", and always reported by plan
# and reconcile: "report" leaves them alone (nothing is sent for them, their seat goes to the
# line), "enforce" keeps setting our value at every apply.
contested = "report"

# Days after leaving the roster before the license is taken back.
grace_days = 14

# Days a change Zoom refused for good (a cap, a refused domain, a name Zoom rejects) is held
# back from new plans; the person waits with the reason. A corrected roster row, or
# `provision apply --retry-blocked`, tries again at once.
retry_blocked_days = 7

# How new users are created: "create" (Zoom emails an invitation), "autoCreate", "custCreate",
# "ssoCreate" (depends on the account's plan and SSO).
create_action = "create"

# Add the user to the school's Zoom group (Institution.zoom_group_id) when it has one.
use_groups = true

# Never touched, only listed.
protected_emails = []
protect_owner = true    # the account owner (role_id 0)
protect_admins = true   # account admins (role_id 1) and custom roles (any role but member, 2)

# Reconcile: a license unused for this many days is reported for reclaim (0 = never).
inactive_days = 90
# Reconcile: an invitation pending for this many days is reported.
pending_days = 30
# Zoom drops an invitation nobody accepted after 30 days. Days after sync finds one expired
# before it is sent once more (time for the school to correct an address that reached nobody);
# if that one expires too, it is not sent again automatically (reconcile lists both).
reinvite_after_days = 7

# Safety: a plan that takes back more licenses than this is refused unless --force.
max_revoke_count = 200           # whole account
max_revoke_share = 0.10          # of the account's managed licensed users
max_school_revoke_count = 25     # any one school
max_school_revoke_share = 0.30   # of that school's licensed users
# Shares are only judged above this many revocations (one departure in a school of three is 33%).
revoke_share_min_count = 5

# Roster packages (OneRoster/SDS): a user with no email whose username is an address gets that
# address (said in the import summary); false rejects them as "missing email".
email_from_username = false

# Large Meetings add-on per role: capacity 500 or 1000. Only licensed users get one.
[addons]
admin = 500

# Role words of your rosters beyond the built-in ones (uk, ru, ar, fr, en), or overriding them:
# a whole cell or its main word, e.g. "вчитель-логопед" = "teacher", "surveillant" = "student".
[roles]

# Zoom accounts beyond the main one (the schools file's `account` column names them). A
# sub-account id of the master account needs no entry. An alias is an account with credentials
# of its own: the NAMES of the environment variables holding them (never the secrets):
#   kyiv = { account_id_env = "KYIV_ZOOM_ACCOUNT_ID", client_id_env = "KYIV_ZOOM_CLIENT_ID",
#            client_secret_env = "KYIV_ZOOM_CLIENT_SECRET", tier = "business_plus" }
# Any account (an alias, a sub-account id, or main) may set its own basic_cap, daily_create_cap,
# max_revoke_count and max_revoke_share; unset, the policy's (and Zoom's 10,000 creates a day).
[accounts]
"""


class Policy(BaseModel):
    """The effective policy (defaults merged with the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    license: str = MEETINGS
    licensed_roles: list[str] = Field(default_factory=lambda: ["admin", "teacher", "staff"])
    role_priority: list[str] = Field(default_factory=lambda: list(ROLES))
    keep_holders: bool = True
    revoke: Literal["downgrade", "deactivate", "unassign"] = "downgrade"
    basic_cap: int = Field(default=9999, ge=0)
    create_waiting: Literal["none", "basic", "unassigned"] = "none"
    contested: Literal["report", "enforce"] = "report"
    grace_days: int = Field(default=14, ge=0)
    retry_blocked_days: int = Field(default=7, ge=0)
    create_action: Literal["create", "autoCreate", "custCreate", "ssoCreate"] = "create"
    use_groups: bool = True
    protected_emails: list[str] = Field(default_factory=list)
    protect_owner: bool = True
    protect_admins: bool = True
    inactive_days: int = Field(default=90, ge=0)
    pending_days: int = Field(default=30, ge=0)
    reinvite_after_days: int = Field(default=7, ge=0)
    max_revoke_count: int = Field(default=200, ge=0)
    max_revoke_share: float = Field(default=0.10, ge=0, le=1)
    max_school_revoke_count: int = Field(default=25, ge=0)
    max_school_revoke_share: float = Field(default=0.30, ge=0, le=1)
    revoke_share_min_count: int = Field(default=5, ge=0)
    email_from_username: bool = False
    addons: dict[str, int] = Field(default_factory=lambda: {"admin": 500})
    allocation: Literal["proportional", "priority"] = "proportional"
    roles: dict[str, str] = Field(default_factory=dict)  # roster word or phrase -> role
    accounts: dict[str, AccountConfig] = Field(default_factory=dict)  # provision.core.accounts

    @field_validator("license", mode="before")
    @classmethod
    def _known_license(cls, value: Any) -> str:
        return parse_license(value)

    @property
    def zoom_one_type(self) -> int | None:
        """The zoom_one_type of the managed product (None: Zoom Meetings, type 2 from plan_base)."""
        return zoom_one_value(self.license)

    @field_validator("licensed_roles", "role_priority")
    @classmethod
    def _known_roles(cls, roles: list[str]) -> list[str]:
        unknown = [role for role in roles if role not in ROLES]
        if unknown:
            raise ValueError(f"unknown role {unknown[0]!r} (roles: {', '.join(ROLES)})")
        if len(set(roles)) != len(roles):
            raise ValueError("a role is listed twice")
        return roles

    @field_validator("addons")
    @classmethod
    def _addon_rules(cls, addons: dict[str, int]) -> dict[str, int]:
        for role, capacity in addons.items():
            if role not in ROLES:
                raise ValueError(f"unknown role {role!r} (roles: {', '.join(ROLES)})")
            if capacity not in ADDON_CAPACITIES:
                raise ValueError(f"capacity for {role!r} must be 500 or 1000, not {capacity}")
        return addons

    @field_validator("roles")
    @classmethod
    def _role_words(cls, words: dict[str, str]) -> dict[str, str]:
        for word, role in words.items():
            if role not in ROLES:
                raise ValueError(f"{word!r} = {role!r}: not a role (roles: {', '.join(ROLES)})")
            if not any(ch.isalnum() for ch in word):
                raise ValueError(f"{word!r}: a role word needs at least one letter")
        return words

    @field_validator("accounts")
    @classmethod
    def _account_keys(cls, accounts: dict[str, AccountConfig]) -> dict[str, AccountConfig]:
        check_accounts(accounts)
        return accounts

    @property
    def aliases(self) -> frozenset[str]:
        """The account aliases this policy declares (keys with credentials of their own)."""
        return frozenset(key for key, cfg in self.accounts.items() if cfg.is_alias and key != MAIN_TABLE)

    def for_account(self, key: str) -> Policy:
        """The policy as it applies to account `key`: its [accounts.KEY] caps and thresholds."""
        config = config_for(self.accounts, key)
        update = {
            name: value
            for name in ("basic_cap", "max_revoke_count", "max_revoke_share")
            if (value := getattr(config, name)) is not None
        }
        return self.model_copy(update=update) if update else self

    @field_validator("protected_emails")
    @classmethod
    def _sorted_protected(cls, emails: list[str]) -> list[str]:
        # Compared with normalized emails: the policy file's loader (provision.store.policy_file)
        # normalizes them with the importers' rule, which the pure core may not import.
        return sorted({email for email in emails if email.strip()})

    @model_validator(mode="after")
    def _priority_covers_licensed(self) -> Policy:
        missing = [role for role in self.licensed_roles if role not in self.role_priority]
        if missing:
            raise ValueError(f"role_priority lacks the licensed role {missing[0]!r}")
        return self

    def role_rank(self, role: str) -> int:
        """Lower is served first; roles the priority list omits come last."""
        try:
            return self.role_priority.index(role)
        except ValueError:
            return len(self.role_priority)

    def to_data(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        # An account's unset keys fall back to the policy's: not written, so TOML can hold them.
        data["accounts"] = {
            key: cfg.model_dump(mode="json", exclude_none=True) for key, cfg in self.accounts.items()
        }
        return data

    def to_toml(self) -> str:
        """The effective policy as TOML (what `provision policy show` prints)."""
        lines: list[str] = []
        tables: list[tuple[str, dict[str, Any]]] = []
        for key, value in self.to_data().items():
            if isinstance(value, dict):
                tables.append((key, value))
            else:
                lines.append(f"{key} = {_toml_value(value)}")
        for name, table in tables:
            lines.append("")
            lines.append(f"[{name}]")
            lines.extend(f"{_toml_key(key)} = {_toml_value(value)}" for key, value in table.items())
        return "\n".join(lines) + "\n"


def _toml_key(key: str) -> str:
    # Bare keys are ASCII letters, digits, - and _ only: role words ("вчитель-логопед") are quoted.
    if key and all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in key):
        return key
    return _toml_value(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        escaped = value.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    if isinstance(value, dict):  # an inline table ([accounts] entries)
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


# `key = value` with an optional trailing comment, as the default file writes them.
_ASSIGNMENT = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*?)(?P<comment>\s+#.*)?$")
_TABLE = re.compile(r"^\[(?P<name>[A-Za-z_][A-Za-z0-9_]*)\]\s*$")
DIFFERS_MARK = "# <- differs from the default:"


def differences(policy: Policy) -> dict[str, dict[str, Any]]:
    """Each key whose effective value is not the default's: {key: {"value", "default"}}.

    Keys of a table are dotted (`addons.teacher`); a key the defaults lack has default None.
    """
    default = Policy().to_data()
    found: dict[str, dict[str, Any]] = {}
    for key, value in policy.to_data().items():
        if isinstance(value, dict):
            base = default.get(key) or {}
            for sub in sorted(set(value) | set(base)):
                if value.get(sub) != base.get(sub):
                    found[f"{key}.{sub}"] = {"value": value.get(sub), "default": base.get(sub)}
        elif value != default[key]:
            found[key] = {"value": value, "default": default[key]}
    return found


def commented_toml(policy: Policy) -> str:
    """The default file with its comments, carrying `policy`'s values; each change is marked.

    What `provision policy show` prints: the reader sees what every key means, and which ones
    this policy set apart from the defaults (`# <- differs from the default: 14`).
    """
    values = policy.to_data()
    changed = differences(policy)
    out: list[str] = []
    table: str | None = None
    seen: set[str] = set()

    def close_table() -> None:
        # Keys of the table the defaults do not have (a role given an add-on): listed last in it.
        if table is None:
            return
        extra = sorted(set(values.get(table) or {}) - {k.split(".", 1)[1] for k in seen if "." in k})
        for sub in extra:
            value = values[table][sub]
            out.append(f"{sub} = {_toml_value(value)}  {DIFFERS_MARK} not set")

    for line in DEFAULT_POLICY_TOML.splitlines():
        header = _TABLE.match(line)
        if header:
            close_table()
            table = header["name"]
            out.append(line)
            continue
        match = _ASSIGNMENT.match(line)
        if not match:
            out.append(line)
            continue
        key = f"{table}.{match['key']}" if table else match["key"]
        seen.add(key)
        if table:
            value = (values.get(table) or {}).get(match["key"])
            if value is None:  # taken away by the file: shown as a comment so the key stays documented
                out.append(f"# {line}  # <- differs from the default: removed by this policy")
                continue
        else:
            value = values[key]
        text = f"{match['key']} = {_toml_value(value)}{match['comment'] or ''}"
        if key in changed:
            text += f"  {DIFFERS_MARK} {_toml_value(changed[key]['default'])}"
        out.append(text)
    close_table()
    if changed:
        out[0] = "# provision policy: every key is optional; lines marked '<- differs' are not the defaults."
    return "\n".join(out) + "\n"
