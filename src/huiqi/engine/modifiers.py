"""The passes that change what candidates pay after the general provisions (``provisions.py``): 从高不重复
(and one-time awards), cumulative caps. Each takes the candidates and returns new ones; none rounds (rounding is one later step)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from huiqi.engine.context import Candidate, Context, FactEnv
from huiqi.engine.evaluation import evaluate_in
from huiqi.engine.result import Modifier, ModifierKind, Status
from huiqi.money import yuan
from huiqi.rules.load import DocumentRules
from huiqi.rules.models import Group
from huiqi.vocab.profile import PriorAward


def _rank(c: Candidate) -> tuple[Decimal, int, int, int]:
    """Higher is kept: the amount (unquantified counts as 0), then the earlier rule, the earlier event."""
    return (c.amount or Decimal(0), -(c.rule.line or 0), -c.event.date.toordinal(), -c.event.index)


def _across_rank(c: Candidate) -> tuple[Decimal, int, int, int, int]:
    """Across documents, equal amounts go to the higher-level, official document (市 before 县/区, official
    before draft), then as within a document."""
    meta = c.scope.document.meta
    level = 1 if meta.level == "市" else 0
    official = 0 if meta.status == "draft" else 1
    return (c.amount or Decimal(0), level, official, -c.event.date.toordinal(), -c.event.index)


def _keep_highest(
    candidates: tuple[Candidate, ...],
    key: Callable[[Candidate], object | None],
    reason: Callable[[Candidate], Modifier],
    rank: Callable[[Candidate], tuple[object, ...]] = _rank,
) -> tuple[Candidate, ...]:
    keys = [key(c) if c.status.counts else None for c in candidates]  # None: not competing
    best: dict[object, Candidate] = {}
    competing = 0
    for c, k in zip(candidates, keys, strict=True):
        if k is not None:
            competing += 1
            if k not in best or rank(c) > rank(best[k]):
                best[k] = c
    if len(best) == competing:
        return candidates  # no two compete
    out = []
    for c, k in zip(candidates, keys, strict=True):
        if k is None or best[k] is c:
            out.append(c)
        else:
            out.append(c.evolve(status=Status.set_aside, modifiers=(*c.modifiers, reason(best[k]))))
    return tuple(out)


def stack_groups(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """从高、不重复 within a document: in each group, per firm or per subject, only the highest is paid."""

    def key(c: Candidate) -> object | None:
        group = c.scope.rules.groups.get(c.rule.rule.group or "") if c.scope.rules else None
        if group is None:
            return None
        return (c.doc_id, group.id, c.subject_key if group.per == "subject" else "")

    def reason(kept: Candidate) -> Modifier:
        assert kept.scope.rules is not None
        return _set_aside(kept, kept.scope.rules.groups[kept.rule.rule.group or ""])

    return _keep_highest(candidates, key, reason)


def stack_across_documents(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """从高、不重复 across documents: a group of one document (慈溪's plan) that names rules of another (a
    city-level award for the same thing) as members: the award is paid once, at the higher amount."""
    cross = ctx.rulebook.cross_groups

    def group_of(c: Candidate) -> Group | None:
        if c.rule.id in cross:
            return cross[c.rule.id][1]
        own = c.scope.rules.groups.get(c.rule.rule.group or "") if c.scope.rules else None
        return own if own is not None and own.members else None

    def key(c: Candidate) -> object | None:
        group = group_of(c)
        if group is None:
            return None
        return ("across", group.id, c.subject_key if group.per == "subject" else "")

    def reason(kept: Candidate) -> Modifier:
        group = group_of(kept)
        assert group is not None
        return _set_aside(kept, group)

    return _keep_highest(candidates, key, reason, _across_rank)


def _set_aside(kept: Candidate, group: Group) -> Modifier:
    return Modifier(
        kind=ModifierKind.set_aside,
        source_id=group.id,
        quote=group.quote[0],
        reason=f"{group.label}：按“从高、不重复”只计“{kept.rule.rule.title}”（{kept.doc_id}）",
        article_id=f"{kept.doc_id}/{kept.rule.rule.article}",
    )


def _prior_matches(c: Candidate, p: PriorAward, per_subject: bool) -> bool:
    return (
        p.document == c.doc_id
        and p.article == c.rule.rule.article
        and (p.event is None or p.event == c.event.type)
        and (not per_subject or (p.subject or "") == c.subject_key)
    )


def one_time_awards(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """A one-time award is paid once per firm and subject: not again for a later event, nor when the
    profile (or the ledger) records it as already received."""
    out = []
    for c in candidates:
        if c.rule.rule.once and c.status.counts:
            earlier = [p for p in ctx.profile.prior_awards if _prior_matches(c, p, per_subject=True)]
            if earlier:
                c = c.evolve(
                    status=Status.set_aside,
                    modifiers=(
                        *c.modifiers,
                        Modifier(
                            kind=ModifierKind.once,
                            reason=f"一次性奖励，已于 {earlier[0].date} 享受过",
                            source_id=c.rule.id,
                        ),
                    ),
                )
        out.append(c)

    def key(c: Candidate) -> object | None:
        return (c.rule.id, c.subject_key) if c.rule.rule.once else None

    def reason(kept: Candidate) -> Modifier:
        return Modifier(
            kind=ModifierKind.once,
            source_id=kept.rule.id,
            reason=f"一次性奖励，只计 {kept.event.date} 的一次",
        )

    return _keep_highest(tuple(out), key, reason)


def _cap_rules(c: Candidate) -> tuple[str, frozenset[tuple[str, str]]]:
    """The cap's key and the (article, event type) of every rule that shares it: the same for every firm,
    so kept per document's rules (by identity: the key holds them) and cap key, for a bounded number."""
    cap = c.rule.rule.cumulative_cap
    rules = c.scope.rules
    assert cap is not None and rules is not None
    key = cap.key or c.rule.id
    members = _CAP_MEMBERS.get((rules, key))
    if members is None:
        members = frozenset(
            (r.rule.article, r.rule.trigger.event)
            for r in rules.rules
            if r.rule.cumulative_cap and (r.rule.cumulative_cap.key or r.id) == key
        )
        if len(_CAP_MEMBERS) >= _CAP_MEMBERS_LIMIT:
            _CAP_MEMBERS.clear()
        _CAP_MEMBERS[(rules, key)] = members
    return key, members


