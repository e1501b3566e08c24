"""Alembic environment: fourk always passes an open connection (see store.db.migrate)."""

from alembic import context

from fourk.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `fourk migrate`, which passes a connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
