"""The last passes: round each award once to 元, and explain — lines, totals, notes, near misses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from huiqi.corpus.models import Status as DocStatus
from huiqi.engine.context import Candidate, Context, FactEnv, Scope
from huiqi.engine.evaluation import value_in
from huiqi.engine.near import near_misses
from huiqi.engine.result import (
    AwardLine,
    CalcResult,
    DocumentScope,
    EventRef,
    FirmRef,
    IgnoredEvent,
    Totals,
    Tranche,
    assemble,
)
from huiqi.expr import format_value, render_filled
from huiqi.money import round_yuan
from huiqi.rules.models import Basis
from huiqi.vocab.profile import Event


def round_amounts(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The one rounding step: every amount to whole 元, half up (``money.round_yuan``)."""
    return tuple(
        c if c.amount is None else c.evolve(amount=Decimal(round_yuan(c.amount))) for c in candidates
    )


def _event_ref(ctx: Context, e: Event) -> EventRef:
    label = ctx.vocab.event_by_name[e.type].label
    return assemble(
        EventRef,
        {
            "index": e.index,
            "type": e.type,
            "label": label,
            "date": e.date,
            "level": e.level,
            "subject": e.subject,
        },
    )


def _label(ctx: Context, dotted: str) -> str:
    fact = ctx.vocab.names.get(dotted.split("[")[0])
    return f"{fact.label}（{dotted}）" if fact else dotted


def _schedule(ctx: Context, c: Candidate, amount: int | None) -> list[Tranche]:
    """The award's tranches, each with its share of the rounded amount and, where known, its date."""
    out = []
    env = FactEnv(ctx, c.event)
    for tranche, when in zip(c.rule.rule.schedule, c.rule.tranche_dates, strict=True):
        day = value_in(when, env) if when is not None else None
        day = day if isinstance(day, date) else None
        share = f"{tranche.share * 100:f}".rstrip("0").rstrip(".") + "%"
        out.append(
            assemble(
                Tranche,
                {
                    "share": share,
                    "milestone": tranche.milestone,
                    "amount_yuan": round_yuan(Decimal(amount) * tranche.share)
                    if amount is not None
                    else None,
                    "date": day,
                    "due": (day <= ctx.as_of) if day else None,
                },
            )
        )
    return out


def _facts(ctx: Context, read: dict[str, object]) -> dict[str, str]:
    """The facts read, each formatted as its kind (a subscripted fact has none: shown plain)."""
    names = ctx.vocab.names
    out = {}
    for k, v in read.items():
        fact = names.get(k)
        out[k] = format_value(v, fact.kind if fact else None)  # type: ignore[arg-type]
    return out


def _line(ctx: Context, c: Candidate) -> AwardLine:
    rule = c.rule.rule
    amount = int(c.amount) if c.amount is not None and rule.amount.basis.has_amount else None
    filled: str | None = None
    facts: dict[str, str] = {}
    if ctx.explain:
        env = FactEnv(ctx, c.event)
        filled = render_filled(c.rule.formula, env, kinds=ctx.vocab.kind_of) if c.rule.formula else None
        facts = _facts(ctx, c.read)
    # Every field is given, of its declared type: assembled without validating it again (it is on the hot path
    # of every calculation; tests/test_engine_props.py checks the lines against validation).
    return assemble(
        AwardLine,
        {
            "rule_id": rule.id,
            "document_id": c.doc_id,
            "document_title": c.scope.document.meta.short_title,
            "article": rule.article,
            "article_id": f"{c.doc_id}/{rule.article}",
            "title": rule.title,
            "event": _event_ref(ctx, c.event),
            "basis": rule.amount.basis,
            "basis_label": rule.amount.basis.label,
            "amount_yuan": amount,
            "status": c.status,
            "status_label": c.status.label,
            "draft": c.scope.document.meta.status is DocStatus.draft,
            "department": rule.department,
            "group": rule.group,
            "support": rule.amount.support,
            "modifiers": list(c.modifiers),
            "missing": sorted(_label(ctx, m) for m in c.missing),
            "schedule": _schedule(ctx, c, amount),
            "quote": list(rule.quote),
            "formula": rule.amount.formula,
            "formula_filled": filled,
            "facts": facts,
        },
    )


def _totals(lines: list[AwardLine]) -> Totals:
    t = Totals()
    for line in lines:
        if not line.status.counts:
            continue
        if line.basis is Basis.exact:
            t.exact_yuan += line.amount_yuan or 0
        elif line.basis is Basis.up_to:
            t.up_to_yuan += line.amount_yuan or 0
        elif line.basis is Basis.at_least:
            t.at_least_yuan += line.amount_yuan or 0
        elif line.basis is Basis.unquantified:
            t.unquantified += 1
        else:
            t.non_monetary += 1
    return t


def _territory(ctx: Context) -> list[str]:
    """The widest places the corpus's documents cover (宁波市 for the 宁波 corpus): each jurisdiction's root."""
    roots = set()
    for doc in ctx.corpus:
        place = doc.meta.jurisdiction
        while (region := ctx.corpus.region(place)) is not None and region.parent:
            place = region.parent
        roots.add(place)
    return sorted(roots)


def _notes(ctx: Context, scopes: tuple[Scope, ...]) -> list[str]:
    notes = []
    if not any(ctx.corpus.covers(s.document.meta.jurisdiction, ctx.profile.region) for s in scopes):
        notes.append(
            f"企业注册地为“{ctx.profile.region}”，不在{'、'.join(_territory(ctx))}辖区内，本库政策均不适用。"
        )
    drafts = [
        s.document.meta.short_title
        for s in scopes
        if s.document.meta.status is DocStatus.draft and not ctx.include_drafts
    ]
    if drafts:
        notes.append(
            "征求意见稿未计入：" + "、".join(drafts) + "。需要时可选择计入征求意见稿（结果会标明）。"
        )
    if ctx.include_drafts and any(s.considered and s.document.meta.status is DocStatus.draft for s in scopes):
        notes.append("结果含征求意见稿的测算，仅供参考，不作为兑现依据。")
    return notes


def explain(
    ctx: Context,
    scopes: tuple[Scope, ...],
    candidates: tuple[Candidate, ...],
    ignored: tuple[tuple[Scope, Event, str], ...],
) -> CalcResult:
    lines = [_line(ctx, c) for c in candidates]
    firm = ctx.profile.firm
    # Assembled, not validated, as the award lines are (tests/test_engine_fastpaths.py checks the result
    # against validation): every field given, of its declared type, in the declared order.
    return assemble(
        CalcResult,
        {
            "firm": assemble(
                FirmRef,
                {
                    "name": ctx.profile.name,
                    "credit_code": str(firm["credit_code"]) if "credit_code" in firm else None,
                    "region": ctx.profile.region,
                },
            ),
            "as_of": ctx.as_of,
            "include_drafts": ctx.include_drafts,
            "documents": [
                assemble(
                    DocumentScope,
                    {
                        "id": s.document.id,
                        "title": s.document.meta.short_title,
                        "status": s.document.meta.status.label,
                        "considered": s.considered,
                        "reason": s.reason,
                        "events_from": s.events_from,
                        "events_until": s.events_until,
                    },
                )
                for s in scopes
            ],
            "awards": lines,
            "totals": _totals(lines),
            "near_misses": near_misses(ctx, scopes, candidates) if ctx.explain else [],
            "ignored_events": [
                assemble(
                    IgnoredEvent,
                    {"event": _event_ref(ctx, e), "document_id": s.document.id, "reason": why},
                )
                for s, e, why in ignored
            ],
            "notes": _notes(ctx, scopes),
        },
    )
