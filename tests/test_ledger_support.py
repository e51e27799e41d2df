"""What the ledger tests share (no tests here): hermetic databases and tokens.

SQLite: a file under the test's tmp_path (a copy of one migrated once). PostgreSQL
(``HUIQI_TEST_DATABASE_URL``): a schema of this test process (``search_path`` set through the URL), migrated
once, emptied before each test and dropped at exit; tests of migrations get a fresh schema of their own.
So tests can run repeatedly, and test processes side by side. Without that variable the PostgreSQL tests are skipped — unless ``CI`` is set, where they fail.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from huiqi.ledger import service
from huiqi.ledger.access import Actor, create_token
from huiqi.ledger.db import Ledger
from huiqi.ledger.models import AuditEntry, Award, Role
from huiqi.ledger.schemas import GrantIn
from huiqi.vocab.credit_code import complete

BACKENDS = ("sqlite", "postgresql")
ADMIN = Actor(name="测试管理员", role=None)
FIRM = "91330200MA2K21001Q"  # the example firm of draft2020-equipment-maker.yaml


def firm_code(i: int) -> str:
    return complete(f"91330200MA{i:07d}")


def pg_url() -> str:
    url = os.environ.get("HUIQI_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("HUIQI_TEST_DATABASE_URL is not set: CI runs the ledger tests on PostgreSQL")
        pytest.skip("HUIQI_TEST_DATABASE_URL is not set: PostgreSQL ledger tests skipped")
    return url


def _schema_url(base: str, schema: str) -> str:
    return (
        make_url(base)
        .update_query_dict({"options": f"-csearch_path={schema}"})
        .render_as_string(hide_password=False)
    )


def _run_sql(url: str, sql: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(sql)
    finally:
        engine.dispose()


@contextmanager
def database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database for one test."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
        return
    base = pg_url()
    schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
    _run_sql(base, f'CREATE SCHEMA "{schema}"')
    try:
        yield _schema_url(base, schema)
    finally:
        _run_sql(base, f'DROP SCHEMA "{schema}" CASCADE')


# Migrated once per test process, then emptied for each test (TRUNCATE fires no row trigger, so the
# append-only audit table can be emptied; RESTART IDENTITY makes ids start at 1 again).
_migrated: dict[str, str] = {}
TRUNCATE = (
    "TRUNCATE ledger_audit, ledger_tranche, ledger_award, ledger_firm, ledger_budget, ledger_token, "
    "ledger_import RESTART IDENTITY CASCADE"
)


def _migrated_url(backend: str, tmp_path: Path) -> str:
    if backend == "sqlite":
        if "sqlite" not in _migrated:
            # in pytest's basetemp (the parent of every test's tmp_path), which pytest cleans up itself
            template = tmp_path.parent / f"ledger-template-{uuid.uuid4().hex[:8]}.sqlite3"
            ledger = Ledger(f"sqlite:///{template}")
            ledger.upgrade()
            ledger.close()
            _migrated["sqlite"] = str(template)
        shutil.copyfile(_migrated["sqlite"], tmp_path / "ledger.sqlite3")
        return f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    base = pg_url()
    if "postgresql" not in _migrated:
        schema = f"ledger_test_{uuid.uuid4().hex[:12]}"
        _run_sql(base, f'CREATE SCHEMA "{schema}"')
        atexit.register(_run_sql, base, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        ledger = Ledger(_schema_url(base, schema))
        ledger.upgrade()
        ledger.close()
        _migrated["postgresql"] = _schema_url(base, schema)
    _run_sql(_migrated["postgresql"], TRUNCATE)
    return _migrated["postgresql"]


@contextmanager
def open_ledger(
    backend: str, tmp_path: Path, *, migrate: bool = True, pool_size: int | None = None
) -> Iterator[Ledger]:
    """A ledger for one test: empty and migrated (``migrate``), or empty and never migrated."""
    if migrate:
        ledger = Ledger(_migrated_url(backend, tmp_path), pool_size=pool_size)
        try:
            yield ledger
        finally:
            ledger.close()
        return
    with database_url(backend, tmp_path) as url:
        ledger = Ledger(url, pool_size=pool_size)
        try:
            yield ledger
        finally:
            ledger.close()


def make_tokens(ledger: Ledger) -> dict[Role, str]:
    def work(session: Session) -> dict[Role, str]:
        return {
            Role.clerk: create_token(session, name="李经办", role=Role.clerk, by=ADMIN)[1],
            Role.reviewer: create_token(session, name="张审核", role=Role.reviewer, by=ADMIN)[1],
        }

    return ledger.run(work)


def grant(ledger: Ledger, token: str, **fields: object) -> Award:
    """A grant through the front-door path (token, role, audit), as the CLI and the API make it."""
    values: dict[str, object] = {"credit_code": FIRM, "amount_yuan": 100_000, **fields}
    req = GrantIn.model_validate(values)
    target = {"credit_code": req.credit_code}
    return service.perform(ledger, token, "grant", lambda s, a: service.grant(s, a, req), target=target)


def count(ledger: Ledger, entity: Any, *where: Any) -> int:
    query = select(func.count()).select_from(entity)
    if where:
        query = query.where(*where)
    return int(ledger.run(lambda s: s.scalar(query)) or 0)


def audit_count(ledger: Ledger, **filters: str) -> int:
    return count(ledger, AuditEntry, *(getattr(AuditEntry, k) == v for k, v in filters.items()))


def day(text: str) -> dt.date:
    return dt.date.fromisoformat(text)
