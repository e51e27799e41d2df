"""The ledger's tables (SQLAlchemy 2 typed mappings). Every table is prefixed ``ledger_`` and Alembic keeps
its version in ``ledger_alembic_version``, so the ledger can share a database with the web app and batch.

    ledger_firm      one row per firm (统一社会信用代码); also the per-firm lock row for grants
    ledger_award     an award decided under a rule: natural key (firm, rule, subject, event date)
    ledger_tranche   its payments (分期拨付): share, amount, paid on / by
    ledger_budget    a budget per document, article or department and year
    ledger_token     API tokens: sha256 of the token, its holder's name and role (经办 / 审核)
    ledger_import    imported files by sha256 (importing a file twice changes nothing)
    ledger_audit     append-only audit trail (the database refuses UPDATE and DELETE)

Money is whole 元 in BIGINT columns; shares are NUMERIC; nothing is a float.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

VERSION_TABLE = "ledger_alembic_version"


class State(StrEnum):
    proposed = "拟兑现"
    published = "已公示"
    paid = "已拨付"
    revoked = "已撤销"


# the order an award moves through (已撤销 may follow any other state)
STATE_ORDER = (State.proposed, State.published, State.paid)


class Role(StrEnum):
    clerk = "经办"
    reviewer = "审核"


class Scope(StrEnum):
    document = "document"
    article = "article"
    department = "department"


SCOPE_LABELS = {Scope.document: "文件", Scope.article: "条款", Scope.department: "部门"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    pass


class Firm(Base):
    __tablename__ = "ledger_firm"

    credit_code: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Award(Base):
    __tablename__ = "ledger_award"
    __table_args__ = (
        UniqueConstraint("credit_code", "rule_id", "subject", "event_date", name="uq_ledger_award_natural"),
        CheckConstraint("amount_yuan >= 0", name="ck_ledger_award_amount"),
        CheckConstraint(_in("state", tuple(State)), name="ck_ledger_award_state"),
        Index("ix_ledger_award_firm_doc", "credit_code", "document"),
        Index("ix_ledger_award_year", "year"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    credit_code: Mapped[str] = mapped_column(String(18), ForeignKey("ledger_firm.credit_code"))
    rule_id: Mapped[str] = mapped_column(String(120))
    document: Mapped[str] = mapped_column(String(40))
    article: Mapped[str] = mapped_column(String(16))
    event: Mapped[str] = mapped_column(String(60))
    subject: Mapped[str] = mapped_column(String(200), default="")
    event_date: Mapped[dt.date] = mapped_column(Date)
    year: Mapped[int] = mapped_column(Integer)
    amount_yuan: Mapped[int] = mapped_column(BigInteger)
    basis: Mapped[str] = mapped_column(String(16))
    department: Mapped[str | None] = mapped_column(String(60), nullable=True)
    state: Mapped[str] = mapped_column(String(8), default=State.proposed.value)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tranches: Mapped[list[Tranche]] = relationship(
        back_populates="award", order_by="Tranche.seq", cascade="all, delete-orphan"
    )

    @property
    def paid_yuan(self) -> int:
        return sum(t.amount_yuan for t in self.tranches if t.paid)


class Tranche(Base):
    __tablename__ = "ledger_tranche"
    __table_args__ = (UniqueConstraint("award_id", "seq", name="uq_ledger_tranche_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("ledger_award.id"))
    seq: Mapped[int] = mapped_column(Integer)
    milestone: Mapped[str] = mapped_column(String(60))
    share: Mapped[Decimal] = mapped_column(Numeric(6, 4))
    amount_yuan: Mapped[int] = mapped_column(BigInteger)
    paid: Mapped[bool] = mapped_column(default=False)
    paid_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    paid_by: Mapped[str | None] = mapped_column(String(100), nullable=True)

    award: Mapped[Award] = relationship(back_populates="tranches")


class Budget(Base):
    __tablename__ = "ledger_budget"
    __table_args__ = (
        UniqueConstraint("scope", "scope_key", "year", name="uq_ledger_budget_scope"),
        CheckConstraint("amount_yuan >= 0", name="ck_ledger_budget_amount"),
        CheckConstraint(_in("scope", tuple(Scope)), name="ck_ledger_budget_scope_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(12))
    scope_key: Mapped[str] = mapped_column(String(120))  # nb-2020-mfg | nb-2020-mfg/39 | 市经信局
    year: Mapped[int] = mapped_column(Integer)
    amount_yuan: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class Token(Base):
    __tablename__ = "ledger_token"
    __table_args__ = (CheckConstraint(_in("role", tuple(Role)), name="ck_ledger_token_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(8))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class ImportRecord(Base):
    __tablename__ = "ledger_import"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    by: Mapped[str] = mapped_column(String(100))


class AuditEntry(Base):
    __tablename__ = "ledger_audit"
    __table_args__ = (
        Index("ix_ledger_audit_firm", "credit_code"),
        Index("ix_ledger_audit_award", "award_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(8), nullable=True)
    via: Mapped[str] = mapped_column(String(10))  # cli | http
    action: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(10))  # ok | refused | denied
    award_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    detail: Mapped[str] = mapped_column(Text, default="{}")  # JSON
