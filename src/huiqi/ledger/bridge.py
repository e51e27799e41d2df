"""The engine reads the ledger: a firm's earlier awards become the profile's ``prior_awards`` (so cumulative
caps, per-firm item limits and one-time awards hold across years), and a calculation result is marked with
what the ledger holds for its lines (tranches already paid).

Every award not 已撤销 counts as an earlier award — a proposed (拟兑现) award already uses its room under a
cap, exactly as the ledger's own grant checks count it. An award the ledger holds for one of the profile's
own events is not an *earlier* award: the engine computes that line itself, and ``annotate`` marks it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from huiqi.engine.result import CalcResult
from huiqi.errors import ProfileError
from huiqi.ledger.db import Ledger
from huiqi.ledger.models import Award, State
from huiqi.money import yuan
from huiqi.vocab.profile import PriorAward, Profile


def _awards(session: Session, codes: Iterable[str]) -> list[Award]:
    wanted = sorted({c.strip().upper() for c in codes if c})
    if not wanted:
        return []
    query = (
        select(Award)
        .where(Award.credit_code.in_(wanted), Award.state != State.revoked.value)
        .options(selectinload(Award.tranches))
        .order_by(Award.credit_code, Award.event_date, Award.id)
    )
    return list(session.scalars(query))


def _prior(a: Award) -> PriorAward:
    return PriorAward(
        document=a.document,
        article=a.article,
        event=a.event,
        subject=a.subject or None,
        date=a.event_date,
        amount=Decimal(a.amount_yuan),
    )


def prior_awards(session: Session, credit_codes: Iterable[str]) -> dict[str, list[PriorAward]]:
    """Earlier awards per firm (every award not 已撤销), for the single-firm and the batch engine.
    Firms the ledger does not know get an empty list."""
    codes = list(credit_codes)
    result: dict[str, list[PriorAward]] = {c.strip().upper(): [] for c in codes if c}
    for a in _awards(session, codes):
        result[a.credit_code].append(_prior(a))
    return result


def _credit_code(profile: Profile) -> str:
    code = profile.firm.get("credit_code")
    if not code:
        raise ProfileError("使用台账（--ledger）须在档案 firm.credit_code 中给出统一社会信用代码")
    return str(code)


def _own_event(profile: Profile, a: Award) -> bool:
    return any(
        e.type == a.event and e.date == a.event_date and (e.subject or "") == a.subject
        for e in profile.events
    )


def _same(p: PriorAward, q: PriorAward) -> bool:
    """The same award recorded twice: a profile may leave out the event type or the subject."""
    return (
        (p.document, p.article, p.date, p.amount) == (q.document, q.article, q.date, q.amount)
        and (p.event is None or q.event is None or p.event == q.event)
        and (p.subject is None or q.subject is None or p.subject == q.subject)
    )


def merge_prior_awards(session: Session, profile: Profile) -> Profile:
    """``profile`` with the ledger's earlier awards added to its ``prior_awards`` (the profile's own
    entries are kept; an award given in both is counted once)."""
    code = _credit_code(profile)
    merged = list(profile.prior_awards)
    for a in _awards(session, [code]):
        prior = _prior(a)
        if not _own_event(profile, a) and not any(_same(prior, p) for p in profile.prior_awards):
            merged.append(prior)
    return dataclasses.replace(profile, prior_awards=tuple(merged))


def annotate(session: Session, result: CalcResult, profile: Profile) -> CalcResult:
    """A copy of ``result`` saying what the ledger holds for its lines: the entry (``ledger_id``), whether each
    tranche is paid and when (``paid``, ``paid_on``), and a note naming the entry and its state."""
    code = _credit_code(profile)
    awards = _awards(session, [code])
    by_line = {(a.rule_id, a.event_date, a.subject): a for a in awards}
    notes = list(result.notes)
    lines = []
    for line in result.awards:
        a = by_line.get((line.rule_id, line.event.date, line.event.subject or ""))
        if a is None:
            lines.append(line)
            continue
        schedule = []
        for i, t in enumerate(line.schedule):
            paid = a.tranches[i] if i < len(a.tranches) and a.tranches[i].paid else None
            update = {"paid": True, "paid_on": paid.paid_on} if paid is not None else {"paid": False}
            schedule.append(t.model_copy(update=update))
        lines.append(line.model_copy(update={"schedule": schedule, "ledger_id": a.id}))
        notes.append(
            f"台账 #{a.id}：{line.title}（{a.event_date}）{a.state}，金额 {yuan(a.amount_yuan)} 元，"
            f"已拨付 {yuan(a.paid_yuan)} 元"
        )
    earlier = [a for a in awards if not _own_event(profile, a)]
    if earlier:
        total = sum(a.amount_yuan for a in earlier)
        notes.append(
            f"台账：已计入此前奖励 {len(earlier)} 项，共 {yuan(total)} 元（累计上限、一次性奖励据此判断）"
        )
    return result.model_copy(update={"awards": lines, "notes": notes})


def calc_profile(profile: Profile, ledger: Ledger | None = None) -> Profile:
    """``merge_prior_awards`` against the configured ledger (``huiqi calc --ledger``)."""
    own = ledger is None
    ledger = ledger or Ledger.from_env()
    try:
        ledger.ensure_schema()
        return ledger.run(lambda s: merge_prior_awards(s, profile))
    finally:
        if own:
            ledger.close()


def calc_result(result: CalcResult, profile: Profile, ledger: Ledger | None = None) -> CalcResult:
    """``annotate`` against the configured ledger (``huiqi calc --ledger``)."""
    own = ledger is None
    ledger = ledger or Ledger.from_env()
    try:
        return ledger.run(lambda s: annotate(s, result, profile))
    finally:
        if own:
            ledger.close()
