"""Awards through their life: grant (拟兑现) → publish (已公示) → pay each tranche (已拨付), or revoke (已撤销).

Each function works inside the caller's transaction (``Ledger.run``) and appends to the audit trail there,
so an award and its audit entry are written together or not at all. ``perform`` is the front doors' way in:
it checks the token and the role, runs the work, and audits a denial or a refusal in a transaction of its
own (the work's transaction has been rolled back by then).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from huiqi.errors import HuiqiError, NotFoundError
from huiqi.ledger.access import Actor, authenticate, authorize, record
from huiqi.ledger.db import Ledger
from huiqi.ledger.errors import AuthenticationRequired, Forbidden, LedgerError, LedgerRefused
from huiqi.ledger.limits import (
    Candidate,
    budgets_for,
    check_budgets,
    check_ceiling,
    check_cumulative_cap,
    find_rule,
)
from huiqi.ledger.models import STATE_ORDER, Award, Firm, State, Tranche, utcnow
from huiqi.ledger.schemas import AwardOut, FirmOut, GrantIn, PayIn
from huiqi.money import round_yuan
from huiqi.rules.load import CompiledRule
from huiqi.vocab.credit_code import problem as credit_code_problem

T = TypeVar("T")


def valid_code(code: str) -> str:
    code = code.strip().upper()
    wrong = credit_code_problem(code)
    if wrong:
        raise LedgerError(f"统一社会信用代码“{code}”无效：{wrong}")
    return code


def lock_firms(session: Session, names: dict[str, str | None]) -> dict[str, Firm]:
    """The firms' rows (created if new), locked (``FOR UPDATE``) in credit-code order until the transaction
    ends: whoever locks several firms takes them in the same order, so two lockers never deadlock."""
    query = (
        select(Firm)
        .where(Firm.credit_code.in_(sorted(names)))
        .order_by(Firm.credit_code)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    firms = {f.credit_code: f for f in session.scalars(query)}
    new = sorted(set(names) - set(firms))
    if new:  # insert the missing rows (a concurrent insert of the same firm wins harmlessly), then lock all
        values = [{"credit_code": c, "name": (names[c] or "").strip(), "created_at": utcnow()} for c in new]
        dialect = session.get_bind().dialect.name
        if dialect in ("postgresql", "sqlite"):
            insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
            session.execute(
                insert(Firm).values(values).on_conflict_do_nothing(index_elements=["credit_code"])
            )
        else:  # pragma: no cover - other databases
            session.add_all(Firm(**v) for v in values)
            session.flush()
        firms = {f.credit_code: f for f in session.scalars(query)}
    for code, name in names.items():
        if name and name.strip() and not firms[code].name:
            firms[code].name = name.strip()
    return firms


def lock_firm(session: Session, code: str, name: str | None = None) -> Firm:
    """One firm's row, created if new, locked until the transaction ends (see ``lock_firms``)."""
    return lock_firms(session, {code: name})[code]


def tranches_for(rule: CompiledRule, amount: int) -> list[Tranche]:
    """The payments of an award: the rule's schedule (shares of the amount, the last takes the rounding),
    or one payment."""
    schedule = rule.rule.schedule or ()
    if not schedule:
        return [Tranche(seq=1, milestone="一次拨付", share=Decimal(1), amount_yuan=amount, paid=False)]
    rows, given = [], 0
    for i, t in enumerate(schedule, start=1):
        part = amount - given if i == len(schedule) else round_yuan(Decimal(amount) * t.share)
        given += part
        rows.append(Tranche(seq=i, milestone=t.milestone, share=t.share, amount_yuan=part, paid=False))
    return rows


def candidate(req: GrantIn) -> Candidate:
    return Candidate(
        credit_code=valid_code(req.credit_code),
        rule=find_rule(req.rule_id),
        subject=(req.subject or "").strip(),
        event_date=req.event_date,
        year=req.year or req.event_date.year,
        amount_yuan=req.amount_yuan,
    )


def find_existing(session: Session, c: Candidate) -> Award | None:
    return session.scalar(
        select(Award).where(
            Award.credit_code == c.credit_code,
            Award.rule_id == c.rule.id,
            Award.subject == c.subject,
            Award.event_date == c.event_date,
        )
    )


