"""The first passes: which documents apply, which events trigger which rules, what each would pay."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from huiqi.corpus.load import Corpus
from huiqi.corpus.models import Document
from huiqi.corpus.models import Status as DocStatus
from huiqi.engine.context import Candidate, Context, FactEnv, Scope
from huiqi.engine.evaluation import condition_in, evaluate_in
from huiqi.engine.result import Status
from huiqi.errors import EvaluationError, Source
from huiqi.expr import MISSING, Evaluation, Node
from huiqi.expr.ast import Compare, Name, Str
from huiqi.rules.load import CompiledRule, DocumentRules, Rulebook
from huiqi.vocab.profile import Event


def why_not(
    corpus: Corpus,
    doc: Document,
    rules: DocumentRules | None,
    as_of: dt.date,
    include_drafts: bool,
    publication: dt.date | None,
    region: str | None = None,
) -> str | None:
    """Why ``doc`` does not apply on ``as_of`` with these options (and, given a region, to a firm registered
    there); ``None`` when it applies. The single-firm and the batch engine both ask this."""
    meta = doc.meta
    if meta.validity is None or not meta.is_legal_basis:
        return "答复函，介绍政策情况，不作为兑现依据"
    if meta.status is DocStatus.draft and not include_drafts:
        return "征求意见稿，未计入（需要时可选择计入征求意见稿）"
    if region is not None and not corpus.covers(meta.jurisdiction, region):
        return f"适用于{meta.jurisdiction}，企业注册地为{region}"
    if rules is None:
        return "该文件的规则尚未编码"
    in_force_from = meta.validity.window(publication)[0]
    if as_of < in_force_from:
        return f"计算日 {as_of} 时尚未施行（{in_force_from} 起施行）"
    return None


def select_documents(ctx: Context) -> tuple[Scope, ...]:
    """Every document, with whether it applies to this firm on this date and why not. The answer depends on
    the region, the date and the options only, so it is kept for the firms that share them (a bounded
    number of answers; keyed by the identity of the corpus and rulebook, which the entry holds)."""
    key = (
        id(ctx.corpus),
        id(ctx.rulebook),
        ctx.profile.region,
        ctx.as_of,
        ctx.include_drafts,
        tuple(sorted(ctx.publication_dates.items())),
    )
    kept = _SCOPES.get(key)
    if kept is not None and kept[0] is ctx.corpus and kept[1] is ctx.rulebook:
        return kept[2]
    scopes = _select(ctx)
    if len(_SCOPES) >= _SCOPES_LIMIT:
        _SCOPES.clear()
    _SCOPES[key] = (ctx.corpus, ctx.rulebook, scopes)
    return scopes


_SCOPES: dict[tuple[object, ...], tuple[Corpus, Rulebook, tuple[Scope, ...]]] = {}
_SCOPES_LIMIT = 4096


def _select(ctx: Context) -> tuple[Scope, ...]:
    scopes = []
    for doc in ctx.corpus:
        rules, publication = ctx.rulebook.for_document(doc.id), ctx.publication_dates.get(doc.id)
        reason = why_not(
            ctx.corpus, doc, rules, ctx.as_of, ctx.include_drafts, publication, ctx.profile.region
        )
        if reason is not None or doc.meta.validity is None:
            scopes.append(Scope(doc, rules, False, reason))
            continue
        start, end = doc.meta.validity.events_window(publication)
        scopes.append(Scope(doc, rules, True, None, start, end))
    return tuple(scopes)


def _condition(ctx: Context, node: Node | None, env: FactEnv) -> Evaluation | None:
    """A rule's condition: its evaluation, or a plain ``False`` where that is cheaper to find first."""
    return None if node is None else condition_in(ctx, node, env)


