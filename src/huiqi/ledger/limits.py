"""What a new award must not break: the rule's ceiling, its cumulative cap, and the budgets it draws on.

The checks read what the ledger already holds for the firm (every award not 已撤销) after the caller has
locked the firm's row and the budget rows, so two grants cannot both see the same room under a cap.
A rolling cap (三年内最高30万元) must hold in every window that contains the new award: the window ending
at the new award's event and the window ending at each later award whose window reaches back to it.
"""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from huiqi.errors import NotFoundError
from huiqi.expr import Node
from huiqi.expr.evaluate import MappingEnv, evaluate
from huiqi.ledger.errors import LedgerRefused
from huiqi.ledger.models import Award, Budget, Scope, State
from huiqi.money import yuan
from huiqi.rules.load import CompiledRule, Rulebook, get_rulebook
from huiqi.rules.models import Basis


@dataclass(frozen=True)
class Candidate:
    """An award about to be written (validated fields)."""

    credit_code: str
    rule: CompiledRule
    subject: str
    event_date: dt.date
    year: int
    amount_yuan: int

    @property
    def document(self) -> str:
        return self.rule.id.split("/", 1)[0]

    @property
    def article(self) -> str:
        return self.rule.rule.article

    @property
    def department(self) -> str | None:
        return self.rule.rule.department

    @property
    def where(self) -> str:
        return f"{self.document} 第{self.article}条"


_loading = threading.Lock()


def rulebook() -> Rulebook:
    """The rulebook, loaded once even when many threads (web workers, concurrent grants) ask at once."""
    with _loading:
        return get_rulebook()


def find_rule(rule_id: str) -> CompiledRule:
    rule = rulebook().rule(rule_id.strip())
    if rule is None:
        raise NotFoundError(f"没有编号为“{rule_id}”的规则（用 huiqi show 文件/条 查看条款的规则）")
    return rule


def constant(node: Node | None) -> Decimal | None:
    """The value of an expression that reads no facts (``30万``, ``20万 / 2``), else None."""
    if node is None:
        return None
    try:
        value = evaluate(node, MappingEnv({}))
    except Exception:  # an expression that needs facts may fail in many ways without them
        return None
    return value if isinstance(value, Decimal) else None


def check_ceiling(c: Candidate) -> None:
    """An award is never more than its rule's fixed amount or ceiling (``最高30万元``)."""
    basis = c.rule.rule.amount.basis
    if basis is Basis.non_monetary and c.amount_yuan:
        raise LedgerRefused(f"{c.where}“{c.rule.rule.title}”为非资金支持，金额应为 0")
    if basis not in (Basis.exact, Basis.up_to):
        return
    ceiling = constant(c.rule.formula)
    if ceiling is not None and c.amount_yuan > ceiling:
        raise LedgerRefused(
            f"金额 {yuan(c.amount_yuan)} 元超过{c.where}“{c.rule.rule.title}”的"
            f"{'定额' if basis is Basis.exact else '最高'} {yuan(ceiling)} 元"
        )


def _window_start(day: dt.date, years: int | None) -> dt.date:
    # the same arithmetic as the engine's cumulative_caps pass
    return dt.date(day.year - years, day.month, min(day.day, 28)) if years else dt.date.min


def _cap_members(rule: CompiledRule) -> set[tuple[str, str]]:
    cap = rule.rule.cumulative_cap
    assert cap is not None
    key = cap.key or rule.id
    doc = rulebook().for_document(rule.id.split("/", 1)[0])
    assert doc is not None
    return {
        (r.rule.article, r.rule.trigger.event)
        for r in doc.rules
        if r.rule.cumulative_cap and (r.rule.cumulative_cap.key or r.id) == key
    }