def write_award(
    session: Session,
    actor: Actor,
    c: Candidate,
    *,
    action: str,
    note: str | None,
    firm_name: str | None,
    state: State = State.proposed,
    paid: int = 0,
    paid_on: dt.date | None = None,
    bulk: bool = False,
) -> Award:
    """Check ``c`` against the ledger (firm row and budget rows locked first) and write it, as 拟兑现 or —
    for an import of earlier decisions — in ``state`` with its first ``paid`` tranches paid. ``bulk``: the
    caller has locked the firm and looked the natural key up already. A revoked award is not checked
    against caps and budgets: it holds no room under them."""
    check_ceiling(c)
    if not bulk:
        lock_firm(session, c.credit_code, firm_name)
        existing = find_existing(session, c)
        if existing is not None:
            raise LedgerRefused(
                f"该奖励已在台账中（#{existing.id}，{existing.state}）：同一企业、规则、对象和事项日期只记一次"
            )
    if state != State.revoked:
        budgets = budgets_for(session, c)
        check_cumulative_cap(session, c)
        check_budgets(session, c, budgets)
    rule = c.rule.rule
    award = Award(
        credit_code=c.credit_code,
        rule_id=c.rule.id,
        document=c.document,
        article=c.article,
        event=rule.trigger.event,
        subject=c.subject,
        event_date=c.event_date,
        year=c.year,
        amount_yuan=c.amount_yuan,
        basis=rule.amount.basis.value,
        department=rule.department,
        state=state.value,
        note=note,
        created_by=actor.name,
    )
    award.tranches = tranches_for(c.rule, c.amount_yuan)
    for t in award.tranches[:paid]:
        t.paid, t.paid_on, t.paid_by = True, paid_on, actor.name
    session.add(award)
    session.flush()
    record(
        session,
        actor,
        action,
        award_id=award.id,
        credit_code=c.credit_code,
        detail={
            "rule_id": c.rule.id,
            "subject": c.subject,
            "event_date": c.event_date,
            "year": c.year,
            "amount_yuan": c.amount_yuan,
            "state": award.state,
            "paid_tranches": paid,
        },
    )
    return award


def grant(session: Session, actor: Actor, req: GrantIn) -> Award:
    """Record a proposed award (拟兑现), refusing it if it breaks a cap or overdraws a budget."""
    return write_award(session, actor, candidate(req), action="grant", note=req.note, firm_name=req.firm_name)


def get_award(session: Session, award_id: int, *, lock: bool = False) -> Award:
    query = select(Award).where(Award.id == award_id).options(selectinload(Award.tranches))
    award = session.scalar(query.with_for_update() if lock else query)
    if award is None:
        raise NotFoundError(f"台账中没有编号为 {award_id} 的奖励")
    return award


def _change(session: Session, actor: Actor, award: Award, action: str, new: State, **detail: Any) -> Award:
    old = award.state
    award.state = new.value
    award.updated_at = utcnow()
    session.flush()
    record(
        session,
        actor,
        action,
        award_id=award.id,
        credit_code=award.credit_code,
        detail={"from": old, "to": new.value, **detail},
    )
    return award


def publish(session: Session, actor: Actor, award_id: int) -> Award:
    award = get_award(session, award_id, lock=True)
    if award.state != State.proposed:
        raise LedgerRefused(f"奖励 #{award_id} 状态为{award.state}，只有拟兑现的奖励可以公示")
    return _change(session, actor, award, "publish", State.published)


def _tranche_to_pay(award: Award, seq: int | None) -> Tranche:
    if seq is None:
        unpaid = [t for t in award.tranches if not t.paid]
        if not unpaid:
            raise LedgerRefused(f"奖励 #{award.id} 各期均已拨付")
        return unpaid[0]
    tranche = next((t for t in award.tranches if t.seq == seq), None)
    if tranche is None:
        raise LedgerRefused(f"奖励 #{award.id} 只有 {len(award.tranches)} 期，没有第 {seq} 期")
    if tranche.paid:
        raise LedgerRefused(f"奖励 #{award.id} 第 {seq} 期（{tranche.milestone}）已于 {tranche.paid_on} 拨付")
    return tranche


