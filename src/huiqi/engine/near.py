"""再进一步 (near misses): the rules a firm does not yet meet, the closest and most valuable first.

Three tiers, each by value: a threshold not yet reached on an event the firm has (gap), a higher level of a
recognition it holds, then everything else. A lower level of a per-firm group the firm already holds is not
offered (从高不重复 would set it aside).

The pass runs on every explained calculation, so it avoids visiting every rule: the first two tiers can only
come from rules with a threshold on an event type the firm has, or from groups it holds — those are
assessed in full. Every other rule can only be "everything else", worth its constant amount times its
document's general-provisions factor on the as-of date; each document's rules are kept sorted by that
amount, so the documents are merged lazily and visited only until enough near misses are found.
"""

from __future__ import annotations

import datetime as dt
import heapq
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from operator import itemgetter

from huiqi.engine.context import Candidate, Context, FactEnv, Scope
from huiqi.engine.evaluation import compiled, value_in
from huiqi.engine.passes import compute_amounts, level_asked
from huiqi.engine.provisions import DAY, depends_on, provisions_factor
from huiqi.engine.result import NearMiss, Status
from huiqi.expr import Compare, Compiled, Name, Node, Num, evaluate, format_value, names, walk
from huiqi.money import round_yuan, wan
from huiqi.rules.load import CompiledRule, DocumentRules
from huiqi.rules.models import Group
from huiqi.vocab.profile import Event

NEAR_MISS_LIMIT = 15
_ZERO = Decimal(0)
_RANK = itemgetter(0, 1, 2)  # tier, larger amount first, rule id


@dataclass(frozen=True)
class _Row:
    """What the pass reads of one rule, worked out once."""

    id: str
    rule: CompiledRule
    event: str
    level: str | None  # the level its trigger names
    amount: Decimal | None  # its amount when the formula is a constant
    thresholds: tuple[Compare, ...]  # ``fact >= number`` / ``fact > number`` in its condition
    group: str
    when: Compiled | None  # its condition, compiled
    grouped: Group | None  # its group in its document's rules
    probe: tuple[str, str | None]  # (event, level): which stand-in event it is assessed on


@dataclass(frozen=True)
class _Table:
    rows: tuple[_Row, ...]  # larger constant amount first, then rule id
    with_thresholds: dict[str, tuple[_Row, ...]]  # by trigger event type
    by_group: dict[str, tuple[_Row, ...]]
    # whether the document's provisions read nothing of an event but its date: then they do the same to every
    # stand-in event of a firm (all on the as-of date)
    same_for_stand_ins: bool


# (tier, -amount, rule id, the near miss)
_Found = tuple[int, Decimal, str, NearMiss]


def _level_of(rule: CompiledRule) -> str | None:
    if rule.where is None:
        return None
    for node in walk(rule.where):
        level = level_asked(node)
        if level is not None:
            return level
    return None


def _thresholds(node: Node | None) -> tuple[Compare, ...]:
    if node is None:
        return ()
    return tuple(
        n
        for n in walk(node)
        if isinstance(n, Compare)
        and n.op in (">=", ">")
        and isinstance(n.left, Name)
        and isinstance(n.right, Num)
    )


def _row(rules: DocumentRules, rule: CompiledRule) -> _Row:
    constant = None
    if rule.formula is not None and not names(rule.formula):
        value = evaluate(rule.formula, {})
        constant = value if isinstance(value, Decimal) else None
    r = rule.rule
    level = _level_of(rule)
    return _Row(
        rule.id,
        rule,
        r.trigger.event,
        level,
        constant,
        _thresholds(rule.when),
        r.group or "",
        compiled(rule.when) if rule.when is not None else None,
        rules.groups.get(r.group) if r.group else None,
        (r.trigger.event, level),
    )


