"""再进一步 takes shortcuts (near.py): it assesses in full only the rules that may be a gap or a higher level,
takes the rest from a ranking kept per set of documents, and works a document's provisions out once for all
its stand-in events. Each shortcut must give what assessing every rule in full, one by one, gives."""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import importlib
import random
from decimal import Decimal

import pytest

from huiqi.engine import calculate
from huiqi.engine.context import Candidate, Context, Scope
from huiqi.engine.provisions import provisions_factor
from huiqi.engine.result import NearMiss, Status
from huiqi.errors import HuiqiError
from huiqi.expr import parse
from huiqi.rules.load import CompiledProvision, get_rulebook
from huiqi.vocab import get_vocabulary, parse_profile

from .strategies import random_profiles

near = importlib.import_module("huiqi.engine.near")
explain = importlib.import_module("huiqi.engine.explain")


class _Plain(near._Pass):  # type: ignore[misc]  # ``near`` is imported by name (explain is shadowed)
    """The pass with the provisions worked out afresh on every rule's own stand-in event."""

    def probe_factor(self, scope: Scope, table: object, row: object) -> tuple[Status, Decimal]:
        return provisions_factor(self.ctx, scope, self.probe(row).event)


def _every_rule(ctx: Context, scopes: tuple[Scope, ...], candidates: tuple[Candidate, ...]) -> list[NearMiss]:
    """Every rule the firm has not reached, assessed in full, the best ``NEAR_MISS_LIMIT`` of them."""
    run = _Plain(ctx, candidates)
    found = []
    for scope in scopes:
        if scope.considered and scope.rules is not None:
            table = near._table(scope.rules)
            for row in table.rows:
                if row.id not in run.reached and (entry := run.assess(scope, table, row)) is not None:
                    found.append(entry)
    return [f[3] for f in heapq.nsmallest(near.NEAR_MISS_LIMIT, found, key=near._RANK)]


@pytest.mark.parametrize("seed", [11, 12])
def test_near_misses_are_what_assessing_every_rule_gives(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    fast = near.near_misses
    seen = {"firms": 0, "gap": 0, "halved": 0}

    def both(ctx: Context, scopes: tuple[Scope, ...], candidates: tuple[Candidate, ...]) -> list[NearMiss]:
        slow = _every_rule(ctx.evolve(memo=dict(ctx.memo)), scopes, candidates)
        got = fast(ctx, scopes, candidates)
        assert [m.model_dump_json() for m in got] == [m.model_dump_json() for m in slow]
        seen["firms"] += 1
        seen["gap"] += sum(m.kind == "gap" for m in got)
        seen["halved"] += sum("减半后" in m.message for m in got)
        return got

    monkeypatch.setattr(explain, "near_misses", both)
    rnd = random.Random(seed)
    vocab = get_vocabulary()
    for data in random_profiles(400, seed, max_events=8):
        as_of = dt.date(2019, 1, 1) + dt.timedelta(days=rnd.randrange(0, 365 * 9))
        try:
            calculate(parse_profile(data, vocab), as_of, include_drafts=rnd.random() < 0.7, explain=True)
        except HuiqiError:
            continue
    assert seen["firms"] > 300 and seen["gap"] > 0 and seen["halved"] > 0, seen


def test_provisions_reading_more_of_an_event_than_its_date_are_worked_out_per_stand_in() -> None:
    documents = get_rulebook().documents
    assert all(near._table(rules).same_for_stand_ins for rules in documents.values())
    rules = documents["nb-2025-35"]
    provision = dataclasses.replace(rules.provisions[0], when=parse('event.level == "国家级"'))
    assert isinstance(provision, CompiledProvision)
    changed = dataclasses.replace(rules, provisions=(provision, *rules.provisions[1:]))
    assert not near._table(changed).same_for_stand_ins
