"""The batch plan: the single-firm engine's passes as one vectorised Ibis query.

    scope (documents × regions) → candidates (events × rules of their type, inside each window)
    → conditions (where, first time, when) → amounts → general provisions → one-time awards
    → 从高不重复 within a document → across documents            (cumulative caps and rounding: caps.py)

Each rule's expressions are compiled once (``compile.py``) and selected per row by the rule's number, so
the events are read once whatever the number of rules. Every status and reason mirrors the engine's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from huiqi.batch.backend import load
from huiqi.batch.checks import YEAR_COLUMN
from huiqi.batch.compile import DEC, Col, compile_node, dec, null
from huiqi.corpus.load import Corpus
from huiqi.corpus.models import Status as DocStatus
from huiqi.engine.passes import why_not
from huiqi.engine.result import Status
from huiqi.errors import Source
from huiqi.expr import Node, names
from huiqi.rules.load import CompiledRule, DocumentRules, Rulebook
from huiqi.vocab.catalogue import Fact, Vocabulary

COUNTING = tuple(s.value for s in Status if s.counts)  # the statuses that count in totals


@dataclass(frozen=True)
class Scope:
    """Which rules run, and where: the documents in force for the date and options, with their windows."""

    rules: list[tuple[int, DocumentRules, CompiledRule]]
    doc_regions: pa.Table
    windows: dict[str, tuple[dt.date, dt.date]]


def numbered(rulebook: Rulebook) -> list[tuple[int, DocumentRules, CompiledRule]]:
    """Every rule of the rulebook with a stable number: the compiled plan depends on nothing else."""
    pairs = [(doc, r) for doc in rulebook.documents.values() for r in doc.rules]
    return [(no, doc, r) for no, (doc, r) in enumerate(pairs, start=1)]


def scope(
    corpus: Corpus,
    rulebook: Rulebook,
    vocab: Vocabulary,
    as_of: dt.date,
    include_drafts: bool,
    publication: dict[str, dt.date],
) -> Scope:
    """The rules in force for this run, as data: which rules, where, and the dates of the events they take
    (the window, cut at the as-of date)."""
    numbers = {r.id: no for no, _, r in numbered(rulebook)}
    rules, pairs, windows = [], [], {}
    for doc in corpus:
        meta, doc_rules = doc.meta, rulebook.for_document(doc.id)
        if why_not(corpus, doc, doc_rules, as_of, include_drafts, publication.get(doc.id)) is not None:
            continue
        assert meta.validity is not None and doc_rules is not None
        start, end = meta.validity.events_window(publication.get(doc.id))
        windows[doc.id] = (start, min(end, as_of))
        pairs += [(doc.id, r) for r in vocab.regions if corpus.covers(meta.jurisdiction, r)]
        rules += [(numbers[r.id], doc_rules, r) for r in doc_rules.rules]
    table = pa.table(
        {
            "s_doc": pa.array([d for d, _ in pairs], pa.string()),
            "s_region": pa.array([r for _, r in pairs], pa.string()),
        }
    )
    return Scope(rules, table, windows)


def rules_table(sc: Scope, rulebook: Rulebook, corpus: Corpus) -> pa.Table:
    rows = []
    cross = rulebook.cross_groups
    order = {d.id: i for i, d in enumerate(corpus)}  # the engine's order of documents (ties go to the first)
    for no, doc, r in sc.rules:
        rule = r.rule
        group = doc.groups.get(rule.group or "")
        across = cross.get(r.id, (None, None))[1] or (group if group is not None and group.members else None)
        start, end = sc.windows[doc.document]
        document, meta = doc.document, corpus.document(doc.document).meta
        rows.append(
            {
                "rule_no": no,
                "doc_order": order[document],
                "rule_id": r.id,
                "doc_id": document,
                "article": rule.article,
                "title": rule.title,
                "trigger": rule.trigger.event,
                "first_time": rule.trigger.first_time,
                "w_from": start,
                "w_until": end,
                "basis": rule.amount.basis.value,
                "line": r.line or 0,
                "once": rule.once,
                "group_id": group.id if group is not None else None,
                "group_by_subject": bool(group is not None and group.per == "subject"),
                "across_id": across.id if across is not None else None,
                "across_by_subject": bool(across is not None and across.per == "subject"),
                "department": rule.department,
                "doc_city": meta.level == "市",
                "doc_draft": meta.status is DocStatus.draft,
            }
        )
    return pa.Table.from_pylist(rows, schema=RULES_SCHEMA)


RULES_SCHEMA = pa.schema(
    [
        ("rule_no", pa.int64()),
        ("doc_order", pa.int64()),
        ("rule_id", pa.string()),
        ("doc_id", pa.string()),
        ("article", pa.string()),
        ("title", pa.string()),
        ("trigger", pa.string()),
        ("first_time", pa.bool_()),
        ("w_from", pa.date32()),
        ("w_until", pa.date32()),
        ("basis", pa.string()),
        ("line", pa.int64()),
        ("once", pa.bool_()),
        ("group_id", pa.string()),
        ("group_by_subject", pa.bool_()),
        ("across_id", pa.string()),
        ("across_by_subject", pa.bool_()),
        ("department", pa.string()),
        ("doc_city", pa.bool_()),
        ("doc_draft", pa.bool_()),
    ]
)


class Facts:
    """Fact names → candidate-row columns (firm facts ``f__*``, event facts ``e__*``, years ``f__x_yyyy``)."""

    def __init__(self, t: ir.Table, vocab: Vocabulary, years: tuple[int, ...]) -> None:
        self.t, self.vocab, self.years = t, vocab, years

    def __call__(self, path: tuple[str, ...]) -> Col:
        head, name = path[0], path[-1]
        if head == "firm":
            fact = self.vocab.firm_by_name[name]
            col = _typed(self.t[f"f__{name}"], fact)
            if fact.has_default:
                return Col(
                    col if fact.default is None else col.coalesce(ibis.literal(fact.default)),
                    null_is_known=fact.default is None,
                )
            return Col(col)
        if head == "event":
            col = _typed(self.t[f"e__{name}"], self.vocab.event_field_by_name[name])
            return Col(col, null_is_known=name in ("level", "subject"))
        year = self.t.e__date.year()
        kind = "string" if self.vocab.years_by_name[name].type == "enum" else DEC
        cases = []
        if self.years:
            for y in range(self.years[0], self.years[-1] + 2):  # the event's year, else the year before
                here, before = self._column(name, y), self._column(name, y - 1)
                if here is not None and before is not None:
                    cases.append((year == y, ibis.coalesce(here, before)))
                elif here is not None or before is not None:
                    cases.append((year == y, here if here is not None else before))
        return Col(ibis.cases(*cases, else_=null(kind)) if cases else null(kind))

    def _column(self, name: str, year: int) -> ir.Value | None:
        column = f"f__{name}_{year}"
        return _typed(self.t[column], self.vocab.years_by_name[name]) if column in self.t.columns else None


def _typed(col: ir.Value, fact: Fact) -> ir.Value:
    """Numbers as the plan's one exact decimal type (inputs keep their own exact types until read here)."""
    return col.cast(DEC) if fact.type in ("money", "decimal", "integer") else col