@cache
def _table(rules: DocumentRules) -> _Table:
    rows = sorted((_row(rules, rule) for rule in rules.rules), key=lambda w: (-(w.amount or _ZERO), w.id))
    with_thresholds: dict[str, list[_Row]] = {}
    by_group: dict[str, list[_Row]] = {}
    for w in rows:
        if w.thresholds:
            with_thresholds.setdefault(w.event, []).append(w)
        if w.group:
            by_group.setdefault(w.group, []).append(w)
    read = {
        ".".join(path)
        for p in rules.provisions
        for n in (p.when, p.unless)
        if n is not None
        for path in names(n)
    }
    return _Table(
        tuple(rows),
        {k: tuple(v) for k, v in with_thresholds.items()},
        {k: tuple(v) for k, v in by_group.items()},
        depends_on(read) <= DAY,
    )


def _describe(ctx: Context, rule: CompiledRule, level: str | None) -> str:
    etype = ctx.vocab.event_by_name[rule.rule.trigger.event]
    what = etype.label if etype.verb in etype.label else f"{etype.verb}{etype.label}"
    return f"{what}（{level}）" if level and level not in etype.label else what


def _gain(rule: CompiledRule, amount: int | None) -> str:
    a = rule.rule.amount
    if amount is not None:
        return f"{a.basis.label} {wan(amount)} 万元"
    return f"{a.basis.label}（{a.support or '按' + (a.formula or '规定') + '计算'}）"


def _threshold_gap(ctx: Context, row: _Row, env: FactEnv) -> str | None:
    """For a condition that failed on a number (数量 ≥ 10000 …): what is missing, in words."""
    for n in row.thresholds:
        assert isinstance(n.left, Name) and isinstance(n.right, Num)
        have = value_in(n.left, env)
        if isinstance(have, Decimal) and not (
            have >= n.right.value if n.op == ">=" else have > n.right.value
        ):
            fact = ctx.vocab.names.get(".".join(n.left.path))
            label = fact.label if fact else ".".join(n.left.path)
            need = "达到" if n.op == ">=" else "超过"
            return (
                f"{label}为 {format_value(have, 'number')}，需{need} {format_value(n.right.value, 'number')}"
            )
    return None


# Stand-in events, (type, level, as-of date) → the event: immutable and the same for every firm, so kept, a
# bounded number of them (keyed by value).
_STAND_INS: dict[tuple[str, str | None, dt.date], Event] = {}
_STAND_INS_LIMIT = 4096


def _stand_in(etype: str, level: str | None, day: dt.date) -> Event:
    key = (etype, level, day)
    event = _STAND_INS.get(key)
    if event is None:
        if len(_STAND_INS) >= _STAND_INS_LIMIT:
            _STAND_INS.clear()
        event = _STAND_INS[key] = Event(index=-1, type=etype, date=day, level=level, first_time=True)
    return event


