"""`provision sandbox serve`: a real server in a subprocess, reached with the printed settings."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from provision.cli import app
from zoom_client import ZoomAPIError, ZoomClient, ZoomSettings

MAIN = "from provision.cli import main; main()"


def _start(*args: str) -> tuple[subprocess.Popen[str], dict[str, str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", MAIN, "sandbox", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    env: dict[str, str] = {}
    printed: list[str] = []
    deadline = time.monotonic() + 20
    assert proc.stdout is not None
    while "ZOOM_RATE_TIER" not in env:
        line = proc.stdout.readline()
        printed.append(line)
        if not line or time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(
                f"serve printed no settings; stderr: {proc.stderr.read() if proc.stderr else ''}"
            )
        if line.startswith("export "):
            name, _, value = line[7:].strip().partition("=")
            env[name] = value
    return proc, env, printed


def _client(env: dict[str, str]) -> ZoomClient:
    settings = ZoomSettings.from_env(env)
    deadline = time.monotonic() + 10
    while True:  # uvicorn binds just after the settings are printed
        try:
            import socket

            host, port = settings.api_url.split("//")[1].split("/")[0].split(":")
            socket.create_connection((host, int(port)), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    return ZoomClient(settings)


def _stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return out, err


def test_serve_prints_settings_that_reach_it(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps([{"email": "a@s.org", "type": "licensed"}, {"email": "b@s.org"}]))
    state = tmp_path / "state.json"
    proc, env, printed = _start("--seats", "7", "--seed-users", str(seed), "--state", str(state))
    try:
        assert env["ZOOM_API_URL"].startswith("http://127.0.0.1:")
        assert env["ZOOM_API_URL"].endswith("/v2")
        with _client(env) as zoom:
            assert zoom.accounts.plan_usage().plan_base.hosts == 7
            assert sorted(u.email for u in zoom.users.list()) == ["a@s.org", "b@s.org"]
            zoom.users.set_type("b@s.org", 2)
    finally:
        out, _err = _stop(proc)
    secret = env["ZOOM_CLIENT_SECRET"]
    assert secret != "sandbox-secret"  # a fresh secret per run, never the built-in default
    assert ("".join(printed) + out + _err).count(secret) == 1  # printed once, at startup
    assert proc.returncode == 0
    saved = json.loads(state.read_text())
    assert sorted(u["type"] for u in saved["account"]["users"]) == [2, 2]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("email,license\nok@s.org,licensed\nnot-an-email,basic\n", "row 3, column 'email'"),
        ("name,surname\nx,y\n", "no email column"),
        ("email,license\nok@s.org,gold\n", "column 'license': unknown user type"),
    ],
)
def test_bad_seed_file_is_exit_2_naming_row_and_column(tmp_path: Path, content: str, expected: str) -> None:
    seed = tmp_path / "seed.csv"
    seed.write_text(content)
    result = CliRunner().invoke(app, ["sandbox", "serve", "--port", "0", "--seed-users", str(seed)])
    assert result.exit_code == 2
    assert expected in result.output
    assert "seed.csv" in result.output


def test_xlsx_roster_seeds_users(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from zoom_client.sandbox.seed import load_seed_users

    book = Workbook()
    sheet = book.active
    sheet.title = "Teachers"
    sheet.append(["Given Name", "Family Name", "Email", "License"])
    sheet.append(["Ana", "Pop", "ana@s.org", "Licensed"])
    sheet.append(["Ion", "Ene", "ion@s.org", None])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    users = load_seed_users(path)
    assert [(u["email"], u["type"], u["first_name"]) for u in users] == [
        ("ana@s.org", 2, "Ana"),
        ("ion@s.org", 1, "Ion"),
    ]


def test_serve_a_zoom_one_account_with_owner_and_scopes() -> None:
    proc, env, _ = _start(
        "--no-plan-base",
        "--zoom-one",
        "edu_school_campus=40",
        "--pending-in-usage",
        "--basic-cap",
        "50",
        "--owner",
        "owner@s.org",
        "--scopes",
        "user:read:list_users:admin billing:read:plan_usage:admin",
    )
    try:
        with _client(env) as zoom:
            usage = zoom.accounts.plan_usage()
            assert usage.plan_base is None
            assert usage.pool("plan_zoom_one").hosts == 40  # type: ignore[union-attr]
            assert [(u.email, u.role_id) for u in zoom.users.list()] == [("owner@s.org", "0")]
            with pytest.raises(ZoomAPIError) as err:
                zoom.users.get("owner@s.org")
            assert err.value.missing_scopes == ["user:read:user:admin"]
    finally:
        _stop(proc)
    assert proc.returncode == 0


def test_a_bad_zoom_one_pair_is_exit_2() -> None:
    result = CliRunner().invoke(app, ["sandbox", "serve", "--port", "0", "--zoom-one", "gold=3"])
    assert result.exit_code == 2
    assert "--zoom-one" in result.output
    assert "edu_school_campus" in result.output


def test_serve_sub_accounts_each_with_its_own_seats() -> None:
    proc, env, _ = _start("--seats", "3", "--sub-account", "east=5", "--sub-account", "west=2")
    try:
        with _client(env) as zoom:
            assert sorted(a.id for a in zoom.accounts.list()) == ["east", "west"]
            assert zoom.accounts.plan_usage("east").plan_base.hosts == 5
            assert zoom.accounts.plan_usage("west").plan_base.hosts == 2
            zoom.sub_account("west").users.create(email="w@s.org", type=1, action="create")
            assert [u.email for u in zoom.sub_account("west").users.list(status="pending")] == ["w@s.org"]
            assert list(zoom.users.list(status="pending")) == []
    finally:
        _stop(proc)


def test_a_bad_sub_account_is_exit_2() -> None:
    result = CliRunner().invoke(app, ["sandbox", "serve", "--port", "0", "--sub-account", "east"])
    assert result.exit_code == 2
    assert "--sub-account" in result.output
