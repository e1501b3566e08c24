"""`fourk channel …`: upstream channels from the command line."""

from __future__ import annotations

import json
from typing import Any

import click

from fourk.cli import _pairs, _split, _upstream_secret, data_dir_option, main, with_store
from fourk.providers.registry import DESCRIPTIONS, KINDS
from fourk.services import channels
from fourk.services.channel_admin import decode_options
from fourk.services.store_bundle import Store

# ---- channels -------------------------------------------------------------------------------


@main.group()
def channel() -> None:
    """Manage channels (upstream accounts)."""


@channel.command("add")
@click.argument("name")
@click.option(
    "--kind",
    required=True,
    type=click.Choice(KINDS),
    help="Upstream protocol: " + "; ".join(f"{k}: {d}" for k, d in DESCRIPTIONS.items()) + ".",
)
@click.option(
    "--base-url",
    required=True,
    help="Upstream API root as its own SDK takes it: https://api.openai.com/v1 (fourk appends "
    "/responses), https://api.deepseek.com/v1 (openai-chat: /chat/completions), "
    "https://api.anthropic.com (anthropic: /v1/messages).",
)
@click.option("--models", required=True, help="Comma-separated model names it serves.")
@click.option(
    "--api-key-env",
    default=None,
    help="Name of an environment variable holding "
    "the upstream API key (never pass the key itself on the command line).",
)
@click.option("--no-api-key", is_flag=True, help="The upstream needs no key.")
@click.option(
    "--priority", type=int, default=0, show_default=True, help="Higher priorities are tried first."
)
@click.option(
    "--weight",
    type=int,
    default=1,
    show_default=True,
    help="Share of traffic among channels of the same priority.",
)
@click.option(
    "--model-map", default=None, help="Rename models upstream: client=upstream[,client2=upstream2]."
)
@click.option(
    "--strip-codex-extras",
    is_flag=True,
    help="Remove Codex-only fields (client_metadata, item metadata) for strict upstreams.",
)
@click.option(
    "--forward-header",
    "forward_headers",
    multiple=True,
    help="Also pass this client header on to the upstream (repeatable).",
)
@click.option(
    "--option",
    "extra_options",
    multiple=True,
    metavar="KEY=VALUE",
    help="A channel option of its kind, e.g. reasoning_back=true or max_tokens=16000 "
    "(repeatable; VALUE is read as JSON when it parses, else as text). See "
    "docs/configuration.md.",
)
@data_dir_option
@with_store
async def channel_add(
    store: Store,
    name: str,
    kind: str,
    base_url: str,
    models: str,
    api_key_env: str | None,
    no_api_key: bool,
    priority: int,
    weight: int,
    model_map: str | None,
    strip_codex_extras: bool,
    forward_headers: tuple[str, ...],
    extra_options: tuple[str, ...],
) -> None:
    """Add a channel."""
    raw = _options(extra_options)
    if model_map:
        raw["model_map"] = _pairs(model_map)
    if strip_codex_extras:
        raw["strip_codex_extras"] = True
    if forward_headers:
        raw["forward_headers"] = list(forward_headers)
    options = decode_options(raw, kind).encode()
    secret = _upstream_secret(api_key_env, no_api_key)
    channel_id = await channels.add_channel(
        store,
        name=name,
        kind=kind,
        base_url=base_url,
        models=_split(models) or [],
        api_key=secret,
        priority=priority,
        weight=weight,
        options=options,
    )
    click.echo(f"Added channel {name} (id {channel_id}).", err=True)


def _options(pairs: tuple[str, ...]) -> dict[str, Any]:
    """`--option KEY=VALUE` values: VALUE as JSON when it parses (true, 16000, {"a": 1}),
    else as the text it is (2023-06-01, bearer)."""
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--option")
        try:
            options[key.strip()] = json.loads(value)
        except ValueError:
            options[key.strip()] = value
    return options


@channel.command("list")
@data_dir_option
@with_store
async def channel_list(store: Store) -> None:
    """List channels (secrets are never shown)."""
    for row in await store.channels.all():
        click.echo(
            "\t".join(
                [
                    str(row.id),
                    row.name,
                    row.kind,
                    row.base_url,
                    ",".join(row.models),
                    f"priority={row.priority}",
                    f"weight={row.weight}",
                    "enabled" if row.enabled else "disabled",
                    "key=set" if row.sealed_secret else "key=none",
                    *([f"options={json.dumps(row.options)}"] if row.options else []),
                ]
            )
        )


@channel.command("disable")
@click.argument("name")
@data_dir_option
@with_store
async def channel_disable(store: Store, name: str) -> None:
    """Stop routing requests to a channel."""
    await channels.set_enabled(store, name, False)
    click.echo(f"Disabled channel {name}.", err=True)


@channel.command("enable")
@click.argument("name")
@data_dir_option
@with_store
async def channel_enable(store: Store, name: str) -> None:
    """Route requests to a channel again."""
    await channels.set_enabled(store, name, True)
    click.echo(f"Enabled channel {name}.", err=True)
