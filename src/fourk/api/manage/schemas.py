"""JSON Schemas of the management API's bodies and answers (OpenAPI components)."""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

_TIME: Schema = {"type": ["string", "null"], "format": "date-time"}
_TEXT_OR_NULL: Schema = {"type": ["string", "null"]}
_TEXTS: Schema = {"type": "array", "items": {"type": "string"}}


def _obj(*required: str, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = list(required)
    return schema


def _enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def _int(description: str = "") -> Schema:
    return {"type": "integer", "description": description} if description else {"type": "integer"}


def _user_schemas() -> dict[str, Schema]:
    user = _obj(
        id=_int(),
        username={"type": "string"},
        display_name=_TEXT_OR_NULL,
        role=_enum("user", "admin"),
        status=_enum("active", "disabled"),
        two_factor={"type": "boolean"},
        last_login_at=_TIME,
        created_at=_TIME,
    )
    return {
        "User": user,
        "UserCreate": _obj(
            "username",
            username={"type": "string"},
            role=_enum("user", "admin"),
            password={"type": "string", "description": "omit to generate one"},
        ),
        "UserPatch": _obj(
            role=_enum("user", "admin"),
            status=_enum("active", "disabled"),
            display_name={**_TEXT_OR_NULL, "description": "null or empty clears it"},
        ),
        "UserWithPassword": _obj(user=user, password={"type": "string"}),
    }


def _key_schemas() -> dict[str, Schema]:
    key = _obj(
        id=_int(),
        name={"type": "string"},
        prefix={"type": "string", "description": "the first characters, for recognising it"},
        scope=_enum("inference", "manage"),
        user_id=_int(),
        models={"type": ["array", "null"], "items": {"type": "string"}},
        expires_at=_TIME,
        revoked_at=_TIME,
        created_at=_TIME,
    )
    return {
        "Key": key,
        "KeyCreate": _obj(
            name={"type": "string"},
            models={**_TEXTS, "description": "omit for every model"},
            expires_in_days=_int("omit for a key that does not expire"),
        ),
        "NewKey": _obj(key=key, secret={"type": "string", "description": "shown this once"}),
        "TokenCreate": _obj(name={"type": "string"}, expires_in_days=_int()),
        "Me": _obj(
            id=_int(),
            username={"type": "string"},
            display_name=_TEXT_OR_NULL,
            role=_enum("user", "admin"),
        ),
    }


def _channel_options() -> Schema:
    """Every kind takes the first three; the rest belong to one kind (docs/configuration.md)
    and are refused on a channel of another. A null value leaves an option unset."""
    chat, anthropic = "openai-chat: ", "anthropic: "
    body = {"type": "object", "description": "merged into the upstream request last"}
    schema = _obj(
        model_map={"type": "object", "additionalProperties": {"type": "string"}},
        strip_codex_extras={"type": "boolean"},
        forward_headers=_TEXTS,
        developer_role={**_enum("system", "developer"), "description": chat + "default system"},
        reasoning_back={"type": "boolean", "description": chat + "send reasoning_content back"},
        max_tokens_field={
            **_enum("max_tokens", "max_completion_tokens"),
            "description": chat + "where max_output_tokens goes",
        },
        reasoning_effort={"type": "boolean", "description": chat + "send reasoning_effort"},
        extra_body={**body, "description": "openai-chat, anthropic: " + body["description"]},
        max_tokens=_int(anthropic + "when the request sets none (default 8192)"),
        max_tokens_limit=_int(anthropic + "the model's output ceiling"),
        thinking={"type": "boolean", "description": anthropic + "false: never think"},
        thinking_mode={**_enum("budget", "adaptive"), "description": anthropic + "default budget"},
        thinking_budgets={
            "type": "object",
            "additionalProperties": {"type": "integer"},
            "description": anthropic + "effort → budget_tokens",
        },
        default_effort={"type": "string", "description": anthropic + "when the request has none"},
        prompt_cache={"type": "boolean", "description": anthropic + "false: no cache_control"},
        anthropic_version={"type": "string", "description": anthropic + "default 2023-06-01"},
        anthropic_beta={"type": "string", "description": anthropic + "comma-separated"},
        auth={**_enum("x-api-key", "bearer"), "description": anthropic + "how the key is sent"},
    )
    schema["description"] = (
        "model_map, strip_codex_extras and forward_headers for any kind, the others for the "
        "kind they name (refused on another); null leaves an option unset. A change replaces "
        "the whole object."
    )
    return schema


def _channel_schemas() -> dict[str, Schema]:
    options = _channel_options()
    fields: dict[str, Schema] = {
        "name": {"type": "string"},
        "kind": {"type": "string", "description": "a provider kind, e.g. openai-responses"},
        "base_url": {"type": "string", "description": "the upstream API root, e.g. …/v1"},
        "models": _TEXTS,
        "priority": _int("higher is tried first"),
        "weight": _int("share among channels of the same priority"),
        "enabled": {"type": "boolean"},
        "options": options,
    }
    secret = {"type": "string", "writeOnly": True, "description": "write-only; never shown"}
    return {
        "Channel": _obj(
            id=_int(),
            has_api_key={"type": "boolean"},
            cooling_down={"type": "boolean"},
            requests_last_hour=_int(),
            failures_last_hour=_int(),
            last_used_at=_TIME,
            **fields,
        ),
        "ChannelCreate": _obj("name", "kind", "base_url", "models", api_key=secret, **fields),
        "ChannelPatch": _obj(api_key=secret, clear_api_key={"type": "boolean"}, **fields),
        "ChannelTest": _obj(model={"type": "string", "description": "default: its first"}),
        "ChannelTestResult": _obj(
            ok={"type": "boolean"},
            model={"type": "string"},
            latency_ms=_int(),
            status={"type": ["integer", "null"]},
            message={"type": "string"},
        ),
        "Deleted": _obj(deleted={"type": "boolean"}),
    }


def _site_schemas() -> dict[str, Schema]:
    settings = {
        "site_name": {"type": "string"},
        "public_base_url": {"type": "string", "description": "the service root, without /v1"},
        "signup_mode": _enum("open", "invite", "closed"),
        "default_model": {"type": "string"},
        "default_review_model": {"type": "string"},
        "initial_language": _enum("en", "zh"),
    }
    credit = "a new account's balance: micro-dollars, or dollars as text in a change"
    model = {
        "alias_of": {**_TEXT_OR_NULL, "description": "routes as this model"},
        "visible": {"type": "boolean"},
        "description": _TEXT_OR_NULL,
        "position": _int("lower comes first"),
    }
    return {
        "Settings": _obj(
            effective_base_url={"type": "string"},
            initial_credit={**_MICRO, "description": credit},
            **settings,
        ),
        "SettingsPatch": _obj(initial_credit={**_MONEY_IN, "description": credit}, **settings),
        "Model": _obj(
            name={"type": "string"},
            channels=_TEXTS,
            routable={"type": "boolean"},
            in_catalog={"type": "boolean"},
            **model,
        ),
        "ModelCreate": _obj("name", name={"type": "string"}, **model),
        "ModelPatch": _obj(**model),
        "Invite": _obj(
            id=_int(),
            code={"type": "string"},
            max_uses=_int(),
            uses=_int(),
            expires_at=_TIME,
            created_at=_TIME,
        ),
        "InviteCreate": _obj(max_uses=_int(), expires_in_days=_int()),
    }


_MICRO: Schema = {"type": "integer", "description": "micro-dollars (1_000_000 is $1)"}
_MONEY_IN: Schema = {
    "type": ["integer", "string"],
    "description": 'micro-dollars as an integer, or dollars as text ("2.50")',
}


def _money_schemas() -> dict[str, Schema]:
    entry = _obj(
        id=_int(),
        user_id=_int(),
        amount={**_MICRO, "description": "micro-dollars; negative takes money away"},
        kind=_enum("charge", "topup", "deduct", "redeem", "initial"),
        reason=_TEXT_OR_NULL,
        request_id=_TEXT_OR_NULL,
        key_id={"type": ["integer", "null"]},
        actor_id={"type": ["integer", "null"], "description": "who made a manual change"},
        created_at=_TIME,
    )
    price = {
        "type": ["object", "null"],
        "properties": {
            "input": _MICRO,
            "cached_input": _MICRO,
            "output": _MICRO,
            "cache_write": {"type": ["integer", "null"], "description": "null: billed as input"},
        },
        "description": "micro-dollars per million tokens; null: no price (free)",
    }
    balance = {"user_id": _int(), "balance": _MICRO, "display": {"type": "string"}}
    return {
        "Balance": _obj(**balance),
        "LedgerPage": _obj(
            data={"type": "array", "items": entry},
            next_before={"type": ["integer", "null"], "description": "?before= for the next page"},
        ),
        "Redeem": _obj("code", code={"type": "string"}),
        "Redeemed": _obj(amount=_MICRO, **balance),
        "BalanceChange": _obj(
            "kind",
            "amount",
            "reason",
            kind=_enum("topup", "deduct"),
            amount=_MONEY_IN,
            reason={"type": "string"},
        ),
        "PriceRow": _obj(
            model={"type": "string"},
            price=price,
            source={"type": ["string", "null"], "enum": ["operator", "default", "alias", None]},
            default=price,
            served={"type": "boolean"},
            alias_of=_TEXT_OR_NULL,
        ),
        "PriceSet": _obj(
            "input",
            "output",
            input=_MONEY_IN,
            cached_input={**_MONEY_IN, "description": "default: input"},
            output=_MONEY_IN,
            cache_write={**_MONEY_IN, "description": "default: as input"},
        ),
        **_code_schemas(),
    }


def _code_schemas() -> dict[str, Schema]:
    batch = _obj(
        batch={"type": "string"},
        amount=_MICRO,
        count=_int(),
        redeemed=_int(),
        expired=_int("not redeemed and past expiry"),
        created_at=_TIME,
        expires_at=_TIME,
    )
    code = _obj(
        id=_int(),
        amount=_MICRO,
        expires_at=_TIME,
        created_at=_TIME,
        redeemed_by={"type": ["integer", "null"]},
        redeemed_by_name=_TEXT_OR_NULL,
        redeemed_at=_TIME,
    )
    return {
        "CodeBatches": _obj(
            data={"type": "array", "items": batch},
            codes={"type": "array", "items": code, "description": "with ?batch= only"},
        ),
        "CodeBatchCreate": _obj(
            "amount",
            count=_int("1 to 1000 (default 1)"),
            amount=_MONEY_IN,
            expires_in_days=_int("omit for codes that do not expire"),
            batch={"type": "string", "description": "a label (default: the time)"},
        ),
        "NewCodeBatch": _obj(
            batch={"type": "string"},
            amount=_MICRO,
            expires_at=_TIME,
            codes={**_TEXTS, "description": "shown this once; only digests are stored"},
        ),
    }


def _limits_schemas() -> dict[str, Schema]:
    rates = {
        "rpm": "requests per minute",
        "tpm": "tokens per minute",
        "concurrency": "requests at a time",
    }
    spends = {"spend_day": "per UTC day", "spend_month": "per UTC month", "spend_total": "in all"}
    nullable_int = {"type": ["integer", "null"]}
    values = _obj(
        **{n: {**nullable_int, "minimum": 1, "description": f"{d}; null: no limit"}
           for n, d in rates.items()},
        **{n: {**nullable_int, "minimum": 0, "description": f"micro-dollars {d}; null: no limit"}
           for n, d in spends.items()},
    )  # fmt: skip
    money_in = {"type": ["integer", "string", "null"], "description": _MONEY_IN["description"]}
    body = _obj(
        **{n: {**nullable_int, "minimum": 1, "description": d} for n, d in rates.items()},
        **{n: {**money_in, "description": f"{money_in['description']} {d}"}
           for n, d in spends.items()},
    )  # fmt: skip
    display = {"type": "string", "description": 'for people: "60 rpm · $5.00/day"'}
    user = _obj(user_id=_int(), limits=values, display=display)
    key = _obj(
        key_id=_int(),
        user_id=_int("the key's owner"),
        name={"type": "string"},
        prefix={"type": "string"},
        limits=values,
        display=display,
    )
    return {
        "LimitsSet": {**body, "description": "every limit at once; missing or null: no limit"},
        "UserLimits": user,
        "KeyLimits": key,
        "MyLimits": _obj(user=user, keys={"type": "array", "items": key}),
    }


def components() -> dict[str, Schema]:
    error = _obj(
        message={"type": "string"},
        type={"type": "string"},
        code={"type": ["string", "null"]},
        param={"type": ["string", "null"]},
    )
    return {
        "Error": _obj("error", error=error),
        **_user_schemas(),
        **_key_schemas(),
        **_channel_schemas(),
        **_site_schemas(),
        **_money_schemas(),
        **_limits_schemas(),
    }
