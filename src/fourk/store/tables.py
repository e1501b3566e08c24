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
    Index("ix_request_logs_user_id_id", "user_id", "id"),
    Index("ix_request_logs_key_id_id", "key_id", "id"),
    Index("ix_request_logs_created_at", "created_at"),
)
