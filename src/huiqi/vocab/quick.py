"""The quick path of profile parsing: what ``profile.coerce`` gives for the values a well-formed profile
holds, found without its checks (and without wording anything). Every function here answers ``AS_IS`` (or
``None`` for a whole event) for anything unusual, and ``profile`` then goes the careful way, which words
each problem; tests/test_vocab_fastpaths.py checks that both ways agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from huiqi.vocab.catalogue import EVENT_BASE, EventType, Fact, Vocabulary
from huiqi.vocab.credit_code import is_valid as credit_code_valid
from huiqi.vocab.records import Event


def options(fact: Fact, regions: tuple[str, ...]) -> tuple[str, ...]:
    """The values an ``enum`` fact allows."""
    return regions if fact.values_from == "regions" else (fact.values or ())


# a quick coercer's answer for anything unusual: let ``coerce`` decide (and word what is wrong)
AS_IS = object()
QuickCoercer = Callable[[object], Any]


# Quick coercers: what ``coerce`` gives for the values a well-formed profile holds (JSON's ``true``, a whole
# number, ``"2025-06-30"``, an allowed option, a valid credit code), found without its checks; one is chosen
# per fact by its type (``quick_for``), so a value costs one call and no string compares.
def _quick_bool(value: object) -> Any:
    return value if type(value) is bool else AS_IS


def _quick_number(value: object) -> Any:
    if type(value) is int:
        return Decimal(value) if value >= 0 else AS_IS
    if type(value) is float:  # as ``_decimal``: exact digits of its repr
        number = Decimal(repr(value))
        return number if number.is_finite() and number >= 0 else AS_IS
    return AS_IS


def quick_date(value: object) -> Any:
    if type(value) is str and value and value == value.strip():
        try:
            return _FROM_ISO(value)
        except ValueError:
            pass
    return AS_IS


_FROM_ISO = dt.date.fromisoformat  # bound once: looking up a class method makes a bound method each time


def _quick_string(value: object) -> Any:
    return value if type(value) is str and value and value == value.strip() else AS_IS


def _quick_credit_code(value: object) -> Any:
    # a valid code has only upper-case ``ALPHABET`` characters, so it is already stripped and upper-cased
    return value if type(value) is str and credit_code_valid(value) else AS_IS


def quick_for(fact: Fact, regions: tuple[str, ...]) -> QuickCoercer:
    t = fact.type
    if t == "bool":
        return _quick_bool
    if t in ("money", "decimal"):
        return _quick_number
    if t == "date":
        return quick_date
    if t == "string":
        return _quick_string
    if t == "credit_code":
        return _quick_credit_code
    if t == "enum":
        allowed = frozenset(options(fact, regions))

        def quick_enum(value: object) -> Any:
            return value if type(value) is str and value in allowed and value == value.strip() else AS_IS

        return quick_enum
    low, high = fact.min, fact.max  # integer

    def quick_integer(value: object) -> Any:
        if (
            type(value) is int
            and value >= 0
            and (low is None or value >= low)
            and (high is None or value <= high)
        ):
            return value
        return AS_IS

    return quick_integer


class Tables:
    """What parsing needs of one vocabulary, worked out once: each fact's quick coercer, by section, and each
    event type with the quick coercers of the keys its events may have (but ``type``) and its own fields."""

    __slots__ = ("events", "firm", "firm_required", "years")

    def __init__(self, vocab: Vocabulary) -> None:
        regions = vocab.regions
        self.firm = {name: quick_for(fact, regions) for name, fact in vocab.firm_by_name.items()}
        self.years = {name: quick_for(fact, regions) for name, fact in vocab.years_by_name.items()}
        self.firm_required = frozenset(f.name for f in vocab.firm_required)
        fields = {name: quick_for(fact, regions) for name, fact in vocab.event_field_by_name.items()}
        # ``quick_event`` reads date, level, subject and first_time as EVENT_BASE has them
        plain = all(vocab.event_field_by_name[f.name] is f for f in EVENT_BASE)
        self.events = {
            name: EventSpec(vocab, e, {k: fields[k] for k in vocab.event_keys[name] if k != "type"}, plain)
            for name, e in vocab.event_by_name.items()
        }


class EventSpec:
    __slots__ = ("allowed", "levels", "name", "own", "plain", "quick")

    def __init__(
        self, vocab: Vocabulary, etype: EventType, quick: dict[str, QuickCoercer], plain: bool
    ) -> None:
        self.name = etype.name
        self.quick = quick  # each key an event of this type may have, but "type"
        self.own = frozenset(etype.fields)  # the type's own fields (kept as the event's numbers and dates)
        self.allowed = vocab.event_keys[etype.name]  # every key an event of this type may have
        self.levels = frozenset(etype.levels)
        self.plain = plain  # whether ``quick_event`` may be tried


def tables_for(vocab: Vocabulary) -> Tables:
    kept = _TABLES.get(id(vocab))
    if kept is None or kept[0] is not vocab:
        if len(_TABLES) >= _TABLES_LIMIT:
            _TABLES.clear()
        kept = _TABLES[id(vocab)] = (vocab, Tables(vocab))
    return kept[1]


# id(vocabulary) → (the vocabulary, its tables); the value holds the vocabulary, so its id is not reused
_TABLES: dict[int, tuple[Vocabulary, Tables]] = {}
_TABLES_LIMIT = 64


def quick_event(i: int, data: Mapping[Any, Any], spec: EventSpec) -> Event | None:
    """What ``_event`` gives for a plainly well-formed event (only its keys; a real date; a level of its type,
    or none when it has none; text subject; bool first_time; each field's quick value), found without
    collecting its facts; None for anything else (``_event`` then goes field by field and words problems)."""
    if not spec.plain or not spec.allowed.issuperset(data):
        return None
    date = data.get("date")
    if type(date) is not str or date != date.strip():
        return None
    try:
        date = _FROM_ISO(date)
    except ValueError:
        return None
    level = data.get("level")
    if level is None:
        if spec.levels and "level" not in data:
            return None
    elif type(level) is not str or level not in spec.levels or level != level.strip():
        return None
    subject = data.get("subject")
    if subject is not None and (type(subject) is not str or not subject or subject != subject.strip()):
        return None
    first = data.get("first_time")
    if first is not None and type(first) is not bool:
        return None
    numbers: dict[str, Decimal | dt.date] = {}
    if spec.own:
        own, quick = spec.own, spec.quick
        for key, value in data.items():
            if key in own:
                coerced = quick[key](value)
                if coerced is AS_IS:
                    return None
                if isinstance(coerced, NUMBERS):
                    numbers[key] = coerced
    event = _NEW(Event)
    event.__dict__.update(
        index=i,
        type=spec.name,
        date=date,
        level=level,
        subject=subject,
        first_time=first,
        fields=numbers,
    )
    return event


_NEW = object.__new__
NUMBERS = (Decimal, dt.date)  # the values an event keeps among its numbers
