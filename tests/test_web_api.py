"""The JSON API in-process (httpx.ASGITransport): every route, good and bad input; errors are JSON with
Chinese messages naming the field, and bad input is never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from huiqi.cli import app as cli
from huiqi.settings import Settings
from huiqi.web import create_app

from .conftest import CORPUS_DIR

pytestmark = pytest.mark.anyio
EXAMPLES = sorted((CORPUS_DIR / "examples").glob("*.yaml"))
FIRM = {"name": "宁波测试机械有限公司", "region": "鄞州区", "manufacturing": True}
GOOD = {
    "profile": {
        "firm": FIRM,
        "events": [
            {"type": "manufacturing_champion", "level": "国家级", "date": "2026-02-01"},
            {"type": "little_giant", "level": "国家级", "date": "2026-03-01"},
        ],
    },
    "as_of": "2026-06-30",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path / 'h.sqlite3'}", data_dir=tmp_path, upload_limit_bytes=4096
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(settings), raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["error"]["message"]), body
    for f in body["error"]["fields"]:
        assert set(f) == {"field", "message"}
    return dict(body["error"])


def fields(error: dict[str, Any]) -> dict[str, str]:
    return {f["field"]: f["message"] for f in error["fields"]}


# ---- documents, articles, search ----


async def test_documents(client: httpx.AsyncClient) -> None:
    docs = (await client.get("/api/documents")).json()
    assert {d["id"] for d in docs} >= {"nb-2025-35", "nb-kj-2025-51"}
    one = (await client.get("/api/documents/nb-2025-35")).json()
    assert one["wenhao"] == "甬政办发〔2025〕35号" and one["sections"]
    error = error_of(await client.get("/api/documents/nope"), 404)
    assert error["code"] == "not_found" and "nope" in error["message"]


async def test_article_with_rules_and_links(client: httpx.AsyncClient) -> None:
    a = (await client.get("/api/articles/nb-2025-35/11")).json()
    assert a["id"] == "nb-2025-35/11" and "单项冠军" in a["text"]
    rules = {r["id"]: r for r in a["rules"]}
    champion = rules["nb-2025-35/11/champion"]
    assert champion["basis_label"] == "最高" and champion["formula"] and champion["quote"]
    assert champion["group"], "the 从高不重复 group is named"
    assert any(link["article_id"] == "nb-kj-2025-51/1.1" for link in a["links"])
    provisions = (await client.get("/api/articles/nb-2025-35/38")).json()["rules"]
    assert any(r["kind"] == "provision" for r in provisions)
    error_of(await client.get("/api/articles/nb-2025-35/999"), 404)
    error_of(await client.get("/api/articles/nope/1"), 404)


async def test_search_and_filters(client: httpx.AsyncClient) -> None:
    found = (await client.get("/api/search", params={"q": "冠军"})).json()
    assert found["total"] > 0 and any(hit for h in found["hits"] for _, hit in h["snippet"])
    only = (await client.get("/api/search", params={"q": "冠军", "doc": "nb-2025-35"})).json()
    assert only["hits"] and {h["document_id"] for h in only["hits"]} == {"nb-2025-35"}
    drafts = (await client.get("/api/search", params={"q": "冠军", "status": "draft"})).json()
    assert {h["status"] for h in drafts["hits"]} == {"draft"}
    dept = (await client.get("/api/search", params={"q": "奖励", "department": "市科技局"})).json()
    assert dept["hits"]
    departments = (await client.get("/api/departments")).json()
    assert "市科技局" in departments


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({}, 422, "q"),
        ({"q": "   "}, 422, None),
        ({"q": "冠军", "status": "final"}, 422, "status[0]"),
        ({"q": "冠军", "limit": "0"}, 422, "limit"),
        ({"q": "冠军", "limit": "many"}, 422, "limit"),
        ({"q": "冠军", "doc": "nope"}, 404, None),
    ],
)
async def test_search_refuses_bad_queries(
    client: httpx.AsyncClient, params: dict[str, str], status: int, field: str | None
) -> None:
    error = error_of(await client.get("/api/search", params=params), status)
    if field:
        assert field in fields(error), error


# ---- vocabulary, schema, examples ----


async def test_vocab_schema_examples(client: httpx.AsyncClient) -> None:
    vocab = (await client.get("/api/vocab")).json()
    region = next(f for f in vocab["firm"] if f["name"] == "region")
    assert region["label"] == "注册地" and "鄞州区" in region["values"]
    champion = next(e for e in vocab["events"] if e["name"] == "manufacturing_champion")
    assert champion["levels"] == ["国家级"]
    assert {f["name"] for f in vocab["event_base"]} == {"date", "level", "subject", "first_time"}
    schema = (await client.get("/api/schema")).json()
    assert schema["title"] == "企业档案" and "firm" in schema["properties"]
    examples = (await client.get("/api/examples")).json()
    assert "demo-manufacturer" in {e["name"] for e in examples}


# ---- calculation ----


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
async def test_calc_is_exactly_the_cli_json(client: httpx.AsyncClient, path: Path) -> None:
    from huiqi.vocab import read_profile_file

    profile = read_profile_file(path)
    cli_out = CliRunner().invoke(cli, ["calc", str(path), "--include-drafts", "-f", "json"])
    assert cli_out.exit_code == 0, cli_out.stderr
    response = await client.post("/api/calc", json={"profile": profile, "include_drafts": True})
    assert response.status_code == 200, response.text
    assert response.json() == json.loads(cli_out.stdout)


async def test_calc_options(client: httpx.AsyncClient) -> None:
    data = (await client.post("/api/calc", json=GOOD)).json()
    assert data["as_of"] == "2026-06-30" and data["include_drafts"] is False
    paid = {a["rule_id"]: a for a in data["awards"]}
    assert paid["nb-2025-35/11/champion"]["amount_yuan"] == 2_000_000
    assert paid["nb-2025-35/11/little_giant"]["status"] in ("set_aside", "needs_info")
    dated = {**GOOD, "publication_dates": {"cx-2025-plan": "2025-03-01"}, "include_drafts": True}
    assert (await client.post("/api/calc", json=dated)).status_code == 200


BAD_CALLS: list[tuple[str, Any, str | None]] = [
    ("body not JSON", b"{not json", None),
    ("body a list", [1, 2], "body"),
    ("no profile", {"as_of": "2026-06-30"}, "profile"),
    ("profile a string", {"profile": "firm.yaml"}, "profile"),
    ("unknown request field", {**GOOD, "explain": True}, "explain"),
    ("as_of not a date", {**GOOD, "as_of": "2026-13-01"}, "as_of"),
    ("as_of a number", {**GOOD, "as_of": 20260630}, "as_of"),
    ("include_drafts not a bool", {**GOOD, "include_drafts": "maybe"}, "include_drafts"),
    ("publication_dates a list", {**GOOD, "publication_dates": ["x"]}, "publication_dates"),
    (
        "publication date unknown doc",
        {**GOOD, "publication_dates": {"nope": "2025-01-01"}},
        "publication_dates.nope",
    ),
    (
        "publication date bad",
        {**GOOD, "publication_dates": {"cx-2025-plan": "soon"}},
        "publication_dates.cx-2025-plan",
    ),
    ("empty profile", {"profile": {}}, "firm.name"),
    ("unknown profile field", {"profile": {"firm": FIRM, "color": "red"}}, "color"),
    ("region unknown", {"profile": {"firm": {**FIRM, "region": "火星"}}}, "firm.region"),
    ("bool wrong", {"profile": {"firm": {**FIRM, "manufacturing": "maybe"}}}, "firm.manufacturing"),
    ("digital level out of range", {"profile": {"firm": {**FIRM, "digital_level": 9}}}, "firm.digital_level"),
    ("firm a list", {"profile": {"firm": [1]}}, "firm"),
    ("years wrong", {"profile": {"firm": FIRM, "years": {"20x5": {}}}}, "years.20x5"),
    (
        "year figure wrong",
        {"profile": {"firm": FIRM, "years": {"2025": {"revenue": "lots"}}}},
        "years.2025.revenue",
    ),
    ("events not a list", {"profile": {"firm": FIRM, "events": {"a": 1}}}, "events"),
    (
        "event type unknown",
        {"profile": {"firm": FIRM, "events": [{"type": "x", "date": "2026-01-01"}]}},
        "events[0].type",
    ),
    (
        "event date impossible",
        {
            "profile": {
                "firm": FIRM,
                "events": [{"type": "little_giant", "level": "国家级", "date": "2026-02-30"}],
            }
        },
        "events[0].date",
    ),
    (
        "event level wrong",
        {
            "profile": {
                "firm": FIRM,
                "events": [{"type": "little_giant", "level": "省级", "date": "2026-02-01"}],
            }
        },
        "events[0].level",
    ),
    (
        "event field unknown",
        {
            "profile": {
                "firm": FIRM,
                "events": [{"type": "little_giant", "level": "国家级", "date": "2026-02-01", "sales": 5}],
            }
        },
        "events[0].sales",
    ),
    ("event a number", {"profile": {"firm": FIRM, "events": [5]}}, "events[0]"),
    ("huge number", {"profile": {"firm": FIRM, "years": {"2025": {"revenue": 1e308}}}}, None),
    ("nested nonsense", {"profile": {"firm": {"name": {"a": [None]}, "region": None}}}, "firm.name"),
]


@pytest.mark.parametrize(
    ("body", "field"), [(b, f) for _, b, f in BAD_CALLS], ids=[n for n, _, _ in BAD_CALLS]
)
async def test_calc_refuses_bad_payloads_by_field(
    client: httpx.AsyncClient, body: Any, field: str | None
) -> None:
    if isinstance(body, bytes):
        response = await client.post("/api/calc", content=body, headers={"content-type": "application/json"})
    else:
        response = await client.post("/api/calc", json=body)
    if field is None and response.status_code == 200:
        return  # an odd but valid input
    error = error_of(response, 422)
    if field is not None:
        assert any(f == field or f.startswith(field) for f in fields(error)), error


async def test_calc_and_shares_refuse_the_same(client: httpx.AsyncClient) -> None:
    bad = {"profile": {"firm": {**FIRM, "region": "火星"}}}
    assert fields(error_of(await client.post("/api/shares", json=bad), 422)) == fields(
        error_of(await client.post("/api/calc", json=bad), 422)
    )


async def test_share_roundtrip(client: httpx.AsyncClient) -> None:
    created = await client.post("/api/shares", json=GOOD)
    assert created.status_code == 201, created.text
    share = created.json()
    assert share["url"] == f"/calc/r/{share['id']}"
    again = (await client.post("/api/shares", json=GOOD)).json()
    assert again["id"] == share["id"], "the same profile gets the same link"
    stored = (await client.get(f"/api/shares/{share['id']}")).json()
    assert stored["request"]["profile"] == GOOD["profile"]
    page = await client.get(share["url"])
    assert page.status_code == 200 and "宁波测试机械有限公司" in page.text and "200" in page.text
    error_of(await client.get("/api/shares/0000000000000000"), 404)


# ---- the rest: OpenAPI, unknown routes, methods ----


async def test_openapi_has_response_models_and_the_error_shape(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/api/openapi.json")).json()
    assert "ErrorBody" in spec["components"]["schemas"]
    for path, ops in spec["paths"].items():
        if path.startswith("/api/ledger"):
            continue  # the ledger's router, tested with the ledger
        for method, op in ops.items():
            ok = op["responses"].get("200") or op["responses"].get("201") or op["responses"].get("202")
            assert ok, (method, path)
            content = ok.get("content", {})
            assert content, f"{method} {path} has no response model"
            if path.startswith("/api/") and "application/json" in content:
                assert content["application/json"].get("schema"), (method, path)
            assert "422" in op["responses"], (method, path)


async def test_unknown_route_and_wrong_method(client: httpx.AsyncClient) -> None:
    assert error_of(await client.get("/api/nothing"), 404)["code"] == "not_found"
    assert error_of(await client.delete("/api/documents"), 405)["code"] == "method_not_allowed"
    assert error_of(await client.get("/api/calc"), 405)


async def test_a_huge_json_body_is_refused_before_reading(client: httpx.AsyncClient) -> None:
    body = json.dumps({"profile": {"firm": FIRM, "description": "x" * 3_000_000}})
    error = error_of(
        await client.post("/api/calc", content=body, headers={"content-type": "application/json"}), 413
    )
    assert error["code"] == "too_large"
