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
from fourk.protocols.chat.request_encode import chat_options
from fourk.providers.base import UpstreamCall, UpstreamConnectError, UpstreamReply
from fourk.providers.sim import SimReplyAdapter
from fourk.routing.channel import Channel
from fourk.services.channel_admin import (
    GENERAL_OPTIONS,
    PROTOCOL_OPTIONS,
    ChannelOptions,
    ChannelPatch,
    check_patch,
    decode_options,
)
from fourk.services.channel_probe import describe_answer, probe_channel
from fourk.services.channels import ChannelError
from fourk.services.user_admin import UserPatch, leaves_no_admin
from fourk.services.user_admin import check_patch as check_user_patch

NOW = datetime(2026, 11, 27, tzinfo=UTC)
DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CONFIGURATION = DOCS.parent / "configuration.md"


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
        {"model_map": {" a ": " b "}, "forward_headers": ["X-One", "x-one", " "]},
        "openai-responses",
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
            decode_options(bad, "openai-responses")


def test_protocol_options_are_stored_at_the_top_level_for_their_kind() -> None:
    chat = decode_options(
        {
            "model_map": {"a": "b"},
            "reasoning_back": True,
            "developer_role": "developer",
            "extra_body": {"stream_options": None},
            "reasoning_effort": None,  # null: unset
        },
        "openai-chat",
    )
    assert chat.encode() == {
        "model_map": {"a": "b"},
        "reasoning_back": True,
        "developer_role": "developer",
        "extra_body": {"stream_options": None},
    }
    read = chat_options(chat.encode())  # what the translator will see
    assert read.reasoning_back and read.developer_role == "developer"
    claude = {
        "max_tokens": 16000,
        "thinking_mode": "adaptive",
        "thinking_budgets": {"high": 16000},
        "default_effort": "medium",
        "prompt_cache": False,
        "anthropic_beta": "a,b",
        "auth": "bearer",
    }
    assert decode_options(claude, "anthropic").encode() == claude
    assert decode_options({}, "sim").encode() == {}


@pytest.mark.parametrize(
    ("kind", "raw", "words"),
    [
        ("openai-chat", {"developer_role": "boss"}, "'developer_role' must be"),
        ("openai-chat", {"reasoning_back": "yes"}, "'reasoning_back' must be true or false"),
        ("openai-chat", {"max_tokens_field": 5}, "'max_tokens_field' must be"),
        ("openai-chat", {"extra_body": [1]}, "'extra_body' must be a JSON object"),
        ("anthropic", {"max_tokens": 0}, "'max_tokens' must be a whole number"),
        ("anthropic", {"max_tokens_limit": "8k"}, "'max_tokens_limit' must be a whole number"),
        ("anthropic", {"thinking": "on"}, "'thinking' must be true or false"),
        ("anthropic", {"thinking_mode": "deep"}, "'thinking_mode' must be one of"),
        ("anthropic", {"thinking_budgets": {"huge": 1}}, "'thinking_budgets' must map"),
        ("anthropic", {"thinking_budgets": {"high": -1}}, "'thinking_budgets' must map"),
        ("anthropic", {"default_effort": "extreme"}, "'default_effort' must be one of"),
        ("anthropic", {"anthropic_beta": "a\nb"}, "'anthropic_beta' must be text"),
        ("anthropic", {"auth": "basic"}, "'auth' must be one of"),
        ("anthropic", {"reasoning_back": True}, "'reasoning_back' is for openai-chat channels"),
        ("openai-chat", {"thinking": True}, "'thinking' is for anthropic channels"),
        ("openai-responses", {"extra_body": {}}, "openai-chat and anthropic channels"),
        ("sim", {"colour": "red"}, "unknown option 'colour'"),
        ("openai-chat", {"colour": "red"}, "openai-chat takes: model_map"),
        (None, {"thinking": True}, "set the channel's kind"),
    ],
)
def test_a_wrong_protocol_option_is_named(
    kind: str | None, raw: dict[str, object], words: str
) -> None:
    with pytest.raises(ChannelError) as failure:
        decode_options(raw, kind)
    assert words in str(failure.value)


def test_options_built_for_another_kind_are_refused_by_the_patch() -> None:
    options = decode_options({"reasoning_back": True}, "openai-chat")
    assert check_patch(ChannelPatch(options=options), "openai-chat")["options"] == {
        "reasoning_back": True
    }
    with pytest.raises(ChannelError, match="for openai-chat channels, not anthropic"):
        check_patch(ChannelPatch(options=options), "anthropic")
    with pytest.raises(ChannelError, match="not openai-responses"):
        check_patch(ChannelPatch(kind="openai-responses", options=options), "openai-chat")
    assert "options" in check_patch(ChannelPatch(options=ChannelOptions()), "anthropic")


def test_every_channel_option_is_in_the_schema_and_the_docs() -> None:
    app, _ = api_routes()
    schema = orjson.loads(app[OPENAPI])["components"]["schemas"]["ChannelPatch"]
    listed = set(schema["properties"]["options"]["properties"])
    every = {*GENERAL_OPTIONS, *(name for names in PROTOCOL_OPTIONS.values() for name in names)}
    assert listed == every
    text = CONFIGURATION.read_text()
    assert not [name for name in sorted(every) if f"| `{name}` |" not in text]


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
