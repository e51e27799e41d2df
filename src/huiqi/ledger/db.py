"""Connecting to the ledger: engines, transactions with retry, and Alembic migrations.

SQLite (the default, the same file as the web app) runs every transaction as ``BEGIN IMMEDIATE``: one
writer at a time, so two grants against one cap or budget cannot interleave. PostgreSQL runs at READ
COMMITTED and the ledger takes row locks (``SELECT … FOR UPDATE``) on the firm's row and on the budget rows
before it reads what is used; a deadlock or serialization failure is retried.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from huiqi.ledger.errors import LedgerBusy, LedgerSchemaError
from huiqi.ledger.models import VERSION_TABLE
from huiqi.settings import Settings

T = TypeVar("T")
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected


def _sqlite_connect(dbapi_connection: Any, _record: object) -> None:
    dbapi_connection.isolation_level = None  # the driver issues no BEGIN of its own; see _sqlite_begin
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 30000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, *, pool_size: int | None = None) -> Engine:
    """An engine for ``url``: SQLite with BEGIN IMMEDIATE transactions, or PostgreSQL (psycopg 3)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    options: dict[str, Any] = {"pool_pre_ping": True}
    if pool_size:
        options.update(pool_size=pool_size, max_overflow=pool_size)
    return create_engine(url, **options)


def _retryable(exc: DBAPIError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate in RETRY_SQLSTATES:
        return True
    return isinstance(exc, OperationalError) and "database is locked" in str(exc.orig)


class Ledger:
    """One ledger database: an engine and its transactions."""

    def __init__(self, url: str, *, pool_size: int | None = None) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_env(cls) -> Ledger:
        return cls(Settings.from_env().database_url)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        with self.sessions() as session, session.begin():
            yield session

    def run(self, work: Callable[[Session], T], *, attempts: int = 8) -> T:
        """``work`` in one transaction, retried from the start on a deadlock or serialization failure."""
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as session:
                    return work(session)
            except DBAPIError as exc:
                if not _retryable(exc):
                    raise
                if attempt == attempts:
                    raise LedgerBusy(f"台账数据库繁忙，{attempts} 次尝试均未完成，请稍后重试") from exc
                time.sleep(random.uniform(0, 0.02 * 2**attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    # -- migrations ---------------------------------------------------------------------------------
    def alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["engine"] = self.engine
        return config

    def upgrade(self, revision: str = "head") -> None:
        command.upgrade(self.alembic_config(), revision)

    def downgrade(self, revision: str = "base") -> None:
        command.downgrade(self.alembic_config(), revision)

    def current_revision(self) -> str | None:
        with self.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            revision = context.get_current_revision()
            connection.rollback()
            return revision

    def head_revision(self) -> str | None:
        return ScriptDirectory.from_config(self.alembic_config()).get_current_head()

    def table_names(self) -> list[str]:
        with self.engine.connect() as connection:
            names = inspect(connection).get_table_names()
            connection.rollback()
            return names

    def ensure_schema(self, *, auto_migrate_sqlite: bool = True) -> None:
        """Raise ``LedgerSchemaError`` unless the database is at head. A fresh SQLite file is migrated."""
        current, head = self.current_revision(), self.head_revision()
        if current == head:
            return
        if current is None and self.dialect == "sqlite" and auto_migrate_sqlite:
            self.upgrade()
            return
        shown = current or "未初始化"
        raise LedgerSchemaError(
            f"台账数据库版本为 {shown}，当前程序需要 {head}：请先运行 huiqi ledger migrate"
        )
