"""Hypothesis strategies for firm profiles, built from the vocabulary (so they follow it as it grows)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

from huiqi.vocab import Vocabulary, get_vocabulary
from huiqi.vocab.credit_code import ALPHABET, complete

VOCAB: Vocabulary = get_vocabulary()
WINDOW = (dt.date(2025, 10, 8), dt.date(2027, 12, 31))
REGIONS = [r for r in VOCAB.regions if r != "宁波市"]

money = st.integers(min_value=0, max_value=200_000_000)
dates = st.dates(min_value=dt.date(2024, 6, 1), max_value=dt.date(2028, 6, 30))
credit_codes = st.text(alphabet=ALPHABET, min_size=17, max_size=17).map(complete)


@st.composite
def events(draw: st.DrawFn, types: list[str] | None = None) -> dict[str, Any]:
    etype = VOCAB.event_by_name[draw(st.sampled_from(types or sorted(VOCAB.event_by_name)))]
    event: dict[str, Any] = {"type": etype.name, "date": draw(dates)}
    if etype.levels:
        event["level"] = draw(st.sampled_from(etype.levels))
    if draw(st.booleans()):
        event["subject"] = draw(st.sampled_from(["产品甲", "产品乙", "一号工厂"]))
    event["first_time"] = draw(st.booleans())
    for name in etype.fields:
        kind = VOCAB.event_field_by_name[name].type
        if kind == "date":
            event[name] = draw(dates)
        elif kind == "money":
            event[name] = draw(money)
        else:
            event[name] = draw(st.integers(min_value=0, max_value=50_000))
    return event


@st.composite
def profiles(draw: st.DrawFn, max_events: int = 6, **firm_overrides: Any) -> dict[str, Any]:
    firm: dict[str, Any] = {
        "name": "测试企业",
        "credit_code": draw(credit_codes),
        "region": draw(st.sampled_from(REGIONS)),
        "manufacturing": draw(st.booleans()),
        "sme": draw(st.booleans()),
        "startup": draw(st.booleans()),
        "digital_level": draw(st.integers(min_value=0, max_value=5)),
        "green_transformation": draw(st.booleans()),
        "in_mu_jun_evaluation": draw(st.booleans()),
        "serious_dishonesty": draw(st.booleans()) and draw(st.booleans()),
    }
    firm.update(firm_overrides)
    years = {
        y: {
            "rd_internal": draw(st.sampled_from([0, 1_000_000, 5_000_000])),
            "mu_jun_grade": draw(st.sampled_from(["A", "B", "C", "D"])),
        }
        for y in (2024, 2025, 2026, 2027, 2028)
    }
    return {"firm": firm, "years": years, "events": draw(st.lists(events(), max_size=max_events))}


def random_profiles(n: int, seed: int, max_events: int = 6) -> list[dict[str, Any]]:
    """``n`` profiles like ``profiles()`` draws, from a seeded generator (for runs of thousands of firms,
    which Hypothesis cannot build in one example)."""
    import random

    rnd = random.Random(seed)
    types = sorted(VOCAB.event_by_name)
    out = []
    for _ in range(n):
        firm: dict[str, Any] = {
            "name": "测试企业",
            "credit_code": complete("".join(rnd.choice(ALPHABET) for _ in range(17))),
            "region": rnd.choice(REGIONS),
            "manufacturing": rnd.random() < 0.6,
            "sme": rnd.random() < 0.5,
            "startup": rnd.random() < 0.2,
            "digital_level": rnd.randint(0, 5),
            "green_transformation": rnd.random() < 0.6,
            "in_mu_jun_evaluation": rnd.random() < 0.6,
            "serious_dishonesty": rnd.random() < 0.05,
        }
        years = {
            y: {"rd_internal": rnd.choice([0, 1_000_000, 5_000_000]), "mu_jun_grade": rnd.choice("ABCD")}
            for y in (2024, 2025, 2026, 2027)
            if rnd.random() < 0.9
        }
        events = []
        for _ in range(rnd.randint(0, max_events)):
            etype = VOCAB.event_by_name[rnd.choice(types)]
            span = (dt.date(2028, 6, 30) - dt.date(2019, 6, 1)).days
            event: dict[str, Any] = {
                "type": etype.name,
                "date": dt.date(2019, 6, 1) + dt.timedelta(rnd.randint(0, span)),
            }
            if etype.levels:
                event["level"] = rnd.choice(etype.levels)
            if rnd.random() < 0.5:
                event["subject"] = rnd.choice(["产品甲", "产品乙", "一号工厂"])
            event["first_time"] = rnd.random() < 0.7
            for name in etype.fields:
                kind = VOCAB.event_field_by_name[name].type
                if kind == "date":
                    event[name] = dt.date(2019, 6, 1) + dt.timedelta(rnd.randint(0, span))
                elif kind == "money":
                    event[name] = rnd.choice([0, rnd.randint(1, 10**6), rnd.randint(1, 2 * 10**8)])
                else:
                    event[name] = rnd.randint(0, 50_000)
            events.append(event)
        out.append({"firm": firm, "years": years, "events": events})
    return out
