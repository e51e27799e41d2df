"""What the passes share: the request (``Context``), the fact environment, and a ``Candidate`` award."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import Decimal
from typing import TypeVar

from huiqi.corpus.load import Corpus
from huiqi.corpus.models import Document
from huiqi.engine.result import Modifier, Status
from huiqi.expr import MISSING, Path
from huiqi.rules.load import CompiledRule, DocumentRules, Rulebook
from huiqi.vocab.catalogue import Vocabulary
from huiqi.vocab.profile import Event, Profile


@dataclass(frozen=True)
class Context:
    corpus: Corpus
    vocab: Vocabulary
    rulebook: Rulebook
    profile: Profile
    as_of: dt.date
    include_drafts: bool = False
    explain: bool = False
    publication_dates: dict[str, dt.date] = field(default_factory=dict)
    # What a pass may reuse within this one calculation (shared by ``replace``d copies: keys say enough).
    memo: dict[object, object] = field(default_factory=dict, compare=False, repr=False)

    def evolve(self, **changes: object) -> Context:
        """``dataclasses.replace`` without running ``__init__`` again (the memo is shared, as it is by
        ``replace``)."""
        return _evolved(self, _CONTEXT_FIELDS, changes)


@dataclass(frozen=True)
class Scope:
    """A document as it stands for this firm on this date."""

    document: Document
    rules: DocumentRules | None
    considered: bool
    reason: str | None = None
    events_from: dt.date | None = None
    events_until: dt.date | None = None

    def in_window(self, day: dt.date) -> bool:
        """Whether an event on ``day`` counts under this document (its window, retroactive start included)."""
        return (
            self.events_from is not None
            and self.events_until is not None
            and self.events_from <= day <= self.events_until
        )


class FactEnv:
    """Facts of one firm as seen from one event: ``firm.*``, ``year.*`` (the event's year, else the year
    before; semantics.md), ``event.*``. A fact not given is ``MISSING`` unless the vocabulary gives a default."""

    def __init__(self, ctx: Context, event: Event) -> None:
        self.ctx, self.event = ctx, event

    def lookup(self, path: Path, index: object, /) -> object:
        head, name = path[0], path[-1]
        if head == "firm":
            firm = self.ctx.profile.firm
            if name in firm:
                return firm[name]
            fact = self.ctx.vocab.firm_by_name.get(name)
            return fact.default if fact is not None and fact.has_default else MISSING
        if head == "year":
            years = self.ctx.profile.years
            for y in (self.event.date.year, self.event.date.year - 1):
                if name in years.get(y, {}):
                    return years[y][name]
            return MISSING
        e = self.event
        if name == "date":
            return e.date
        if name == "level":
            return e.level
        if name == "subject":
            return e.subject
        if name == "first_time":
            return MISSING if e.first_time is None else e.first_time
        return e.fields.get(name, MISSING)


@dataclass(frozen=True)
class Candidate:
    """One rule triggered by one event, as it moves through the passes."""

    scope: Scope
    rule: CompiledRule
    event: Event
    status: Status = Status.paid
    amount: Decimal | None = None
    modifiers: tuple[Modifier, ...] = ()
    missing: frozenset[str] = frozenset()
    read: dict[str, object] = field(default_factory=dict)

    @staticmethod
    def new(
        scope: Scope,
        rule: CompiledRule,
        event: Event,
        *,
        status: Status = Status.paid,
        amount: Decimal | None = None,
        missing: frozenset[str] = frozenset(),
        read: dict[str, object] | None = None,
    ) -> Candidate:
        """``Candidate(...)`` without the frozen dataclass's ``__init__`` (which sets each field through
        ``object.__setattr__``): the passes make one for every rule an event triggers."""
        new = object.__new__(Candidate)
        new.__dict__.update(
            scope=scope,
            rule=rule,
            event=event,
            status=status,
            amount=amount,
            modifiers=(),
            missing=missing,
            read={} if read is None else read,
        )
        return new

    def evolve(self, **changes: object) -> Candidate:
        """``dataclasses.replace`` without running ``__init__`` again: the passes call it for every
        candidate, and ``replace`` costs several times as much."""
        return _evolved(self, _CANDIDATE_FIELDS, changes)

    @property
    def doc_id(self) -> str:
        return self.scope.document.id

    @property
    def subject_key(self) -> str:
        return self.event.subject or ""


_CANDIDATE_FIELDS = frozenset(f.name for f in fields(Candidate))
_CONTEXT_FIELDS = frozenset(f.name for f in fields(Context))


_T = TypeVar("_T")


def _evolved(obj: _T, names: frozenset[str], changes: dict[str, object]) -> _T:
    """A copy of the frozen dataclass ``obj`` with ``changes``, made without its ``__init__``."""
    assert changes.keys() <= names, changes.keys() - names
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    new.__dict__.update(changes)
    return new
