"""The `fourk` command. Thin: parses arguments, calls services, prints results.

Results that scripts want (a new key) go to stdout alone; everything else goes to stderr.
"""

from __future__ import annotations

import asyncio
import errno
import functools
import os
import re
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from sqlalchemy.exc import SQLAlchemyError

from fourk.billing.pricing import format_dollars, parse_dollars
from fourk.codex.config import render_auth_json, render_config_toml
from fourk.limits.codec import encode_limits
from fourk.limits.describe import describe_limits, merge_limits
from fourk.server import run_server
from fourk.services import accounts, bootstrap, channels
from fourk.services.site import SiteConfig
from fourk.services.store_bundle import DataDirMissing, Store, open_store
from fourk.settings import Settings
from fourk.sim.options import DEFAULT_MODELS, SimOptions
from fourk.sim.server import run_sim
from fourk.store.channels import ChannelNameTaken
from fourk.store.users import UsernameTaken

T = TypeVar("T")

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="FOURK_DATA_DIR",
    help="Data directory (database, server secret). Env: FOURK_DATA_DIR. "
    "Default: ~/.local/share/fourk.",
)


def _settings(data_dir: Path | None, **overrides: Any) -> Settings:
    try:
        return Settings.load(data_dir=data_dir, **overrides)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc


def _run(coro: Awaitable[T]) -> T:
    """Run a command's coroutine; known failures become one clear line, not a traceback."""
    try:
        return asyncio.run(coro)  # type: ignore[arg-type]
    except DataDirMissing as exc:
        raise click.ClickException(str(exc)) from exc
    except (
        accounts.NotFoundError,
        channels.ChannelError,
        UsernameTaken,
        ChannelNameTaken,
        ValueError,
    ) as exc:
        raise click.ClickException(str(exc)) from exc
    except (SQLAlchemyError, OSError) as exc:
        raise click.ClickException(f"Cannot use the database: {_short(exc)}") from exc


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]


def with_store(
    func: Callable[..., Awaitable[T]],
) -> Callable[..., T]:
    """Decorate a command body `async def body(store, **kwargs)` to open the store."""

    @functools.wraps(func)
    def wrapper(data_dir: Path | None, **kwargs: Any) -> T:
        settings = _settings(data_dir)

        async def body() -> T:
            async with open_store(settings) as store:
                return await func(store, **kwargs)

        return _run(body())

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="fourk")
def main() -> None:
    """fourk: a self-hosted LLM API relay that just works with Codex CLI.

    Start with `fourk serve --demo`, then point Codex at the printed config.
    """


# ---- serve, migrate -------------------------------------------------------------------------


@main.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port to listen on (default 8080).")
@data_dir_option
@click.option(
    "--demo",
    is_flag=True,
    help="Add the built-in upstream simulator as a channel "
    "and print a ready key and Codex config (works with no upstream account).",
)
def serve(host: str | None, port: int | None, data_dir: Path | None, demo: bool) -> None:
    """Run the gateway."""
    settings = _settings(data_dir, host=host, port=port)
    _check_port(settings.host, settings.port)
    banner = _run(_prepare(settings, demo))
    click.echo(banner, err=True)
    click.echo(f"Dashboard: {settings.base_url}/", err=True)
    # --demo opens sign-up until the operator says otherwise (Settings in the dashboard)
    demo_site = SiteConfig(signup_mode="open", initial_credit=bootstrap.SIGNUP_CREDIT_IN_DEMO)
    run_server(settings, demo_site if demo else None)


async def _prepare(settings: Settings, demo: bool) -> str:
    lines = [f"fourk data directory: {settings.data_dir}"]
    async with open_store(settings, create=True) as store:
        password = await bootstrap.ensure_admin(store)
        if password:
            lines += [
                "",
                "Created the admin user. Its password is shown this once:",
                f"    username: {bootstrap.ADMIN_NAME}",
                f"    password: {password}",
            ]
        if demo:
            lines += _demo_banner(await _demo(store), settings.base_url)
    return "\n".join(lines)


async def _demo(store: Store) -> bootstrap.Demo:
    return await bootstrap.ensure_demo(store, DEFAULT_MODELS)


def _demo_banner(demo: bootstrap.Demo, base_url: str) -> list[str]:
    model = demo.models[0]
    return [
        "",
        f"Demo mode: the built-in simulator answers every model in {', '.join(demo.models)}.",
        f"Demo API key: {demo.key}",
        "",
        "~/.codex/config.toml (put this block at the beginning):",
        "",
        render_config_toml(base_url, model),
        "~/.codex/auth.json:",
        "",
        render_auth_json(demo.key),
        'Then run: codex "say hi"   (or: codex exec "run: echo hello")',
    ]


