"""Library objects → what the API returns and the pages show. No policy logic: only reshaping."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from huiqi.corpus import Corpus
from huiqi.corpus.normalise import fold_for_quote
from huiqi.corpus.views import show_passage
from huiqi.engine.result import AwardLine, CalcResult, DocumentScope
from huiqi.rules.load import Rulebook, article_links
from huiqi.vocab import Vocabulary, read_profile_file
from huiqi.vocab.catalogue import EVENT_BASE, TYPE_LABELS, Fact
from huiqi.web.schemas import (
    AnnotationView,
    ArticleView,
    EventTypeView,
    Example,
    FactView,
    RuleView,
    VocabView,
)


def fact_view(fact: Fact, regions: tuple[str, ...]) -> FactView:
    values = list(regions) if fact.values_from == "regions" else (list(fact.values) if fact.values else None)
    return FactView(
        name=fact.name,
        label=fact.label,
        type=fact.type,
        type_label=TYPE_LABELS[fact.type],
        description=fact.description,
        unit=fact.unit,
        required=fact.required,
        values=values,
        min=fact.min,
        max=fact.max,
    )


def vocab_view(vocab: Vocabulary) -> VocabView:
    r = vocab.regions
    return VocabView(
        firm=[fact_view(f, r) for f in vocab.firm],
        years=[fact_view(f, r) for f in vocab.years],
        event_base=[fact_view(f, r) for f in EVENT_BASE],
        event_fields=[fact_view(f, r) for f in vocab.event_fields],
        events=[
            EventTypeView(
                name=e.name,
                label=e.label,
                verb=e.verb,
                levels=list(e.levels),
                fields=list(e.fields),
                description=e.description,
            )
            for e in vocab.events
        ],
        regions=list(r),
    )


def examples(corpus: Corpus) -> list[Example]:
    """The bundled demo firms, as raw profile data (dates stay ISO text)."""
    out = []
    for path in corpus.example_files():
        data = read_profile_file(path)
        out.append(Example(name=path.stem, description=str(data.get("description", "")), profile=data))
    return out


def article(corpus: Corpus, rulebook: Rulebook, vocab: Vocabulary, passage_id: str) -> ArticleView:
    passage = show_passage(corpus, passage_id, article_links(rulebook))
    view = ArticleView(**passage.model_dump())
    doc_rules = rulebook.for_document(passage.document_id)
    if doc_rules is None or passage.number is None:
        return view
    number = passage.number
    file = doc_rules.file
    groups = doc_rules.groups
    rules = [
        RuleView(
            id=r.id,
            kind="rule",
            title=r.title,
            basis=r.amount.basis.value,
            basis_label=r.amount.basis.label,
            formula=r.amount.formula or r.amount.support,
            event=vocab.event_by_name[r.trigger.event].label
            if r.trigger.event in vocab.event_by_name
            else None,
            condition=" 且 ".join(c for c in (r.trigger.where, r.when) if c) or None,
            group=groups[r.group].label if r.group in groups else None,
            department=r.department,
            quote=list(r.quote),
            note=r.note,
        )
        for r in file.rules
        if r.article == number
    ]
    rules += [
        RuleView(
            id=p.id,
            kind="provision",
            title=p.title,
            basis_label={"exclude": "不予享受", "halve": "减半"}[p.effect.value],
            condition=p.when + (f"（例外：{p.unless}）" if p.unless else ""),
            quote=list(p.quote),
        )
        for p in file.provisions
        if p.article == number
    ]
    folded = fold_for_quote(passage.raw)
    rules += [
        RuleView(
            id=g.id, kind="group", title=g.label, basis_label="从高不重复", quote=list(g.quote), note=g.reason
        )
        for g in file.groups
        if any(fold_for_quote(q) in folded for q in g.quote)
    ]
    notes = [n.note for n in file.article_notes if n.article == number]
    return view.model_copy(
        update={
            "rules": rules,
            "annotations": [
                AnnotationView(amount=a.amount, kind=a.kind.value, note=a.note, basis_of=a.basis_of)
                for a in file.annotations
                if a.article == number
            ],
            "article_note": "；".join(notes) or None,
        }
    )


# ---- an article's text cut into sentences, each with the rules that quote it ----


@dataclass
class Run:
    text: str
    quoted: bool = False
    hit: bool = False


@dataclass
class Sentence:
    runs: list[Run]
    rules: list[RuleView] = field(default_factory=list)


_SENTENCE_END = re.compile(r"(?<=[。；！？\n])")


def _folded_index(text: str) -> list[int]:
    """For each character of ``fold_for_quote(text)``, its offset in ``text``."""
    return [i for i, ch in enumerate(text) if fold_for_quote(ch)]


def sentences(view: ArticleView, hits: list[tuple[int, int]] | None = None) -> list[Sentence]:
    """The article's text as sentences; each rule sits beside the sentence where its first quote starts;
    quoted characters and search hits (offsets in ``view.text``) are marked."""
    text = view.text
    index = _folded_index(text)
    folded = fold_for_quote(text)
    quoted = [False] * len(text)
    anchor: dict[str, int] = {}
    for rule in view.rules:
        for q in rule.quote:
            fq = fold_for_quote(q)
            start = folded.find(fq)
            if start < 0 or not fq:
                continue
            anchor.setdefault(rule.id, index[start])
            for k in range(start, start + len(fq)):
                quoted[index[k]] = True
    hit = [False] * len(text)
    for s, e in hits or []:
        for k in range(max(0, s), min(e, len(text))):
            hit[k] = True
    out: list[Sentence] = []
    pos = 0
    for piece in _SENTENCE_END.split(text):
        if not piece:
            continue
        lo, hi = pos, pos + len(piece)
        runs: list[Run] = []
        for k in range(lo, hi):
            if runs and (runs[-1].quoted, runs[-1].hit) == (quoted[k], hit[k]):
                runs[-1].text += text[k]
            else:
                runs.append(Run(text[k], quoted[k], hit[k]))
        mine = [r for r in view.rules if lo <= anchor.get(r.id, -1) < hi]
        if piece.strip():
            out.append(Sentence(runs, mine))
        elif out:
            out[-1].rules.extend(mine)
        pos = hi
    placed = {r.id for s in out for r in s.rules}
    stray = [r for r in view.rules if r.id not in placed]
    if stray and out:
        out[-1].rules.extend(stray)
    return out


# ---- a calculation, grouped by document for the result page ----


@dataclass
class DocumentResult:
    scope: DocumentScope
    lines: list[AwardLine]
    counted: list[AwardLine]
    totals: dict[str, int]


def by_document(result: CalcResult) -> list[DocumentResult]:
    out = []
    for scope in result.documents:
        lines = [a for a in result.awards if a.document_id == scope.id]
        if not scope.considered and not lines:
            continue
        counted = [a for a in lines if a.status.counts]
        totals: dict[str, int] = {}
        for a in counted:
            if a.amount_yuan is not None:
                totals[a.basis_label] = totals.get(a.basis_label, 0) + a.amount_yuan
        out.append(DocumentResult(scope, lines, counted, totals))
    return out


def prefill(example: dict[str, Any] | None) -> dict[str, Any]:
    """A profile for the form: an example's or an empty one."""
    return example or {"firm": {}, "years": {}, "events": []}