def check_cumulative_cap(session: Session, c: Candidate, *, exclude_id: int | None = None) -> None:
    """Refuse ``c`` if it would break its rule's cumulative cap (amount or number of items)."""
    cap = c.rule.rule.cumulative_cap
    if cap is None:
        return
    members = _cap_members(c.rule)
    query = select(Award.event_date, Award.amount_yuan).where(
        Award.credit_code == c.credit_code,
        Award.document == c.document,
        Award.state != State.revoked.value,
        or_(*(and_(Award.article == a, Award.event == e) for a, e in sorted(members))),
    )
    if cap.per == "subject":
        query = query.where(Award.subject == c.subject)
    if exclude_id is not None:
        query = query.where(Award.id != exclude_id)
    existing = [(d, int(a)) for d, a in session.execute(query)]
    later = {d for d, _ in existing if d > c.event_date and _window_start(d, cap.years) <= c.event_date}
    anchors = [c.event_date, *sorted(later)]
    limit = constant(c.rule.cap)
    span = f"{cap.years}年内" if cap.years else "累计"
    per = "同一对象" if cap.per == "subject" else "单个企业"
    for end in anchors:
        start = _window_start(end, cap.years)
        inside = [a for d, a in existing if start <= d <= end]
        if cap.max_items is not None and len(inside) + 1 > cap.max_items:
            raise LedgerRefused(
                f"超过 {c.where}的项目数上限：{per}{span}最多 {cap.max_items} 项，台账中已有 {len(inside)} 项"
                f"（{start if cap.years else '此前'}至 {end}），不能再录入"
            )
        used = sum(inside)
        if limit is not None and used + c.amount_yuan > limit:
            room = max(limit - used, Decimal(0))
            raise LedgerRefused(
                f"超过 {c.where}的累计上限：{per}{span}不超过 {yuan(limit)} 元，台账中已记 {yuan(used)} 元，"
                f"本次 {yuan(c.amount_yuan)} 元，最多还可 {yuan(room)} 元"
            )


def budget_filter(scope: str, key: str, year: int) -> object:
    """The awards a budget pays for: its year, and its document / article / department."""
    clauses = [Award.year == year, Award.state != State.revoked.value]
    if scope == Scope.document:
        clauses.append(Award.document == key)
    elif scope == Scope.article:
        document, _, article = key.partition("/")
        clauses += [Award.document == document, Award.article == article]
    else:
        clauses.append(Award.department == key)
    return and_(*clauses)


def budget_used(session: Session, budget: Budget) -> int:
    total = session.scalar(
        select(func.coalesce(func.sum(Award.amount_yuan), 0)).where(
            budget_filter(budget.scope, budget.scope_key, budget.year)  # type: ignore[arg-type]
        )
    )
    return int(total or 0)


def budgets_for(session: Session, c: Candidate, *, lock: bool = True) -> list[Budget]:
    """The budgets ``c`` draws on, locked (``FOR UPDATE``) in id order so lockers never deadlock."""
    keys = [(Scope.document.value, c.document), (Scope.article.value, f"{c.document}/{c.article}")]
    if c.department:
        keys.append((Scope.department.value, c.department))
    query = (
        select(Budget)
        .where(Budget.year == c.year, or_(*(and_(Budget.scope == s, Budget.scope_key == k) for s, k in keys)))
        .order_by(Budget.id)
    )
    if lock:
        query = query.with_for_update()
    return list(session.scalars(query))


def check_budgets(session: Session, c: Candidate, budgets: list[Budget]) -> None:
    for budget in budgets:
        used = budget_used(session, budget)
        if used + c.amount_yuan > budget.amount_yuan:
            remaining = budget.amount_yuan - used
            raise LedgerRefused(
                f"预算不足，拒绝超支：{budget_label(budget)} {budget.year} 年度预算 {yuan(budget.amount_yuan)} 元，"
                f"已用 {yuan(used)} 元，剩余 {yuan(remaining)} 元，本次 {yuan(c.amount_yuan)} 元"
            )


def budget_label(budget: Budget) -> str:
    if budget.scope == Scope.document:
        return f"文件 {budget.scope_key}"
    if budget.scope == Scope.article:
        document, _, article = budget.scope_key.partition("/")
        return f"{document} 第{article}条"
    return f"部门 {budget.scope_key}"
