"""Load rule files: validate into typed models, parse every expression once, check every name.

Any problem is a ``RuleError`` (or ``ExpressionError``) naming file, line, rule and field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from huiqi import yamlio
from huiqi.corpus.load import Corpus, get_corpus
from huiqi.errors import ExpressionError, RuleError, Source
from huiqi.expr import Node, check_names, parse
from huiqi.rules.models import Group, Provision, Rule, RuleFile
from huiqi.vocab import vocabulary_for
from huiqi.vocab.catalogue import Vocabulary


@dataclass(frozen=True, eq=False)  # identity: rules are loaded once; hashing the whole rule is slow
class CompiledRule:
    rule: Rule
    where: Node | None
    when: Node | None
    formula: Node | None
    cap: Node | None
    tranche_dates: tuple[Node | None, ...]
    line: int | None

    @property
    def id(self) -> str:
        return self.rule.id


@dataclass(frozen=True, eq=False)  # identity, as for rules
class CompiledProvision:
    provision: Provision
    when: Node
    unless: Node | None


@dataclass(frozen=True, eq=False)  # identity, as for rules
class DocumentRules:
    document: str
    path: Path
    file: RuleFile
    rules: tuple[CompiledRule, ...]
    provisions: tuple[CompiledProvision, ...]
    groups: dict[str, Group] = field(default_factory=dict)

    @cached_property
    def by_event(self) -> dict[str, tuple[CompiledRule, ...]]:
        index: dict[str, list[CompiledRule]] = {}
        for r in self.rules:
            index.setdefault(r.rule.trigger.event, []).append(r)
        return {k: tuple(v) for k, v in index.items()}


@dataclass(frozen=True)
class Rulebook:
    documents: dict[str, DocumentRules]

    def for_document(self, doc_id: str) -> DocumentRules | None:
        return self.documents.get(doc_id)

    @cached_property
    def cross_groups(self) -> dict[str, tuple[DocumentRules, Group]]:
        """Rule id → the group of another document it also competes in (从高不重复 across documents)."""
        return {
            m: (doc, g) for doc in self.documents.values() for g in doc.groups.values() for m in g.members
        }

    def rule(self, rule_id: str) -> CompiledRule | None:
        doc = self.documents.get(rule_id.split("/", 1)[0])
        return next((r for r in doc.rules if r.id == rule_id), None) if doc else None


def _validation_error(exc: ValidationError, data: Any, path: Path) -> RuleError:
    err = exc.errors()[0]
    loc = err["loc"]
    rule_id = None
    if len(loc) >= 2 and loc[0] in ("rules", "provisions", "groups") and isinstance(loc[1], int):
        try:
            rule_id = data[loc[0]][loc[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            rule_id = None
    where = ".".join(str(p) for p in loc)
    return RuleError(
        f"规则文件字段 {where} 有误：{err['msg']}",
        Source(file=str(path), line=yamlio.line_of(data, loc), rule=rule_id, field=where),
    )


class _Compiler:
    def __init__(self, path: Path, data: Any, vocab: Vocabulary) -> None:
        self.path, self.data, self.vocab = path, data, vocab

    def expr(
        self, text: str | None, section: str, index: int, key: tuple[str | int, ...], rule_id: str
    ) -> Node | None:
        if text is None:
            return None
        loc: tuple[str | int, ...] = (section, index, *key)
        source = Source(
            file=str(self.path),
            line=yamlio.line_of(self.data, loc),
            rule=rule_id,
            field=".".join(map(str, key)),
        )
        try:
            node = parse(text, source=source)
            check_names(node, self.vocab.names, text=text, source=source)
        except ExpressionError as exc:
            raise ExpressionError(exc.message, source) from None
        return node

    def line(self, section: str, index: int) -> int | None:
        return yamlio.line_of(self.data, (section, index))

    def fail(self, message: str, section: str, index: int, rule_id: str | None, key: str) -> RuleError:
        loc: tuple[str | int, ...] = (section, index, *key.split("."))
        return RuleError(
            message, Source(file=str(self.path), line=yamlio.line_of(self.data, loc), rule=rule_id, field=key)
        )


def load_rule_file(path: Path, vocab: Vocabulary, corpus: Corpus) -> DocumentRules:
    data = yamlio.load(path, error=RuleError)
    try:
        parsed = RuleFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc, data, path) from None
    doc = corpus.document(parsed.document)
    numbers = {a.number for a in doc.articles}
    c = _Compiler(path, data, vocab)
    seen: set[str] = set()
    rules = []
    for i, r in enumerate(parsed.rules):
        if r.id in seen:
            raise c.fail(f"规则编号重复：{r.id}", "rules", i, r.id, "id")
        seen.add(r.id)
        if r.article not in numbers or not r.id.startswith(f"{doc.id}/{r.article}/"):
            raise c.fail(f"条款 {r.article} 不在 {doc.id} 中，或与规则编号不符", "rules", i, r.id, "article")
        if r.trigger.event not in vocab.event_by_name:
            raise c.fail(f"未知的事项类型：{r.trigger.event}", "rules", i, r.id, "trigger.event")
        if r.group is not None and r.group not in {g.id for g in parsed.groups}:
            raise c.fail(f"未定义的从高不重复分组：{r.group}", "rules", i, r.id, "group")
        if r.amount.basis.has_amount != (r.amount.formula is not None):
            raise c.fail(
                "定额、最高、不低于须有 formula；支持、非资金不得有 formula",
                "rules",
                i,
                r.id,
                "amount.formula",
            )
        rules.append(
            CompiledRule(
                rule=r,
                where=c.expr(r.trigger.where, "rules", i, ("trigger", "where"), r.id),
                when=c.expr(r.when, "rules", i, ("when",), r.id),
                formula=c.expr(r.amount.formula, "rules", i, ("amount", "formula"), r.id),
                cap=c.expr(
                    r.cumulative_cap.amount if r.cumulative_cap else None,
                    "rules",
                    i,
                    ("cumulative_cap", "amount"),
                    r.id,
                ),
                tranche_dates=tuple(
                    c.expr(t.on, "rules", i, ("schedule", k, "on"), r.id) for k, t in enumerate(r.schedule)
                ),
                line=c.line("rules", i),
            )
        )
    provisions = []
    for i, p in enumerate(parsed.provisions):
        if p.article not in numbers:
            raise c.fail(f"条款 {p.article} 不在 {doc.id} 中", "provisions", i, p.id, "article")
        when = c.expr(p.when, "provisions", i, ("when",), p.id)
        assert when is not None
        provisions.append(CompiledProvision(p, when, c.expr(p.unless, "provisions", i, ("unless",), p.id)))
    return DocumentRules(
        document=doc.id,
        path=path,
        file=parsed,
        rules=tuple(rules),
        provisions=tuple(provisions),
        groups={g.id: g for g in parsed.groups},
    )


def load_rulebook(corpus: Corpus, vocab: Vocabulary, paths: list[Path] | None = None) -> Rulebook:
    if paths is None:
        paths = sorted(p for s in corpus.sources for p in s.rules_dir.glob("*.yaml"))
    docs: dict[str, DocumentRules] = {}
    for path in paths:
        loaded = load_rule_file(path, vocab, corpus)
        if loaded.document in docs:
            raise RuleError(f"文件 {loaded.document} 有两个规则文件", Source(file=str(path)))
        docs[loaded.document] = loaded
    book = Rulebook(docs)
    claimed: dict[str, str] = {}
    for doc in docs.values():
        for group in doc.groups.values():
            for member in group.members:
                if member in claimed:
                    raise RuleError(
                        f"规则 {member} 同时是分组 {claimed[member]} 和 {group.id} 的成员",
                        Source(file=str(doc.path), rule=group.id, field="members"),
                    )
                claimed[member] = group.id
                if book.rule(member) is None or member.startswith(f"{doc.document}/"):
                    raise RuleError(
                        f"分组 {group.id} 的成员 {member} 不是其他文件中已编码的规则",
                        Source(file=str(doc.path), rule=group.id, field="members"),
                    )
    return book


_CACHE: dict[int, Rulebook] = {}


def get_rulebook() -> Rulebook:
    return rulebook_for(get_corpus())


def rulebook_for(corpus: Corpus) -> Rulebook:
    """The rules of ``corpus`` (loaded once)."""
    book = _CACHE.get(id(corpus))
    if book is None:
        book = _CACHE[id(corpus)] = load_rulebook(corpus, vocabulary_for(corpus))
    return book


@dataclass(frozen=True)
class Link:
    """A passage that describes a policy (a reply letter's figure) ↔ the article that is its legal basis."""

    source: str  # e.g. nb-kj-2025-51/1.1
    target: str  # e.g. nb-2025-35/11
    amount: str  # the figure as written
    note: str


def article_links(rulebook: Rulebook) -> dict[str, list[Link]]:
    """Every link, indexed by both ends (annotations with ``basis_of``)."""
    out: dict[str, list[Link]] = {}
    for doc in rulebook.documents.values():
        for a in doc.file.annotations:
            if a.basis_of:
                link = Link(
                    source=f"{doc.document}/{a.article}", target=a.basis_of, amount=a.amount, note=a.note
                )
                out.setdefault(link.source, []).append(link)
                out.setdefault(link.target, []).append(link)
    return out