class _Pass:
    """One firm's near-miss pass: what it holds, and the stand-in events made so far. Facts and provisions
    are read through ``ctx`` itself (neither looks at ``explain``); only amounts are computed without
    explaining (near misses need values, not traces)."""

    def __init__(self, ctx: Context, candidates: tuple[Candidate, ...]) -> None:
        self.ctx = ctx
        self.reached = {c.rule.rule.id for c in candidates}
        self.held: dict[tuple[str, str], Decimal] = {}  # best amount the firm already gets in each group
        for c in candidates:
            group = c.rule.rule.group
            if group and c.status.counts:
                k = (c.doc_id, group)
                self.held[k] = max(self.held.get(k, _ZERO), c.amount or _ZERO)
        self.by_type: dict[str, list[Event]] = {}
        for e in ctx.profile.events:
            self.by_type.setdefault(e.type, []).append(e)
        self.probes: dict[tuple[str, str | None], FactEnv] = {}
        # a document's provisions on its rules' stand-in events, by the scope's id (``same_for_stand_ins``)
        self.factors: dict[int, tuple[Status, Decimal]] = {}

    def probe(self, row: _Row) -> FactEnv:
        """The facts as seen from a stand-in event of the rule's type and level on the as-of date (the
        firm does not have it)."""
        probe = self.probes.get(row.probe)
        if probe is None:
            probe = self.probes[row.probe] = FactEnv(
                self.ctx, _stand_in(row.event, row.level, self.ctx.as_of)
            )
        return probe

    def probe_factor(self, scope: Scope, table: _Table, row: _Row) -> tuple[Status, Decimal]:
        """``provisions_factor`` on the rule's stand-in event (worked out once per document where it is the
        same for every stand-in event)."""
        if not table.same_for_stand_ins:
            return provisions_factor(self.ctx, scope, self.probe(row).event)
        kept = self.factors.get(id(scope))
        if kept is None:
            kept = self.factors[id(scope)] = provisions_factor(self.ctx, scope, self.probe(row).event)
        return kept

    def assess(self, scope: Scope, table: _Table, row: _Row) -> _Found | None:
        """The rule as a near miss of this firm, or ``None`` (it does not fit, or would pay nothing)."""
        ctx, amount = self.ctx, row.amount
        if row.when is not None and row.when(self.probe(row).lookup) is False:
            return None  # the firm itself does not fit (e.g. not a manufacturer)
        gap = None
        if row.thresholds:
            for e in self.by_type.get(row.event, ()):
                if scope.in_window(e.date):
                    gap = _threshold_gap(ctx, row, FactEnv(ctx, e))
                    if gap:
                        quiet = ctx.evolve(explain=False)
                        amount = compute_amounts(quiet, (Candidate.new(scope, row.rule, e),))[0].amount
                        status, factor = provisions_factor(ctx, scope, e)
                        break
        if not gap:
            status, factor = self.probe_factor(scope, table, row)
        if status is Status.excluded:
            return None
        if amount is not None:
            amount = amount * factor
        tier = 0 if gap else 2
        group = row.grouped
        if group is not None:
            best = self.held.get((scope.document.id, row.group))
            if best is not None:
                if (amount or _ZERO) <= best and group.per == "firm":
                    return None  # 从高不重复 would set it aside: worth nothing to this firm
                if (amount or _ZERO) > best and not gap:
                    tier = 1  # a higher level of a recognition the firm holds
        entry = _entry(ctx, scope, row.rule, amount, status is Status.halved, gap)
        return (tier, -(amount or _ZERO), row.id, entry)

    def closest(self, scopes: list[tuple[Scope, _Table]], done: set[str]) -> list[_Found]:
        """Rules that may be a gap or a higher level, assessed in full (``done`` records them)."""
        found = []
        for scope, table in scopes:
            rows = [w for etype, ws in table.with_thresholds.items() if etype in self.by_type for w in ws]
            if self.held:
                doc_id = scope.document.id
                rows += [w for (doc, g) in self.held if doc == doc_id for w in table.by_group.get(g, ())]
            for w in rows:
                if w.id not in done:
                    done.add(w.id)
                    if (entry := self.assess(scope, table, w)) is not None:
                        found.append(entry)
        return found

    def others(self, scopes: list[tuple[Scope, _Table]], done: set[str], limit: int) -> list[_Found]:
        """The best ``limit`` of every other rule: worth its constant amount times its document's factor.
        None of these can be a gap (the firm has no event of its type with a threshold) or meet a group the
        firm holds (those are ``done``), so all that is left to ask is whether the firm fits its condition."""
        found: list[_Found] = []
        if limit <= 0:
            return found
        parts: list[tuple[Scope, _Table, bool, Decimal]] = []
        for scope, table in scopes:
            if table.rows:
                status, factor = self.probe_factor(scope, table, table.rows[0])
                if status is not Status.excluded:
                    parts.append((scope, table, status is Status.halved, factor))
        for item, row in _ranked(self.ctx, parts):
            if item[2] in done:
                continue
            if row.when is not None and row.when(self.probe(row).lookup) is False:
                continue  # the firm itself does not fit (e.g. not a manufacturer)
            found.append(item)
            if len(found) == limit:
                break
        return found


# The rules of some documents, each worth its constant amount times its document's general-provisions factor,
# merged in order, as near misses ranked as ``_Pass.others`` gives them (tier 2): the same for every firm on
# whose awards the provisions have those effects (mostly none), so kept, a bounded number of them. Keyed by
# the documents' rules (compared by identity) and the vocabulary's identity; the value holds the vocabulary,
# so its id is never reused.
_Ranked = tuple[tuple[_Found, _Row], ...]
_RANKED: dict[tuple[object, ...], tuple[object, _Ranked]] = {}
_RANKED_LIMIT = 1024


