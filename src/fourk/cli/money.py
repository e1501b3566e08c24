"""`fourk code …` and `fourk price …`: redemption codes and prices from the command line."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from fourk.billing.default_prices import DEFAULT_PRICES
from fourk.billing.pricing import Price, format_dollars, parse_dollars
from fourk.cli import data_dir_option, main, parse_expiry, with_store
from fourk.services.money_admin import check_model_name
from fourk.services.price_list import parse_price, price_rows
from fourk.services.redemption import create_batch
from fourk.services.redemption_code import BatchRequest
from fourk.services.store_bundle import Store

# ---- money: redemption codes and prices ------------------------------------------------------


@main.group()
def code() -> None:
    """Manage redemption codes."""


@code.command("create")
@click.option("--count", type=click.IntRange(1, 1000), default=1, show_default=True)
@click.option("--value", required=True, help="Dollars each code is worth, e.g. 10 or 2.50.")
@click.option("--expires", default=None, help="When they stop working: 30d, 12h or 2027-01-31.")
@click.option("--batch", "label", default="", help="A label for the batch (default: the time).")
@data_dir_option
@with_store
async def code_create(
    store: Store, count: int, value: str, expires: str | None, label: str
) -> None:
    """Make a batch of codes and print them (one per line on stdout, shown this once)."""
    wanted = BatchRequest(count=count, amount=parse_dollars(value), label=label)
    made = await create_batch(store, None, wanted, expires_at=parse_expiry(expires))
    until = f", expiring {made.expires_at:%Y-%m-%d %H:%M} UTC" if made.expires_at else ""
    click.echo(
        f"Batch '{made.label}': {len(made.codes)} codes of {format_dollars(made.amount)}{until}. "
        "They are shown this once:",
        err=True,
    )
    for new in made.codes:
        click.echo(new)


@code.command("list")
@click.option("--batch", "label", default=None, help="Show this batch's codes.")
@data_dir_option
@with_store
async def code_list(store: Store, label: str | None) -> None:
    """List batches (label, value, codes, redeemed, expiry) or one batch's codes."""
    if label is None:
        for b in await store.redemption_codes.batches(datetime.now(UTC)):
            until = b.expires_at.isoformat() if b.expires_at else "-"
            money = format_dollars(b.amount)
            click.echo(f"{b.batch}\t{money}\t{b.count}\t{b.redeemed} redeemed\t{until}")
        return
    for c in await store.redemption_codes.in_batch(label):
        who = c.redeemed_by_name or (f"#{c.redeemed_by}" if c.redeemed_by else "-")
        when = c.redeemed_at.isoformat() if c.redeemed_at else "-"
        click.echo(f"#{c.id}\t{format_dollars(c.amount)}\t{who}\t{when}")


@main.group()
def price() -> None:
    """Manage model prices (dollars per million tokens)."""


@price.command("set")
@click.argument("model")
@click.option("--input", "input_", required=True, help="Input, e.g. 1.25.")
@click.option("--cached", default="", help="Cached input (default: the input price).")
@click.option("--output", required=True, help="Output (reasoning is billed as output).")
@click.option("--cache-write", default=None, help="Cache writes (default: as input).")
@data_dir_option
@with_store
async def price_set(
    store: Store, model: str, input_: str, cached: str, output: str, cache_write: str | None
) -> None:
    """Set a model's price; running servers bill the next request at it."""
    new = parse_price(input_, cached, output, cache_write)
    await store.prices.put(check_model_name(model), new)
    click.echo(f"{model.strip()}: {_describe_price(new)}.", err=True)


@price.command("reset")
@click.argument("model")
@data_dir_option
@with_store
async def price_reset(store: Store, model: str) -> None:
    """Drop your price for MODEL: the shipped default (if any) applies again."""
    if model not in await store.prices.all():
        raise click.ClickException(f"there is no price of yours for {model}")
    await store.prices.delete(model)
    click.echo(f"{model}: your price is gone.", err=True)


@price.command("list")
@data_dir_option
@with_store
async def price_list(store: Store) -> None:
    """Every served model and priced model: price, and where it comes from."""
    served = {m for row in await store.channels.all() if row.enabled for m in row.models}
    rows = price_rows(served, await store.prices.all(), DEFAULT_PRICES, {})
    for row in rows:
        what = _describe_price(row.price) if row.price else "no price: free"
        where = row.source or "-"
        click.echo(f"{row.model}\t{what}\t{where}\t{'served' if row.served else 'not served'}")


def _describe_price(value: Price) -> str:
    write = format_dollars(value.cache_write) if value.cache_write is not None else "as input"
    return (
        f"input {format_dollars(value.input)}, cached {format_dollars(value.cached_input)}, "
        f"output {format_dollars(value.output)}, cache write {write} per million tokens"
    )
