"""The ledger: firms, awards, tranches, budgets, tokens, imports and the append-only audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

STATES = "'拟兑现', '已公示', '已拨付', '已撤销'"
ROLES = "'经办', '审核'"
SCOPES = "'document', 'article', 'department'"

PG_APPEND_ONLY = """
CREATE FUNCTION ledger_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ledger_audit is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ledger_audit_append_only BEFORE UPDATE OR DELETE ON ledger_audit
    FOR EACH ROW EXECUTE FUNCTION ledger_audit_append_only();
"""
SQLITE_APPEND_ONLY = (
    "CREATE TRIGGER ledger_audit_no_update BEFORE UPDATE ON ledger_audit "
    "BEGIN SELECT RAISE(ABORT, 'ledger_audit is append-only'); END",
    "CREATE TRIGGER ledger_audit_no_delete BEFORE DELETE ON ledger_audit "
    "BEGIN SELECT RAISE(ABORT, 'ledger_audit is append-only'); END",
)


def _when() -> sa.Column[object]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "ledger_firm",
        sa.Column("credit_code", sa.String(18), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        _when(),
    )
    op.create_table(
        "ledger_award",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("credit_code", sa.String(18), sa.ForeignKey("ledger_firm.credit_code"), nullable=False),
        sa.Column("rule_id", sa.String(120), nullable=False),
        sa.Column("document", sa.String(40), nullable=False),
        sa.Column("article", sa.String(16), nullable=False),
        sa.Column("event", sa.String(60), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("event_date", sa.Date, nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount_yuan", sa.BigInteger, nullable=False),
        sa.Column("basis", sa.String(16), nullable=False),
        sa.Column("department", sa.String(60), nullable=True),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        _when(),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "credit_code", "rule_id", "subject", "event_date", name="uq_ledger_award_natural"
        ),
        sa.CheckConstraint("amount_yuan >= 0", name="ck_ledger_award_amount"),
        sa.CheckConstraint(f"state IN ({STATES})", name="ck_ledger_award_state"),
    )
    op.create_index("ix_ledger_award_firm_doc", "ledger_award", ["credit_code", "document"])
    op.create_index("ix_ledger_award_year", "ledger_award", ["year"])
    op.create_table(
        "ledger_tranche",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("award_id", sa.Integer, sa.ForeignKey("ledger_award.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("milestone", sa.String(60), nullable=False),
        sa.Column("share", sa.Numeric(6, 4), nullable=False),
        sa.Column("amount_yuan", sa.BigInteger, nullable=False),
        sa.Column("paid", sa.Boolean, nullable=False),
        sa.Column("paid_on", sa.Date, nullable=True),
        sa.Column("paid_by", sa.String(100), nullable=True),
        sa.UniqueConstraint("award_id", "seq", name="uq_ledger_tranche_seq"),
    )
    op.create_table(
        "ledger_budget",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scope", sa.String(12), nullable=False),
        sa.Column("scope_key", sa.String(120), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("amount_yuan", sa.BigInteger, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("scope", "scope_key", "year", name="uq_ledger_budget_scope"),
        sa.CheckConstraint("amount_yuan >= 0", name="ck_ledger_budget_amount"),
        sa.CheckConstraint(f"scope IN ({SCOPES})", name="ck_ledger_budget_scope_kind"),
    )
    op.create_table(
        "ledger_token",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("role", sa.String(8), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        _when(),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"role IN ({ROLES})", name="ck_ledger_token_role"),
    )
    op.create_table(
        "ledger_import",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("filename", sa.String(255), nullable=False),
        sa.Column("rows", sa.Integer, nullable=False),
        sa.Column("created", sa.Integer, nullable=False),
        sa.Column("updated", sa.Integer, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by", sa.String(100), nullable=False),
    )
    op.create_table(
        "ledger_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("role", sa.String(8), nullable=True),
        sa.Column("via", sa.String(10), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("outcome", sa.String(10), nullable=False),
        sa.Column("award_id", sa.Integer, nullable=True),
        sa.Column("credit_code", sa.String(18), nullable=True),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_index("ix_ledger_audit_firm", "ledger_audit", ["credit_code"])
    op.create_index("ix_ledger_audit_award", "ledger_audit", ["award_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_APPEND_ONLY)
    elif op.get_bind().dialect.name == "sqlite":
        for statement in SQLITE_APPEND_ONLY:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_audit_append_only ON ledger_audit")
        op.execute("DROP FUNCTION IF EXISTS ledger_audit_append_only()")
    op.drop_index("ix_ledger_audit_award", "ledger_audit")
    op.drop_index("ix_ledger_audit_firm", "ledger_audit")
    for table in ("ledger_audit", "ledger_import", "ledger_token", "ledger_budget", "ledger_tranche"):
        op.drop_table(table)
    op.drop_index("ix_ledger_award_year", "ledger_award")
    op.drop_index("ix_ledger_award_firm_doc", "ledger_award")
    op.drop_table("ledger_award")
    op.drop_table("ledger_firm")
