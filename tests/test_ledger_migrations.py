"""Alembic migrations: an empty database upgrades to head, matches the models exactly, and downgrades back."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from huiqi.ledger.db import Ledger
from huiqi.ledger.errors import LedgerSchemaError
from huiqi.ledger.models import VERSION_TABLE, Base

from .test_ledger_support import BACKENDS, database_url, open_ledger

TABLES = {
    "ledger_audit",
    "ledger_award",
    "ledger_budget",
    "ledger_firm",
    "ledger_import",
    "ledger_token",
    "ledger_tranche",
}


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_empty_database_upgrades_to_head_and_downgrades_back(backend: str, tmp_path: Path) -> None:
    with open_ledger(backend, tmp_path, migrate=False) as ledger:
        assert ledger.current_revision() is None
        assert not TABLES & set(ledger.table_names())
        ledger.upgrade()
        assert ledger.current_revision() == ledger.head_revision() == "0001"
        assert set(ledger.table_names()) >= TABLES | {VERSION_TABLE}
        with ledger.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            assert compare_metadata(context, Base.metadata) == []  # the migration creates exactly the models
            connection.rollback()
        ledger.downgrade()
        assert ledger.current_revision() is None
        assert not TABLES & set(ledger.table_names())
        ledger.upgrade()  # and up again: downgrade left nothing behind (functions, triggers)
        assert ledger.current_revision() == "0001"


def test_the_cli_migrates_the_configured_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from huiqi.cli import app

    with database_url("sqlite", tmp_path) as url:
        monkeypatch.setenv("HUIQI_DATABASE_URL", url)
        runner = CliRunner()
        result = runner.invoke(app, ["ledger", "migrate"])
        assert result.exit_code == 0, result.output
        assert "空 → 0001（sqlite）" in result.output
        result = runner.invoke(app, ["ledger", "migrate", "--down", "--to", "base"])
        assert result.exit_code == 0 and "0001 → 空" in result.output
        ledger = Ledger(url)
        try:
            assert not TABLES & set(ledger.table_names())
        finally:
            ledger.close()


def test_the_default_database_is_the_web_apps_sqlite_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HUIQI_DATABASE_URL", raising=False)
    monkeypatch.setenv("HUIQI_DATA_DIR", str(tmp_path / "data"))
    ledger = Ledger.from_env()
    try:
        assert ledger.url == f"sqlite:///{tmp_path / 'data' / 'huiqi.sqlite3'}"
        ledger.ensure_schema()
        assert (tmp_path / "data" / "huiqi.sqlite3").exists()
    finally:
        ledger.close()


def test_postgresql_is_migrated_only_on_request(tmp_path: Path) -> None:
    with (
        open_ledger("postgresql", tmp_path, migrate=False) as ledger,
        pytest.raises(
            LedgerSchemaError,
            match="台账数据库版本为 未初始化，当前程序需要 0001：请先运行 huiqi ledger migrate",
        ),
    ):
        ledger.ensure_schema()


def test_a_fresh_sqlite_file_is_migrated_on_first_use(tmp_path: Path) -> None:
    with open_ledger("sqlite", tmp_path, migrate=False) as ledger:
        ledger.ensure_schema()
        assert ledger.current_revision() == ledger.head_revision()
