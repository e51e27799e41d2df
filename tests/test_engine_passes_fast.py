"""The middle passes' fast paths give what the plain ones give: rules of another level skipped before their
condition, name-free amounts evaluated once, conditions compiled without the decimal context, cap members
kept per document."""

from __future__ import annotations

import datetime as dt
from decimal import Context as DecimalContext
from decimal import Decimal, localcontext

import pytest

from huiqi.corpus import get_corpus
from huiqi.engine import PASSES
from huiqi.engine import modifiers as modifiers_module
from huiqi.engine import passes as passes_module
from huiqi.engine.context import Candidate, Context, FactEnv
from huiqi.engine.evaluation import traced
from huiqi.errors import ExpressionError
from huiqi.expr import compile_expr, evaluate_traced, parse
from huiqi.expr.ast import Node
from huiqi.rules.load import rulebook_for
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file, vocabulary_for


def _contexts(explain: bool) -> list[Context]:
    corpus = get_corpus()
    out = []
    for path in corpus.example_files():
        profile = parse_profile(read_profile_file(path), get_vocabulary())
        for as_of in (dt.date(2024, 6, 30), dt.date(2026, 11, 21)):
            out.append(
                Context(
                    corpus=corpus,
                    vocab=vocabulary_for(corpus),
                    rulebook=rulebook_for(corpus),
                    profile=profile,
                    as_of=as_of,
                    include_drafts=True,
                    explain=explain,
                )
            )
    return out


def _passes(ctx: Context) -> tuple[Candidate, ...]:
    candidates, _ = passes_module.match_events(ctx, passes_module.select_documents(ctx))
    for step in PASSES:
        candidates = step(ctx, candidates)
    return candidates


def _seen(candidates: tuple[Candidate, ...]) -> list[tuple[object, ...]]:
    return [
        (c.rule.id, c.event.index, c.status, c.amount, c.modifiers, c.missing, list(c.read.items()))
        for c in candidates
    ]


@pytest.mark.parametrize("explain", [True, False])
def test_rules_of_another_level_are_skipped_as_their_condition_would(
    explain: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = [_seen(_passes(ctx)) for ctx in _contexts(explain)]
    assert any(fast)

    def no_level(where: Node) -> tuple[Node, str | None]:
        return where, None

    monkeypatch.setattr(passes_module, "_LEVELS", {})
    monkeypatch.setattr(passes_module, "_level_wanted", no_level)
    assert [_seen(_passes(ctx)) for ctx in _contexts(explain)] == fast


def test_only_an_exact_level_condition_is_a_level() -> None:
    wanted = passes_module._level_wanted
    assert wanted(parse("event.level == '国家级'"))[1] == "国家级"
    for text in (
        "event.level != '国家级'",
        "'国家级' == event.level",
        "firm.level == '国家级'",
        "event.level == 1",
    ):
        assert wanted(parse(text))[1] is None, text


def test_a_name_free_amount_reads_nothing_and_each_evaluation_has_its_own_read() -> None:
    ctx = _contexts(True)[0]
    env = FactEnv(ctx, ctx.profile.events[0])
    node = parse("30万 / 2")
    first, second = traced(node, env), traced(node, env)
    assert first == second == evaluate_traced(node, env)
    assert first.value == Decimal(150_000) and first.read == {} and first.read is not second.read
    with pytest.raises(ExpressionError, match="除数为零"):
        traced(parse("1 / 0"), env)


def test_conditions_run_without_the_decimal_context_and_still_fall_back() -> None:
    reading = compile_expr("x == 1 and y in ['a', 'b'] and z >= years_before(d, 3)")
    computing = compile_expr("x * 2 > 1")
    assert type(reading).__name__ == "_ContextFree" and type(computing).__name__ == "Compiled"
    facts = {"x": Decimal(1), "y": "a", "z": dt.date(2025, 1, 1), "d": dt.date(2026, 1, 1)}

    def lookup(path: tuple[str, ...], index: object) -> object:
        return facts[".".join(path)]

    with localcontext(DecimalContext(prec=1)):
        assert reading(lookup) is True and computing(lookup) is True
        facts["x"] = "text"
        with pytest.raises(ExpressionError):
            reading(lookup)
        assert reading.decide(lookup) is None


def test_cap_members_are_kept_per_document() -> None:
    for ctx in _contexts(True):
        for c in _passes(ctx):
            if c.rule.rule.cumulative_cap is None or c.scope.rules is None:
                continue
            key, members = modifiers_module._cap_rules(c)
            assert members == {
                (r.rule.article, r.rule.trigger.event)
                for r in c.scope.rules.rules
                if r.rule.cumulative_cap and (r.rule.cumulative_cap.key or r.id) == key
            }
            assert modifiers_module._cap_rules(c)[1] is members
