"""The last passes: round each award once to 元, and explain — lines, totals, notes, near misses."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import cache

from huiqi.corpus.models import Status as DocStatus
from huiqi.engine.context import Candidate, Context, FactEnv, Scope
from huiqi.engine.evaluation import evaluate_in
from huiqi.engine.modifiers import assess_provisions
from huiqi.engine.passes import compute_amounts
from huiqi.engine.result import (
    AwardLine,
    CalcResult,
    DocumentScope,
    EventRef,
    FirmRef,
    IgnoredEvent,
    NearMiss,
    Status,
    Totals,
    Tranche,
)
from huiqi.expr import Compare, Name, Node, Num, Str, evaluate, format_value, names, render_filled, walk
from huiqi.money import round_yuan, wan
from huiqi.rules.load import CompiledRule
from huiqi.rules.models import Basis
from huiqi.vocab.profile import Event

NEAR_MISS_LIMIT = 15


def round_amounts(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The one rounding step: every amount to whole 元, half up (``money.round_yuan``)."""
    return tuple(
        c if c.amount is None else replace(c, amount=Decimal(round_yuan(c.amount))) for c in candidates
    )


def _event_ref(ctx: Context, e: Event) -> EventRef:
    label = ctx.vocab.event_by_name[e.type].label
    return EventRef(index=e.index, type=e.type, label=label, date=e.date, level=e.level, subject=e.subject)


def _label(ctx: Context, dotted: str) -> str:
    fact = ctx.vocab.names.get(dotted.split("[")[0])
    return f"{fact.label}（{dotted}）" if fact else dotted


def _schedule(ctx: Context, c: Candidate, amount: int | None) -> list[Tranche]:
    """The award's tranches, each with its share of the rounded amount and, where known, its date."""
    out = []
    env = FactEnv(ctx, c.event)
    for tranche, when in zip(c.rule.rule.schedule, c.rule.tranche_dates, strict=True):
        day = evaluate_in(replace(ctx, explain=False), when, env).value if when is not None else None
        day = day if isinstance(day, date) else None
        share = f"{tranche.share * 100:f}".rstrip("0").rstrip(".") + "%"
        out.append(
            Tranche(
                share=share,
                milestone=tranche.milestone,
                date=day,
                due=(day <= ctx.as_of) if day else None,
                amount_yuan=round_yuan(Decimal(amount) * tranche.share) if amount is not None else None,
            )
        )
    return out


def _line(ctx: Context, c: Candidate) -> AwardLine:
    rule = c.rule.rule
    amount = int(c.amount) if c.amount is not None and rule.amount.basis.has_amount else None
    schedule = _schedule(ctx, c, amount)
    line = AwardLine(
        rule_id=rule.id,
        document_id=c.doc_id,
        document_title=c.scope.document.meta.short_title,
        article=rule.article,
        article_id=f"{c.doc_id}/{rule.article}",
        title=rule.title,
        event=_event_ref(ctx, c.event),
        basis=rule.amount.basis,
        basis_label=rule.amount.basis.label,
        amount_yuan=amount,
        status=c.status,
        status_label=c.status.label,
        draft=c.scope.document.meta.status is DocStatus.draft,
        department=rule.department,
        group=rule.group,
        support=rule.amount.support,
        modifiers=list(c.modifiers),
        missing=sorted(_label(ctx, m) for m in c.missing),
        schedule=schedule,
        quote=list(rule.quote),
        formula=rule.amount.formula,
    )
    if ctx.explain:
        env = FactEnv(ctx, c.event)
        filled = render_filled(c.rule.formula, env, kinds=ctx.vocab.kind_of) if c.rule.formula else None
        facts = {k: format_value(v, ctx.vocab.kind_of(tuple(k.split(".")))) for k, v in c.read.items()}  # type: ignore[arg-type]
        line = line.model_copy(update={"formula_filled": filled, "facts": facts})
    return line


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


def _level_of(rule: CompiledRule) -> str | None:
    if rule.where is None:
        return None
    for node in walk(rule.where):
        if (
            isinstance(node, Compare)
            and node.op == "=="
            and isinstance(node.left, Name)
            and node.left.path == ("event", "level")
            and isinstance(node.right, Str)
        ):
            return node.right.value
    return None


def _describe(ctx: Context, rule: CompiledRule, level: str | None) -> str:
    etype = ctx.vocab.event_by_name[rule.rule.trigger.event]
    what = etype.label if etype.verb in etype.label else f"{etype.verb}{etype.label}"
    return f"{what}（{level}）" if level and level not in etype.label else what


def _gain(rule: CompiledRule, amount: int | None) -> str:
    a = rule.rule.amount
    if amount is not None:
        return f"{a.basis.label} {wan(amount)} 万元"
    return f"{a.basis.label}（{a.support or '按' + (a.formula or '规定') + '计算'}）"


def _threshold_gap(ctx: Context, node: Node, env: FactEnv) -> str | None:
    """For a condition that failed on a number (数量 ≥ 10000 …): what is missing, in words."""
    for n in walk(node):
        if not (
            isinstance(n, Compare)
            and n.op in (">=", ">")
            and isinstance(n.left, Name)
            and isinstance(n.right, Num)
        ):
            continue
        have = evaluate_in(ctx, n.left, env).value
        if isinstance(have, Decimal) and not (
            have >= n.right.value if n.op == ">=" else have > n.right.value
        ):
            fact = ctx.vocab.names.get(".".join(n.left.path))
            label = fact.label if fact else ".".join(n.left.path)
            need = "达到" if n.op == ">=" else "超过"
            return (
                f"{label}为 {format_value(have, 'number')}，需{need} {format_value(n.right.value, 'number')}"
            )
    return None


