"""The batch engine and the single-firm engine agree on every line, to the yuan — on the golden cases, the
examples and thousands of generated firms; and a difference planted in the batch engine is caught."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import huiqi.batch
from huiqi.batch import compile as batch_compile
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file
from huiqi.vocab.profile import loads_profile

from .batch_diff import differences
from .conftest import CORPUS_DIR
from .strategies import profiles, random_profiles

GOLDEN = Path(__file__).parent / "golden" / "cases"


def test_golden_cases_agree() -> None:
    vocab = get_vocabulary()
    groups: dict[tuple[str, bool, tuple[tuple[str, str], ...]], list] = defaultdict(list)  # type: ignore[type-arg]
    for path in sorted(GOLDEN.glob("*/*.yaml")):
        case = loads_profile(path.read_text(encoding="utf-8"))
        pub = tuple(sorted((k, str(v)) for k, v in (case.get("publication_dates") or {}).items()))
        groups[(str(case["as_of"]), bool(case.get("include_drafts")), pub)].append(
            (f"{path.parent.name}/{path.stem}", parse_profile(case["profile"], vocab))
        )
    assert sum(len(v) for v in groups.values()) >= 100
    for (as_of, drafts, pub), items in groups.items():
        publication = {k: dt.date.fromisoformat(v) for k, v in pub}
        assert differences(items, dt.date.fromisoformat(as_of), drafts, publication_dates=publication) == []


@pytest.mark.parametrize("as_of", ["2022-12-31", "2026-12-31"])
def test_examples_agree(as_of: str) -> None:
    vocab = get_vocabulary()
    items = [
        (p.stem, parse_profile(read_profile_file(p), vocab))
        for p in sorted((CORPUS_DIR / "examples").glob("*.yaml"))
    ]
    assert differences(items, dt.date.fromisoformat(as_of)) == []


@pytest.mark.parametrize(
    ("seed", "as_of", "drafts"), [(1, "2021-06-30", True), (2, "2026-06-30", False), (3, "2027-12-31", True)]
)
def test_thousands_of_generated_firms_agree(seed: int, as_of: str, drafts: bool) -> None:
    """3 × 1,000 seeded random firms, every document, with and without drafts."""
    vocab = get_vocabulary()
    items = [(f"f{i:04d}", parse_profile(p, vocab)) for i, p in enumerate(random_profiles(1000, seed))]
    assert differences(items, dt.date.fromisoformat(as_of), drafts) == []


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(
    st.lists(profiles(max_events=5), min_size=1, max_size=40),
    st.sampled_from([dt.date(2021, 6, 30), dt.date(2026, 6, 30), dt.date(2028, 1, 1)]),
    st.booleans(),
)
def test_hypothesis_firms_agree(batch: list[dict], as_of: dt.date, drafts: bool) -> None:  # type: ignore[type-arg]
    """Hypothesis-drawn firms (shrinks to a minimal disagreeing firm when the engines differ)."""
    vocab = get_vocabulary()
    items = [(f"f{i:04d}", parse_profile(p, vocab)) for i, p in enumerate(batch)]
    assert differences(items, as_of, drafts) == []


def test_a_planted_difference_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """Test of the test: the batch engine pays one yuan more on 200万 awards; the comparison must notice."""
    original = batch_compile._Compiler.c_Num

    def off_by_one(self: batch_compile._Compiler, node: batch_compile.Num) -> object:
        if node.value == Decimal(2_000_000):
            return batch_compile.dec(Decimal(2_000_001))
        return original(self, node)

    monkeypatch.setattr(batch_compile._Compiler, "c_Num", off_by_one)
    monkeypatch.setattr(huiqi.batch, "_PLANS", {})  # compile the plan afresh, with the planted bug …
    monkeypatch.setenv("HUIQI_CACHE_DIR", "off")  # … not read from the plan cache on disk
    vocab = get_vocabulary()
    items = [
        (p.stem, parse_profile(read_profile_file(p), vocab))
        for p in sorted((CORPUS_DIR / "examples").glob("*.yaml"))
    ]
    found = differences(items, dt.date(2026, 12, 31))
    assert found and any("2000001" in f for f in found)
