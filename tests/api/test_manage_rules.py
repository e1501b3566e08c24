"""The management API's pure parts: the last-admin rule, input checks, the Test button's
verdicts, and the OpenAPI document and docs that must cover every /api route."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
from aiohttp import web

from fourk.accounts.records import User
from fourk.api.manage import add_manage_routes
from fourk.api.manage.fields import Fields
from fourk.api.manage.openapi import OPENAPI
from fourk.api.manage.routes import ROUTES
from fourk.errors import InvalidRequest
from fourk.providers.base import UpstreamCall, UpstreamConnectError, UpstreamReply
from fourk.providers.sim import SimReplyAdapter
from fourk.routing.channel import Channel
from fourk.services.channel_admin import ChannelPatch, check_patch, decode_options
from fourk.services.channel_probe import describe_answer, probe_channel
from fourk.services.channels import ChannelError
from fourk.services.user_admin import UserPatch, leaves_no_admin
from fourk.services.user_admin import check_patch as check_user_patch

NOW = datetime(2026, 11, 27, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def user(uid: int, role: str = "user", status: str = "active") -> User:
    return User(id=uid, username=f"u{uid}", role=role, status=status, created_at=NOW)


def test_the_last_active_admin_cannot_be_demoted_or_disabled() -> None:
    boss, other, off = user(1, "admin"), user(2), user(3, "admin", "disabled")
    people = [boss, other, off]
    assert leaves_no_admin(people, boss, UserPatch(role="user"))
    assert leaves_no_admin(people, boss, UserPatch(status="disabled"))
    assert not leaves_no_admin(people, boss, UserPatch(display_name="Boss"))
    assert not leaves_no_admin(people, other, UserPatch(status="disabled"))
    # a second active admin makes it fine; enabling a disabled admin counts too
    assert not leaves_no_admin([*people, user(4, "admin")], boss, UserPatch(role="user"))
    assert not leaves_no_admin([boss, off], off, UserPatch(status="active"))


def test_user_patch_values_are_checked() -> None:
    assert check_user_patch(UserPatch(display_name="  Ada   L. ")).display_name == "Ada L."
    for bad in (
        UserPatch(role="root"),
        UserPatch(status="gone"),
        UserPatch(display_name="x" * 129),
    ):
        with pytest.raises(ValueError):
            check_user_patch(bad)


def test_channel_options_are_checked_and_tidied() -> None:
    options = decode_options(
        {"model_map": {" a ": " b "}, "forward_headers": ["X-One", "x-one", " "]}
    )
    assert options.model_map == {"a": "b"} and options.forward_headers == ("x-one",)
    assert options.encode() == {"model_map": {"a": "b"}, "forward_headers": ["x-one"]}
    for bad in (
        {"model_map": {"a": 1}},
        {"forward_headers": ["Authorization"]},  # never pass the client's credential on
        {"forward_headers": ["bad header"]},
        {"strip_codex_extras": "yes"},
        {"surprise": True},
    ):
        with pytest.raises(ChannelError):
            decode_options(bad)


def test_channel_patch_checks_each_field_it_sets() -> None:
    assert check_patch(ChannelPatch(), "openai-responses") == {}
    values = check_patch(
        ChannelPatch(base_url=" https://x.example/v1/ ", models=["a", " a", "b"], weight=0),
        "openai-responses",
    )
    assert values == {"base_url": "https://x.example/v1", "models": ["a", "b"], "weight": 0}
    for bad in (
        ChannelPatch(kind="carrier-pigeon"),
        ChannelPatch(base_url="ftp://x"),
        ChannelPatch(models=[" "]),
        ChannelPatch(weight=-1),
        ChannelPatch(name=""),
    ):
        with pytest.raises(ChannelError):
            check_patch(bad, "openai-responses")


def test_the_test_verdict_never_repeats_the_secret() -> None:
    ok, text = describe_answer(200, b'{"output":[{"content":[{"text":"OK"}]}]}', "s3cret")
    assert ok and text == "OK"
    body = orjson.dumps({"error": {"message": "Incorrect API key provided: s3cret"}})
    ok, text = describe_answer(401, body, "s3cret")
    assert not ok and text == "HTTP 401: Incorrect API key provided: [secret]"
    assert describe_answer(502, b"Bad gateway", None) == (False, "HTTP 502: Bad gateway")
    assert describe_answer(200, b"<html>", None)[0] is False


class Slow:
    kind = "x"
    wire = "responses"

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.calls: list[UpstreamCall] = []

    async def open(self, call: UpstreamCall) -> UpstreamReply:
        self.calls.append(call)
        if self.fail:
            raise UpstreamConnectError("ClientConnectorError")
        await asyncio.sleep(5)
        return SimReplyAdapter(200, {}, b"{}")

    async def close(self) -> None:
        return None


async def test_a_test_call_has_a_deadline_and_says_when_unreachable() -> None:
    channel = Channel(
        id=1, name="c", kind="x", base_url="http://c", models=("m",),
        options={"model_map": {"m": "m-upstream"}},
    )  # fmt: skip
    slow = Slow()
    result = await probe_channel(slow, channel, "m", within=0.05)
    assert not result.ok and result.status is None and "no answer within 0.05s" in result.message
    sent = orjson.loads(slow.calls[0].body)
    assert sent["model"] == result.model == "m-upstream" and sent["stream"] is False
    result = await probe_channel(Slow(fail=True), channel, "m", within=1)
    assert not result.ok and "could not reach" in result.message


def test_fields_name_the_field_that_is_wrong() -> None:
    fields = Fields({"name": "x", "n": True, "list": ["a", 1]})
    assert fields.text("name") == "x" and fields.text("absent") is None
    with pytest.raises(InvalidRequest, match="'n' must be an integer"):
        fields.integer("n")
    with pytest.raises(InvalidRequest, match="'list' must be a list of strings"):
        fields.texts("list")
    with pytest.raises(InvalidRequest, match="Missing required field 'need'"):
        fields.text("need", required=True)
    with pytest.raises(InvalidRequest, match="Unknown field"):
        fields.only(("name",))
    with pytest.raises(InvalidRequest, match="JSON object"):
        Fields([1, 2])


# ---- every route documented ----------------------------------------------------------------


def api_routes() -> tuple[web.Application, set[tuple[str, str]]]:
    app = web.Application()
    add_manage_routes(app)
    routes = {
        (r.method, r.resource.canonical)
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None and (r.name or "").startswith("api:")
    }
    return app, routes


def test_every_api_route_is_in_the_openapi_document() -> None:
    app, routes = api_routes()
    document = orjson.loads(app[OPENAPI])
    assert document["openapi"].startswith("3.1")
    described = {
        (method.upper(), path) for path, ops in document["paths"].items() for method in ops
    }
    assert routes == described
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)) == len(ROUTES)
    refs = orjson.dumps(document).decode().split('"#/components/schemas/')[1:]
    missing = {ref.split('"')[0] for ref in refs} - set(document["components"]["schemas"])
    assert not missing, f"schemas referred to but not defined: {missing}"


def test_every_api_route_is_in_the_docs() -> None:
    _, routes = api_routes()
    text = DOCS.read_text()
    missing = [f"{m} {p}" for m, p in sorted(routes) if f"| {m} | `{p}` |" not in text]
    assert not missing, f"undocumented routes: {missing}"


def test_only_the_document_itself_is_public() -> None:
    public = [r.name for r in ROUTES if r.access == "public"]
    assert public == ["api:openapi"]
    assert all(r.access == "user" for r in ROUTES if r.path.startswith("/api/me"))
