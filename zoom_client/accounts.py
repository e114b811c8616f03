"""Accounts: plan usage (seats purchased, assigned, pending; add-on pools) and sub-accounts."""

from __future__ import annotations

from zoom_client._resource import Resource, parse, segment
from zoom_client.http import Requester
from zoom_client.models import ManagedDomain, PlanUsage, SubAccount
from zoom_client.paginate import AsyncPaginator


class Accounts(Resource):
    """``client.accounts`` (or ``client.sub_account(id).accounts``, whose ``me`` is that sub-account)."""

    def __init__(self, requester: Requester, prefix: str = "", *, me: str = "me") -> None:
        super().__init__(requester, prefix)
        self._me = me  # the account `me` stands for: a sub-account's own calls name its id

    async def plan_usage(self, account_id: str = "me") -> PlanUsage:
        """GET /accounts/{accountId}/plans/usage (Heavy). ``me`` = this account."""
        if account_id == "me":
            account_id = self._me
        path = f"/accounts/{segment(account_id, 'account id')}/plans/usage"
        return parse(PlanUsage, await self._requester.json("GET", path), "GET", path)

    async def managed_domains(self, account_id: str = "me") -> list[ManagedDomain]:
        """The account's associated (managed) domains (GET /accounts/{accountId}/managed_domains,
        Light, classic scope account:read:admin): autoCreate needs the email to be in one."""
        if account_id == "me":
            account_id = self._me
        path = f"/accounts/{segment(account_id, 'account id')}/managed_domains"
        data = await self._requester.json("GET", path) or {}
        return [parse(ManagedDomain, d, "GET", path) for d in data.get("domains") or []]

    def list(self, *, page_size: int = 300) -> AsyncPaginator[SubAccount]:
        """The sub-accounts of a master account (GET /accounts, Medium)."""
        return AsyncPaginator(
            self._requester, "/accounts", key="accounts", model=SubAccount, params={"page_size": page_size}
        )
