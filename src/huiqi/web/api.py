"""The JSON API under /api: documents, articles, search, vocabulary, schema, calculation, shares."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response, status

from huiqi.corpus import Status, get_corpus
from huiqi.corpus import views as v
from huiqi.engine import CalcResult
from huiqi.rules.load import get_rulebook
from huiqi.vocab import get_vocabulary
from huiqi.vocab.schema import profile_schema
from huiqi.web import present
from huiqi.web.errors import ERROR_RESPONSES
from huiqi.web.protocol import not_before
from huiqi.web.schemas import ArticleView, CalcRequest, Example, ShareView, VocabView
from huiqi.web.services import calculate_json, calculate_request, departments

router = APIRouter(prefix="/api", responses=ERROR_RESPONSES)


@router.get("/documents", response_model=list[v.DocumentSummary], tags=["政策库"], summary="文件列表")
def list_documents() -> list[v.DocumentSummary]:
    return v.list_documents(get_corpus())


@router.get("/documents/{doc_id}", response_model=v.DocumentView, tags=["政策库"], summary="一个文件")
def get_document(doc_id: str) -> v.DocumentView:
    return v.document_view(get_corpus(), doc_id)


@router.get(
    "/articles/{doc_id}/{number}", response_model=ArticleView, tags=["政策库"], summary="一条条款及其规则"
)
def get_article(doc_id: str, number: str) -> ArticleView:
    return present.article(get_corpus(), get_rulebook(), get_vocabulary(), f"{doc_id}/{number}")


@router.get("/search", response_model=v.SearchResult, tags=["政策库"], summary="全文检索")
def search(
    q: Annotated[str, Query(description="要查找的文字；空格分隔的多个词须同时出现")],
    doc: Annotated[list[str] | None, Query(description="只在这些文件中查找")] = None,
    status_: Annotated[list[Status] | None, Query(alias="status", description="只查这些状态的文件")] = None,
    department: Annotated[str | None, Query(description="只查此责任部门的条款")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 30,
) -> v.SearchResult:
    return v.search(
        get_corpus(),
        q,
        documents=[d for d in doc or [] if d],
        statuses=status_,
        department=department or None,
        limit=limit,
    )


@router.get("/departments", response_model=list[str], tags=["政策库"], summary="责任部门（检索筛选用）")
def list_departments() -> list[str]:
    return departments(get_corpus())


@router.get("/vocab", response_model=VocabView, tags=["计算器"], summary="档案可填写的全部事实")
def vocab() -> VocabView:
    return present.vocab_view(get_vocabulary())


@router.get("/schema", response_model=dict[str, Any], tags=["计算器"], summary="企业档案的 JSON Schema")
def schema() -> dict[str, Any]:
    return profile_schema(get_vocabulary())


@router.get("/examples", response_model=list[Example], tags=["计算器"], summary="示例企业")
def list_examples() -> list[Example]:
    return present.examples(get_corpus())


@router.post("/calc", response_model=CalcResult, tags=["计算器"], summary="测算一家企业")
async def calc(body: CalcRequest, request: Request) -> Response:
    """与 `huiqi calc --format json` 输出完全相同的 JSON（含逐项说明）。"""
    return Response(await calculate_json(body, not_before(request.scope)), media_type="application/json")


@router.post(
    "/shares",
    response_model=ShareView,
    status_code=status.HTTP_201_CREATED,
    tags=["计算器"],
    summary="保存测算并取得分享链接",
)
def create_share(body: CalcRequest, request: Request) -> ShareView:
    calculate_request(body)  # refuse what cannot be calculated, with the same errors as /api/calc
    key = request.app.state.shares.put(body)
    return ShareView(id=key, url=f"/calc/r/{key}", request=body)


@router.get("/shares/{key}", response_model=ShareView, tags=["计算器"], summary="已保存的测算")
def get_share(key: str, request: Request) -> ShareView:
    return ShareView(id=key, url=f"/calc/r/{key}", request=request.app.state.shares.get(key))
