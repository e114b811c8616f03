"""Every request the client can build, checked against Zoom's published OpenAPI specs.

Users (and groups, which the 2025 Users spec also carries) are checked against
ZoomUserAPISpec_2025-03; accounts and plans against the 2021 unified spec, which is also asked
whether the group endpoints exist. For each request: the path and method exist, every query
parameter and body field (nested too) is one the spec names, with the spec's JSON type and enum,
and the required ones are present. Sub-account calls are the same calls under
/accounts/{accountId} (no spec lists them; ZOOM_API.md §2.2), so their suffix is checked.
"""

from __future__ import annotations

import inspect
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest

from zoom_client import AsyncZoomClient, CreateAction, ZoomSettings
from zoom_client.accounts import Accounts
from zoom_client.groups import Groups
from zoom_client.users import Users

from .conftest import API, OAUTH, SECRET

pytestmark = pytest.mark.shared

USERS_SPEC = "ZoomUserAPISpec_2025-03_folio-sec-patched.json"
UNIFIED_SPEC = "zoom-api-v2-unified_2021-08_oxidecomputer.json"


@cache
def load(path: str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def answer(request: httpx.Request) -> httpx.Response:
    """A plausible 2xx for any call, so every method runs to the end."""
    if request.url.host == "zoom.test":
        return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
    path, method = request.url.path, request.method
    if method in ("PATCH", "PUT", "DELETE"):
        return httpx.Response(204)
    if path.endswith("/features"):
        return httpx.Response(201, json={"success_user_ids": [], "fail_details": []})
    if path.endswith("/members") and method == "POST":
        return httpx.Response(201, json={"ids": "u1"})
    if method == "POST":
        return httpx.Response(201, json={"id": "x", "email": "e@x.org", "type": 2, "name": "n"})
    for key in ("users", "groups", "members", "accounts"):
        if path.endswith(f"/{key}"):
            return httpx.Response(200, json={key: [], "next_page_token": ""})
    return httpx.Response(200, json={"id": "x", "email": "e@x.org", "type": 2, "name": "n"})


async def exercise(client: AsyncZoomClient) -> set[tuple[str, str]]:
    """Call every public resource method with every option set; returns (resource, method) run."""
    done: set[tuple[str, str]] = set()
    for label, users, groups in (
        ("", client.users, client.groups),
        ("sub", client.sub_account("sa1").users, client.sub_account("sa1").groups),
    ):
        for status in ("active", "inactive", "pending"):
            await users.list(status=status, page_size=300, role_id="2").to_list()
        await users.get("a@x.org")
        for action in CreateAction:
            await users.create(
                email="a@x.org", type=2, action=action, first_name="A", last_name="B", display_name="A B"
            )
        await users.update(
            "u1",
            type=1,
            first_name="A",
            last_name="B",
            display_name="A B",
            dept="D",
            group_id="g1",
            job_title="T",
            company="C",
            location="L",
            language="en-US",
            timezone="Europe/Kyiv",
        )
        await users.set_type("u1", 2)
        await users.set_type("u1", 4)
        await users.set_zoom_one_type("u1", 18014398509481984)
        await users.create(email="a@x.org", type=1, zoom_one_type=576460752303423488)
        await users.bulk_zoom_one_type(144115188075855872, user_ids=["u1"], emails=["b@x.org"])
        await users.bulk_large_meeting(500, user_ids=["u1"])
        await users.bulk_user_type(1, emails=["b@x.org"])
        await users.activate("u1")
        await users.deactivate("u1")
        await users.disassociate("u1")
        await users.delete("u1", permanently=True)
        await users.get_settings("u1")
        await users.update_features(
            "u1", large_meeting=True, large_meeting_capacity=500, webinar=True, webinar_capacity=500
        )
        await users.bulk_features(
            feature_type="user_type", feature_value=2, user_ids=["u1"], emails=["b@x.org"]
        )
        await users.summary()
        await groups.list().to_list()
        await groups.get("g1")
        await groups.create("School 0421")
        await groups.delete("g1")
        await groups.list_members("g1").to_list()
        await groups.add_members("g1", user_ids=["u1"], emails=["b@x.org"])
        await groups.remove_member("g1", "u1")
        await groups.move_member("g1", "u1", target_group_id="g2")
        if not label:
            done |= {("users", n) for n in public_methods(Users)} | {
                ("groups", n) for n in public_methods(Groups)
            }
    await client.accounts.plan_usage()
    await client.accounts.plan_usage("sa1")
    await client.accounts.managed_domains()
    await client.accounts.list().to_list()
    done |= {("accounts", n) for n in public_methods(Accounts)}
    return done


def public_methods(cls: type) -> set[str]:
    return {n for n, f in inspect.getmembers(cls, inspect.isfunction) if not n.startswith("_")}


def find_operation(spec: dict[str, Any], method: str, path: str) -> tuple[str, dict[str, Any]] | None:
    """The spec operation for a concrete path; fixed segments beat {params} (/users/summary)."""
    matches = []
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            matches.append((template.count("{"), template, item))
    if not matches:
        return None
    _, template, item = min(matches)
    op = dict(item[method.lower()])
    op["parameters"] = list(item.get("parameters", [])) + list(op.get("parameters", []))
    return template, op


def resolve(spec: dict[str, Any], schema: dict[str, Any] | None) -> dict[str, Any]:
    """A schema with $ref followed and allOf/oneOf/anyOf merged into one property set."""
    schema = dict(schema or {})
    while "$ref" in schema:
        node: Any = spec
        for part in schema.pop("$ref").lstrip("#/").split("/"):
            node = node[part]
        schema = {**node, **schema}
    props = dict(schema.get("properties", {}))
    required = set(schema.get("required", []))
    for key in ("allOf", "oneOf", "anyOf"):
        for sub in schema.get(key, []):
            sub = resolve(spec, sub)
            props.update(sub.get("properties", {}))
            if key == "allOf":
                required |= set(sub.get("required", []))
    return {**schema, "properties": props, "required": sorted(required)}


JSON_TYPES = {
    "string": str,
    "integer": int,
    "boolean": bool,
    "object": dict,
    "array": list,
    "number": (int, float),
}


def check_value(spec: dict[str, Any], schema: dict[str, Any], value: Any, where: str) -> list[str]:
    schema = resolve(spec, schema)
    problems = []
    expected = schema.get("type")
    if expected in JSON_TYPES and (
        not isinstance(value, JSON_TYPES[expected]) or (expected == "integer" and isinstance(value, bool))
    ):
        problems.append(f"{where}: {value!r} is not {expected}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} not in {schema['enum']}")
    if isinstance(value, dict):
        problems += check_object(spec, schema, value, where)
    if isinstance(value, list) and "items" in schema:
        for i, item in enumerate(value):
            problems += check_value(spec, schema["items"], item, f"{where}[{i}]")
    return problems


def check_object(
    spec: dict[str, Any], schema: dict[str, Any], value: dict[str, Any], where: str
) -> list[str]:
    schema = resolve(spec, schema)
    problems = [f"{where}.{k}: not in the spec" for k in value if k not in schema["properties"]]
    problems += [f"{where}.{k}: required but missing" for k in schema["required"] if k not in value]
    for key, item in value.items():
        if key in schema["properties"]:
            problems += check_value(spec, schema["properties"][key], item, f"{where}.{key}")
    return problems


def body_schema(op: dict[str, Any]) -> dict[str, Any] | None:
    if "requestBody" in op:  # OpenAPI 3
        return op["requestBody"].get("content", {}).get("application/json", {}).get("schema")
    for param in op["parameters"]:  # Swagger 2
        if param.get("in") == "body":
            return param.get("schema")
    return None


def check_request(spec: dict[str, Any], name: str, request: httpx.Request) -> list[str]:
    path = request.url.path.removeprefix("/v2")
    path = re.sub(r"^/accounts/[^/]+(?=/(users|groups)(/|$))", "", path)
    label = f"{request.method} {path} [{name}]"
    found = find_operation(spec, request.method, path)
    if found is None:
        return [f"{label}: no such operation"]
    _, op = found
    problems = []
    query_params = {p["name"]: p for p in op["parameters"] if p.get("in") == "query"}
    for key, value in request.url.params.multi_items():
        param = query_params.get(key)
        if param is None:
            problems.append(f"{label}: query {key!r} not in the spec")
            continue
        schema = param.get("schema", param)
        if "enum" in schema and value not in schema["enum"]:
            problems.append(f"{label}: query {key}={value!r} not in {schema['enum']}")
        if "maximum" in schema and value.isdigit() and int(value) > schema["maximum"]:
            problems.append(f"{label}: query {key}={value} above the spec's maximum {schema['maximum']}")
    problems += [
        f"{label}: required query {k!r} missing"
        for k, p in query_params.items()
        if p.get("required") and k not in request.url.params
    ]
    schema = body_schema(op)
    if request.content:
        if schema is None:
            problems.append(f"{label}: sends a body the spec does not take")
        else:
            problems += check_value(spec, schema, json.loads(request.content), label)
    elif schema is not None and any(p.get("in") == "body" and p.get("required") for p in op["parameters"]):
        problems.append(f"{label}: required body missing")
    return problems


def spec_for(path: str) -> str:
    return (
        UNIFIED_SPEC
        if path.removeprefix("/v2").startswith("/accounts") and "/users" not in path and "/groups" not in path
        else USERS_SPEC
    )


async def recorded_requests() -> tuple[list[httpx.Request], set[tuple[str, str]]]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        requests.append(request)
        return answer(request)

    settings = ZoomSettings(account_id="a", client_id="c", client_secret=SECRET, api_url=API, oauth_url=OAUTH)

    async def no_sleep(_: float) -> None:
        return None

    async with AsyncZoomClient(settings, transport=httpx.MockTransport(handler), sleep=no_sleep) as client:
        done = await exercise(client)
    return [r for r in requests if r.url.host != "zoom.test"], done


async def test_every_resource_method_is_exercised() -> None:
    _, done = await recorded_requests()
    expected = (
        {("users", n) for n in public_methods(Users)}
        | {("groups", n) for n in public_methods(Groups)}
        | {("accounts", n) for n in public_methods(Accounts)}
    )
    assert done == expected


async def test_every_request_matches_zoom_spec(shared_dir: Path) -> None:
    requests, _ = await recorded_requests()
    assert len(requests) >= 50
    problems: list[str] = []
    for request in requests:
        name = spec_for(request.url.path)
        problems += check_request(load(str(shared_dir / "zoom-spec" / name)), name, request)
    assert problems == []


async def test_group_and_account_endpoints_exist_in_the_2021_spec(shared_dir: Path) -> None:
    spec = load(str(shared_dir / "zoom-spec" / UNIFIED_SPEC))
    requests, _ = await recorded_requests()
    missing = set()
    for request in requests:
        path = re.sub(r"^/accounts/[^/]+(?=/(users|groups)(/|$))", "", request.url.path.removeprefix("/v2"))
        if path.startswith(("/groups", "/accounts")) and find_operation(spec, request.method, path) is None:
            missing.add(f"{request.method} {path}")
    assert missing == set()


def test_checker_catches_a_wrong_shape(shared_dir: Path) -> None:
    """The checker itself can fail: a misspelt field, a wrong type and a missing required field."""
    spec = load(str(shared_dir / "zoom-spec" / USERS_SPEC))
    bad = httpx.Request(
        "POST", f"{API}/users", json={"action": "create", "user_info": {"emial": "a@x", "type": "2"}}
    )
    problems = check_request(spec, USERS_SPEC, bad)
    assert any("emial: not in the spec" in p for p in problems)
    assert any("'2' is not integer" in p for p in problems)
    assert any("email: required but missing" in p for p in problems)
    wrong_query = httpx.Request("GET", f"{API}/users", params={"statuss": "active"})
    assert check_request(spec, USERS_SPEC, wrong_query) == [
        f"GET /users [{USERS_SPEC}]: query 'statuss' not in the spec"
    ]
    assert check_request(spec, USERS_SPEC, httpx.Request("GET", f"{API}/userz")) != []


LABEL = re.compile(r"Rate Limit Label\]\([^)]*\)\*?\*?:?\*?\*?\s*`?([A-Za-z-]+)")


async def test_rate_categories_match_the_spec_labels(shared_dir: Path) -> None:
    """The limiter files each call under the label Zoom's spec gives the operation."""
    from zoom_client.ratelimit import category_for

    requests, _ = await recorded_requests()
    mismatches = set()
    for request in requests:
        path = re.sub(r"^/accounts/[^/]+(?=/(users|groups)(/|$))", "", request.url.path.removeprefix("/v2"))
        spec = load(str(shared_dir / "zoom-spec" / spec_for(request.url.path)))
        found = find_operation(spec, request.method, path)
        assert found is not None
        label = LABEL.search(found[1].get("description", ""))
        assert label is not None, f"{request.method} {path}: no rate label in the spec"
        ours = category_for(request.method, request.url.path.removeprefix("/v2")).value
        if ours.lower() != label.group(1).lower():
            mismatches.add(f"{request.method} {path}: ours {ours}, spec {label.group(1)}")
    assert mismatches == set()
