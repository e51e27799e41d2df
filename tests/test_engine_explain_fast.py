"""The explain pass's fast paths give exactly what the plain code gave: the number formatters (compared
with the earlier versions, kept here) for every finite ``Decimal``, and ``assemble``'s models."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Context, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.engine.result import EventRef, Tranche, assemble
from huiqi.expr import format_decimal, format_money, format_percent, format_value

# --- the formatters as they were (one step at a time), the reference for the faster ones ---------------

_WIDE = Context(prec=1000, Emax=999_999, Emin=-999_999)


def _shift(value: Decimal, places: int) -> Decimal:
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        raise ValueError(f"cannot shift non-finite decimal {value}")
    return Decimal((sign, digits, exponent + places))


def _old_format_decimal(value: Decimal, *, thousands: bool = False, places: int | None = None) -> str:
    if not value.is_finite():
        raise ValueError(f"cannot format non-finite decimal {value}")
    if places is not None:
        value = value.quantize(_shift(Decimal(1), -places), rounding=ROUND_HALF_UP, context=_WIDE)
    text = format(value, "f")
    sign = ""
    if text.startswith("-"):
        sign, text = "-", text[1:]
    whole, _, fraction = text.partition(".")
    fraction = fraction.rstrip("0")
    whole = whole.lstrip("0") or "0"
    if whole == "0" and not fraction:
        sign = ""
    if thousands:
        whole = f"{int(whole):,}"
    return sign + whole + ("." + fraction if fraction else "")


def _old_format_money(value: Decimal) -> str:
    return _old_format_decimal(value, thousands=True) + "元"


def _old_format_percent(value: Decimal) -> str:
    return _old_format_decimal(_shift(value, 2)) + "%"


# Coefficients up to 60 digits, exponents from -80 to +80: negatives, fractions, zeros of every sign and
# exponent, and (with ``thousands``) integer parts of up to ~140 digits.
_decimals = st.builds(
    lambda sign, digits, exponent: Decimal((sign, tuple(int(d) for d in digits), exponent)),
    st.integers(0, 1),
    st.text("0123456789", min_size=1, max_size=60),
    st.integers(-80, 80),
)
_samples = [
    "0",
    "-0",
    "0E+3",
    "-0E+3",
    "0E-5",
    "-0.000",
    "1",
    "-1",
    "10",
    "100",
    "0.5",
    "-0.5",
    "0.150",
    "2.00E+6",
    "1E+30",
    "1E-30",
    "-1234567.8900",
    "9999.9999",
    "10000",
    "1500000",
    "0.035",
    "1.0",
    "100.0",
    "123456789012345678901234567890123.5",
]
_exotic = ["NaN", "-NaN", "Infinity", "-Infinity", "sNaN"]


def _same(new: object, old: object, value: Decimal) -> None:
    assert new == old, value


@settings(max_examples=2000, deadline=None)
@given(_decimals, st.booleans())
def test_format_decimal_is_the_earlier_one(value: Decimal, thousands: bool) -> None:
    _same(format_decimal(value, thousands=thousands), _old_format_decimal(value, thousands=thousands), value)


@settings(max_examples=1000, deadline=None)
@given(_decimals, st.booleans(), st.integers(0, 12))
def test_format_decimal_with_places_is_the_earlier_one(value: Decimal, thousands: bool, places: int) -> None:
    new = format_decimal(value, thousands=thousands, places=places)
    _same(new, _old_format_decimal(value, thousands=thousands, places=places), value)


@settings(max_examples=2000, deadline=None)
@given(_decimals)
def test_format_money_and_percent_are_the_earlier_ones(value: Decimal) -> None:
    _same(format_money(value), _old_format_money(value), value)
    _same(format_percent(value), _old_format_percent(value), value)


@settings(max_examples=500, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_formatters_agree_on_hypothesis_decimals(value: Decimal) -> None:
    for thousands in (False, True):
        _same(
            format_decimal(value, thousands=thousands), _old_format_decimal(value, thousands=thousands), value
        )
    _same(format_money(value), _old_format_money(value), value)
    _same(format_percent(value), _old_format_percent(value), value)


@pytest.mark.parametrize("text", _samples)
def test_formatters_agree_on_edge_cases(text: str) -> None:
    value = Decimal(text)
    for thousands in (False, True):
        _same(
            format_decimal(value, thousands=thousands), _old_format_decimal(value, thousands=thousands), value
        )
        for places in (0, 1, 2, 5):
            new = format_decimal(value, thousands=thousands, places=places)
            _same(new, _old_format_decimal(value, thousands=thousands, places=places), value)
    _same(format_money(value), _old_format_money(value), value)
    _same(format_percent(value), _old_format_percent(value), value)


@pytest.mark.parametrize("text", _exotic)
def test_non_finite_decimals_fail_as_before(text: str) -> None:
    value = Decimal(text)
    for new, old in (
        (format_decimal, _old_format_decimal),
        (format_money, _old_format_money),
        (format_percent, _old_format_percent),
    ):
        with pytest.raises(ValueError) as expected:
            old(value)
        with pytest.raises(ValueError) as got:
            new(value)
        assert str(got.value) == str(expected.value)


@settings(max_examples=1000, deadline=None)
@given(_decimals, st.sampled_from([None, "money", "percent", "number", "plain"]))
def test_format_value_of_a_decimal(value: Decimal, kind: str | None) -> None:
    if kind == "money":
        old = _old_format_money(value)
    elif kind == "percent":
        old = _old_format_percent(value)
    elif kind == "plain":
        old = _old_format_decimal(value)
    else:
        old = _old_format_decimal(value, thousands=kind == "number" or abs(value) >= 10_000)
    _same(format_value(value, kind), old, value)


def test_assemble_gives_what_validation_gives() -> None:
    values: dict[str, object] = {
        "index": 3,
        "type": "little_giant",
        "label": "专精特新",
        "date": dt.date(2025, 1, 2),
        "level": None,
        "subject": "x",
    }
    made = assemble(EventRef, dict(values))
    validated = EventRef.model_validate(values)
    assert made == validated
    assert made.model_fields_set == validated.model_fields_set == set(values)
    assert made.__pydantic_extra__ is None and made.__pydantic_private__ is None
    assert made.model_dump_json() == validated.model_dump_json()
    made.level = "国家级"  # still an ordinary model: assignment, copies
    assert made.model_copy().level == "国家级"
    tranche = assemble(
        Tranche,
        {
            "share": "50%",
            "milestone": "m",
            "amount_yuan": 1,
            "date": None,
            "due": None,
            "paid": None,
            "paid_on": None,
        },
    )
    assert tranche == Tranche(share="50%", milestone="m", amount_yuan=1)


def test_a_whole_award_in_one_tranche_is_shown_as_100_percent() -> None:
    """A tranche's share reads as the percentage it is: 100% for a share of 1 (not "1%", as the earlier
    text formatting gave by stripping the zeros of "100")."""
    from dataclasses import replace

    from huiqi.corpus import get_corpus
    from huiqi.engine import Context
    from huiqi.engine.context import Candidate, FactEnv
    from huiqi.engine.explain import _schedule
    from huiqi.engine.passes import select_documents
    from huiqi.rules.load import rulebook_for
    from huiqi.rules.models import Tranche as RuleTranche
    from huiqi.vocab import Profile, vocabulary_for
    from huiqi.vocab.profile import Event

    corpus = get_corpus()
    book = rulebook_for(corpus)
    compiled = next(r for d in book.documents.values() for r in d.rules if r.rule.schedule)
    whole = replace(
        compiled,
        rule=compiled.rule.model_copy(
            update={"schedule": (RuleTranche(share=Decimal(1), milestone="一次拨付"),)}
        ),
        tranche_dates=(None,),
    )
    profile = Profile(firm={"name": "某公司", "region": "鄞州区"}, years={}, events=())
    ctx = Context(
        corpus=corpus,
        vocab=vocabulary_for(corpus),
        rulebook=book,
        profile=profile,
        as_of=dt.date(2026, 6, 30),
        include_drafts=True,
    )
    scope = next(s for s in select_documents(ctx) if s.rules is not None)
    event = Event(index=0, type="x", date=dt.date(2026, 1, 1))
    candidate = Candidate.new(scope, whole, event, amount=Decimal(500_000))
    (tranche,) = _schedule(ctx, candidate, 500_000, FactEnv(ctx, event))
    assert (tranche.share, tranche.amount_yuan) == ("100%", 500_000)
