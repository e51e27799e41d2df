"""Golden cases a policy official can read: a firm, a date, the awards expected (tests/golden/cases/).

Each case lists every line the calculator must produce (paid, halved, set aside, excluded, needing
information) and the totals per basis. Expected amounts were worked out from the document text and
semantics.md, independently of the rule files."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from huiqi.engine import calculate
from huiqi.engine.result import CalcResult
from huiqi.vocab import get_vocabulary, parse_profile
from huiqi.vocab.profile import loads_profile

CASES = sorted((Path(__file__).parent / "golden" / "cases").glob("*/*.yaml"))


def _key(line: dict[str, Any]) -> tuple[Any, ...]:
    return (
        line["document"],
        str(line["article"]),
        line["event"],
        line["basis"],
        line.get("amount"),
        line["status"],
    )


def actual_lines(result: CalcResult) -> list[tuple[Any, ...]]:
    return [
        (a.document_id, a.article, a.event.type, a.basis.value, a.amount_yuan, a.status.value)
        for a in result.awards
    ]


def run_case(path: Path) -> tuple[dict[str, Any], CalcResult]:
    case = loads_profile(path.read_text(encoding="utf-8"))
    profile = parse_profile(case["profile"], get_vocabulary(), source=str(path))
    as_of = dt.date.fromisoformat(str(case["as_of"]))
    publication = {k: dt.date.fromisoformat(str(v)) for k, v in (case.get("publication_dates") or {}).items()}
    return case, calculate(
        profile,
        as_of,
        include_drafts=bool(case.get("include_drafts")),
        explain=True,
        publication_dates=publication,
    )


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_golden_case(path: Path) -> None:
    case, result = run_case(path)
    expect = case["expect"]
    want = Counter(_key(a) for a in expect.get("awards") or [])
    got = Counter(actual_lines(result))
    assert got == want, f"{case['name']}\n  missing: {want - got}\n  unexpected: {got - want}"
    totals = expect.get("totals")
    if totals:
        t = result.totals
        assert {
            "exact": t.exact_yuan,
            "up_to": t.up_to_yuan,
            "at_least": t.at_least_yuan,
            "unquantified": t.unquantified,
            "non_monetary": t.non_monetary,
        } == {k: int(v) for k, v in totals.items()}
    for text in expect.get("notes_contain") or []:
        assert any(text in n for n in result.notes), (text, result.notes)
    for tranche in expect.get("tranches") or []:  # {rule, milestone, amount, date, due}
        line = next(a for a in result.awards if a.rule_id == tranche["rule"])
        got = next(t for t in line.schedule if t.milestone == tranche["milestone"])
        assert (got.amount_yuan, str(got.date) if got.date else None, got.due) == (
            tranche["amount"],
            str(tranche["date"]) if tranche.get("date") else None,
            tranche.get("due"),
        )


def test_every_case_file_is_readable_yaml() -> None:
    assert CASES, "no golden cases found"
    for path in CASES:
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["expect"] is not None, path