def _ranked(ctx: Context, parts: list[tuple[Scope, _Table, bool, Decimal]]) -> _Ranked:
    key = (id(ctx.vocab), *((scope.rules, halved, factor) for scope, _, halved, factor in parts))
    kept = _RANKED.get(key)
    if kept is not None and kept[0] is ctx.vocab:
        return kept[1]

    def ranked(scope: Scope, table: _Table, halved: bool, factor: Decimal) -> list[tuple[_Found, _Row]]:
        return [
            (
                (
                    2,
                    -(w.amount or _ZERO) * factor,
                    w.id,
                    _entry(ctx, scope, w.rule, None if w.amount is None else w.amount * factor, halved, None),
                ),
                w,
            )
            for w in table.rows
        ]

    merged = tuple(heapq.merge(*(ranked(*part) for part in parts), key=_merge_key))
    if len(_RANKED) >= _RANKED_LIMIT:
        _RANKED.clear()
    _RANKED[key] = (ctx.vocab, merged)
    return merged


def _merge_key(ranked: tuple[_Found, _Row]) -> tuple[Decimal, str]:
    return ranked[0][1], ranked[0][2]  # larger amount first, rule id


def near_misses(ctx: Context, scopes: tuple[Scope, ...], candidates: tuple[Candidate, ...]) -> list[NearMiss]:
    """The firm's near misses, at most ``NEAR_MISS_LIMIT``, best first."""
    run = _Pass(ctx, candidates)
    tables = [(s, _table(s.rules)) for s in scopes if s.considered and s.rules is not None]
    done = set(run.reached)
    closest = run.closest(tables, done)
    # ``others`` gives tier 2 best first: past the first LIMIT - (tiers 0 and 1) none can make the list
    found = run.others(tables, done, NEAR_MISS_LIMIT - sum(1 for f in closest if f[0] < 2))
    if closest:
        # sorting (``others`` first: already in order) is ``heapq.nsmallest`` here: the keys are unique
        found += closest
        found.sort(key=_RANK)
    return [entry for _, _, _, entry in found[:NEAR_MISS_LIMIT]]


# A near miss is a pure function of the rule, its rounded amount, halving and the gap's words: many firms
# share the same ones, so the (immutable) entries are kept, a bounded number of them.
# Keyed by object identity; the value holds the rule and vocabulary, so those ids are never reused.
_ENTRIES: dict[tuple[int, int, int | None, bool, str | None], tuple[CompiledRule, object, NearMiss]] = {}
_ENTRIES_LIMIT = 8192


def _entry(
    ctx: Context, scope: Scope, rule: CompiledRule, amount: Decimal | None, halved: bool, gap: str | None
) -> NearMiss:
    rounded = round_yuan(amount) if amount is not None else None
    key = (id(rule), id(ctx.vocab), rounded, halved, gap)
    kept = _ENTRIES.get(key)
    if kept is not None and kept[0] is rule and kept[1] is ctx.vocab:
        return kept[2]
    r = rule.rule
    what = _describe(ctx, rule, _level_of(rule))
    message = f"{what}：{gap}，达到后可得" if gap else f"{what}可得"
    entry = NearMiss(
        rule_id=r.id,
        document_id=scope.document.id,
        article_id=f"{scope.document.id}/{r.article}",
        title=r.title,
        basis=r.amount.basis,
        basis_label=r.amount.basis.label,
        amount_yuan=rounded,
        kind="gap" if gap else "event",
        message=f"{message}{_gain(rule, rounded)}{'（减半后）' if halved else ''}〔{scope.document.id}/{r.article}〕",
    )
    if len(_ENTRIES) >= _ENTRIES_LIMIT:
        _ENTRIES.clear()
    _ENTRIES[key] = (rule, ctx.vocab, entry)
    return entry
