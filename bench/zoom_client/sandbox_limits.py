"""The client against a sandbox that ENFORCES Zoom's per-second limits (429s), 100 ms latency.

    python bench/zoom_client/sandbox_limits.py [--calls 400] [--concurrency 100]

Prints calls/s per category, the ratio to the limit and how many 429s the client earned; then
creates users through dropped answers, timeouts and 5xx and counts how many were resolved
(the user exists and the client returned it) versus reported failed after all retries.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from zoom_client import AsyncZoomClient, Category, CreateAction, UserType, ZoomError
from zoom_client.sandbox import FaultConfig, Sandbox, SandboxConfig


async def throughput(calls: int, concurrency: int, latency: float) -> None:
    sb = Sandbox(SandboxConfig(seats=1000, rate_limits=True, latency=latency, seed=1))
    for i in range(50):
        sb.add_user(email=f"u{i}@school.test", type=1)
    async with AsyncZoomClient(sb.settings(), transport=sb.async_transport()) as zoom:
        gate = asyncio.Semaphore(concurrency)
        for category, call in (
            (Category.LIGHT, lambda i: zoom.users.get(f"u{i % 50}@school.test")),
            (Category.MEDIUM, lambda i: zoom.users.get_settings(f"u{i % 50}@school.test")),
        ):

            async def one(i: int, call=call) -> None:  # type: ignore[no-untyped-def]
                async with gate:
                    await call(i)

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(calls)))
            rate = calls / (time.perf_counter() - started)
            stats = zoom.limiter.stats[category]
            print(
                f"{category.value:<7} {rate:6.1f} calls/s, limit {stats.rate:g}/s, "
                f"ratio {rate / stats.rate:.3f}, 429s {stats.throttled}"
            )


async def creates_through_faults(count: int) -> None:
    faults = FaultConfig(drop_after_write_rate=0.2, timeout_rate=0.05, error_rate=0.05)
    sb = Sandbox(SandboxConfig(seats=1000, seed=3, faults=faults, managed_domains=["school.test"]))

    async def no_sleep(_: float) -> None:
        return None

    ok = failed = 0
    async with AsyncZoomClient(sb.settings(), transport=sb.async_transport(), sleep=no_sleep) as zoom:
        for i in range(count):
            try:
                await zoom.users.create(
                    email=f"c{i}@school.test", type=UserType.BASIC, action=CreateAction.AUTO_CREATE
                )
                ok += 1
            except ZoomError:
                failed += 1
    exists = sum(1 for u in sb.users() if str(u.get("email", "")).startswith("c"))
    print(
        f"creates under faults: {ok} returned, {failed} failed after retries, {exists} exist in Zoom "
        f"(never more than one per email)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    args = parser.parse_args()
    asyncio.run(throughput(args.calls, args.concurrency, args.latency))
    asyncio.run(creates_through_faults(100))


if __name__ == "__main__":
    main()