def match_events(
    ctx: Context, scopes: tuple[Scope, ...]
) -> tuple[tuple[Candidate, ...], tuple[tuple[Scope, Event, str], ...]]:
    """Candidates (rule × event) whose trigger and conditions hold or cannot yet be decided, and the
    events that were not counted under a document, with the reason."""
    candidates: list[Candidate] = []
    ignored: list[tuple[Scope, Event, str]] = []
    for scope in scopes:
        if not scope.considered or scope.rules is None:
            continue
        assert scope.events_from is not None and scope.events_until is not None
        for event in ctx.profile.events:
            rules = scope.rules.by_event.get(event.type, ())
            if not rules:
                continue
            if event.date > ctx.as_of:
                ignored.append((scope, event, f"事项日期 {event.date} 晚于计算日 {ctx.as_of}"))
                continue
            if not scope.in_window(event.date):
                ignored.append(
                    (
                        scope,
                        event,
                        f"事项日期 {event.date} 不在 {scope.events_from} 至 {scope.events_until} 的适用期内",
                    )
                )
                continue
            env, level = FactEnv(ctx, event), event.level
            for rule in rules:
                if rule.where is not None and type(level) is str:
                    wanted = _LEVELS.get(id(rule.where))
                    if wanted is None or wanted[0] is not rule.where:
                        wanted = _level_wanted(rule.where)
                    if wanted[1] is not None and wanted[1] != level:
                        continue  # ``event.level == '…'`` of another level: False, whatever it would read
                candidate = _match(ctx, rule, scope, event, env)
                if candidate is not None:
                    candidates.append(candidate)
    return tuple(candidates), tuple(ignored)


def _level_wanted(where: Node) -> tuple[Node, str | None]:
    """The level a condition that is exactly ``event.level == '…'`` asks for (most rules of an event type
    are one level each), else ``None``: kept by the condition's identity (holding the node keeps its id
    from being reused), for a bounded number of conditions."""
    level = level_asked(where)
    if len(_LEVELS) >= _LEVELS_LIMIT:
        _LEVELS.clear()
    wanted = _LEVELS[id(where)] = (where, level)
    return wanted


_LEVELS: dict[int, tuple[Node, str | None]] = {}
_LEVELS_LIMIT = 4096


def level_asked(node: Node) -> str | None:
    """The level ``node`` asks for when it is exactly ``event.level == '…'``, else ``None``."""
    if (
        isinstance(node, Compare)
        and node.op == "=="
        and isinstance(node.left, Name)
        and node.left.path == ("event", "level")
        and isinstance(node.right, Str)
    ):
        return node.right.value
    return None


def _match(ctx: Context, rule: CompiledRule, scope: Scope, event: Event, env: FactEnv) -> Candidate | None:
    where = _condition(ctx, rule.where, env)
    if where is None:
        read: dict[str, Any] = {}  # ``Any``: the values an evaluation read, and the first-time flag
        missing = _NO_FACTS
    else:
        if where.value is False:
            return None  # another rule's event (another level, another kind)
        read = where.read  # made for this evaluation alone: the candidate takes it over
        missing = where.missing_facts if where.value is MISSING else _NO_FACTS
    if rule.rule.trigger.first_time:
        read["event.first_time"] = env.lookup(("event", "first_time"), None)
        if event.first_time is False:
            return None
        if event.first_time is None:
            missing = missing | {"event.first_time"}
    when = _condition(ctx, rule.when, env)
    if when is not None:
        if when.value is False:
            return None
        read.update(when.read)
        if when.value is MISSING:
            missing = missing | when.missing_facts
    status = Status.needs_info if missing else Status.paid
    return Candidate.new(scope, rule, event, status=status, missing=missing, read=read)


_NO_FACTS: frozenset[str] = frozenset()


_ZERO = Decimal(0)


def compute_amounts(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """Each candidate's exact amount (or ceiling, or floor), unrounded."""
    out = []
    for c in candidates:
        if c.rule.formula is None:
            out.append(c)
            continue
        result = evaluate_in(ctx, c.rule.formula, FactEnv(ctx, c.event))
        read = {**c.read, **result.read} if result.read else c.read  # (a candidate's read is never changed)
        if result.value is MISSING:
            out.append(
                c.evolve(status=Status.needs_info, missing=c.missing | result.missing_facts, read=read)
            )
        else:
            if not isinstance(result.value, Decimal):
                raise EvaluationError(
                    f"金额公式的结果不是数值：{result.value!r}",
                    Source(rule=c.rule.id, field="amount.formula"),
                )
            out.append(c.evolve(amount=max(result.value, _ZERO), read=read))
    return tuple(out)