_CAP_MEMBERS: dict[tuple[DocumentRules, str], frozenset[tuple[str, str]]] = {}
_CAP_MEMBERS_LIMIT = 4096


def cap_window_start(day: date, years: int | None) -> date:
    """The first day a cap's look-back (三年内 …) counts from, for an event on ``day``; ever when no years."""
    return date(day.year - years, day.month, min(day.day, 28)) if years else date.min


def cumulative_caps(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """Caps that hold across events and years (三年内最高30万元; 累计不超过50万元; 不超过5个): earlier
    awards in the profile (or the ledger) and earlier events of this calculation use them up, in date order."""
    if not any(c.rule.rule.cumulative_cap for c in candidates):
        return candidates
    used: list[tuple[Candidate, str, Decimal]] = []
    result: dict[int, Candidate] = {}
    for i, c in sorted(enumerate(candidates), key=lambda ic: (ic[1].event.date, ic[1].event.index)):
        cap_rule = c.rule.rule.cumulative_cap
        if cap_rule is None or not c.status.counts:
            result[i] = c
            continue
        key, members = _cap_rules(c)
        day = c.event.date
        since = cap_window_start(day, cap_rule.years)
        per_subject = cap_rule.per == "subject"
        prior = [
            p.amount
            for p in ctx.profile.prior_awards
            if p.document == c.doc_id
            and any(p.article == a and p.event in (None, e) for a, e in members)
            and since <= p.date <= day
            and (not per_subject or (p.subject or "") == c.subject_key)
        ]
        earlier = [
            amt
            for other, k, amt in used
            if other.doc_id == c.doc_id
            and k == key
            and since <= other.event.date
            and (not per_subject or other.subject_key == c.subject_key)
        ]
        if cap_rule.max_items is not None and len(prior) + len(earlier) >= cap_rule.max_items:
            c = c.evolve(
                status=Status.set_aside,
                modifiers=(
                    *c.modifiers,
                    Modifier(
                        kind=ModifierKind.cap,
                        reason=f"已达上限：最多 {cap_rule.max_items} 项，此前已有 "
                        f"{len(prior) + len(earlier)} 项",
                        source_id=key,
                        article_id=f"{c.doc_id}/{c.rule.rule.article}",
                    ),
                ),
            )
        elif c.rule.cap is not None and c.amount is not None:
            cap = evaluate_in(ctx, c.rule.cap, FactEnv(ctx, c.event)).value
            assert isinstance(cap, Decimal)
            spent = sum(prior, Decimal(0)) + sum(earlier, Decimal(0))
            remaining = max(cap - spent, Decimal(0))
            if c.amount > remaining:
                # used up: set aside, still showing what it would have paid; partly used: pay the rest
                status, amount = (c.status, remaining) if remaining > 0 else (Status.set_aside, c.amount)
                c = c.evolve(
                    amount=amount,
                    status=status,
                    modifiers=(
                        *c.modifiers,
                        Modifier(
                            kind=ModifierKind.cap,
                            reason=f"累计上限 {yuan(cap)} 元，此前已享受 {yuan(spent)} 元",
                            source_id=key,
                            article_id=f"{c.doc_id}/{c.rule.rule.article}",
                        ),
                    ),
                )
        if c.status.counts:
            used.append((c, key, c.amount or Decimal(0)))
        result[i] = c
    return tuple(result[i] for i in range(len(candidates)))
