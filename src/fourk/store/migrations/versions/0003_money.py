"""Money: balances, the append-only ledger, prices, redemption codes, per key and per user
limits, and each request's cost in the log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_MONEY = sa.BigInteger


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("balance", _MONEY, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("price_multiplier", sa.Integer, nullable=False, server_default="10000")
        )
        batch.add_column(sa.Column("limits", sa.Text, nullable=True))
    with op.batch_alter_table("api_keys") as batch:
        batch.add_column(sa.Column("limits", sa.Text, nullable=True))
    with op.batch_alter_table("request_logs") as batch:
        batch.add_column(sa.Column("cost", _MONEY, nullable=False, server_default="0"))
        for part in ("cost_input", "cost_cached_input", "cost_cache_write", "cost_output"):
            batch.add_column(sa.Column(part, _MONEY, nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("usage_estimated", sa.Boolean, nullable=False, server_default=sa.false())
        )
    op.create_table(
        "ledger",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True, unique=True),
        sa.Column("key_id", sa.Integer, nullable=True),
        sa.Column("actor_id", sa.Integer, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
    )
    op.create_index("ix_ledger_user_id_id", "ledger", ["user_id", "id"])
    op.create_table(
        "prices",
        sa.Column("model", sa.String(128), primary_key=True),
        sa.Column("input", _MONEY, nullable=False),
        sa.Column("cached_input", _MONEY, nullable=False),
        sa.Column("output", _MONEY, nullable=False),
        sa.Column("cache_write", _MONEY, nullable=True),
        sa.Column("updated_at", _TS, nullable=False),
    )
    op.create_table(
        "redemption_codes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("code", sa.String(64), nullable=False, unique=True),
        sa.Column("amount", _MONEY, nullable=False),
        sa.Column("batch", sa.String(64), nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("created_by", sa.Integer, nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("redeemed_by", sa.Integer, nullable=True),
        sa.Column("redeemed_at", _TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("redemption_codes")
    op.drop_table("prices")
    op.drop_table("ledger")
    with op.batch_alter_table("request_logs") as batch:
        for column in (
            "usage_estimated",
            "cost_output",
            "cost_cache_write",
            "cost_cached_input",
            "cost_input",
            "cost",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("limits")
    with op.batch_alter_table("users") as batch:
        for column in ("limits", "price_multiplier", "balance"):
            batch.drop_column(column)
