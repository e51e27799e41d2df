"""HTTP front door of the ledger: ``/api/ledger/...`` and the 兑现台账 page (``/ledger``).

Every ledger route but ``/api/ledger/health`` and the page needs ``Authorization: Bearer <token>``: any
role reads, the role of the action writes (401 without a valid token, 403 with the wrong role; both
audited). Errors have the web app's shape, ``{"error": {"code", "message", "fields"}}``, whether or not
the app installs its own handlers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, File, Header, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from huiqi.errors import HuiqiError, ProfileError
from huiqi.ledger import budgets as budget_ops
from huiqi.ledger import service, transfer
from huiqi.ledger.access import Actor, audit_trail
from huiqi.ledger.db import Ledger
from huiqi.ledger.errors import AuthenticationRequired, ImportFileError
from huiqi.ledger.schemas import (
    AuditOut,
    AwardOut,
    BudgetIn,
    BudgetOut,
    FirmOut,
    GrantIn,
    ImportReport,
    PayIn,
    RevokeIn,
)
from huiqi.settings import Settings

T = TypeVar("T")
router = APIRouter()
_lock = threading.Lock()
TOKEN_HEADER = Header(description="Bearer <令牌>（huiqi ledger token create 创建）")
Auth = Annotated[str | None, TOKEN_HEADER]


def ledger_of(request: Request) -> Ledger:
    """The app's ledger (``app.state.ledger``), opened on first use from the app's settings."""
    state = request.app.state
    with _lock:
        ledger = getattr(state, "ledger", None)
        if ledger is None:
            settings = getattr(state, "settings", None) or Settings.from_env()
            ledger = Ledger(settings.database_url)
            ledger.ensure_schema()
            state.ledger = ledger
    assert isinstance(ledger, Ledger)
    return ledger


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def error_response(exc: HuiqiError) -> JSONResponse:
    fields = []
    if isinstance(exc, ImportFileError | ProfileError):
        fields = [{"field": p.field, "message": p.message} for p in exc.problems]
    body = {"error": {"code": exc.code, "message": exc.message, "fields": fields}}
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, AuthenticationRequired) else None
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


def _do(
    request: Request,
    authorization: str | None,
    action: str,
    work: Callable[[Session, Actor], T],
    target: dict[str, Any] | None = None,
) -> T | JSONResponse:
    try:
        return service.perform(
            ledger_of(request),
            _bearer(authorization),
            action,
            work,
            via="http",
            address=request.client.host if request.client else None,
            target=target,
        )
    except HuiqiError as exc:
        return error_response(exc)


@router.get("/api/ledger/health", tags=["ledger"])
def health(request: Request) -> dict[str, str]:
    """台账是否可用（不需令牌）。"""
    ledger = ledger_of(request)
    return {"status": "ok", "database": ledger.dialect, "revision": ledger.current_revision() or ""}


@router.get("/api/ledger/me", tags=["ledger"])
def me(request: Request, authorization: Auth = None) -> Any:
    """令牌持有人及其角色。"""
    return _do(request, authorization, "read", lambda s, a: {"name": a.name, "role": a.role})


@router.get("/api/ledger/firms/{credit_code}", response_model=FirmOut, tags=["ledger"])
def firm(request: Request, credit_code: str, authorization: Auth = None) -> Any:
    """一家企业在台账中的全部奖励、分期拨付与合计。"""
    return _do(request, authorization, "read", lambda s, a: service.firm_view(s, credit_code))


@router.get("/api/ledger/awards", response_model=list[AwardOut], tags=["ledger"])
def awards(
    request: Request,
    authorization: Auth = None,
    firm: str | None = None,
    state: str | None = None,
    document: str | None = None,
    year: int | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> Any:
    """台账中的奖励（可按企业、状态、文件、年度筛选）。"""

    def work(s: Session, a: Actor) -> list[AwardOut]:
        rows = service.list_awards(
            s, credit_code=firm, state=state, document=document, year=year, limit=limit
        )
        return [AwardOut.of(r) for r in rows]

    return _do(request, authorization, "read", work)


@router.get("/api/ledger/awards/{award_id}", response_model=AwardOut, tags=["ledger"])
def award(request: Request, award_id: int, authorization: Auth = None) -> Any:
    return _do(request, authorization, "read", lambda s, a: AwardOut.of(service.get_award(s, award_id)))


@router.post("/api/ledger/awards", response_model=AwardOut, status_code=201, tags=["ledger"])
def grant(request: Request, body: GrantIn, authorization: Auth = None) -> Any:
    """录入一项拟兑现奖励（经办）：超过累计上限或预算的，拒绝并说明原因（409）。"""
    target = {"credit_code": body.credit_code.strip().upper(), "request": body.model_dump(mode="json")}
    return _do(request, authorization, "grant", lambda s, a: AwardOut.of(service.grant(s, a, body)), target)


@router.post("/api/ledger/awards/{award_id}/publish", response_model=AwardOut, tags=["ledger"])
def publish(request: Request, award_id: int, authorization: Auth = None) -> Any:
    """公示（审核）。"""
    return _do(
        request,
        authorization,
        "publish",
        lambda s, a: AwardOut.of(service.publish(s, a, award_id)),
        {"award_id": award_id},
    )


@router.post("/api/ledger/awards/{award_id}/pay", response_model=AwardOut, tags=["ledger"])
def pay(request: Request, award_id: int, body: PayIn | None = None, authorization: Auth = None) -> Any:
    """拨付一期（审核）：默认第一笔未拨付的分期。"""
    req = body or PayIn()
    return _do(
        request,
        authorization,
        "pay",
        lambda s, a: AwardOut.of(service.pay(s, a, award_id, req)),
        {"award_id": award_id, **req.model_dump(mode="json")},
    )


@router.post("/api/ledger/awards/{award_id}/revoke", response_model=AwardOut, tags=["ledger"])
def revoke(request: Request, award_id: int, body: RevokeIn, authorization: Auth = None) -> Any:
    """撤销（审核），须写明理由。"""
    return _do(
        request,
        authorization,
        "revoke",
        lambda s, a: AwardOut.of(service.revoke(s, a, award_id, body.reason)),
        {"award_id": award_id, "revoke_reason": body.reason},
    )


@router.post("/api/ledger/import", response_model=ImportReport, tags=["ledger"])
def import_file(request: Request, file: Annotated[UploadFile, File()], authorization: Auth = None) -> Any:
    """导入台账（CSV / XLSX，审核）：整个文件一个事务；同一文件重复导入不作更改。"""
    name = file.filename or "upload.csv"
    settings = getattr(request.app.state, "settings", None) or Settings.from_env()
    data = file.file.read(settings.upload_limit_bytes + 1)
    if len(data) > settings.upload_limit_bytes:
        return error_response(ImportFileError(f"文件超过 {settings.upload_limit_bytes // 1024 // 1024} MB"))

    def work(s: Session, a: Actor) -> ImportReport:
        # parsed inside the authenticated call: a caller without a valid token learns nothing of the file
        return transfer.import_rows(s, a, transfer.parse_file(data, name))

    return _do(request, authorization, "import", work, {"file": name})


@router.get("/api/ledger/export", tags=["ledger"])
def export(
    request: Request,
    authorization: Auth = None,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
    firm: str | None = None,
    year: int | None = None,
) -> Response:
    """导出台账（CSV 或 XLSX，列与导入相同）。"""
    result = _do(
        request,
        authorization,
        "read",
        lambda s, a: transfer.export_rows(s, credit_code=firm, year=year),
    )
    if isinstance(result, JSONResponse):
        return result
    if format == "xlsx":
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return Response(transfer.to_xlsx(result), media_type=media, headers=_attachment("xlsx"))
    return Response(transfer.to_csv(result), media_type="text/csv; charset=utf-8", headers=_attachment("csv"))


def _attachment(suffix: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="huiqi-ledger.{suffix}"'}


@router.get("/api/ledger/budgets", response_model=list[BudgetOut], tags=["ledger"])
def budgets(request: Request, authorization: Auth = None, year: int | None = None) -> Any:
    """预算及已用、剩余。"""
    return _do(request, authorization, "read", lambda s, a: budget_ops.list_budgets(s, year=year))


@router.put("/api/ledger/budgets", response_model=BudgetOut, tags=["ledger"])
def set_budget(request: Request, body: BudgetIn, authorization: Auth = None) -> Any:
    """设置预算（审核）：按文件、条款或部门及年度。"""
    return _do(
        request,
        authorization,
        "budget",
        lambda s, a: budget_ops.set_budget(s, a, body),
        {"request": body.model_dump(mode="json")},
    )


@router.get("/api/ledger/audit", response_model=list[AuditOut], tags=["ledger"])
def audit(
    request: Request,
    authorization: Auth = None,
    firm: str | None = None,
    award_id: int | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> Any:
    """审计记录（审核）：谁在何时做了什么，包括被拒绝的操作。"""

    def work(s: Session, a: Actor) -> list[AuditOut]:
        rows = audit_trail(s, credit_code=firm, award_id=award_id, limit=limit)
        return [AuditOut.of(e) for e in rows]

    return _do(request, authorization, "audit", work)


@router.get("/ledger", response_class=HTMLResponse, include_in_schema=False)
def page(request: Request) -> Response:
    """兑现台账 page: the data is fetched by the page's script with the token the user types in."""
    templates = getattr(request.app.state, "templates", None)
    if templates is None:
        from huiqi.ledger.pages import standalone_templates

        templates = standalone_templates()
    response: Response = templates.TemplateResponse(request, "ledger_page.html", {"nav": "ledger"})
    return response