def pay(session: Session, actor: Actor, award_id: int, req: PayIn) -> Award:
    """Pay one tranche (the given one, or the first unpaid); the award is 已拨付 once all are paid."""
    award = get_award(session, award_id, lock=True)
    if award.state != State.published:
        why = {State.proposed: "尚未公示，须先公示", State.paid: "已全部拨付", State.revoked: "已撤销"}
        raise LedgerRefused(f"奖励 #{award_id} {why.get(State(award.state), award.state)}，不能拨付")
    tranche = _tranche_to_pay(award, req.tranche)
    tranche.paid, tranche.paid_on, tranche.paid_by = True, req.paid_on or dt.date.today(), actor.name
    award.updated_at = utcnow()
    detail = {"tranche": tranche.seq, "milestone": tranche.milestone, "amount_yuan": tranche.amount_yuan}
    if all(t.paid for t in award.tranches):
        return _change(session, actor, award, "pay", State.paid, paid_on=tranche.paid_on, **detail)
    session.flush()
    record(session, actor, "pay", award_id=award.id, credit_code=award.credit_code, detail=detail)
    return award


def revoke(session: Session, actor: Actor, award_id: int, reason: str) -> Award:
    award = get_award(session, award_id, lock=True)
    if award.state == State.revoked:
        raise LedgerRefused(f"奖励 #{award_id} 已撤销")
    if not reason.strip():
        raise LedgerRefused("撤销须写明理由")
    return _change(session, actor, award, "revoke", State.revoked, reason=reason.strip())


def advance(
    session: Session, actor: Actor, award: Award, state: State, paid: int, paid_on: dt.date | None
) -> bool:
    """Move an existing award forward to ``state`` with ``paid`` tranches paid (an import of a later
    export); True if anything changed. Moving backwards is refused."""
    current = State(award.state)
    already = sum(1 for t in award.tranches if t.paid)
    if state == current and paid <= already:
        return False
    backwards = current == State.revoked or (
        state != State.revoked and STATE_ORDER.index(state) < STATE_ORDER.index(current)
    )
    if backwards or paid < already:
        raise LedgerRefused(
            f"台账中 #{award.id} 为{current}（已拨付 {already} 期），不能改回{state}（{paid} 期）"
        )
    for t in award.tranches[:paid]:
        if not t.paid:
            t.paid, t.paid_on, t.paid_by = True, paid_on, actor.name
    _change(session, actor, award, "import", state, paid_tranches=paid)
    return True


def list_awards(
    session: Session,
    *,
    credit_code: str | None = None,
    state: str | None = None,
    document: str | None = None,
    year: int | None = None,
    limit: int | None = None,
) -> list[Award]:
    query = select(Award).options(selectinload(Award.tranches)).order_by(Award.id)
    if credit_code:
        query = query.where(Award.credit_code == valid_code(credit_code))
    if state:
        query = query.where(Award.state == State(state).value)
    if document:
        query = query.where(Award.document == document)
    if year is not None:
        query = query.where(Award.year == year)
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def firm_view(session: Session, credit_code: str) -> FirmOut:
    code = valid_code(credit_code)
    firm = session.get(Firm, code)
    awards = list_awards(session, credit_code=code)
    totals = {s.value: sum(a.amount_yuan for a in awards if a.state == s) for s in State}
    totals["paid_yuan"] = sum(a.paid_yuan for a in awards)
    return FirmOut(
        credit_code=code,
        name=firm.name if firm else "",
        awards=[AwardOut.of(a) for a in awards],
        totals=totals,
    )


def perform(
    ledger: Ledger,
    token: str | None,
    action: str,
    work: Callable[[Session, Actor], T],
    *,
    via: str = "cli",
    address: str | None = None,
    target: dict[str, Any] | None = None,
) -> T:
    """Authenticate ``token``, check its role may do ``action``, run ``work`` in one (retried) transaction.
    A denial (401/403) or a refusal is audited, with its reason, before it is raised."""
    target = target or {}

    def audit(actor: Actor | None, outcome: str, reason: str) -> None:
        ledger.run(
            lambda s: record(
                s,
                actor,
                action,
                outcome=outcome,
                via=via,
                award_id=target.get("award_id"),
                credit_code=target.get("credit_code"),
                detail={**target, "reason": reason, "address": address},
            )
        )

    try:
        actor = ledger.run(lambda s: authenticate(s, token, via=via, address=address))
        authorize(actor, action)
    except AuthenticationRequired as exc:
        audit(None, "denied", exc.message)
        raise
    except Forbidden as exc:
        audit(actor, "denied", exc.message)
        raise
    try:
        return ledger.run(lambda s: work(s, actor))
    except HuiqiError as exc:
        if action != "read":
            audit(actor, "refused", exc.message)
        raise