def _by_rule(
    t: ir.Table,
    rulebook: Rulebook,
    pick: Callable[[CompiledRule], Node | None],
    facts: Facts,
    otherwise: ir.Value,
    field: str,
) -> ir.Value:
    branches = []
    for no, doc, r in numbered(rulebook):
        node = pick(r)
        if node is not None:
            source = Source(file=str(doc.path), rule=r.id, field=field)
            branches.append((t.rule_no == no, compile_node(node, facts, source=source)))
    return ibis.cases(*branches, else_=otherwise) if branches else otherwise


def _year_of(column: str) -> str | None:
    match = YEAR_COLUMN.match(column)
    return match["name"] if match else None


def referenced(rulebook: Rulebook) -> tuple[set[str], set[str], set[str]]:
    """The firm facts, per-year figures and event fields any rule or provision reads (the plan reads no more)."""
    nodes: list[Node] = []
    for doc in rulebook.documents.values():
        for r in doc.rules:
            nodes += [n for n in (r.where, r.when, r.formula, r.cap, *r.tranche_dates) if n is not None]
        for p in doc.provisions:
            nodes += [n for n in (p.when, p.unless) if n is not None]
    paths = {path for node in nodes for path in names(node)}
    return (
        {p[1] for p in paths if p[0] == "firm"},
        {p[1] for p in paths if p[0] == "year"},
        {p[1] for p in paths if p[0] == "event"},
    )


