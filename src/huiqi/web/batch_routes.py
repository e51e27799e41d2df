"""批量测算: the Excel template, uploads → jobs, progress, results (API and pages)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, FastAPI, File, Form, Request, UploadFile, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from huiqi.settings import Settings
from huiqi.web.errors import ERROR_RESPONSES
from huiqi.web.files import save_upload
from huiqi.web.jobs import JobRunner
from huiqi.web.pages import render
from huiqi.web.schemas import JobView

api = APIRouter(prefix="/api/batch", tags=["批量测算"], responses=ERROR_RESPONSES)
pages = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEMPLATE_NAME = "惠企批量测算模板.xlsx"
BINARY = {"type": "string", "format": "binary"}


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.jobs
    return runner


@api.get(
    "/template.xlsx",
    response_class=Response,
    summary="Excel 模板（中文表头、说明、下拉选项）",
    responses={200: {"content": {XLSX: {"schema": BINARY}}}},
)
def template() -> Response:
    from huiqi.tabular import template_xlsx

    return Response(
        template_xlsx(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{_quote(TEMPLATE_NAME)}"},
    )


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


async def _submit(
    request: Request,
    firms: UploadFile,
    events: UploadFile | None,
    as_of: dt.date | None,
    include_drafts: bool,
) -> JobView:
    runner = _runner(request)
    limit = request.app.state.settings.upload_limit_bytes
    job, folder = runner.new(as_of=as_of or dt.date.today(), include_drafts=include_drafts)
    try:
        firms_path = await save_upload(firms, folder / "input" / "firms", limit, "firms")
        events_path = None
        if events is not None and events.filename:
            events_path = await save_upload(events, folder / "input" / "events", limit, "events")
    except BaseException:
        runner.discard(job)
        raise
    runner.start(job, firms_path, events_path)
    return job


Upload = Annotated[UploadFile, File(description="企业表（CSV 或 XLSX，按模板）")]
EventsUpload = Annotated[UploadFile | None, File(description="事项表（可选）")]
AsOf = Annotated[dt.date | None, Form(description="计算日，默认今天")]
Drafts = Annotated[bool, Form(description="计入征求意见稿")]


@api.post("", response_model=JobView, status_code=status.HTTP_202_ACCEPTED, summary="上传并开始批量测算")
async def create_job(
    request: Request,
    firms: Upload,
    events: EventsUpload = None,
    as_of: AsOf = None,
    include_drafts: Drafts = False,
) -> JobView:
    return await _submit(request, firms, events, as_of, include_drafts)


@api.get("/{key}", response_model=JobView, summary="任务进度与结果")
def get_job(key: str, request: Request) -> JobView:
    return _runner(request).get(key)


@api.get(
    "/{key}/files/{name}",
    response_class=FileResponse,
    summary="下载结果文件",
    responses={200: {"content": {XLSX: {"schema": BINARY}, "text/csv": {"schema": BINARY}}}},
)
def get_file(key: str, name: str, request: Request) -> FileResponse:
    path = _runner(request).file(key, name)
    media = XLSX if path.suffix == ".xlsx" else "text/csv; charset=utf-8" if path.suffix == ".csv" else None
    return FileResponse(path, media_type=media, filename=name)


@pages.get("/batch")
def batch_page(request: Request) -> Response:
    return render(
        request, "batch.html", nav="batch", job=None, jobs=_runner(request).recent(), today=dt.date.today()
    )


@pages.post("/batch")
async def batch_form(
    request: Request,
    firms: Upload,
    events: EventsUpload = None,
    as_of: AsOf = None,
    include_drafts: Drafts = False,
) -> Response:
    job = await _submit(request, firms, events, as_of, include_drafts)
    return RedirectResponse(job.url, status_code=status.HTTP_303_SEE_OTHER)


@pages.get("/batch/{key}")
def job_page(request: Request, key: str) -> Response:
    job = _runner(request).get(key)
    return render(request, "batch.html", nav="batch", job=job, jobs=[], today=job.as_of)


def install(app: FastAPI, settings: Settings) -> None:
    app.state.jobs = JobRunner(settings.data_dir / "jobs")
    app.include_router(api)
    app.include_router(pages)
