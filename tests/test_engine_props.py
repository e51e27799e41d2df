"""Invariants of the single-firm engine, on generated firms (Hypothesis)."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from huiqi.engine import calculate
from huiqi.engine.result import CalcResult, Status
from huiqi.expr import Call, Num
from huiqi.rules import get_rulebook
from huiqi.vocab import get_vocabulary, parse_profile

from .strategies import WINDOW, profiles

AS_OF = dt.date(2028, 6, 30)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def calc(data: dict, as_of: dt.date = AS_OF) -> CalcResult:  # type: ignore[type-arg]
    return calculate(parse_profile(data, get_vocabulary()), as_of)


def lines(result: CalcResult) -> Counter[tuple[object, ...]]:
    return Counter(
        (a.rule_id, a.event.type, a.event.date, a.event.subject, a.amount_yuan, a.status)
        for a in result.awards
    )


@SETTINGS
@given(profiles())
def test_no_amount_is_negative(data: dict) -> None:  # type: ignore[type-arg]
    result = calc(data)
    assert all(a.amount_yuan is None or a.amount_yuan >= 0 for a in result.awards)
    t = result.totals
    assert min(t.exact_yuan, t.up_to_yuan, t.at_least_yuan, t.unquantified, t.non_monetary) >= 0


@SETTINGS
@given(
    profiles(
        manufacturing=True,
        startup=False,
        talent_project=False,
        serious_dishonesty=False,
        green_transformation=True,
        in_mu_jun_evaluation=False,
    )
)
def test_halving_halves(data: dict) -> None:  # type: ignore[type-arg]
    full = calc({**data, "firm": {**data["firm"], "digital_level": 3}})
    half = calc({**data, "firm": {**data["firm"], "digital_level": 1}})
    assert len(full.awards) == len(half.awards)
    for f, h in zip(full.awards, half.awards, strict=True):
        assert (f.rule_id, f.event.index) == (h.rule_id, h.event.index)
        if f.amount_yuan is None or h.amount_yuan is None or f.status is not Status.paid:
            continue
        if any(m.kind in ("cap", "once") for m in f.modifiers + h.modifiers):
            continue
        assert h.status is Status.halved
        assert abs(Decimal(h.amount_yuan) - Decimal(f.amount_yuan) / 2) <= 1


@SETTINGS
@given(profiles(serious_dishonesty=True))
def test_an_excluded_firm_gets_nothing(data: dict) -> None:  # type: ignore[type-arg]
    """Art 36 of nb-2025-35 (seriously dishonest): nothing from that document (other documents have no
    such provision)."""
    lines = [a for a in calc(data).awards if a.document_id == "nb-2025-35"]
    assert all(a.status in (Status.excluded, Status.needs_info, Status.set_aside) for a in lines)


def _min_caps() -> dict[str, Decimal]:
    caps = {}
    for doc in get_rulebook().documents.values():
        for r in doc.rules:
            if isinstance(r.formula, Call) and r.formula.func == "min":
                literals = [a.value for a in r.formula.args if isinstance(a, Num)]
                if literals:
                    caps[r.id] = min(literals)
    return caps


CAPS = _min_caps()


@SETTINGS
@given(profiles())
def test_amounts_never_exceed_their_cap(data: dict) -> None:  # type: ignore[type-arg]
    assert CAPS, "no capped rules found"
    for a in calc(data).awards:
        if a.rule_id in CAPS and a.amount_yuan is not None:
            assert a.amount_yuan <= CAPS[a.rule_id]


@SETTINGS
@given(profiles(), st.dates(min_value=dt.date(2025, 10, 8), max_value=dt.date(2029, 1, 1)))
def test_events_outside_the_window_never_count(data: dict, as_of: dt.date) -> None:  # type: ignore[type-arg]
    for a in calc(data, as_of).awards:
        if a.document_id == "nb-2025-35":
            assert WINDOW[0] <= a.event.date <= WINDOW[1] and a.event.date <= as_of


@SETTINGS
@given(profiles(), st.randoms(use_true_random=False))
def test_result_does_not_depend_on_event_order(data: dict, rnd: random.Random) -> None:  # type: ignore[type-arg]
    shuffled = list(data["events"])
    rnd.shuffle(shuffled)
    a, b = calc(data), calc({**data, "events": shuffled})
    assert lines(a) == lines(b)
    assert a.totals == b.totals


@SETTINGS
@given(profiles(region="宁波以外"))
def test_a_firm_outside_ningbo_gets_nothing(data: dict) -> None:  # type: ignore[type-arg]
    result = calc(data)
    assert result.awards == [] and any("宁波" in n for n in result.notes)