def load_scope(con: Any, sc: Scope, rulebook: Rulebook, corpus: Corpus) -> tuple[ir.Table, ir.Table]:
    return load(con, "rules", rules_table(sc, rulebook, corpus)), load(con, "doc_regions", sc.doc_regions)


def candidates(
    firms: ir.Table,
    events: ir.Table,
    rules: ir.Table,
    regions: ir.Table,
    rulebook: Rulebook,
    vocab: Vocabulary,
    years: tuple[int, ...],
) -> ir.Table:
    """The plan up to the general provisions. It reads the run's scope from the ``rules`` and
    ``doc_regions`` tables, so its SQL depends only on the rulebook, the input columns and the years."""
    firm_facts, year_facts, event_facts = referenced(rulebook)
    keep_f = [
        c for c in firms.columns if c in ("firm_id", "region") or c in firm_facts or _year_of(c) in year_facts
    ]
    keep_e = [
        c
        for c in events.columns
        if c in ("firm_id", "event_id", "type", "date", "level", "subject", "first_time") or c in event_facts
    ]
    ev = events.select(*keep_e).rename({f"e__{c}": c for c in keep_e if c not in ("firm_id", "event_id")})
    fm = firms.select(*keep_f).rename({f"f__{c}": c for c in keep_f if c != "firm_id"})
    t = ev.join(rules, ev.e__type == rules.trigger)
    t = t.filter((t.e__date >= t.w_from) & (t.e__date <= t.w_until))
    t = t.join(fm, "firm_id")
    t = t.join(regions, (t.doc_id == regions.s_doc) & (t.f__region == regions.s_region)).drop(
        "s_doc", "s_region"
    )
    facts = Facts(t, vocab, years)
    where = _by_rule(t, rulebook, lambda r: r.where, facts, ibis.literal(True), "trigger.where")
    when = _by_rule(t, rulebook, lambda r: r.when, facts, ibis.literal(True), "when")
    first = ibis.cases((t.first_time, t.e__first_time), else_=ibis.literal(True))
    t = t.mutate(c_where=where, c_first=first, c_when=when)
    t = t.filter(
        (t.c_where.isnull() | t.c_where) & (t.c_first.isnull() | t.c_first) & (t.c_when.isnull() | t.c_when)
    )
    t = t.mutate(m_missing=t.c_where.isnull() | t.c_first.isnull() | t.c_when.isnull())
    facts = Facts(t, vocab, years)
    amount = _by_rule(t, rulebook, lambda r: r.formula, facts, null(), "amount.formula")
    has_formula = [no for no, _, r in numbered(rulebook) if r.formula is not None]
    t = t.mutate(
        amount=ibis.cases((amount < 0, dec(0)), else_=amount),
        f_missing=t.rule_no.isin(has_formula) & amount.isnull(),
    )
    return _provisions(t, rulebook, vocab, years)


