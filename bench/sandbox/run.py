"""How fast the Zoom sandbox answers, so we know it is never the bottleneck of another benchmark.

1. loopback: the sandbox served by uvicorn in a subprocess; 64 concurrent httpx clients send a
   mix of Light/Medium calls (GET user, list page, PATCH type) for a few seconds; requests/s and
   the ratio to Zoom's Light limit (80/s on Business+).
2. in-process: the same mix through the async transport (no socket).
3. scale: 100,000 users added, licensed one by one (PATCH type) in-process, then listed by
   300-user pages; operations/s and peak memory.

    python bench/sandbox/run.py [--seconds 5] [--concurrency 64]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import random
import socket
import subprocess
import sys
import time
import tracemalloc

import httpx

from zoom_client.sandbox import Sandbox, SandboxConfig

SERVER = """
import sys, uvicorn
from zoom_client.sandbox import Sandbox, SandboxConfig
sb = Sandbox(SandboxConfig(seats=100_000, rate_limits=False))
for i in range(2000):
    sb.add_user(email=f"user{i}@bench.org", type=1)
uvicorn.run(sb.asgi_app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off",
            access_log=False, http=sys.argv[2])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def token(client: httpx.AsyncClient) -> str:
    basic = base64.b64encode(b"sandbox-client:sandbox-secret").decode()
    answer = await client.post(
        "/oauth/token",
        params={"grant_type": "account_credentials", "account_id": "sandbox-account"},
        headers={"Authorization": f"Basic {basic}"},
    )
    answer.raise_for_status()
    return str(answer.json()["access_token"])


async def hammer(client: httpx.AsyncClient, seconds: float, concurrency: int) -> tuple[int, int]:
    auth = {"Authorization": f"Bearer {await token(client)}"}
    emails = [f"user{i}@bench.org" for i in range(2000)]
    done = errors = 0
    stop = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal done, errors
        rng = random.Random(n)
        while time.perf_counter() < stop:
            pick = rng.random()
            email = rng.choice(emails)
            if pick < 0.6:
                r = await client.get(f"/v2/users/{email}", headers=auth)
            elif pick < 0.8:
                r = await client.get("/v2/users", params={"page_size": 30}, headers=auth)
            else:
                r = await client.patch(f"/v2/users/{email}", json={"type": rng.choice((1, 2))}, headers=auth)
            done += 1
            errors += r.status_code >= 400

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done, errors


async def raw_hammer(port: int, bearer: str, seconds: float, concurrency: int) -> tuple[int, int]:
    """64 keep-alive connections speaking plain HTTP/1.1: measures the server, not httpx's pool
    (whose per-request bookkeeping grows with the number of connections and caps a single
    client process at a few hundred requests/s)."""
    emails = [f"user{i}@bench.org" for i in range(2000)]
    done = errors = 0
    stop = time.perf_counter() + seconds

    async def worker(n: int) -> None:
        nonlocal done, errors
        rng = random.Random(n)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {bearer}\r\n"
        try:
            while time.perf_counter() < stop:
                pick = rng.random()
                email = rng.choice(emails)
                if pick < 0.6:
                    request = f"GET /v2/users/{email} HTTP/1.1\r\n{head}\r\n".encode()
                elif pick < 0.8:
                    request = f"GET /v2/users?page_size=30 HTTP/1.1\r\n{head}\r\n".encode()
                else:
                    body = b'{"type": %d}' % rng.choice((1, 2))
                    request = (
                        f"PATCH /v2/users/{email} HTTP/1.1\r\n{head}Content-Type: application/json\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode() + body
                writer.write(request)
                headers = await reader.readuntil(b"\r\n\r\n")
                status = int(headers.split(b" ", 2)[1])
                length = 0
                for line in headers.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":", 1)[1])
                if length:
                    await reader.readexactly(length)
                done += 1
                errors += status >= 400
        finally:
            writer.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done, errors


async def loopback(seconds: float, concurrency: int, http: str = "auto") -> float:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-c", SERVER, str(port), http], env=os.environ.copy())
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the sandbox server did not start") from None
                await asyncio.sleep(0.1)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            bearer = await token(client)
        start = time.perf_counter()
        done, errors = await raw_hammer(port, bearer, seconds, concurrency)
        elapsed = time.perf_counter() - start
        rate = done / elapsed
        print(
            f"loopback (uvicorn subprocess, http={http}, {concurrency} keep-alive connections): "
            f"{rate:,.0f} requests/s "
            f"({done} requests, {errors} 4xx/5xx, {rate / 80:.1f}x Zoom's Light limit of 80/s)"
        )
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=30
        ) as client:
            start = time.perf_counter()
            done, errors = await hammer(client, seconds, concurrency)
            elapsed = time.perf_counter() - start
        print(
            f"loopback through one httpx.AsyncClient ({concurrency} tasks; the client is the bottleneck): "
            f"{done / elapsed:,.0f} requests/s ({errors} 4xx/5xx)"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return rate


async def in_process(seconds: float, concurrency: int) -> float:
    sb = Sandbox(SandboxConfig(seats=100_000))
    for i in range(2000):
        sb.add_user(email=f"user{i}@bench.org", type=1)
    async with httpx.AsyncClient(
        transport=sb.async_transport(), base_url="https://sandbox.zoom.invalid"
    ) as c:
        start = time.perf_counter()
        done, errors = await hammer(c, seconds, concurrency)
        elapsed = time.perf_counter() - start
    rate = done / elapsed
    print(f"in-process (async transport, {concurrency} tasks): {rate:,.0f} requests/s ({errors} 4xx/5xx)")
    return rate


def scale(n: int = 100_000) -> None:
    tracemalloc.start()
    sb = Sandbox(SandboxConfig(seats=n))
    start = time.perf_counter()
    users = [sb.add_user(email=f"s{i}@scale.org", type=1) for i in range(n)]
    added = time.perf_counter() - start
    token_reply = sb.process(
        "POST",
        "/oauth/token",
        "grant_type=account_credentials&account_id=sandbox-account",
        {"authorization": "Basic " + base64.b64encode(b"sandbox-client:sandbox-secret").decode()},
        b"",
    )
    import json

    auth = {"authorization": "Bearer " + json.loads(token_reply.body)["access_token"]}
    start = time.perf_counter()
    for user in users:
        reply = sb.process("PATCH", f"/v2/users/{user['id']}", "", auth, b'{"type": 2}')
        assert reply.status == 204, reply.body
    licensed = time.perf_counter() - start
    start = time.perf_counter()
    query, pages = "page_size=300", 0
    while True:
        reply = sb.process("GET", "/v2/users", query, auth, b"")
        pages += 1
        next_token = json.loads(reply.body)["next_page_token"]
        if not next_token:
            break
        query = f"page_size=300&next_page_token={next_token}"
    listed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    assert sb.licensed_count() == n
    print(
        f"scale: {n:,} users added {n / added:,.0f}/s; licensed via PATCH {n / licensed:,.0f}/s; "
        f"listed in {pages} pages {n / listed:,.0f} users/s; peak memory {peak:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument(
        "--http", default="auto", choices=("auto", "h11", "httptools"), help="uvicorn's parser"
    )
    args = parser.parse_args()
    asyncio.run(loopback(args.seconds, args.concurrency, args.http))
    asyncio.run(in_process(args.seconds, args.concurrency))
    scale()


if __name__ == "__main__":
    main()