@cache
def _static(rule: CompiledRule) -> tuple[str | None, Decimal | None]:
    """What never changes for a rule: the level its trigger names, and its amount if the formula is a constant."""
    constant = None
    if rule.formula is not None and not names(rule.formula):
        value = evaluate(rule.formula, {})
        constant = value if isinstance(value, Decimal) else None
    return _level_of(rule), constant


def _near_misses(
    ctx: Context, scopes: tuple[Scope, ...], candidates: tuple[Candidate, ...]
) -> list[NearMiss]:
    """Rules the firm does not yet meet. First what is close — a threshold not yet reached on an event the
    firm has, then a higher level of a recognition it holds — then everything else; each tier by value.
    A lower level of a per-firm group the firm already holds is not offered (it would be set aside)."""
    reached = {c.rule.id for c in candidates}
    held: dict[tuple[str, str], Decimal] = {}  # best amount the firm already gets in each group
    for c in candidates:
        if c.status.counts and c.rule.rule.group:
            k = (c.doc_id, c.rule.rule.group)
            held[k] = max(held.get(k, Decimal(0)), c.amount or Decimal(0))
    quiet = replace(ctx, explain=False)  # near misses need values, not traces
    verdicts: dict[tuple[str, date], Candidate] = {}
    found: list[tuple[int, Decimal, str, Scope, CompiledRule, Decimal | None, Status, str | None]] = []
    for scope in scopes:
        if not scope.considered or scope.rules is None:
            continue
        for rule in scope.rules.rules:
            if rule.id in reached:
                continue
            r = rule.rule
            level, amount = _static(rule)
            probe = Event(index=-1, type=r.trigger.event, date=ctx.as_of, level=level, first_time=True)
            if rule.when is not None and evaluate_in(quiet, rule.when, FactEnv(quiet, probe)).value is False:
                continue  # the firm itself does not fit (e.g. not a manufacturer)
            gap = None
            for e in ctx.profile.events:
                if (
                    gap is None
                    and e.type == r.trigger.event
                    and rule.when is not None
                    and scope.in_window(e.date)
                ):
                    gap = _threshold_gap(quiet, rule.when, FactEnv(quiet, e))
                    if gap:
                        probe = e
                        amount = compute_amounts(quiet, (Candidate(scope, rule, e),))[0].amount
            # The general provisions read the firm and the event's date only: assess them once per date.
            key = (scope.document.id, probe.date)
            if key not in verdicts:
                verdicts[key] = assess_provisions(quiet, Candidate(scope, rule, probe, amount=Decimal(1)))
            verdict = verdicts[key]
            if verdict.status is Status.excluded:
                continue
            if amount is not None:
                amount = amount * (verdict.amount or 1)
            tier = 0 if gap else 2
            group = scope.rules.groups.get(r.group or "")
            best = held.get((scope.document.id, r.group or ""))
            if group is not None and best is not None:
                if (amount or Decimal(0)) <= best and group.per == "firm":
                    continue  # 从高不重复 would set it aside: worth nothing to this firm
                if (amount or Decimal(0)) > best and not gap:
                    tier = 1  # a higher level of a recognition the firm holds
            found.append((tier, -(amount or Decimal(0)), r.id, scope, rule, amount, verdict.status, gap))
    found.sort(key=lambda t: t[:3])
    out = []
    for _, _, _, scope, rule, amount, status, gap in found[:NEAR_MISS_LIMIT]:
        r = rule.rule
        rounded = round_yuan(amount) if amount is not None else None
        halved = "（减半后）" if status is Status.halved else ""
        what = _describe(ctx, rule, _static(rule)[0])
        message = f"{what}：{gap}，达到后可得" if gap else f"{what}可得"
        out.append(
            NearMiss(
                rule_id=r.id,
                document_id=scope.document.id,
                article_id=f"{scope.document.id}/{r.article}",
                title=r.title,
                basis=r.amount.basis,
                basis_label=r.amount.basis.label,
                amount_yuan=rounded,
                kind="gap" if gap else "event",
                message=f"{message}{_gain(rule, rounded)}{halved}〔{scope.document.id}/{r.article}〕",
            )
        )
    return out


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
    return CalcResult(
        firm=FirmRef(
            name=ctx.profile.name,
            credit_code=str(firm["credit_code"]) if "credit_code" in firm else None,
            region=ctx.profile.region,
        ),
        as_of=ctx.as_of,
        include_drafts=ctx.include_drafts,
        documents=[
            DocumentScope(
                id=s.document.id,
                title=s.document.meta.short_title,
                status=s.document.meta.status.label,
                considered=s.considered,
                reason=s.reason,
                events_from=s.events_from,
                events_until=s.events_until,
            )
            for s in scopes
        ],
        awards=lines,
        totals=_totals(lines),
        near_misses=_near_misses(ctx, scopes, candidates) if ctx.explain else [],
        ignored_events=[
            IgnoredEvent(event=_event_ref(ctx, e), document_id=s.document.id, reason=why)
            for s, e, why in ignored
        ],
        notes=_notes(ctx, scopes),
    )
