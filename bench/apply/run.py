"""Apply at the API's ceiling: users/s against Zoom's published Business+ limits.

The sandbox runs in its own process, served over loopback by uvicorn, with Business+ rate limits
enforced and 100 ms latency per request. Three measurements:

1. license N existing Basic users (bulk POST /users/features, 30 a call, Medium 60/s):
   users/s divided by 1,800/s × the rate share;
2. create M new licensed users (POST /users action=autoCreate, Light 80/s): users/s / (80 × share);
3. both again with 2% injected faults (1% 5xx, 1% answers lost after the write):
   ratio, the same end state, zero failed actions.

    python bench/apply/run.py [--scale 0.1] [--latency 0.1] [--concurrency 32] [--rate-share 1.0]

The ceiling is the rate the client is configured to use: Zoom's Business+ figure times
`--rate-share` (ZOOM_RATE_SHARE; 1.0 here by default, as the sandbox has no other app on the
account, while the tool's own default for a real account is lower). Each line prints the share.

Prints figures; never pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from models import init_db, make_engine
from provision.core.actions import TO_LICENSED, NewUser
from provision.core.plan import Action, ActionKind, Plan
from provision.run.apply import ApplyIncomplete, ApplyResult, apply_plan
from zoom_client import AsyncZoomClient, ZoomSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.served import ServedSandbox

LICENSE_CEILING = 30 * 60.0  # users/s at share 1.0: 30 users a call, Medium 60 calls/s on Business+
CREATE_CEILING = 80.0  # users/s at share 1.0: POST /users is Light, 80/s

_SERVER = r"""
import json, sys
import uvicorn
from zoom_client.sandbox import Sandbox, SandboxConfig, FaultConfig

cfg = json.loads(sys.argv[1])
faults = FaultConfig(error_rate=cfg["error_rate"], drop_after_write_rate=cfg["drop_rate"])
sb = Sandbox(SandboxConfig(seats=cfg["seats"], tier="business_plus", rate_limits=True,
                           latency=cfg["latency"], seed=1, faults=faults, basic_ceiling=10**7,
                           managed_domains=["bench.example"]))
ids = []
for i in range(cfg["basic_users"]):
    user = sb.add_user(email=f"basic{i}@bench.example", type=1, status="active")
    ids.append([user["email"], user["id"]])
with open(cfg["ids_file"], "w") as fh:
    json.dump(ids, fh)
