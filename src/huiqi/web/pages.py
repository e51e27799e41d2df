"""The pages: 政策库 (/, /docs/…) and 政策计算器 (/calc, /calc/r/{id}). Each handler gathers views from the
library and renders one template."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from huiqi.corpus import Status, get_corpus
from huiqi.corpus import views as v
from huiqi.errors import NotFoundError
from huiqi.rules.load import get_rulebook
from huiqi.vocab import get_vocabulary
from huiqi.web import present
from huiqi.web.services import calculate_request, departments

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)


def render(request: Request, name: str, **context: Any) -> Response:
    pages: Jinja2Templates = request.app.state.templates
    return pages.TemplateResponse(request, name, context)


@router.get("/")
def library(
    request: Request,
    q: str = "",
    doc: str = "",
    status: str = "",
    department: str = "",
) -> Response:
    corpus = get_corpus()
    chosen = next((s for s in Status if s.value == status), None)
    documents = v.list_documents(corpus)
    result = None
    if q.strip():
        result = v.search(
            corpus,
            q,
            documents=[doc] if doc else None,
            statuses=[chosen] if chosen else None,
            department=department or None,
            limit=100,
        )
    return render(
        request,
        "library.html",
        nav="library",
        documents=documents,
        departments=departments(corpus),
        statuses=list(Status),
        q=q,
        doc=doc,
        status=chosen.value if chosen else "",
        department=department,
        result=result,
    )


@router.get("/docs/{doc_id}")
def document(request: Request, doc_id: str) -> Response:
    view = v.document_view(get_corpus(), doc_id)
    rules = get_rulebook().for_document(doc_id)
    counts: dict[str | None, int] = {}
    for r in rules.file.rules if rules else ():
        counts[f"{doc_id}/{r.article}"] = counts.get(f"{doc_id}/{r.article}", 0) + 1
    return render(request, "document.html", nav="library", doc=view, rule_counts=counts)


@router.get("/docs/{doc_id}/{number}")
def article(request: Request, doc_id: str, number: str, q: str = "") -> Response:
    corpus = get_corpus()
    view = present.article(corpus, get_rulebook(), get_vocabulary(), f"{doc_id}/{number}")
    hits: list[tuple[int, int]] = []
    if q.strip():
        found = v.search(corpus, q, documents=[doc_id], limit=500)
        hits = next((h.matches for h in found.hits if h.id == view.id), [])
    doc = corpus.document(doc_id)
    ids = [a.id for a in doc.articles]
    at = ids.index(view.id) if view.id in ids else -1
    return render(
        request,
        "article.html",
        nav="library",
        a=view,
        doc=v.summary(doc),
        sentences=present.sentences(view, hits),
        q=q,
        prev=doc.articles[at - 1] if at > 0 else None,
        next=doc.articles[at + 1] if 0 <= at < len(ids) - 1 else None,
    )


def _calc_page(request: Request, profile: dict[str, Any], **context: Any) -> Response:
    return render(
        request,
        "calc.html",
        nav="calc",
        vocab=present.vocab_view(get_vocabulary()),
        examples=present.examples(get_corpus()),
        profile=present.prefill(profile),
        documents=v.list_documents(get_corpus()),
        **context,
    )


@router.get("/calc")
def calc_form(request: Request, demo: str = "") -> Response:
    examples = {e.name: e for e in present.examples(get_corpus())}
    if demo and demo not in examples:
        raise NotFoundError(f"没有名为“{demo}”的示例企业（可用：{'、'.join(examples)}）")
    profile = examples[demo].profile if demo else {}
    return _calc_page(
        request,
        profile,
        demo=demo,
        as_of=str(profile.get("as_of", "")),
        include_drafts=False,
        result=None,
        share=None,
    )


@router.get("/calc/r/{key}")
def calc_result(request: Request, key: str) -> Response:
    body = request.app.state.shares.get(key)
    result = calculate_request(body)
    return _calc_page(
        request,
        body.profile,
        demo="",
        as_of=str(body.as_of or body.profile.get("as_of", "")),
        include_drafts=body.include_drafts,
        result=result,
        groups=present.by_document(result),
        share=key,
    )
