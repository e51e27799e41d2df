"""The last passes: round each award once to 元, and explain — lines, totals, notes, near misses."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from huiqi.corpus.models import Status as DocStatus
from huiqi.engine.context import Candidate, Context, FactEnv, Scope
from huiqi.engine.evaluation import value_in
from huiqi.engine.near import near_misses
from huiqi.engine.result import (
    STATUS_LABELS,
    AwardLine,
    CalcResult,
    DocumentScope,
    EventRef,
    FirmRef,
    IgnoredEvent,
    Status,
    Totals,
    Tranche,
    assemble,
)
from huiqi.expr import format_percent, format_value, render_filled
from huiqi.money import round_yuan
from huiqi.rules.models import Basis
from huiqi.vocab.profile import Event


def round_amounts(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The one rounding step: every amount to whole 元, half up (``money.round_yuan``)."""
    return tuple(
        c if c.amount is None else c.evolve(amount=Decimal(round_yuan(c.amount))) for c in candidates
    )


def _event_ref(ctx: Context, e: Event) -> EventRef:
    """The event as the result names it: made once per calculation (its award lines and the events set aside
    share it)."""
    key = ("event", e.index)  # an event's position in the profile names it
    ref = ctx.memo.get(key)
    if isinstance(ref, EventRef):
        return ref
    label = ctx.vocab.event_by_name[e.type].label
    ref = ctx.memo[key] = assemble(
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
    return ref


def _label(ctx: Context, dotted: str) -> str:
    fact = ctx.vocab.names.get(dotted.split("[")[0])
    return f"{fact.label}（{dotted}）" if fact else dotted


def _schedule(ctx: Context, c: Candidate, amount: int | None, env: FactEnv) -> list[Tranche]:
    """The award's tranches, each with its share of the rounded amount and, where known, its date."""
    out = []
    for tranche, when in zip(c.rule.rule.schedule, c.rule.tranche_dates, strict=True):
        day = value_in(when, env) if when is not None else None
        day = day if isinstance(day, date) else None
        share = format_percent(tranche.share)
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
                    "paid": None,  # the ledger's to say (``ledger.bridge.annotate``)
                    "paid_on": None,
                },
            )
        )
    return out


def _facts(ctx: Context, read: dict[str, object]) -> dict[str, str]:
    """The facts read, each formatted as its kind (a subscripted fact has none: shown plain). The lines of
    one calculation read many of the same facts (the firm's, for the general provisions): each value is
    formatted once per calculation (by identity: the lines read the same objects)."""
    kinds = ctx.vocab.kinds
    done = ctx.memo.get("formatted")
    if done is None:
        done = ctx.memo["formatted"] = {}
    assert isinstance(done, dict)
    out = {}
    for k, v in read.items():
        # fact → (the value last formatted for it, its text): a fact with another value here (another
        # event's, another year's) is formatted and replaces it
        kept = done.get(k)
        if kept is not None and kept[0] is v:
            out[k] = kept[1]
        else:
            text = format_value(v, kinds.get(k))  # type: ignore[arg-type]
            done[k] = (v, text)
            out[k] = text
    return out


def _line(ctx: Context, c: Candidate) -> AwardLine:
    _rule, _document, has_amount, fixed, quote, scheduled = _fixed(c)
    values = dict(fixed)  # the rule's fields (which keep the fields' order), and then the firm's
    amount = int(c.amount) if c.amount is not None and has_amount else None
    env = FactEnv(ctx, c.event)
    values["event"] = _event_ref(ctx, c.event)
    values["amount_yuan"] = amount
    values["status"] = c.status
    values["status_label"] = STATUS_LABELS[c.status]
    values["modifiers"] = list(c.modifiers)
    values["missing"] = sorted([_label(ctx, m) for m in c.missing]) if c.missing else []
    values["schedule"] = _schedule(ctx, c, amount, env) if scheduled else []
    values["quote"] = list(quote)
    if ctx.explain:
        formula = c.rule.formula
        values["formula_filled"] = render_filled(formula, env, kinds=ctx.vocab.kind_of) if formula else None
        values["facts"] = _facts(ctx, c.read)
    else:
        values["facts"] = {}  # a line's own (the placeholder in ``_fixed`` is shared)
    # Every field is given, of its declared type: assembled without validating it again (it is on the hot path
    # of every calculation; tests/test_engine_props.py checks the lines against validation).
    return assemble(AwardLine, values)


_Fixed = tuple[object, object, bool, dict[str, object], tuple[str, ...], bool]


