"""``huiqi check``: prove the rule files against the documents.

1. Every rule file loads (typed models, expressions parse, names exist) — else a ``RuleError`` with
   file, line, rule and field.
2. Every quote is in its article (groups: anywhere in the document; metadata quotes too), character for
   character once whitespace is removed.
3. Coverage: every amount or rate written in an article of an encoded document — a number followed by
   亿元/万元/元/亿/万/%/个/台/张 — is used by a rule of that article (a quote of the rule contains it and one of
   the rule's expressions has a literal of the same value) or annotated with why it is not an award. And
   every article has a rule, a provision or a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

from pydantic import BaseModel

from huiqi.corpus.load import Corpus
from huiqi.corpus.models import Document, Passage
from huiqi.corpus.normalise import fold_for_quote
from huiqi.expr import Node, Num, walk
from huiqi.rules.load import DocumentRules, Rulebook

_UNITS = {
    "亿元": Decimal(10) ** 8,
    "亿": Decimal(10) ** 8,
    "万元": Decimal(10) ** 4,
    "万": Decimal(10) ** 4,
    "元": Decimal(1),
    "%": Decimal("0.01"),
    "％": Decimal("0.01"),
    "个": Decimal(1),
    "台": Decimal(1),
    "张": Decimal(1),
}
_CN_DIGITS = "零一二三四五六七八九两"
MENTION = re.compile(r"(\d+(?:\.\d+)?|[零一二三四五六七八九十百千两]+)(亿元|万元|亿|万|元|%|％|个|台|张)")


class Mention(BaseModel):
    article_id: str
    text: str
    value: Decimal
    start: int
    end: int
    covered_by: str | None = None


class Problem(BaseModel):
    document: str
    article_id: str | None
    source: str | None  # rule, provision, group or annotation id
    message: str


class DocumentReport(BaseModel):
    document: str
    encoded: bool
    rules: int = 0
    mentions: int = 0
    covered: int = 0
    articles: int = 0
    articles_accounted: int = 0
    uncovered: list[Mention] = []

    @property
    def coverage(self) -> float:
        return 1.0 if self.mentions == 0 else self.covered / self.mentions


class CheckReport(BaseModel):
    documents: list[DocumentReport]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems and all(not d.uncovered for d in self.documents if d.encoded)


def _cn_number(text: str) -> Decimal | None:
    if text.isdigit() or "." in text:
        return Decimal(text)
    if len(text) == 1 and text in _CN_DIGITS:
        return Decimal(_CN_DIGITS.index(text) if text != "两" else 2)
    try:
        import cn2an

        return Decimal(cn2an.cn2an(text, "normal"))
    except (ValueError, KeyError):
        return None


def mentions(passage: Passage) -> Iterator[Mention]:
    """Amounts and rates written in an article, with their positions in its whitespace-folded original."""
    folded = fold_for_quote(passage.raw)
    for m in MENTION.finditer(folded):
        number = _cn_number(m.group(1))
        if number is None:
            continue
        yield Mention(
            article_id=passage.id,
            text=m.group(),
            value=number * _UNITS[m.group(2)],
            start=m.start(),
            end=m.end(),
        )


def _literals(nodes: list[Node | None]) -> set[Decimal]:
    return {n.value for node in nodes if node is not None for n in walk(node) if isinstance(n, Num)}


def _quote_spans(folded_article: str, quotes: tuple[str, ...]) -> list[tuple[int, int]]:
    spans = []
    for q in quotes:
        fq = fold_for_quote(q)
        start = folded_article.find(fq)
        while start >= 0:
            spans.append((start, start + len(fq)))
            start = folded_article.find(fq, start + 1)
    return spans


def _check_document(doc: Document, rules: DocumentRules, problems: list[Problem]) -> DocumentReport:
    report = DocumentReport(document=doc.id, encoded=True, rules=len(rules.rules), articles=len(doc.articles))
    folded_doc = fold_for_quote(doc.original)
    by_article: dict[str, list[tuple[str, tuple[str, ...], set[Decimal]]]] = {}

    def add_quoted(article: str, source: str, quotes: tuple[str, ...], literals: set[Decimal]) -> None:
        passage = doc.passage(f"{doc.id}/{article}")
        if passage is None:
            problems.append(
                Problem(document=doc.id, article_id=None, source=source, message=f"条款 {article} 不存在")
            )
            return
        folded = fold_for_quote(passage.raw)
        for q in quotes:
            if fold_for_quote(q) not in folded:
                problems.append(
                    Problem(
                        document=doc.id,
                        article_id=passage.id,
                        source=source,
                        message=f"引文不在条款原文中：“{q}”",
                    )
                )
        by_article.setdefault(article, []).append((source, quotes, literals))

    for r in rules.rules:
        add_quoted(r.rule.article, r.id, r.rule.quote, _literals([r.where, r.when, r.formula, r.cap]))
    for p in rules.provisions:
        add_quoted(p.provision.article, p.provision.id, p.provision.quote, _literals([p.when, p.unless]))
    for g in rules.groups.values():
        for q in g.quote:
            if fold_for_quote(q) not in folded_doc:
                problems.append(
                    Problem(
                        document=doc.id, article_id=None, source=g.id, message=f"分组引文不在文件中：“{q}”"
                    )
                )
    annotated: dict[str, set[str]] = {}
    for a in rules.file.annotations:
        passage = doc.passage(f"{doc.id}/{a.article}")
        if passage is None or fold_for_quote(a.amount) not in fold_for_quote(passage.raw):
            problems.append(
                Problem(
                    document=doc.id,
                    article_id=f"{doc.id}/{a.article}",
                    source="annotations",
                    message=f"注释的金额“{a.amount}”不在该条款原文中",
                )
            )
            continue
        annotated.setdefault(a.article, set()).add(fold_for_quote(a.amount))
    noted = {n.article for n in rules.file.article_notes}
    for article in doc.articles:
        assert article.number is not None
        number = article.number
        if number in by_article or number in noted:
            report.articles_accounted += 1
        else:
            problems.append(
                Problem(
                    document=doc.id,
                    article_id=article.id,
                    source=None,
                    message="该条款既没有规则，也没有说明为何不涉及奖补（article_notes）",
                )
            )
        folded = fold_for_quote(article.raw)
        for m in mentions(article):
            report.mentions += 1
            for source, quotes, literals in by_article.get(number, []):
                inside = any(s <= m.start and m.end <= e for s, e in _quote_spans(folded, quotes))
                if inside and m.value in literals:
                    m.covered_by = source
                    break
            if m.covered_by is None and m.text in annotated.get(number, set()):
                m.covered_by = "annotation"
            if m.covered_by is None:
                report.uncovered.append(m)
            else:
                report.covered += 1
    return report


def _check_metadata(doc: Document, problems: list[Problem]) -> None:
    meta = doc.meta
    folded = fold_for_quote(doc.original)
    quotes = [
        meta.dates.issued_quote,
        meta.dates.published_quote,
        meta.validity.quote if meta.validity else None,
        meta.stacking.quote if meta.stacking else None,
    ]
    for q in filter(None, quotes):
        if fold_for_quote(q) not in folded:
            problems.append(
                Problem(
                    document=doc.id,
                    article_id=None,
                    source="metadata",
                    message=f"元数据引文不在文件中：“{q}”",
                )
            )


def check(corpus: Corpus, rulebook: Rulebook) -> CheckReport:
    problems: list[Problem] = []
    reports = []
    for doc in corpus:
        _check_metadata(doc, problems)
        rules = rulebook.for_document(doc.id)
        if rules is None:
            reports.append(
                DocumentReport(
                    document=doc.id,
                    encoded=False,
                    articles=len(doc.articles),
                    mentions=sum(1 for a in doc.articles for _ in mentions(a)),
                )
            )
        else:
            reports.append(_check_document(doc, rules, problems))
    return CheckReport(documents=reports, problems=problems)
