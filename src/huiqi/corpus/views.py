"""The read API over the corpus, as pydantic models: what ``huiqi docs/show/search`` print (table or JSON)
and what the web API returns. Front doors call these functions and nothing else."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from huiqi.corpus.load import Corpus
from huiqi.corpus.models import Document, Passage, Status
from huiqi.search import index_for


class Window(BaseModel):
    start: dt.date | None
    end: dt.date
    events_from: dt.date | None
    start_note: str | None = None


class DocumentSummary(BaseModel):
    id: str
    wenhao: str | None
    title: str
    short_title: str
    issuer: str
    level: str
    status: Status
    status_label: str
    jurisdiction: str
    issued: dt.date | None
    window: Window | None
    stacking: str | None
    articles: int


class LinkView(BaseModel):
    """A reply letter's figure and the article that is its legal basis (both directions)."""

    relation: str  # "依据" (this passage describes a policy whose basis is `article_id`) or "介绍"
    article_id: str
    amount: str
    note: str


class PassageView(BaseModel):
    id: str
    document_id: str
    kind: str
    label: str
    number: str | None
    title: str
    section: str | None
    text: str
    raw: str
    span: tuple[int, int]
    departments: list[str]
    links: list[LinkView] = []


class SectionView(BaseModel):
    number: int
    heading: str
    numbered_in_text: bool
    intro: str | None
    articles: list[PassageView]


class DocumentView(DocumentSummary):
    preamble: PassageView
    sections: list[SectionView]
    closing: PassageView | None
    notes: list[str]


class SearchHitView(BaseModel):
    id: str
    document_id: str
    document_title: str
    status: Status
    label: str
    title: str
    section: str | None
    score: float
    snippet: list[tuple[str, bool]]
    matches: list[tuple[int, int]]


class SearchResult(BaseModel):
    query: str
    total: int
    hits: list[SearchHitView]


def _window(doc: Document) -> Window | None:
    v = doc.meta.validity
    if v is None:
        return None
    note = None
    if v.start is None:
        note = f"发布之日起{v.start_days_after_publication}日后施行；发布日期未知时按 {v.default_start} 起算"
    return Window(start=v.start or v.default_start, end=v.end, events_from=v.events_from, start_note=note)


def summary(doc: Document) -> DocumentSummary:
    m = doc.meta
    return DocumentSummary(
        id=m.id,
        wenhao=m.wenhao,
        title=m.title,
        short_title=m.short_title,
        issuer=m.issuer,
        level=m.level.value,
        status=m.status,
        status_label=m.status.label,
        jurisdiction=m.jurisdiction,
        issued=m.dates.issued,
        window=_window(doc),
        stacking=m.stacking.quote if m.stacking else None,
        articles=len(doc.articles),
    )


def passage_view(p: Passage) -> PassageView:
    return PassageView(
        id=p.id,
        document_id=p.doc_id,
        kind=p.kind,
        label=p.label,
        number=p.number,
        title=p.title,
        section=p.section,
        text=p.text,
        raw=p.raw,
        span=p.span,
        departments=list(p.departments),
    )


def list_documents(corpus: Corpus) -> list[DocumentSummary]:
    return [summary(d) for d in corpus]


def document_view(corpus: Corpus, doc_id: str) -> DocumentView:
    doc = corpus.document(doc_id)
    by_id = {a.id: a for a in doc.articles}
    sections = [
        SectionView(
            number=s.number,
            heading=s.heading,
            numbered_in_text=s.numbered_in_text,
            intro=s.intro.text if s.intro else None,
            articles=[passage_view(by_id[a]) for a in s.article_ids],
        )
        for s in doc.sections
    ]
    m = doc.meta
    notes = [n for n in (m.status_note, m.issuer_note, m.source_note, m.public_note) if n]
    return DocumentView(
        **summary(doc).model_dump(),
        preamble=passage_view(doc.preamble),
        sections=sections,
        closing=passage_view(doc.closing) if doc.closing else None,
        notes=notes,
    )


def show_passage(
    corpus: Corpus, passage_id: str, links: Mapping[str, Sequence[Any]] | None = None
) -> PassageView:
    """An article; ``links`` (from ``huiqi.rules.load.article_links``) adds its reply-letter links."""
    view = passage_view(corpus.passage(passage_id))
    found = [
        LinkView(
            relation="依据" if link.source == passage_id else "介绍",
            article_id=link.target if link.source == passage_id else link.source,
            amount=link.amount,
            note=link.note,
        )
        for link in (links or {}).get(passage_id, [])
    ]
    return view.model_copy(update={"links": found})


def search(
    corpus: Corpus,
    query: str,
    *,
    documents: list[str] | None = None,
    statuses: list[Status] | None = None,
    department: str | None = None,
    limit: int = 30,
) -> SearchResult:
    hits = index_for(corpus).search(
        query, documents=documents or (), statuses=statuses or (), department=department, limit=limit
    )
    views = [
        SearchHitView(
            id=h.passage.id,
            document_id=h.document.id,
            document_title=h.document.meta.short_title,
            status=h.document.meta.status,
            label=h.passage.label,
            title=h.passage.title,
            section=h.passage.section,
            score=round(h.score, 4),
            snippet=h.snippet(),
            matches=list(h.matches),
        )
        for h in hits
    ]
    return SearchResult(query=query, total=len(views), hits=views)