settings = sb.settings()
print(json.dumps({
    "account_id": settings.account_id, "client_id": settings.client_id,
    "client_secret": settings.client_secret.get_secret_value(),
    "api_url": settings.api_url, "oauth_url": settings.oauth_url,
}), flush=True)
uvicorn.run(sb.asgi_app, host="127.0.0.1", port=cfg["port"], log_level="warning")
"""


class Server(ServedSandbox):
    """The main account with `basic_users` Basic users, Business+ limits and the given faults."""

    def __init__(
        self,
        *,
        seats: int,
        basic_users: int,
        latency: float,
        error_rate: float,
        drop_rate: float,
        rate_share: float = 1.0,
    ) -> None:
        cfg = {
            "seats": seats,
            "basic_users": basic_users,
            "latency": latency,
            "error_rate": error_rate,
            "drop_rate": drop_rate,
        }
        super().__init__(_SERVER, cfg, timeout=10.0, rate_share=rate_share)
        self.users = [tuple(x) for x in self.ids()]


def license_plan(users: list[tuple[str, str]]) -> Plan:
    actions = [
        Action(
            ActionKind.LICENSE,
            email,
            "B01",
            "bench",
            zoom_id=uid,
            payload=TO_LICENSED,
            before={"type": 1},
            after={"type": 2},
        )
        for email, uid in users
    ]
    return Plan(actions=actions, fingerprint=f"bench-license-{time.time_ns()}")


def create_plan(count: int, tag: str) -> Plan:
    actions = [
        Action(
            ActionKind.CREATE,
            f"new{i}.{tag}@bench.example",
            "B01",
            "bench",
            payload=NewUser("autoCreate", 2, first_name="New", last_name=str(i)),
            after={"type": 2, "status": "active"},
        )
        for i in range(count)
    ]
    return Plan(actions=actions, fingerprint=f"bench-create-{tag}-{time.time_ns()}")


async def run_apply(
    settings: ZoomSettings, plan: Plan, concurrency: int
) -> tuple[ApplyResult, dict[str, int], int, float]:
    """Apply `plan`; also the CPU seconds this process spent in apply_plan (the sandbox's are its own)."""
    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    init_db(engine)
    async with AsyncZoomClient(settings) as client:
        cpu = time.process_time()
        try:
            result = await apply_plan(engine, client, plan, actor="bench", concurrency=concurrency)
        except ApplyIncomplete as exc:
            result = exc.result
        cpu = time.process_time() - cpu
        summary = await client.users.summary()
        return result, dict(client.limiter.counts), summary.licensed_users_count, cpu


def report(
    name: str,
    users: int,
    result: ApplyResult,
    ceiling: float,
    counts: dict[str, int],
    licensed: int,
    expected_licensed: int,
    cpu: float,
    share: float,
) -> dict[str, Any]:
    rate = users / result.elapsed
    line = {
        "case": name,
        "users": users,
        "seconds": round(result.elapsed, 2),
        "users_per_s": round(rate, 1),
        "rate_share": share,
        "ceiling": ceiling,
        "ratio": round(rate / ceiling, 3),
        "succeeded": result.succeeded,
        "failed": result.failed,
        "pending": result.pending,
        "requests": counts,
        # One core drives an account at its ceiling only under 1 / 1,800 s = 0.56 ms per user;
        # issue 17 asks at most 0.15 ms, so one core can drive several accounts.
        "cpu_ms_per_user": round(cpu * 1000 / users, 3),
        "licensed_after": licensed,
        "end_state_ok": licensed == expected_licensed and result.failed == 0 and result.pending == 0,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(line), flush=True)
    return line


def case(args: argparse.Namespace, *, faults: bool) -> None:
    n_license = max(30, int(100_000 * args.scale))
    n_create = max(10, int(10_000 * args.scale))
    rate = 0.01 if faults else 0.0
    tag = "faults" if faults else "clean"
    server = Server(
        seats=n_license + n_create + 10,
        basic_users=n_license,
        latency=args.latency,
        error_rate=rate,
        drop_rate=rate,
        rate_share=args.rate_share,
    )
    share = server.settings.rate_share
    try:
        if "license" in args.cases:
            result, counts, licensed, cpu = asyncio.run(
                run_apply(server.settings, license_plan(server.users), args.concurrency)
            )
            report(
                f"license existing ({tag})",
                n_license,
                result,
                LICENSE_CEILING * share,
                counts,
                licensed,
                n_license,
                cpu,
                share,
            )
        else:
            licensed = 0
        if "create" in args.cases:
            base = licensed
            result, counts, licensed, cpu = asyncio.run(
                run_apply(server.settings, create_plan(n_create, tag), args.concurrency)
            )
            report(
                f"create licensed ({tag})",
                n_create,
                result,
                CREATE_CEILING * share,
                counts,
                licensed,
                base + n_create,
                cpu,
                share,
            )
    finally:
        server.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 100,000 / 10,000 users")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per request in the sandbox")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--cases", default="license,create")
    parser.add_argument(
        "--rate-share",
        type=float,
        default=1.0,
        help="ZOOM_RATE_SHARE for the apply (the ceiling scales with it; 1.0: the sandbox has no other app)",
    )
    parser.add_argument("--no-faults", action="store_true", help="skip case 3")
    parser.add_argument("--only-faults", action="store_true", help="only case 3")
    args = parser.parse_args()
    os.environ.setdefault("PROVISION_LOG", "warning")
    if not args.only_faults:
        case(args, faults=False)
    if not args.no_faults:
        case(args, faults=True)


if __name__ == "__main__":
    main()
