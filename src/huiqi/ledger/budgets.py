"""Budgets: a sum of money per document, article or department and year (nb-2020-mfg art 39: 39 亿元 a
year). An award draws on every budget that matches its document, its article, or its department, in its
year; what is used is the sum of its awards not 已撤销, so a revoked award gives its money back."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.ledger.access import Actor, record
from huiqi.ledger.errors import LedgerError, LedgerRefused
from huiqi.ledger.limits import budget_label, budget_used, rulebook
from huiqi.ledger.models import Budget, Scope, utcnow
from huiqi.ledger.schemas import BudgetIn, BudgetOut
from huiqi.money import yuan

UNITS = {"亿": Decimal(100_000_000), "万": Decimal(10_000), "元": Decimal(1), "": Decimal(1)}
_AMOUNT = re.compile(r"^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(亿|万)?\s*(元)?\s*$")


def parse_amount(text: str | int) -> int:
    """Whole 元 from ``3900000000``, ``39亿``, ``39 亿元``, ``50万``, ``1,000,000``; fractions of 元 refused."""
    if isinstance(text, int):
        value = Decimal(text)
    else:
        m = _AMOUNT.match(str(text))
        if not m:
            raise LedgerError(f"金额“{text}”无法识别（例：3900000000、39亿、50万、1,000,000）")
        try:
            value = Decimal(m.group(1).replace(",", "")) * UNITS[m.group(2) or ""]
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            raise LedgerError(f"金额“{text}”无法识别") from None
    if value != value.to_integral_value() or value < 0:
        raise LedgerError(f"金额“{text}”应为不小于 0 的整数元")
    return int(value)


def scope_of(req: BudgetIn) -> tuple[Scope, str]:
    """Which budget: a department, an article of a document, or a whole document."""
    if req.department:
        if req.document or req.article:
            raise LedgerError("部门预算不同时指定文件或条款")
        return Scope.department, req.department.strip()
    if not req.document:
        raise LedgerError("预算须指定文件（--document），或文件与条款（--article），或部门（--department）")
    from huiqi.corpus import get_corpus

    rulebook()  # loads the corpus once, under a lock
    get_corpus().document(req.document)  # NotFoundError for an unknown document
    if req.article:
        return Scope.article, f"{req.document}/{req.article.strip()}"
    return Scope.document, req.document


def set_budget(session: Session, actor: Actor, req: BudgetIn) -> BudgetOut:
    """Create or change a budget; lowering it below what is already used is refused."""
    scope, key = scope_of(req)
    query = select(Budget).where(
        Budget.scope == scope.value, Budget.scope_key == key, Budget.year == req.year
    )
    budget = session.scalar(query.with_for_update())
    old = budget.amount_yuan if budget else None
    if budget is None:
        budget = Budget(scope=scope.value, scope_key=key, year=req.year, amount_yuan=req.amount_yuan)
    with session.no_autoflush:
        used = budget_used(session, budget)
    if req.amount_yuan < used:
        raise LedgerRefused(
            f"{budget_label(budget)} {req.year} 年度已用 {yuan(used)} 元，预算不能调低到 {yuan(req.amount_yuan)} 元"
        )
    budget.amount_yuan = req.amount_yuan
    budget.note = req.note if req.note is not None else budget.note
    budget.updated_at, budget.updated_by = utcnow(), actor.name
    session.add(budget)
    session.flush()
    record(
        session,
        actor,
        "budget",
        detail={
            "budget_id": budget.id,
            "scope": scope.value,
            "key": key,
            "year": req.year,
            "from": old,
            "to": req.amount_yuan,
        },
    )
    return BudgetOut.of(budget, used, budget_label(budget))


def list_budgets(session: Session, *, year: int | None = None) -> list[BudgetOut]:
    query = select(Budget).order_by(Budget.year, Budget.scope, Budget.scope_key)
    if year is not None:
        query = query.where(Budget.year == year)
    return [BudgetOut.of(b, budget_used(session, b), budget_label(b)) for b in session.scalars(query)]
