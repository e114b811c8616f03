"""Throughput of the client against its own limiter: many concurrent calls, 100 ms round trips.

    python bench/zoom_client/limiter.py [--seconds 5] [--concurrency 100] [--latency 0.1]

Prints, per category, calls/s reached and the ratio to Zoom's Business+ limit. The server is an
in-process httpx.MockTransport that sleeps ``latency`` per call (no 429s): a limiter that
serialised requests would reach 1/latency = 10 calls/s here, one that paces starts reaches ~1.0.
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx

from zoom_client import AsyncZoomClient, Category, ZoomSettings

CALLS = {
    Category.LIGHT: lambda zoom, i: zoom.users.get(f"u{i}"),
    Category.MEDIUM: lambda zoom, i: zoom.users.get_settings(f"u{i}"),
    Category.HEAVY: lambda zoom, i: zoom.accounts.plan_usage(),
}


async def run(category: Category, seconds: float, concurrency: int, latency: float, tier: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        await asyncio.sleep(latency)
        return httpx.Response(200, json={"id": "u", "email": "u@x.org", "type": 2, "feature": {}})

    settings = ZoomSettings(
        account_id="a",
        client_id="c",
        client_secret="s",
        tier=tier,  # type: ignore[arg-type]
        api_url="https://api.zoom.test/v2",
        oauth_url="https://zoom.test/oauth/token",
    )
    async with AsyncZoomClient(settings, transport=httpx.MockTransport(handler)) as zoom:
        limit = zoom.limiter.stats[category].rate
        total = int(limit * seconds)
        queue: asyncio.Queue[int] = asyncio.Queue()
        for i in range(total):
            queue.put_nowait(i)

        async def worker() -> None:
            while not queue.empty():
                await CALLS[category](zoom, queue.get_nowait())

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    rate = total / elapsed
    print(
        f"{category.value:<8} {total:>5} calls in {elapsed:6.2f} s = {rate:6.1f}/s; limit {limit:g}/s; "
        f"ratio {rate / limit:.3f}; started-rate {zoom.limiter.stats[category].achieved_rate or 0:.1f}/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--tier", default="business_plus")
    args = parser.parse_args()
    print(f"tier {args.tier}, concurrency {args.concurrency}, latency {args.latency * 1000:.0f} ms")
    for category in (Category.LIGHT, Category.MEDIUM, Category.HEAVY):
        asyncio.run(run(category, args.seconds, args.concurrency, args.latency, args.tier))


if __name__ == "__main__":
    main()