def _provisions(t: ir.Table, rulebook: Rulebook, vocab: Vocabulary, years: tuple[int, ...]) -> ir.Table:
    """The general provisions: each one's outcome is computed once as a column (whether it bites, whether
    it cannot be decided), then status, factor and reasons read those columns."""
    facts = Facts(t, vocab, years)
    flags: dict[str, ir.Value] = {}
    effects: list[tuple[str, str, str]] = []  # (provision id, effect, column of its outcome)
    for doc_id, doc in rulebook.documents.items():
        here = t.doc_id == doc_id
        for p in doc.provisions:
            prov, source = p.provision, Source(file=str(doc.path), rule=p.provision.id)
            exempt = (
                compile_node(p.unless, facts, source=source).coalesce(False)
                if p.unless
                else ibis.literal(False)
            )
            bites = compile_node(p.when, facts, source=source)
            active = here & ~exempt
            column = f"_prov{len(effects)}"
            flags[column] = (active & bites).coalesce(False)
            flags[f"{column}_unknown"] = active & bites.isnull()
            effects.append((prov.id, prov.effect, column))
    t = t.mutate(**flags)
    base = ibis.cases((t.m_missing | t.f_missing, "needs_info"), else_="paid")
    excluded = _any([t[c] for _, effect, c in effects if effect == "exclude"])
    halved = _any([t[c] for _, effect, c in effects if effect != "exclude"])
    missing = _any([t[f"{c}_unknown"] for _, _, c in effects])
    factor: Any = dec(1)
    for _, effect, c in effects:
        if effect != "exclude":
            factor = factor * ibis.cases((t[c], dec(Decimal("0.5"))), else_=dec(1))
    status = ibis.cases(
        (excluded, "excluded"), (missing, "needs_info"), (halved & (base == "paid"), "halved"), else_=base
    )
    reasons = {
        "excluded_by": _join([(t[c], pid) for pid, effect, c in effects if effect == "exclude"]),
        "halved_by": _join([(t[c], pid) for pid, effect, c in effects if effect != "exclude"]),
    }
    # the outcome columns stay (``stacking`` keeps only what it carries on)
    return t.mutate(amount=(t.amount * factor).cast(DEC), status=status, **reasons)


def _any(parts: list[ir.Value]) -> ir.Value:
    return ibis.or_(*parts) if parts else ibis.literal(False)


def _join(parts: list[tuple[ir.Value, str]]) -> ir.Value:
    """The ids of the provisions that bite, comma-separated in order; NULL when none does."""
    if not parts:
        return null("string")
    ids = [ibis.cases((hit, ibis.literal(pid)), else_=null("string")) for hit, pid in parts]
    return ibis.literal(",").join(ids).nullif("")


def _keep_highest(
    t: ir.Table, key: list[Any], active: ir.Value, order: list[Any], reason: ir.Value
) -> ir.Table:
    """Among counting rows with the same key, keep the first by ``order``; set the others aside. ``order``
    ends with the rule's place in the engine's order (document, then rule), so ties go as they do there."""
    counting = t.status.isin(COUNTING) & active
    window = ibis.window(group_by=[*key, counting], order_by=order)
    rank = ibis.row_number().over(window)
    t = t.mutate(_rank=rank, _counting=counting)
    lose = t._counting & (t._rank > 0)
    return t.mutate(
        status=ibis.cases((lose, "set_aside"), else_=t.status),
        set_aside_by=ibis.cases((lose, reason), else_=t.set_aside_by),
    ).drop("_rank", "_counting")


def _seen_before(t: ir.Table, prior: ir.Table) -> ir.Table:
    """``_prior``: an earlier award of the same document, article, event type (or any) and subject."""
    keys = prior.select(
        pk_firm=prior.firm_id,
        pk_doc=prior.document,
        pk_article=prior.article,
        pk_event=prior.event.coalesce("*"),
        pk_subject=prior.subject.coalesce(""),
    ).distinct()
    on = (
        (t.firm_id == keys.pk_firm)
        & (t.doc_id == keys.pk_doc)
        & (t.article == keys.pk_article)
        & (t.subject_key == keys.pk_subject)
    )
    exact = keys.filter(keys.pk_event != "*")
    anyev = (
        keys.filter(keys.pk_event == "*").select("pk_firm", "pk_doc", "pk_article", "pk_subject").distinct()
    )
    t = t.left_join(exact, on & (exact.pk_event == t.e__type)).mutate(_p1=ibis._.pk_firm.notnull())
    t = t.drop(*[c for c in t.columns if c.startswith("pk_")])
    on = (
        (t.firm_id == anyev.pk_firm)
        & (t.doc_id == anyev.pk_doc)
        & (t.article == anyev.pk_article)
        & (t.subject_key == anyev.pk_subject)
    )
    t = t.left_join(anyev, on).mutate(_prior=ibis._._p1 | ibis._.pk_firm.notnull())
    return t.drop(*[c for c in t.columns if c.startswith("pk_")], "_p1")


