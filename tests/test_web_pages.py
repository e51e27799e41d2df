"""The HTML pages in-process, `huiqi serve`, and a fuzz of the JSON API: no input gives a 500."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from huiqi.cli import app as cli
from huiqi.settings import Settings
from huiqi.web import create_app

pytestmark = pytest.mark.anyio
HTML = {"accept": "text/html"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", data_dir=tmp_path, upload_limit_bytes=1 << 20
    )
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="http://test", headers=HTML) as c:
        yield c


async def page(client: httpx.AsyncClient, url: str, status: int = 200) -> str:
    response = await client.get(url)
    assert response.status_code == status, (url, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert '<html lang="zh-CN">' in text and "政策计算器" in text  # the layout and its navigation
    return text


async def test_library_lists_documents_and_searches_with_filters(client: httpx.AsyncClient) -> None:
    text = await page(client, "/")
    assert "甬政办发〔2025〕35号" in text and "责任部门" in text
    text = await page(client, "/?q=冠军&doc=nb-2025-35&status=official&department=")
    assert "<mark>冠军</mark>" in text and "/docs/nb-kj-2025-51/" not in text
    text = await page(client, "/?q=奖励&department=市科技局")
    assert "检索结果" in text
    text = await page(client, "/?q=没有这个词组合&status=bogus")
    assert "没有找到" in text
    await page(client, "/?q=冠军&doc=nope", 404)


async def test_document_and_article_pages(client: httpx.AsyncClient) -> None:
    text = await page(client, "/docs/nb-2025-35")
    assert "支持企业专精特新发展" in text and "条规则" in text
    text = await page(client, "/docs/nb-2025-35/11?q=冠军")
    assert "<mark>" in text and "nb-2025-35/11/champion" in text and "从高不重复" in text
    assert "nb-kj-2025-51/1.1" in text, "the reply letter that describes this article"
    text = await page(client, "/docs/nb-kj-2025-51/1.1")
    assert "兑现依据" in text and "/docs/nb-2025-35/11" in text
    text = await page(client, "/docs/nb-2025-35/38")
    assert "rule-provision" in text
    assert "找不到页面" in await page(client, "/docs/nope", 404)
    await page(client, "/docs/nb-2025-35/999", 404)


async def test_calculator_form_and_demo_prefill(client: httpx.AsyncClient) -> None:
    text = await page(client, "/calc")
    assert 'data-path="firm.region"' in text and "鄞州区" in text and 'id="vocab-data"' in text
    text = await page(client, "/calc?demo=demo-manufacturer")
    assert "宁波甬兴精密机械股份有限公司" in text and "2026-12-31" in text
    await page(client, "/calc?demo=nobody", 404)


async def test_result_page_is_grouped_by_document_and_printable(client: httpx.AsyncClient) -> None:
    from huiqi.vocab import read_profile_file

    from .conftest import CORPUS_DIR

    profile = read_profile_file(CORPUS_DIR / "examples" / "fenghua-precision.yaml")
    share = (await client.post("/api/shares", json={"profile": profile})).json()
    text = await page(client, share["url"])
    assert "本文件合计" in text and "再进一步" in text and "万元" in text
    assert "分享链接" in text and "window.print()" in text
    assert text.count('class="doc-result card"') >= 1
    await page(client, "/calc/r/doesnotexist", 404)


async def test_static_files_and_page_errors(client: httpx.AsyncClient) -> None:
    for name in ("style.css", "calc.js", "batch.js", "app.js", "favicon.svg"):
        assert (await client.get(f"/static/{name}")).status_code == 200
    assert (await client.get("/static/nope.js")).status_code == 404
    css = (await client.get("/static/style.css")).text
    assert "@media print" in css and "min-height: 44px" in css
    text = await page(client, "/no/such/page", 404)
    assert "页面或资源不存在" in text


async def test_the_ledger_page_extends_our_layout(client: httpx.AsyncClient) -> None:
    text = await page(client, "/ledger")
    assert "兑现台账" in text and 'aria-current="page"' in text


def test_serve_hands_the_app_to_uvicorn(monkeypatch: pytest.MonkeyPatch) -> None:
    import uvicorn

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    result = CliRunner().invoke(cli, ["serve", "--port", "8123"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8123/" in result.stdout and "已启动" in result.stdout
    assert seen["app"] == "huiqi.web:create_app" and seen["factory"] is True
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8123


def junk(rng: random.Random, depth: int = 0) -> Any:
    """A random JSON value, biased towards the shapes a profile has."""
    kinds = ["null", "bool", "int", "float", "str", "date", "list", "dict", "profileish"]
    kind = rng.choice(kinds if depth < 3 else kinds[:6])
    if kind == "null":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "int":
        return rng.choice([0, -1, 1, 2025, 10**30, -(10**20)])
    if kind == "float":
        return rng.choice([0.5, -3.25, 1e308, 1e-300])
    if kind == "str":
        return rng.choice(
            ["", " ", "是", "鄞州区", "国家级", "=1+1", "2026-02-30", "x" * 200, "\u0000", "null"]
        )
    if kind == "date":
        return rng.choice(["2026-06-30", "2025-01-01", "0001-01-01", "9999-12-31"])
    if kind == "list":
        return [junk(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if kind == "dict":
        keys = ["firm", "years", "events", "type", "date", "level", "name", "region", "2025", "revenue", "x"]
        return {rng.choice(keys): junk(rng, depth + 1) for _ in range(rng.randint(0, 4))}
    event = {"type": rng.choice(["little_giant", "first_set", "nope", 5]), "date": junk(rng, 3)}
    if rng.random() < 0.7:
        event["level"] = rng.choice(["国家级", "国内", None, 3])
    return {
        "firm": {
            "name": junk(rng, 3),
            "region": rng.choice(["鄞州区", "慈溪市", 7, None]),
            "sme": junk(rng, 3),
        },
        "years": {rng.choice(["2025", "1800", "abc"]): {"revenue": junk(rng, 3)}},
        "events": [event, junk(rng, depth + 1)],
    }


async def test_no_payload_gives_a_server_error(client: httpx.AsyncClient) -> None:
    rng = random.Random(20260630)
    seen: set[int] = set()
    for _ in range(150):
        body: Any = {"profile": junk(rng)} if rng.random() < 0.8 else junk(rng)
        if isinstance(body, dict) and rng.random() < 0.3:
            body["as_of"] = junk(rng, 3)
        if isinstance(body, dict) and rng.random() < 0.2:
            body["include_drafts"] = junk(rng, 3)
        for url in ("/api/calc", "/api/shares"):
            response = await client.post(url, json=body, headers={"accept": "application/json"})
            seen.add(response.status_code)
            assert response.status_code in (200, 201, 404, 422), (body, response.text)
            if response.status_code >= 400:
                assert set(response.json()) == {"error"}
    assert 422 in seen
