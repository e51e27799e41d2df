"""The general provisions pass: a document's exclusions (不予享受), halving (减半) and their exceptions,
applied to every candidate award of that document.

A provision reads the firm, and of the event at most its year (``year.*``) and its date: so within one
calculation its outcome is worked out once per provision and per what it reads (once for the firm, or once per
year or date), not once per award. The modifiers it adds say the same for every firm and are made once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Literal

from huiqi.engine.context import Candidate, Context, FactEnv, Scope
from huiqi.engine.evaluation import evaluate_in
from huiqi.engine.result import Modifier, ModifierKind, Status
from huiqi.expr import MISSING, names
from huiqi.expr.values import Value
from huiqi.rules.load import CompiledProvision
from huiqi.vocab.profile import Event

_ONE = Decimal(1)


@dataclass(frozen=True)
class _Outcome:
    """One provision for one firm and event: exempt, or whether it bites (``MISSING`` when undecided)."""

    exempt: bool
    bites: Value
    missing: frozenset[str]
    read: dict[str, Value]


def apply_provisions(ctx: Context, candidates: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """General provisions of each candidate's document: exclusions, then halving; exemptions noted."""
    return tuple(assess_provisions(ctx, c) for c in candidates)


def assess_provisions(ctx: Context, c: Candidate) -> Candidate:
    if c.scope.rules is None:
        return c
    amount, missing = c.amount, set(c.missing)
    modifiers, read = list(c.modifiers), dict(c.read)
    excluded = halved = False
    for p in c.scope.rules.provisions:
        outcome = _outcome(ctx, p, c.event)
        read.update(outcome.read)
        if outcome.bites is MISSING:
            missing |= outcome.missing
        effect = _effect(p, outcome)
        if effect is not None:
            modifiers.append(_modifier(p, c.doc_id, effect))
            excluded = excluded or effect == "exclude"
            if effect == "halve":
                halved, amount = True, amount / 2 if amount is not None else None
    return c.evolve(
        status=_settled(c.status, excluded=excluded, halved=halved, missing=bool(missing)),
        amount=amount,
        modifiers=tuple(modifiers),
        missing=frozenset(missing),
        read=read,
    )


def provisions_factor(ctx: Context, scope: Scope, event: Event) -> tuple[Status, Decimal]:
    """What the document's general provisions make of one 元 of any of its awards on ``event``: the status
    ``assess_provisions`` would give a plain award, and what is left of the 元 (for 再进一步, which needs no
    reasons: nothing is recorded)."""
    amount, excluded, halved, missing = _ONE, False, False, False
    for p in scope.rules.provisions if scope.rules is not None else ():
        outcome = _outcome(ctx, p, event)
        missing = missing or outcome.bites is MISSING
        effect = _effect(p, outcome)
        excluded = excluded or effect == "exclude"
        if effect == "halve":
            halved, amount = True, amount / 2
    return _settled(Status.paid, excluded=excluded, halved=halved, missing=missing), amount


_Effect = Literal["exempt", "exclude", "halve"]


def _effect(p: CompiledProvision, outcome: _Outcome) -> _Effect | None:
    """What the provision does to an award, given its outcome (``None``: nothing, or not yet known)."""
    if outcome.exempt:
        return "exempt"
    if outcome.bites is True:
        return "exclude" if p.provision.effect == "exclude" else "halve"
    return None


def _settled(status: Status, *, excluded: bool, halved: bool, missing: bool) -> Status:
    """An award's status after the provisions: excluded over 需补充信息 over halved (a paid award only)."""
    if excluded:
        return Status.excluded
    if missing:
        return Status.needs_info
    return Status.halved if halved and status is Status.paid else status


def _outcome(ctx: Context, p: CompiledProvision, event: Event) -> _Outcome:
    """The provision's outcome, remembered for this calculation under what it depends on (a provision that
    reads more of the event than its year and date is worked out for each award)."""
    year, day, other = _reads(p)
    key = ("provision", id(p), ctx.explain, event.date.year if year else None, event.date if day else None)
    found = None if other else ctx.memo.get(key)
    if isinstance(found, _Outcome):
        return found
    outcome = _evaluate(ctx, p, FactEnv(ctx, event))
    if not other:
        ctx.memo[key] = outcome
    return outcome


def _evaluate(ctx: Context, p: CompiledProvision, env: FactEnv) -> _Outcome:
    read: dict[str, Value] = {}
    if p.unless is not None:
        exempt = evaluate_in(ctx, p.unless, env)
        read.update(exempt.read)
        if exempt.value is True:
            return _Outcome(True, None, frozenset(), read)
    bites = evaluate_in(ctx, p.when, env)
    read.update(bites.read)
    return _Outcome(False, bites.value, bites.missing_facts if bites.value is MISSING else frozenset(), read)


@cache
def _reads(p: CompiledProvision) -> tuple[bool, bool, bool]:
    """Whether the provision reads ``year.*``, ``event.date``, and any other fact of the event."""
    paths = {path for node in (p.when, p.unless) if node is not None for path in names(node)}
    return (
        any(path[0] == "year" for path in paths),
        ("event", "date") in paths,
        any(path[0] == "event" and path != ("event", "date") for path in paths),
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
