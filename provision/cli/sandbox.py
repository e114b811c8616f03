"""CLI commands: sandbox (registered on the root app by provision.cli).

`provision sandbox serve` runs the Zoom simulator on a loopback port for the demo, benchmarks
and anyone pointing their own tools at it; it prints the ZOOM_* settings that reach it.
"""

from __future__ import annotations

import importlib.util
import secrets
import signal
from pathlib import Path
from typing import Annotated, Literal

import typer

from provision.cli._common import console, err_console
from provision.errors import InputError, NotInstalledError

sandbox_app = typer.Typer(
    help="The built-in Zoom simulator (no real Zoom account needed).", no_args_is_help=True
)


def _latency(value: str) -> float | tuple[float, float]:
    try:
        if "," in value:
            low, high = (float(p) for p in value.split(",", 1))
            if not 0 <= low <= high:
                raise ValueError
            return (low, high)
        fixed = float(value)
        if fixed < 0:
            raise ValueError
        return fixed
    except ValueError:
        raise InputError(f"--latency: expected seconds (0.05) or a range (0.02,0.2), got {value!r}") from None


@sandbox_app.command("serve")
def serve_command(
    port: Annotated[int, typer.Option("--port", help="TCP port on 127.0.0.1 (0 = any free port).")] = 8765,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    seats: Annotated[int, typer.Option("--seats", min=0, help="Purchased Licensed seats.")] = 1000,
    large_meeting_500: Annotated[int, typer.Option("--large-meeting-500", min=0)] = 20,
    large_meeting_1000: Annotated[int, typer.Option("--large-meeting-1000", min=0)] = 0,
    tier: Annotated[
        str, typer.Option("--tier", help="Rate-limit tier: business_plus or pro.")
    ] = "business_plus",
    rate_limits: Annotated[bool, typer.Option("--rate-limits/--no-rate-limits", help="Answer 429s.")] = True,
    latency: Annotated[str, typer.Option("--latency", help="Seconds per request, or min,max.")] = "0",
    error_rate: Annotated[float, typer.Option("--error-rate", min=0.0, max=1.0, help="Share of 5xx.")] = 0.0,
    drop_rate: Annotated[
        float, typer.Option("--drop-rate", min=0.0, max=1.0, help="Share of answers lost after the write.")
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the fault sequence.")] = 0,
    seed_users: Annotated[
        Path | None, typer.Option("--seed-users", help="Users to start with (.json, .csv, .xlsx).")
    ] = None,
    state: Annotated[
        Path | None, typer.Option("--state", help="Load the account from this JSON file and save it on exit.")
    ] = None,
    basic_cap: Annotated[
        int, typer.Option("--basic-cap", min=0, help="Basic users the account may hold.")
    ] = 9999,
    plan_base: Annotated[
        bool,
        typer.Option("--plan-base/--no-plan-base", help="--no-plan-base: a Zoom Workplace-only account."),
    ] = True,
    zoom_one: Annotated[
        list[str] | None,
        typer.Option("--zoom-one", help="Zoom One / Workplace seats: TYPE=SEATS (edu_school_campus=900)."),
    ] = None,
    pending_in_usage: Annotated[
        bool,
        typer.Option(
            "--pending-in-usage/--pending-apart",
            help="Plan usage: pending invitations counted inside `usage`, or apart.",
        ),
    ] = False,
    managed_domain: Annotated[
        list[str] | None, typer.Option("--managed-domain", help="Associated domain (autoCreate works there).")
    ] = None,
    sso: Annotated[
        bool, typer.Option("--sso/--no-sso", help="SSO with pre-provisioning (ssoCreate).")
    ] = False,
    owner: Annotated[str | None, typer.Option("--owner", help="Seed the account owner (role 0).")] = None,
    admin: Annotated[list[str] | None, typer.Option("--admin", help="Seed an admin (role 1).")] = None,
    scopes: Annotated[
        str | None, typer.Option("--scopes", help="Granted scopes, space-separated (default: all).")
    ] = None,
    sub_account: Annotated[
        list[str] | None,
        typer.Option(
            "--sub-account",
            help="A sub-account of this master account: ID=SEATS (its own seats, caps and rate budget).",
        ),
    ] = None,
    sub_account_budget: Annotated[
        str,
        typer.Option(
            "--sub-account-budget",
            help="Whose per-second budget a master's call to a sub-account spends (undocumented by "
            "Zoom): own (the sub-account's) or master.",
        ),
    ] = "own",
) -> None:
    """Serve the Zoom simulator over HTTP until Ctrl-C (needs the `sandbox` extra)."""
    _require_server()
    import uvicorn  # the `sandbox` extra, present now (checked above)

    from zoom_client.sandbox import FaultConfig, Sandbox, SandboxConfig
    from zoom_client.sandbox.config import parse_zoom_one_seats
    from zoom_client.sandbox.seed import SeedFileError, load_seed_users

    tier_name = tier.strip().lower().replace("+", "_plus")
    if tier_name not in ("business_plus", "pro"):
        raise InputError(f"--tier: expected business_plus or pro, got {tier!r}")
    chosen_tier: Literal["business_plus", "pro"] = "pro" if tier_name == "pro" else "business_plus"
    try:
        zoom_one_seats = parse_zoom_one_seats(list(zoom_one or []))
    except ValueError as exc:
        raise InputError(f"--zoom-one: {exc}") from None
    sub_accounts = _sub_accounts(list(sub_account or []))
    if sub_account_budget not in ("own", "master"):
        raise InputError(f"--sub-account-budget: expected own or master, got {sub_account_budget!r}")
    charged_to: Literal["own", "master"] = "master" if sub_account_budget == "master" else "own"
    # A fresh secret per run: nothing to leak, and nobody hard-codes it into a script by accident.
    secret = secrets.token_urlsafe(18)
    if state is not None and state.exists():
        try:
            sandbox = Sandbox.load(state)
        except (ValueError, KeyError) as exc:
            raise InputError(f"{state}: not a sandbox state file ({exc})") from None
        sandbox.config.client_secret = secret
    else:
        sandbox = Sandbox(
            SandboxConfig(
                seats=seats,
                large_meeting_seats={500: large_meeting_500, 1000: large_meeting_1000},
                tier=chosen_tier,
                rate_limits=rate_limits,
                latency=_latency(latency),
                seed=seed,
                faults=FaultConfig(error_rate=error_rate, drop_after_write_rate=drop_rate),
                client_secret=secret,
                request_log_limit=100_000,
                basic_ceiling=basic_cap,
                plan_base=plan_base,
                zoom_one_seats=zoom_one_seats,
                pending_in_usage=pending_in_usage,
                managed_domains=list(managed_domain or []),
                sso=sso,
                sso_preprovision=sso,
                owner_email=owner,
                admin_emails=list(admin or []),
                granted_scopes=scopes.split() if scopes is not None else None,
                sub_accounts=sub_accounts,
                sub_account_budget=charged_to,
            )
        )
    if seed_users is not None:
        try:
            users = load_seed_users(seed_users)
            added = sandbox.add_users(users)
        except SeedFileError as exc:
            raise InputError(str(exc)) from None
        except Exception as exc:  # a seed user the account refuses (e.g. an email already there)
            raise InputError(f"{seed_users}: {exc}") from None
        err_console.print(f"seeded {added} users from {seed_users}")

    if port == 0:
        port = _free_port(host)
    config = uvicorn.Config(sandbox.asgi_app, host=host, port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)

    base = f"http://{host}:{port}"
    console.print(f"# Zoom sandbox on {base} ({sandbox.config.seats} seats, {chosen_tier}); Ctrl-C to stop")
    console.print(f"export ZOOM_API_URL={base}/v2", highlight=False)
    console.print(f"export ZOOM_OAUTH_URL={base}/oauth/token", highlight=False)
    console.print(f"export ZOOM_ACCOUNT_ID={sandbox.config.account_id}", highlight=False)
    console.print(f"export ZOOM_CLIENT_ID={sandbox.config.client_id}", highlight=False)
    console.print(f"export ZOOM_CLIENT_SECRET={secret}", highlight=False)
    console.print(f"export ZOOM_RATE_TIER={chosen_tier}", highlight=False, soft_wrap=True)
    console.file.flush()
    # uvicorn re-raises the signal that stopped it; a handler that exits cleanly lets the state
    # below be saved and makes `kill` (SIGTERM) a normal stop with exit code 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        server.run()
    finally:
        if state is not None:
            sandbox.save(state)
            err_console.print(f"sandbox state saved to {state}")


def _sub_accounts(items: list[str]) -> dict[str, int]:
    """``["sub-1=500"]`` -> {"sub-1": 500}; InputError naming the bad item."""
    found: dict[str, int] = {}
    for item in items:
        account, sep, count = item.partition("=")
        if not sep or not account.strip() or "/" in account or not count.strip().isdigit():
            raise InputError(f"--sub-account: expected ID=SEATS (sub-1=500), got {item!r}")
        found[account.strip()] = int(count)
    return found


#: the served sandbox's modules, which only the `sandbox` extra installs
SERVER_MODULES = ("uvicorn", "starlette")


def _require_server() -> None:
    missing = [name for name in SERVER_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise NotInstalledError(
            f"`provision sandbox serve` needs the sandbox extra ({', '.join(missing)} not installed): "
            "pip install 'provision[sandbox]' (in a checkout: pip install -e '.[sandbox]'). "
            "`provision demo` and --sandbox work without it."
        )


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _free_port(host: str) -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.add_typer(sandbox_app, name="sandbox")
