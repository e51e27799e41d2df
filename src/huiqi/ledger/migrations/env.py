"""Alembic's entry point for the ledger: run by ``huiqi.ledger.db.Ledger.upgrade`` / ``downgrade``, which
pass their engine in ``config.attributes["engine"]``; otherwise ``HUIQI_DATABASE_URL`` (or the default
SQLite file) is used."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from huiqi.ledger.models import VERSION_TABLE, Base


def _engine() -> tuple[Engine, bool]:
    given = context.config.attributes.get("engine")
    if isinstance(given, Engine):
        return given, False
    from huiqi.ledger.db import make_engine
    from huiqi.settings import Settings

    return make_engine(Settings.from_env().database_url), True


def run_migrations_online() -> None:
    engine, owned = _engine()
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                version_table=VERSION_TABLE,
                render_as_batch=True,
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        if owned:
            engine.dispose()


if context.is_offline_mode():
    raise SystemExit("huiqi's ledger migrations run online only (huiqi ledger migrate)")
run_migrations_online()