def _fixed(c: Candidate) -> _Fixed:
    """What the award line takes from the rule and its document, the same for every firm: (the compiled rule,
    the document, whether the basis has an amount, the line's fields, every one in order, the rest as
    placeholders, the rule's quote, whether it has a schedule). Made once per rule (its pydantic attributes
    are slow to read)."""
    kept = _FIXED.get(id(c.rule))
    if kept is None or kept[0] is not c.rule or kept[1] is not c.scope.document:
        rule, doc_id, meta = c.rule.rule, c.doc_id, c.scope.document.meta
        fields: dict[str, object] = {
            "rule_id": rule.id,
            "document_id": doc_id,
            "document_title": meta.short_title,
            "article": rule.article,
            "article_id": f"{doc_id}/{rule.article}",
            "title": rule.title,
            "event": None,
            "basis": rule.amount.basis,
            "basis_label": rule.amount.basis.label,
            "amount_yuan": None,
            "status": None,
            "status_label": None,
            "draft": meta.status is DocStatus.draft,
            "department": rule.department,
            "group": rule.group,
            "support": rule.amount.support,
            "modifiers": None,
            "missing": None,
            "schedule": None,
            "quote": None,
            "formula": rule.amount.formula,
            "formula_filled": None,
            "facts": {},
            "ledger_id": None,  # the ledger's to say (``ledger.bridge.annotate``)
        }
        if len(_FIXED) >= _FIXED_LIMIT:
            _FIXED.clear()
        kept = _FIXED[id(c.rule)] = (
            c.rule,
            c.scope.document,
            rule.amount.basis.has_amount,
            fields,
            tuple(rule.quote),
            bool(rule.schedule),
        )
    return kept


# compiled rule identity → what ``_fixed`` gives, which holds the rule (so its id is never reused)
_FIXED: dict[int, _Fixed] = {}
_FIXED_LIMIT = 4096


def _totals(lines: list[AwardLine]) -> Totals:
    sums = dict.fromkeys(_TOTALS, 0)
    for line in lines:
        fields = line.__dict__  # one read of the model instead of three (pydantic's are slow)
        if fields["status"] not in _COUNTED:
            continue
        total, counted = _TOTAL_OF.get(fields["basis"], _NON_MONETARY)
        sums[total] += 1 if counted else fields["amount_yuan"] or 0
    return assemble(Totals, sums)  # type: ignore[arg-type]  # (dict is invariant: ints are objects)


# the totals, in order; each basis → (the total it adds to, whether it counts lines rather than 元)
_TOTALS = ("exact_yuan", "up_to_yuan", "at_least_yuan", "unquantified", "non_monetary")
_TOTAL_OF = {
    Basis.exact: ("exact_yuan", False),
    Basis.up_to: ("up_to_yuan", False),
    Basis.at_least: ("at_least_yuan", False),
    Basis.unquantified: ("unquantified", True),
}
_NON_MONETARY = ("non_monetary", True)
_COUNTED = frozenset(status for status in Status if status.counts)


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


def _scoped(ctx: Context, scopes: tuple[Scope, ...]) -> tuple[tuple[DocumentScope, ...], tuple[str, ...]]:
    """The result's documents and notes: the same for every firm of a region on a date with the same options,
    whose scopes ``select_documents`` keeps, so made once for each (a bounded number)."""
    key = (id(scopes), id(ctx.corpus), ctx.profile.region, ctx.include_drafts)
    kept = _SCOPED.get(key)
    if kept is not None and kept[0] is scopes and kept[1] is ctx.corpus:
        return kept[2], kept[3]
    documents = tuple(
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
    )
    notes = tuple(_notes(ctx, scopes))
    if len(_SCOPED) >= _SCOPED_LIMIT:
        _SCOPED.clear()
    _SCOPED[key] = (scopes, ctx.corpus, documents, notes)
    return documents, notes


# (scopes, corpus identity, region, drafts or not) → (the scopes, the corpus, documents, notes); the value
# holds what the key names by identity, so those ids are never reused
_SCOPED: dict[tuple[object, ...], tuple[object, object, tuple[DocumentScope, ...], tuple[str, ...]]] = {}
_SCOPED_LIMIT = 4096


def explain(
    ctx: Context,
    scopes: tuple[Scope, ...],
    candidates: tuple[Candidate, ...],
    ignored: tuple[tuple[Scope, Event, str], ...],
) -> CalcResult:
    lines = [_line(ctx, c) for c in candidates]
    firm = ctx.profile.firm
    documents, notes = _scoped(ctx, scopes)
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
            "documents": list(documents),
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
            "notes": list(notes),
        },
    )
