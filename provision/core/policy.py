"""The policy: who should hold a license, what revoking does, and when a plan is too dangerous.

Read from a TOML file by provision.store.policy_file; every key has a default, so an empty file is
the default policy.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ROLES = ("admin", "teacher", "staff", "student")
ADDON_CAPACITIES = (500, 1000)


class Policy(BaseModel):
    """The effective policy (defaults merged with the file)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    licensed_roles: list[str] = Field(default_factory=lambda: ["admin", "teacher", "staff"])
    role_priority: list[str] = Field(default_factory=lambda: list(ROLES))
    keep_holders: bool = True
    revoke: Literal["downgrade", "deactivate"] = "downgrade"
    grace_days: int = Field(default=14, ge=0)
    create_action: Literal["create", "autoCreate", "custCreate", "ssoCreate"] = "create"
    use_groups: bool = True
    protected_emails: list[str] = Field(default_factory=list)
    protect_owner: bool = True
    protect_admins: bool = True
    inactive_days: int = Field(default=90, ge=0)
    pending_days: int = Field(default=30, ge=0)
    max_revoke_count: int = Field(default=200, ge=0)
    max_revoke_share: float = Field(default=0.10, ge=0, le=1)
    max_school_revoke_count: int = Field(default=25, ge=0)
    max_school_revoke_share: float = Field(default=0.30, ge=0, le=1)
    revoke_share_min_count: int = Field(default=5, ge=0)
    addons: dict[str, int] = Field(default_factory=lambda: {"admin": 500})

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
        return self.model_dump(mode="json")

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
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
        return "\n".join(lines) + "\n"


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
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
