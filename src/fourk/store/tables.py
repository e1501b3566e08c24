"""Table definitions; the migrations in `migrations/versions` create exactly these."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    false,
    true,
)

metadata = MetaData()

meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False, server_default="user"),
    Column("status", String(16), nullable=False, server_default="active"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("totp_sealed", Text, nullable=True),  # sealed TOTP secret; NULL: no two-factor
    Column("last_login_at", DateTime(timezone=True), nullable=True),
    Column("display_name", String(128), nullable=True),
    Column("balance", BigInteger, nullable=False, server_default="0"),  # = SUM(ledger.amount)
    Column("price_multiplier", Integer, nullable=False, server_default="10000"),  # basis points
    Column("limits", Text, nullable=True),  # JSON; NULL: none
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(128), nullable=False),
    Column("prefix", String(16), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("sealed", Text, nullable=False),
    Column("models", Text, nullable=True),  # JSON list; NULL means every model
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    # "inference": model calls; "manage": the management API (/api) for an admin's scripts
    Column("scope", String(16), nullable=False, server_default="inference"),
    Column("limits", Text, nullable=True),  # JSON; NULL: none
)

channels = Table(
    "channels",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("base_url", Text, nullable=False),
    Column("sealed_secret", Text, nullable=True),
    Column("models", Text, nullable=False),  # JSON list
    Column("priority", Integer, nullable=False, server_default="0"),
    Column("weight", Integer, nullable=False, server_default="1"),
    Column("enabled", Boolean, nullable=False, server_default=true()),
    Column("options", Text, nullable=False, server_default="{}"),  # JSON object
    Column("created_at", DateTime(timezone=True), nullable=False),
)

request_logs = Table(
    "request_logs",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("request_id", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("user_id", Integer, nullable=False),
    Column("key_id", Integer, nullable=False),
    Column("channel_id", Integer, nullable=True),
    Column("model", String(128), nullable=False),
    Column("endpoint", String(64), nullable=False),
    Column("stream", Boolean, nullable=False),
    Column("status", Integer, nullable=False),
    Column("error_code", String(64), nullable=True),
    Column("error_message", Text, nullable=True),
    Column("input_tokens", Integer, nullable=False, server_default="0"),
    Column("cached_tokens", Integer, nullable=False, server_default="0"),
    Column("output_tokens", Integer, nullable=False, server_default="0"),
    Column("reasoning_tokens", Integer, nullable=False, server_default="0"),
    Column("ttfb_ms", Integer, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("client", String(64), nullable=True),
    Column("client_version", String(32), nullable=True),
    # micro-dollars charged, and the parts of the cost at the model's price
    Column("cost", BigInteger, nullable=False, server_default="0"),
    Column("cost_input", BigInteger, nullable=False, server_default="0"),
    Column("cost_cached_input", BigInteger, nullable=False, server_default="0"),
    Column("cost_cache_write", BigInteger, nullable=False, server_default="0"),
    Column("cost_output", BigInteger, nullable=False, server_default="0"),
    Column("usage_estimated", Boolean, nullable=False, server_default=false()),
    Index("ix_request_logs_user_id_id", "user_id", "id"),
    Index("ix_request_logs_key_id_id", "key_id", "id"),
    Index("ix_request_logs_created_at", "created_at"),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie's token
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("second_factor_done", Boolean, nullable=False, server_default=true()),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_seen_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("address", String(64), nullable=True),
    Column("user_agent", String(256), nullable=True),
)

site_settings = Table(
    "site_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

invites = Table(
    "invites",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("max_uses", Integer, nullable=False, server_default="1"),
    Column("uses", Integer, nullable=False, server_default="0"),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

recovery_codes = Table(
    "recovery_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False, index=True),
    Column("digest", String(64), nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

models = Table(
    "models",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("alias_of", String(128), nullable=True),  # an alias routes as this model
    Column("visible", Boolean, nullable=False, server_default=true()),
    Column("description", Text, nullable=True),
    Column("position", Integer, nullable=False, server_default="0"),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

ledger = Table(
    "ledger",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("user_id", Integer, ForeignKey("users.id"), nullable=False),
    Column("amount", BigInteger, nullable=False),  # micro-dollars; negative takes money away
    Column("kind", String(16), nullable=False),  # charge, topup, deduct, redeem, initial
    Column("reason", Text, nullable=True),
    Column("request_id", String(64), nullable=True, unique=True),  # a request is charged once
    Column("key_id", Integer, nullable=True),
    Column("actor_id", Integer, nullable=True),  # who made a manual change
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_ledger_user_id_id", "user_id", "id"),
)

prices = Table(
    "prices",
    metadata,
    Column("model", String(128), primary_key=True),
    Column("input", BigInteger, nullable=False),  # micro-dollars per million tokens
    Column("cached_input", BigInteger, nullable=False),
    Column("output", BigInteger, nullable=False),
    Column("cache_write", BigInteger, nullable=True),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

redemption_codes = Table(
    "redemption_codes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("amount", BigInteger, nullable=False),
    Column("batch", String(64), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("created_by", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("redeemed_by", Integer, nullable=True),
    Column("redeemed_at", DateTime(timezone=True), nullable=True),
)
