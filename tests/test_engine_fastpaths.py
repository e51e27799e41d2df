"""The engine builds its hot-path objects without their constructors (``assemble``, ``Candidate.new``,
``_known``): each must give exactly what the constructor gives, every field included."""

from __future__ import annotations

import datetime as dt
from dataclasses import fields
from decimal import Decimal

from huiqi.corpus import get_corpus
from huiqi.engine import calculate
from huiqi.engine.context import Candidate, Context
from huiqi.engine.evaluation import _known
from huiqi.engine.passes import select_documents
from huiqi.engine.result import AwardLine, CalcResult, EventRef, assemble
from huiqi.expr import Evaluation
from huiqi.rules.load import get_rulebook
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file


def _results() -> list[CalcResult]:
    out = []
    for path in get_corpus().example_files():
        profile = parse_profile(read_profile_file(path), get_vocabulary())
        out.append(calculate(profile, dt.date(2026, 11, 21), include_drafts=True, explain=True))
    return out


def test_assembled_award_lines_are_what_validation_gives() -> None:
    lines = [line for result in _results() for line in result.awards]
    assert lines
    for line in lines:
        validated = AwardLine.model_validate(line.model_dump())
        assert line == validated
        assert line.__pydantic_fields_set__ == set(AwardLine.model_fields)
        assert line.model_dump_json() == validated.model_dump_json()
        assert isinstance(line.event, EventRef) and line.event == EventRef.model_validate(
            line.event.model_dump()
        )


def test_assembled_results_are_what_validation_gives() -> None:
    for result in _results():
        validated = CalcResult.model_validate(result.model_dump())
        assert result == validated
        assert result.model_dump_json() == validated.model_dump_json()
        parts = [
            result,
            result.firm,
            *result.documents,
            *result.ignored_events,
            *(tranche for line in result.awards for tranche in line.schedule),
        ]
        for part in parts:
            assert part.__pydantic_fields_set__ == set(type(part).model_fields), type(part)


def test_assemble_matches_model_construct() -> None:
    values = {
        "index": 0,
        "type": "t",
        "label": "l",
        "date": dt.date(2026, 1, 2),
        "level": None,
        "subject": "s",
    }
    built, constructed = assemble(EventRef, dict(values)), EventRef.model_construct(**values)
    assert built == constructed
    assert built.__pydantic_fields_set__ == constructed.__pydantic_fields_set__
    assert built.__pydantic_extra__ is None and built.__pydantic_private__ is None
    assert built.model_copy(update={"level": "国家级"}).level == "国家级"


def test_candidate_new_matches_the_constructor() -> None:
    profile = parse_profile(read_profile_file(get_corpus().example_files()[0]), get_vocabulary())
    ctx = Context(get_corpus(), get_vocabulary(), get_rulebook(), profile, dt.date(2026, 11, 21))
    result_scope = next(s for s in select_documents(ctx) if s.rules is not None and s.rules.rules)
    assert result_scope.rules is not None
    rule, event = result_scope.rules.rules[0], profile.events[0]
    plain = Candidate(result_scope, rule, event, amount=Decimal(1), missing=frozenset({"x"}), read={"a": 1})
    fast = Candidate.new(
        result_scope, rule, event, amount=Decimal(1), missing=frozenset({"x"}), read={"a": 1}
    )
    assert fast == plain
    assert set(vars(fast)) == {f.name for f in fields(Candidate)}
    assert Candidate.new(result_scope, rule, event) == Candidate(result_scope, rule, event)


def test_known_evaluation_matches_the_constructor() -> None:
    made = _known(Decimal(3), {"firm.x": Decimal(3)})
    assert made == Evaluation(
        value=Decimal(3), missing=frozenset(), missing_facts=frozenset(), read={"firm.x": Decimal(3)}
    )
    assert set(vars(made)) == {f.name for f in fields(Evaluation)}


def test_document_selection_is_shared_only_by_equal_requests() -> None:
    profile = parse_profile(read_profile_file(get_corpus().example_files()[0]), get_vocabulary())

    def scopes(day: dt.date, drafts: bool) -> object:
        ctx = Context(get_corpus(), get_vocabulary(), get_rulebook(), profile, day, include_drafts=drafts)
        return select_documents(ctx)

    assert scopes(dt.date(2026, 1, 1), True) is scopes(dt.date(2026, 1, 1), True)
    assert scopes(dt.date(2026, 1, 1), True) != scopes(dt.date(2026, 1, 1), False)
    assert scopes(dt.date(2026, 1, 1), True) != scopes(dt.date(2020, 1, 1), True)