# the columns the passes after the provisions read (stacking, caps, the award rows): the facts the rules
# read are done with, and every window and write is cheaper without them
CARRIED = (
    *("firm_id", "event_id", "rule_no", "rule_id", "doc_id", "article", "title", "basis", "department"),
    *("e__type", "e__date", "e__level", "e__subject", "f__region", "amount", "status", "excluded_by"),
    *("halved_by", "once", "line", "group_id", "group_by_subject", "across_id", "across_by_subject"),
    *("doc_city", "doc_draft", "doc_order"),
)


def stacking(t: ir.Table, prior: ir.Table | None) -> ir.Table:
    """One-time awards, then 从高不重复 within each document, then across documents."""
    t = t.select(*CARRIED)
    t = t.mutate(subject_key=t.e__subject.coalesce(""), set_aside_by=null("string"))
    if prior is not None:
        t = _seen_before(t, prior)
        lose = t.once & t._prior & t.status.isin(COUNTING)
        t = t.mutate(
            status=ibis.cases((lose, "set_aside"), else_=t.status),
            set_aside_by=ibis.cases((lose, ibis.literal("once")), else_=t.set_aside_by),
        ).drop("_prior")
    return _settled(t)


# what the three passes read and change: a window copies every column it is given, so they run on these
# alone and the result is joined back to the rest of the row by its key (an event and a rule)
_PASS_COLUMNS = (
    *("event_id", "rule_no", "firm_id", "subject_key", "doc_id", "group_id", "group_by_subject", "across_id"),
    *("across_by_subject", "once", "line", "e__date", "doc_city", "doc_draft", "amount", "status"),
    *("set_aside_by", "doc_order"),
)


def _settled(t: ir.Table) -> ir.Table:
    passed = _passes(t.select(*_PASS_COLUMNS))
    passed = passed.select(
        k_event=passed.event_id, k_rule=passed.rule_no, status=passed.status, set_aside_by=passed.set_aside_by
    )
    rest = t.drop("status", "set_aside_by")
    joined = rest.join(passed, (rest.event_id == passed.k_event) & (rest.rule_no == passed.k_rule))
    return joined.drop("k_event", "k_rule")


def _passes(t: ir.Table) -> ir.Table:
    value = t.amount.coalesce(dec(0))
    t = _keep_highest(
        t,
        [t.firm_id, t.rule_no, t.subject_key],
        t.once,
        [ibis.desc(value), t.line, t.e__date, t.event_id, t.rule_no],
        ibis.literal("once"),
    )
    value = t.amount.coalesce(dec(0))
    group_subject = ibis.cases((t.group_by_subject, t.subject_key), else_="")
    t = _keep_highest(
        t,
        [t.firm_id, t.doc_id, t.group_id, group_subject],
        t.group_id.notnull(),
        [ibis.desc(value), t.line, t.e__date, t.event_id, t.rule_no],
        t.group_id,
    )
    value = t.amount.coalesce(dec(0))
    across_subject = ibis.cases((t.across_by_subject, t.subject_key), else_="")
    level = ibis.cases((t.doc_city, 1), else_=0)
    official = ibis.cases((t.doc_draft, 0), else_=1)
    return _keep_highest(
        t,
        [t.firm_id, t.across_id, across_subject],
        t.across_id.notnull(),
        [
            ibis.desc(value),
            ibis.desc(level),
            ibis.desc(official),
            t.e__date,
            t.event_id,
            t.doc_order,
            t.rule_no,
        ],
        t.across_id,
    )
