"""Before apply creates users: what the account's create action needs, checked once.

Only `create` works on every account (ZOOM_API.md §11). `autoCreate` needs the email's domain
among the account's managed (associated) domains: read once (GET managed_domains, Light), and
nobody outside them is sent. `ssoCreate` needs SSO with pre-provisioning and `custCreate` Zoom's
ISV option, which no call can read: the first create of the run tells, and a refusal that
concerns the whole account (2002, 2032, 200) stops the others of that action before they are
sent; one that concerns a domain (1116, 1107) stops the others of that domain. Each person so
held back is blocked with the refusal as their reason (provision.core.blocked), never "run again".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from provision.core.actions import NewUser
from provision.core.blocked import CREATE_NOT_SENT
from provision.core.plan import Action
from zoom_client import AsyncZoomClient, ZoomAPIError

# Refusals of POST /users that every other create of the same action would meet.
ACCOUNT_WIDE = frozenset({2002, 2032, 200})
# Refusals that every other address of the same domain would meet.
DOMAIN_WIDE = frozenset({1116, 1107})


def _domain(email: str) -> str:
    return email.strip().lower().rpartition("@")[2]


def _within(domain: str, domains: list[str]) -> bool:
    # An associated domain covers its subdomains (staff.school.ua under school.ua).
    return any(domain == d or domain.endswith("." + d) for d in domains)


@dataclass(frozen=True)
class Held:
    """A create not sent, and why (`code`: Zoom's answer to the same request, when it gave one)."""

    code: int | None
    error: str


@dataclass
class CreateGate:
    """What this run learnt about creating users on the account (one per apply run)."""

    managed: list[str] | None = None  # the managed domains, when autoCreate needed them and they were read
    by_action: dict[str, Held] = field(default_factory=dict)
    by_domain: dict[str, Held] = field(default_factory=dict)

    async def prepare(self, client: AsyncZoomClient, actions: list[Action]) -> None:
        """Read the managed domains once if any create uses autoCreate (left unchecked if unreadable:
        the first refusal then tells, as for the other actions)."""
        if not any(_action(a) == "autoCreate" for a in actions):
            return
        try:
            domains = await client.accounts.managed_domains()
        except ZoomAPIError:
            return
        self.managed = sorted({d.domain.strip().lower() for d in domains if d.domain})

    def held(self, action: Action) -> Held | None:
        """Why this create must not be sent, or None."""
        name = _action(action)
        domain = _domain(action.email)
        if name == "autoCreate" and self.managed is not None and not _within(domain, self.managed):
            managed = ", ".join(self.managed) or "none"
            said = f"{domain} is not a managed domain of the account ({managed})"
            return Held(None, f"{CREATE_NOT_SENT}: {said}")
        return self.by_action.get(name) or self.by_domain.get(domain)

    def learn(self, action: Action, exc: ZoomAPIError) -> None:
        """Remember a refusal the other creates of this action or domain would meet too."""
        if not exc.is_create_refused() or exc.code is None:
            return
        name, domain, reason = _action(action), _domain(action.email), exc.refusal_reason()
        # Another person's address never goes into this person's reason: the action or the domain.
        if exc.code in ACCOUNT_WIDE:
            said = f"Zoom refused {name} for the account ({reason}, code {exc.code})"
            self.by_action.setdefault(name, Held(exc.code, f"{CREATE_NOT_SENT}: {said}"))
        elif exc.code in DOMAIN_WIDE:
            said = f"Zoom refused {name} for addresses of {domain} ({reason}, code {exc.code})"
            self.by_domain.setdefault(domain, Held(exc.code, f"{CREATE_NOT_SENT}: {said}"))


def _action(action: Action) -> str:
    payload = action.payload
    return payload.action if isinstance(payload, NewUser) else "create"
