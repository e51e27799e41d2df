"""The general provisions pass: a document's exclusions (不予享受), halving (减半) and their exceptions,
applied to every candidate award of that document.

A provision reads the firm, and of the event mostly its year (``year.*``) or its date, often not even those
(a firm with no accident is not asked when it had one): so within one calculation its outcome is worked out
once per provision and per what its evaluation read (once for the firm, or once per year or date), not once
per award. The modifiers it adds say the same for every firm and are made once."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from functools import cache
from typing import Literal, NamedTuple

from huiqi.engine.context import Candidate, Context, FactEnv, Scope
from huiqi.engine.evaluation import traced
from huiqi.engine.result import Modifier, ModifierKind, Status
from huiqi.expr import MISSING
from huiqi.expr.values import Value
from huiqi.rules.load import CompiledProvision
from huiqi.vocab.profile import Event

_ONE = Decimal(1)


_Effect = Literal["exempt", "exclude", "halve"]


class _Outcome(NamedTuple):  # a tuple: made for every provision a calculation evaluates
    """One provision for one firm and event: exempt, or whether it bites (``MISSING`` when undecided), with
    what that does to an award (``effect``, and the ``modifier`` saying so; ``None``: nothing, or not yet
    known)."""

    exempt: bool
    bites: Value
    missing: frozenset[str]
    read: dict[str, Value]
    effect: _Effect | None
    modifier: Modifier | None


def apply_provisions(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """General provisions of each candidate's document: exclusions, then halving; exemptions noted."""
    return tuple(assess_provisions(ctx, c) for c in candidates)


def assess_provisions(ctx: Context, c: Candidate) -> Candidate:
    if c.scope.rules is None or not c.scope.rules.provisions:
        return c  # nothing to apply: the candidate as it stands
    amount, missing, modifiers = c.amount, c.missing, c.modifiers
    read = dict(c.read) if ctx.explain else c.read  # what was read is only shown when explaining
    excluded = halved = False
    memo, doc_id, event = ctx.memo, c.scope.rules.document, c.event
    for p in c.scope.rules.provisions:
        outcome: _Outcome = memo.get(p) or _outcome(ctx, p, doc_id, event)  # type: ignore[assignment]
        if ctx.explain:
            read.update(outcome.read)
        if outcome.bites is MISSING:
            missing |= outcome.missing
        if outcome.modifier is not None:
            modifiers += (outcome.modifier,)
            excluded = excluded or outcome.effect == "exclude"
            if outcome.effect == "halve":
                halved, amount = True, amount / 2 if amount is not None else None
    return c.evolve(
        status=_settled(c.status, excluded=excluded, halved=halved, missing=bool(missing)),
        amount=amount,
        modifiers=modifiers,
        missing=missing,
        read=read,
    )


def provisions_factor(ctx: Context, scope: Scope, event: Event) -> tuple[Status, Decimal]:
    """What the document's general provisions make of one 元 of any of its awards on ``event``: the status
    ``assess_provisions`` would give a plain award, and what is left of the 元 (for 再进一步, which needs no
    reasons)."""
    rules = scope.rules
    if rules is None:
        return Status.paid, _ONE
    amount, excluded, halved, missing = _ONE, False, False, False
    memo = ctx.memo
    for p in rules.provisions:
        outcome: _Outcome = memo.get(p) or _outcome(ctx, p, rules.document, event)  # type: ignore[assignment]
        missing = missing or outcome.bites is MISSING
        excluded = excluded or outcome.effect == "exclude"
        if outcome.effect == "halve":
            halved, amount = True, amount / 2
    return _settled(Status.paid, excluded=excluded, halved=halved, missing=missing), amount


def _settled(status: Status, *, excluded: bool, halved: bool, missing: bool) -> Status:
    """An award's status after the provisions: excluded over 需补充信息 over halved (a paid award only)."""
    if excluded:
        return Status.excluded
    if missing:
        return Status.needs_info
    return Status.halved if halved and status is Status.paid else status


def _outcome(ctx: Context, p: CompiledProvision, doc_id: str, event: Event) -> _Outcome:
    """The provision's outcome, remembered for this calculation under what its evaluation read: an outcome
    that read only the firm's facts holds for every event, one that read ``year.*`` for every event of that
    year, one that read ``event.date`` for every event of that day (the same facts read give the same
    value: what an expression reads next depends only on what it has read so far). An outcome that read
    any other fact of the event is worked out for each award."""
    memo, day = ctx.memo, event.date
    # keys: the provision (an object of the rulebook; its callers look that up first), with the year or the day
    found = memo.get((p, day.year))
    if found is None:
        found = memo.get((p, day))
    if found is not None:
        return found  # type: ignore[return-value]
    outcome = _evaluate(p, doc_id, FactEnv(ctx, event))
    depends = depends_on(outcome.read)
    if depends == FIRM:
        memo[p] = outcome
    elif depends == YEAR:
        memo[(p, day.year)] = outcome
    elif depends == DAY:
        memo[(p, day)] = outcome
    return outcome


FIRM, YEAR, DAY, EVENT = range(4)


def depends_on(read: Iterable[str]) -> int:
    """What the facts read from a ``FactEnv`` (dotted names) depend on: ``FIRM`` alone, its ``YEAR``'s
    figures, the event's ``DAY``, or more of the ``EVENT`` (in that order: each covers those before it)."""
    depends = FIRM
    for key in read:
        if key.startswith("firm."):
            continue
        if key.startswith("year."):
            depends = max(depends, YEAR)
        elif key == "event.date":
            depends = DAY
        else:
            return EVENT
    return depends


def _evaluate(p: CompiledProvision, doc_id: str, env: FactEnv) -> _Outcome:
    """Always traced, whether or not the calculation explains: ``_outcome`` keeps it by what it read."""
    read: dict[str, Value] = {}
    if p.unless is not None:
        exempt = traced(p.unless, env)
        read.update(exempt.read)
        if exempt.value is True:
            return _Outcome(True, None, frozenset(), read, "exempt", _modifier(p, doc_id, "exempt"))
    bites = traced(p.when, env)
    read.update(bites.read)
    effect: _Effect | None = None
    if bites.value is True:
        effect = "exclude" if p.provision.effect == "exclude" else "halve"
    missing = bites.missing_facts if bites.value is MISSING else frozenset()
    return _Outcome(
        False, bites.value, missing, read, effect, _modifier(p, doc_id, effect) if effect else None
    )


_WORDING = {"exempt": "{}：属例外情形，不适用", "exclude": "{}，不予享受", "halve": "{}，减半享受"}


@cache
def _modifier(p: CompiledProvision, doc_id: str, kind: _Effect) -> Modifier:
    """What the provision does to an award, in the words the user reads (the same for every firm)."""
    prov = p.provision
    return Modifier(
        kind=ModifierKind(kind),
        reason=_WORDING[kind].format(prov.title),
        article_id=f"{doc_id}/{prov.article}",
        source_id=prov.id,
        quote=prov.quote[0],
    )
