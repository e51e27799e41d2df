"""批量测算 over HTTP in-process: the template, uploads (CSV, XLSX, bad rows, oversized, wrong kind), the job's
progress and result files — whose cells never start a formula."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from openpyxl import Workbook, load_workbook

from huiqi.settings import Settings
from huiqi.web import create_app

pytestmark = pytest.mark.anyio
LIMIT = 64 * 1024
FIRMS = (
    "企业编号,企业名称,注册地,制造业企业,纳入亩均评价,已完成绿色化改造,数字化等级,2025年研发经费内部支出\n"
    'F1,"=HYPERLINK(""http://evil"")",鄞州区,是,否,是,3,1000000\n'
    "F2,宁波乙公司,火星,是,否,是,3,1000000\n"
    "F3,@宁波丙公司,慈溪市,maybe,否,是,3,abc\n"
    "F4,宁波丁公司,慈溪市,是,否,是,3,2000000\n"
)
EVENTS = (
    "企业编号,事项类型,日期,级别/类别,对象\n"
    "F1,制造业单项冠军企业,2026-02-01,国家级,\n"
    "F1,first_set,2026-03-01,国内,-机床\n"
    "F4,little_giant,2026-02-30,国家级,\n"
    "F4,little_giant,2026-02-01,国家级,\n"
    "F9,little_giant,2026-02-01,国家级,\n"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", data_dir=tmp_path, upload_limit_bytes=LIMIT
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(settings)), base_url="http://t"
    ) as c:
        yield c


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in error["message"])
    return dict(error)


async def finished(client: httpx.AsyncClient, job: dict[str, Any]) -> dict[str, Any]:
    with anyio.fail_after(60):
        while job["status"] in ("queued", "running"):
            await anyio.sleep(0.05)
            job = (await client.get(f"/api/batch/{job['id']}")).json()
    return job


def upload(firms: tuple[str, bytes, str], events: tuple[str, bytes, str] | None = None) -> dict[str, Any]:
    files = {"firms": firms}
    if events:
        files["events"] = events
    return files


def cells_are_safe(values: list[Any]) -> None:
    for v in values:
        if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
            assert v.lstrip("+-").replace(".", "", 1).isdigit(), f"cell {v!r} would run as a formula"


async def test_template_has_chinese_headers_and_drop_downs(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/batch/template.xlsx")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert {"企业", "事项"} <= set(book.sheetnames)
    firms = book["企业"]
    assert firms.cell(1, 1).value == "企业编号"
    assert firms.data_validations.dataValidation, "enumerated fields offer a drop-down list"


async def test_csv_upload_with_bad_rows_runs_and_its_files_are_safe(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/batch",
        files=upload(("firms.csv", FIRMS.encode(), "text/csv"), ("events.csv", EVENTS.encode(), "text/csv")),
        data={"as_of": "2026-06-30"},
    )
    assert created.status_code == 202, created.text
    job = await finished(client, created.json())
    assert job["status"] == "done", job
    assert job["progress"] == 1.0 and job["counts"]["firms"] == 2
    rejected = {(r["table"], r["column"], r["value"]) for r in job["rejected"]}
    assert ("企业", "region", "火星") in rejected and ("事项", "date", "2026-02-30") in rejected
    assert all(isinstance(r["row"], int) and r["message"] for r in job["rejected"])
    assert {c["title"] for c in job["charts"]} == {"按文件", "按责任部门", "按地区"}
    names = [f["name"] for f in job["files"]]
    assert names == ["huiqi-batch.xlsx", "huiqi-batch-csv.zip"]

    xlsx = await client.get(job["files"][0]["url"])
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames[0] == "汇总"
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            assert all(c.data_type != "f" for c in row), f"a formula in {sheet.title}"
            cells_are_safe([c.value for c in row])
    bundle = zipfile.ZipFile(io.BytesIO((await client.get(job["files"][1]["url"])).content))
    for name in bundle.namelist():
        rows = list(csv.reader(io.StringIO(bundle.read(name).decode("utf-8-sig"))))
        cells_are_safe([v for row in rows for v in row])

    page = await client.get(job["url"])
    assert page.status_code == 200 and "<svg" in page.text and "未通过校验" in page.text


def filled_template(template: bytes) -> bytes:
    book = load_workbook(io.BytesIO(template))
    firms, events = book["企业"], book["事项"]
    headers = {c.value: c.column for c in firms[1]}
    row = firms.max_row + 1
    for header, value in {
        "企业编号": "A1",
        "企业名称": "宁波测试有限公司",
        "注册地": "鄞州区",
        "制造业企业": "是",
    }.items():
        firms.cell(row, headers[header], value)
    eh = {c.value: c.column for c in events[1]}
    for header, value in {
        "企业编号": "A1",
        "事项类型": "制造业单项冠军企业",
        "日期": "2026-02-01",
        "级别/类别": "国家级",
    }.items():
        events.cell(events.max_row + (0 if header != "企业编号" else 1), eh[header], value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_the_filled_template_is_read_back_with_its_events_sheet(client: httpx.AsyncClient) -> None:
    template = (await client.get("/api/batch/template.xlsx")).content
    body = filled_template(template)
    created = await client.post(
        "/api/batch",
        files=upload(("企业.xlsx", body, "application/octet-stream")),
        data={"as_of": "2026-06-30"},
    )
    job = await finished(client, created.json())
    assert job["status"] == "done", job
    assert job["counts"]["firms"] == 1 and job["counts"]["events"] == 1 and job["counts"]["awards"] >= 1


async def test_an_oversized_upload_is_refused_in_chinese(client: httpx.AsyncClient) -> None:
    big = (FIRMS + "F9,x,鄞州区,是,否,是,3,1\n" * (LIMIT // 20)).encode()
    error = error_of(await client.post("/api/batch", files=upload(("firms.csv", big, "text/csv"))), 413)
    assert error["code"] == "too_large" and "上限" in error["message"]
    assert error["fields"][0]["field"] == "firms"
    huge = b"x" * (2 * LIMIT + 2 * 1024 * 1024)
    error = error_of(await client.post("/api/batch", files=upload(("firms.csv", huge, "text/csv"))), 413)
    assert error["code"] == "too_large"
    assert "最近的任务" not in (await client.get("/batch")).text, "a refused upload leaves no job behind"


@pytest.mark.parametrize(
    ("files", "data", "field"),
    [
        ({"firms": ("firms.txt", b"a,b\n", "text/plain")}, {}, "firms"),
        ({"firms": ("firms.csv", b"", "text/csv")}, {}, "firms"),
        ({"events": ("events.csv", EVENTS.encode(), "text/csv")}, {}, "firms"),
        ({"firms": ("firms.csv", FIRMS.encode(), "text/csv")}, {"as_of": "2026-02-30"}, "as_of"),
        (
            {"firms": ("firms.csv", FIRMS.encode(), "text/csv")},
            {"include_drafts": "perhaps"},
            "include_drafts",
        ),
    ],
    ids=["not a spreadsheet", "empty file", "no firms file", "bad date", "bad flag"],
)
async def test_bad_uploads_name_the_field(
    client: httpx.AsyncClient, files: dict[str, Any], data: dict[str, str], field: str
) -> None:
    error = error_of(await client.post("/api/batch", files=files, data=data), 422)
    assert field in {f["field"] for f in error["fields"]}, error


async def test_a_spreadsheet_that_is_not_a_firms_table_fails_the_job_not_the_server(
    client: httpx.AsyncClient,
) -> None:
    book = Workbook()
    book.active.append(["名称", "颜色"])
    book.active.append(["x", "红"])
    out = io.BytesIO()
    book.save(out)
    for name, body in (
        ("x.xlsx", out.getvalue()),
        ("x.csv", "名称,颜色\nx,红\n".encode()),
        ("y.xlsx", b"PK\x03\x04junk"),
    ):
        created = await client.post("/api/batch", files=upload((name, body, "application/octet-stream")))
        assert created.status_code == 202, created.text
        job = await finished(client, created.json())
        assert job["status"] == "failed" and job["message"], job
        page = await client.get(job["url"])
        assert page.status_code == 200 and job["message"].split("（")[0] in page.text


async def test_unknown_jobs_and_files(client: httpx.AsyncClient) -> None:
    error_of(await client.get("/api/batch/0123456789ab"), 404)
    error_of(await client.get("/api/batch/../../etc"), 404)
    created = await client.post("/api/batch", files=upload(("firms.csv", FIRMS.encode(), "text/csv")))
    job = await finished(client, created.json())
    error_of(await client.get(f"/api/batch/{job['id']}/files/job.json"), 404)
    error_of(await client.get(f"/api/batch/{job['id']}/files/..%2Fjob.json"), 404)
    page = await client.get("/batch/0123456789ab", headers={"accept": "text/html"})
    assert page.status_code == 404 and "text/html" in page.headers["content-type"]


async def test_the_form_without_script_redirects_to_the_job_page(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/batch",
        files=upload(("firms.csv", FIRMS.encode(), "text/csv"), ("", b"", "application/octet-stream")),
        data={"as_of": "2026-06-30", "include_drafts": "true"},
    )
    assert response.status_code == 303 and response.headers["location"].startswith("/batch/")
    page = await client.get("/batch")
    assert page.status_code == 200 and "下载 Excel 模板" in page.text


async def test_a_finished_job_outlives_a_restart(tmp_path: Path) -> None:
    settings = Settings(database_url="sqlite://", data_dir=tmp_path, upload_limit_bytes=LIMIT)
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as first:
        files = upload(("firms.csv", FIRMS.encode(), "text/csv"), ("events.csv", EVENTS.encode(), "text/csv"))
        job = await finished(first, (await first.post("/api/batch", files=files)).json())
        assert job["status"] == "done", job
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as second:
        again = (await second.get(f"/api/batch/{job['id']}")).json()
        assert again == job
        assert (await second.get(job["files"][0]["url"])).status_code == 200


async def test_a_firms_table_alone_is_enough(client: httpx.AsyncClient) -> None:
    with_events = upload(
        ("firms.csv", FIRMS.encode(), "text/csv"), ("events.csv", EVENTS.encode(), "text/csv")
    )
    first = await finished(client, (await client.post("/api/batch", files=with_events)).json())
    alone = await client.post("/api/batch", files=upload(("firms.csv", FIRMS.encode(), "text/csv")))
    job = await finished(client, alone.json())
    assert first["status"] == job["status"] == "done", job
    assert job["counts"]["events"] == 0 and job["counts"]["firms"] == 2