def _check_port(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise click.ClickException(
                    f"Port {port} on {host} is already in use. Stop what is using it or pass "
                    "--port with another number."
                ) from exc
            raise click.ClickException(f"Cannot listen on {host}:{port}: {exc.strerror}") from exc


@main.command()
@data_dir_option
def migrate(data_dir: Path | None) -> None:
    """Create the data directory and bring the database schema up to date."""
    settings = _settings(data_dir)

    async def body() -> None:
        async with open_store(settings, create=True):
            pass

    _run(body())
    click.echo(f"Database in {settings.data_dir} is up to date.", err=True)


# ---- users ----------------------------------------------------------------------------------


def limit_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--rpm, --tpm, --concurrency, --spend-day/--spend-month/--spend-total and --clear."""
    options = [
        click.option("--rpm", type=click.IntRange(min=1), help="Requests per minute."),
        click.option("--tpm", type=click.IntRange(min=1), help="Tokens per minute."),
        click.option("--concurrency", type=click.IntRange(min=1), help="Requests at a time."),
        click.option("--spend-day", help="Dollars per UTC day, e.g. 5 or 2.50."),
        click.option("--spend-month", help="Dollars per UTC month."),
        click.option("--spend-total", help="Dollars in all."),
        click.option("--clear", is_flag=True, help="Remove every limit first."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@main.group()
def user() -> None:
    """Manage users."""


@user.command("create")
@click.argument("username")
@click.option("--admin", is_flag=True, help="Make the user an administrator.")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from standard input instead of generating one.",
)
@data_dir_option
@with_store
async def user_create(store: Store, username: str, admin: bool, password_stdin: bool) -> None:
    """Create a user (prints a generated password once)."""
    password = sys.stdin.readline().rstrip("\n") if password_stdin else None
    created, password = await accounts.create_user(
        store, username, role="admin" if admin else "user", password=password
    )
    click.echo(f"Created user {created.username} (id {created.id}, {created.role}).", err=True)
    if not password_stdin:
        click.echo(f"Password (shown once): {password}", err=True)


@user.command("list")
@data_dir_option
@with_store
async def user_list(store: Store) -> None:
    """List users: id, name, role, status, balance."""
    balances = await store.ledger.balances()
    for item in await store.users.all():
        money = format_dollars(balances.get(item.id, 0))
        click.echo(f"{item.id}\t{item.username}\t{item.role}\t{item.status}\t{money}")


@user.command("topup")
@click.argument("username")
@click.argument("amount")
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@data_dir_option
@with_store
async def user_topup(store: Store, username: str, amount: str, reason: str) -> None:
    """Add AMOUNT dollars (e.g. 10 or 2.50) to a user's balance."""
    await _change_balance(store, username, amount, reason, "topup")


@user.command("deduct")
@click.argument("username")
@click.argument("amount")
@click.option("--reason", required=True, help="Why (kept in the ledger).")
@data_dir_option
@with_store
async def user_deduct(store: Store, username: str, amount: str, reason: str) -> None:
    """Take AMOUNT dollars off a user's balance (never below zero)."""
    await _change_balance(store, username, amount, reason, "deduct")


@user.command("limits")
@click.argument("username")
@limit_options
@data_dir_option
@with_store
async def user_limits(store: Store, username: str, clear: bool, **values: Any) -> None:
    """Set a user's limits over all their keys; options not given stay as they are."""
    found = await accounts.find_user(store, username)
    limits = merge_limits(None if clear else found.limits, values)
    await store.users.set_limits(found.id, encode_limits(limits))
    click.echo(f"{found.username}: {describe_limits(limits)}.")


async def _change_balance(store: Store, username: str, amount: str, reason: str, kind: str) -> None:
    micro = parse_dollars(amount)
    if micro <= 0:
        raise click.ClickException("AMOUNT must be more than zero, e.g. 10 or 2.50.")
    if not reason.strip():
        raise click.ClickException("--reason cannot be empty.")
    found = await accounts.find_user(store, username)
    delta = micro if kind == "topup" else -micro
    balance = await store.ledger.change(found.id, delta, kind, reason.strip())
    click.echo(
        f"{found.username}: {format_dollars(delta)} ({reason.strip()}); "
        f"balance now {format_dollars(balance)}."
    )


# ---- keys -----------------------------------------------------------------------------------


@main.group()
def key() -> None:
    """Manage API keys."""


@key.command("create")
@click.option("--user", "username", required=True, help="The user who owns the key.")
@click.option("--name", default="default", show_default=True, help="A label for the key.")
@click.option(
    "--models", default=None, help="Comma-separated models the key may use (default: all)."
)
@click.option(
    "--expires",
    default=None,
    help="When the key stops working: 30d, 12h, or a date like 2027-01-31.",
)
@data_dir_option
@with_store
async def key_create(
    store: Store, username: str, name: str, models: str | None, expires: str | None
) -> None:
    """Create an API key and print it once (alone on stdout)."""
    owner = await accounts.find_user(store, username)
    new = await accounts.create_key(
        store, owner, name=name, models=_split(models), expires_at=parse_expiry(expires)
    )
    click.echo(
        f"Created key {new.record.id} ({new.record.prefix}…) for {owner.username}. "
        "It is shown this once:",
        err=True,
    )
    click.echo(new.secret)


@key.command("list")
@click.option("--user", "username", default=None, help="Only this user's keys.")
@data_dir_option
@with_store
async def key_list(store: Store, username: str | None) -> None:
    """List keys (prefixes only)."""
    owner = await accounts.find_user(store, username) if username else None
    users = {u.id: u.username for u in await store.users.all()}
    now = datetime.now(UTC)
    for item in await store.keys.all(owner.id if owner else None):
        state = (
            "revoked"
            if item.revoked_at
            else "expired"
            if item.expires_at and item.expires_at <= now
            else "active"
        )
        click.echo(
            "\t".join(
                [
                    str(item.id),
                    users.get(item.user_id, "?"),
                    item.name,
                    item.prefix + "…",
                    ",".join(item.models) if item.models else "*",
                    item.expires_at.isoformat() if item.expires_at else "-",
                    state,
                ]
            )
        )


@key.command("revoke")
@click.argument("ident")
@data_dir_option
@with_store
async def key_revoke(store: Store, ident: str) -> None:
    """Revoke a key by id or prefix (it stops working within a second)."""
    found = await accounts.find_key(store, ident)
    if not await store.keys.revoke(found.id):
        raise click.ClickException(f"key {found.id} was already revoked")
    click.echo(f"Revoked key {found.id} ({found.prefix}…).", err=True)


@key.command("limits")
@click.argument("ident")
@limit_options
@data_dir_option
@with_store
async def key_limits(store: Store, ident: str, clear: bool, **values: Any) -> None:
    """Set a key's limits (by id or prefix); options not given stay as they are."""
    found = await accounts.find_key(store, ident)
    limits = merge_limits(None if clear else found.limits, values)
    await store.keys.set_limits(found.id, encode_limits(limits))
    click.echo(f"Key {found.id} ({found.prefix}…): {describe_limits(limits)}.")


# ---- simulator ------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=int, default=8090, show_default=True)
@click.option(
    "--ttft-ms", type=float, default=0.0, show_default=True, help="Delay before the first event."
)
@click.option("--chunks", type=int, default=8, show_default=True, help="Text deltas per message.")
@click.option("--gap-ms", type=float, default=0.0, show_default=True, help="Delay between events.")
@click.option("--api-key-env", default=None, help="Require this env var's value as the bearer key.")
def sim(
    host: str, port: int, ttft_ms: float, chunks: int, gap_ms: float, api_key_env: str | None
) -> None:
    """Run the upstream simulator on its own (an OpenAI Responses server)."""
    _check_port(host, port)
    api_key = os.environ.get(api_key_env) if api_key_env else None
    if api_key_env and not api_key:
        raise click.ClickException(f"the environment variable {api_key_env} is empty")
    run_sim(host, port, SimOptions(ttft_ms=ttft_ms, chunks=chunks, gap_ms=gap_ms, api_key=api_key))


# ---- argument parsing -----------------------------------------------------------------------


def _split(value: str | None) -> list[str] | None:
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _pairs(value: str) -> dict[str, str]:
    pairs = {}
    for part in _split(value) or []:
        left, sep, right = part.partition("=")
        if not sep or not left.strip() or not right.strip():
            raise click.BadParameter(f"{part!r} is not client=upstream", param_hint="--model-map")
        pairs[left.strip()] = right.strip()
    return pairs


def parse_expiry(value: str | None, now: datetime | None = None) -> datetime | None:
    if not value:
        return None
    now = now or datetime.now(UTC)
    match = re.fullmatch(r"(\d+)([dhm])", value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {
            "d": timedelta(days=amount),
            "h": timedelta(hours=amount),
            "m": timedelta(minutes=amount),
        }[unit]
        return now + delta
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        raise click.BadParameter(
            f"{value!r} is not like 30d, 12h or 2027-01-31", param_hint="--expires"
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _upstream_secret(api_key_env: str | None, no_api_key: bool) -> str | None:
    if no_api_key:
        return None
    if api_key_env:
        value = os.environ.get(api_key_env, "").strip()
        if not value:
            raise click.ClickException(
                f"the environment variable {api_key_env} is not set or empty"
            )
        return value
    if sys.stdin.isatty():
        value = click.prompt("Upstream API key", hide_input=True).strip()
        return str(value) or None
    raise click.ClickException(
        "give the upstream key with --api-key-env VAR (or --no-api-key for an upstream without one)"
    )


# these command groups live in their own modules; importing them registers them on `main`
from fourk.cli import channel as _channel  # noqa: E402, F401
from fourk.cli import money as _money  # noqa: E402, F401
