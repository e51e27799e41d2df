"""What the ledger returns and accepts over the API and in ``--format json`` (pydantic models)."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from pydantic import BaseModel, Field

from huiqi.ledger.models import AuditEntry, Award, Budget, State
from huiqi.ledger.models import Tranche as TrancheRow


class GrantIn(BaseModel):
    """A proposed award (拟兑现)."""

    credit_code: str = Field(description="统一社会信用代码")
    firm_name: str | None = Field(None, description="企业名称")
    rule_id: str = Field(description="the rule it is decided under, e.g. nb-2020-mfg/22/pinzibiao_certified")
    subject: str | None = Field(None, description="product, project or site the award is for")
    event_date: dt.date = Field(description="date of the event that triggered it (入选 / 认定 …)")
    year: int | None = Field(None, description="budget year; defaults to the event's year")
    amount_yuan: int = Field(ge=0, description="amount decided, whole 元")
    note: str | None = None


class PayIn(BaseModel):
    tranche: int | None = Field(None, ge=1, description="which tranche (1-based); default the first unpaid")
    paid_on: dt.date | None = Field(None, description="default today")


class RevokeIn(BaseModel):
    reason: str = Field(min_length=1)


class BudgetIn(BaseModel):
    document: str | None = None
    article: str | None = None
    department: str | None = None
    year: int
    amount_yuan: int = Field(ge=0)
    note: str | None = None


class TrancheOut(BaseModel):
    seq: int
    milestone: str
    share: Decimal
    amount_yuan: int
    paid: bool
    paid_on: dt.date | None
    paid_by: str | None

    @classmethod
    def of(cls, t: TrancheRow) -> TrancheOut:
        return cls(
            seq=t.seq,
            milestone=t.milestone,
            share=t.share,
            amount_yuan=t.amount_yuan,
            paid=t.paid,
            paid_on=t.paid_on,
            paid_by=t.paid_by,
        )


class AwardOut(BaseModel):
    id: int
    credit_code: str
    rule_id: str
    document: str
    article: str
    event: str
    subject: str | None
    event_date: dt.date
    year: int
    amount_yuan: int
    paid_yuan: int
    basis: str
    department: str | None
    state: State
    note: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    tranches: list[TrancheOut]

    @classmethod
    def of(cls, a: Award) -> AwardOut:
        return cls(
            id=a.id,
            credit_code=a.credit_code,
            rule_id=a.rule_id,
            document=a.document,
            article=a.article,
            event=a.event,
            subject=a.subject or None,
            event_date=a.event_date,
            year=a.year,
            amount_yuan=a.amount_yuan,
            paid_yuan=a.paid_yuan,
            basis=a.basis,
            department=a.department,
            state=State(a.state),
            note=a.note,
            created_by=a.created_by,
            created_at=a.created_at,
            updated_at=a.updated_at,
            tranches=[TrancheOut.of(t) for t in a.tranches],
        )


class FirmOut(BaseModel):
    credit_code: str
    name: str
    awards: list[AwardOut]
    totals: dict[str, int] = Field(description="sum of amounts per state, and paid_yuan")


class BudgetOut(BaseModel):
    id: int
    scope: str
    scope_key: str
    label: str
    year: int
    amount_yuan: int
    used_yuan: int
    remaining_yuan: int
    note: str | None

    @classmethod
    def of(cls, b: Budget, used: int, label: str) -> BudgetOut:
        return cls(
            id=b.id,
            scope=b.scope,
            scope_key=b.scope_key,
            label=label,
            year=b.year,
            amount_yuan=b.amount_yuan,
            used_yuan=used,
            remaining_yuan=b.amount_yuan - used,
            note=b.note,
        )


class AuditOut(BaseModel):
    id: int
    at: dt.datetime
    actor: str
    role: str | None
    via: str
    action: str
    outcome: str
    award_id: int | None
    credit_code: str | None
    detail: dict[str, object]

    @classmethod
    def of(cls, e: AuditEntry) -> AuditOut:
        return cls(
            id=e.id,
            at=e.at,
            actor=e.actor,
            role=e.role,
            via=e.via,
            action=e.action,
            outcome=e.outcome,
            award_id=e.award_id,
            credit_code=e.credit_code,
            detail=json.loads(e.detail),
        )


class ImportReport(BaseModel):
    filename: str
    sha256: str
    rows: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    already_imported: bool = Field(False, description="the same file was imported before: nothing changed")

    @property
    def summary(self) -> str:
        if self.already_imported:
            return f"{self.filename} 已导入过（sha256 {self.sha256[:12]}…），台账未作任何更改"
        return (
            f"{self.filename}：共 {self.rows} 行，新增 {self.created} 项，更新 {self.updated} 项，"
            f"未变 {self.unchanged} 项"
        )
