"""The ledger over HTTP: tokens and roles (401 / 403, audited), the whole life of an award, budgets,
import and export, the 兑现台账 page — and tokens never in a log, the audit trail or the database."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import MetaData, select

from huiqi.ledger.db import Ledger
from huiqi.ledger.models import Role
from huiqi.ledger.web import router
from huiqi.settings import Settings

from .test_ledger_support import FIRM, firm_code, make_tokens, open_ledger

PINZI = "nb-2020-mfg/22/pinzibiao_certified"
PINZI_PRODUCT = "nb-2020-mfg/22/pinzibiao_certified_product"


class Client:
    """A synchronous client over ``httpx.ASGITransport`` (the app in-process, as the web tests do)."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                return await client.request(method, url, **options)

        return asyncio.run(send())

    def get(self, url: str, **options: Any) -> httpx.Response:
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        return self.request("POST", url, **options)

    def put(self, url: str, **options: Any) -> httpx.Response:
        return self.request("PUT", url, **options)


@pytest.fixture
def ledger(tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger("sqlite", tmp_path) as opened:
        yield opened


@pytest.fixture
def client(ledger: Ledger, tmp_path: Path) -> Client:
    app = FastAPI()
    app.state.settings = Settings(database_url=ledger.url, data_dir=tmp_path, upload_limit_bytes=1024 * 1024)
    app.state.ledger = ledger
    app.include_router(router)
    return Client(app)


@pytest.fixture
def tokens(ledger: Ledger) -> dict[Role, str]:
    return make_tokens(ledger)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def award_body(**fields: object) -> dict[str, object]:
    return {
        "credit_code": FIRM,
        "rule_id": PINZI,
        "event_date": "2020-10-01",
        "amount_yuan": 300_000,
        **fields,
    }


def test_writes_without_a_token_or_with_the_wrong_role_are_refused_and_audited(
    client: Client, tokens: dict[Role, str]
) -> None:
    clerk, reviewer = tokens[Role.clerk], tokens[Role.reviewer]
    missing = client.post("/api/ledger/awards", json=award_body())
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"] == "Bearer"
    assert missing.json()["error"]["code"] == "unauthenticated"
    assert "台账须凭令牌查阅和办理" in missing.json()["error"]["message"]
    wrong = client.post("/api/ledger/awards", json=award_body(), headers=bearer("hq_guessed"))
    assert (wrong.status_code, wrong.json()["error"]["message"]) == (401, "令牌无效")
    forbidden = client.post("/api/ledger/awards", json=award_body(), headers=bearer(reviewer))
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["message"] == "张审核（审核）无权拟兑现（录入奖励）：须由经办角色办理"
    made = client.post("/api/ledger/awards", json=award_body(), headers=bearer(clerk))
    assert made.status_code == 201, made.text
    award_id = made.json()["id"]
    for action in ("publish", "pay"):
        assert (
            client.post(f"/api/ledger/awards/{award_id}/{action}", headers=bearer(clerk)).status_code == 403
        )
    revoke = client.post(f"/api/ledger/awards/{award_id}/revoke", json={"reason": "x"}, headers=bearer(clerk))
    assert revoke.status_code == 403
    assert (
        client.put(
            "/api/ledger/budgets", json={"document": "nb-2020-mfg", "year": 2021, "amount_yuan": 1}
        ).status_code
        == 401
    )
    assert client.get("/api/ledger/awards").status_code == 401  # reading the ledger needs a token too
    assert client.get("/api/ledger/audit", headers=bearer(clerk)).status_code == 403
    trail = client.get("/api/ledger/audit", headers=bearer(reviewer)).json()
    denied = [(e["action"], e["actor"], e["detail"]["reason"]) for e in trail if e["outcome"] == "denied"]
    assert len(denied) == 9
    assert ("grant", "（未认证）", "令牌无效") in denied
    assert ("publish", "李经办", "李经办（经办）无权公示：须由审核角色办理") in denied
    assert all(
        e["via"] == "http" and e["detail"]["address"] == "127.0.0.1"
        for e in trail
        if e["outcome"] == "denied"
    )
    assert client.get("/api/ledger/health").json()["status"] == "ok"  # open to everyone


def test_an_award_over_http_from_budget_to_payment(client: Client, tokens: dict[Role, str]) -> None:
    clerk, reviewer = bearer(tokens[Role.clerk]), bearer(tokens[Role.reviewer])
    budget = client.put(
        "/api/ledger/budgets",
        json={"document": "nb-2020-mfg", "year": 2020, "amount_yuan": 3_900_000_000, "note": "第39条"},
        headers=reviewer,
    )
    assert budget.status_code == 200 and budget.json()["label"] == "文件 nb-2020-mfg"
    assert client.get("/api/ledger/me", headers=clerk).json() == {"name": "李经办", "role": "经办"}
    first = client.post("/api/ledger/awards", json=award_body(firm_name="宁波甬联"), headers=clerk).json()
    product = award_body(
        rule_id=PINZI_PRODUCT, subject="伺服压力机", event_date="2020-12-01", amount_yuan=150_000
    )
    client.post("/api/ledger/awards", json=product, headers=clerk)
    over = client.post(
        "/api/ledger/awards", json={**product, "subject": "折弯机", "event_date": "2020-12-02"}, headers=clerk
    )
    assert over.status_code == 409
    assert over.json()["error"]["message"].endswith(
        "台账中已记 450,000 元，本次 150,000 元，最多还可 50,000 元"
    )
    assert client.post(f"/api/ledger/awards/{first['id']}/pay", headers=reviewer).status_code == 409
    assert (
        client.post(f"/api/ledger/awards/{first['id']}/publish", headers=reviewer).json()["state"] == "已公示"
    )
    paid = client.post(
        f"/api/ledger/awards/{first['id']}/pay", json={"paid_on": "2020-12-20"}, headers=reviewer
    ).json()
    assert paid["state"] == "已拨付" and paid["tranches"][0]["paid_on"] == "2020-12-20"
    firm = client.get(f"/api/ledger/firms/{FIRM}", headers=clerk).json()
    assert firm["name"] == "宁波甬联" and firm["totals"]["paid_yuan"] == 300_000
    assert [b["used_yuan"] for b in client.get("/api/ledger/budgets?year=2020", headers=clerk).json()] == [
        450_000
    ]
    listed = client.get("/api/ledger/awards", params={"state": "拟兑现"}, headers=clerk).json()
    assert [a["subject"] for a in listed] == ["伺服压力机"]
    revoked = client.post(
        f"/api/ledger/awards/{listed[0]['id']}/revoke", json={"reason": "复核不符"}, headers=reviewer
    )
    assert revoked.json()["state"] == "已撤销"
    assert client.get("/api/ledger/awards/999", headers=clerk).status_code == 404
    bad = client.post("/api/ledger/awards", json=award_body(credit_code="123"), headers=clerk)
    assert bad.status_code == 400 and "应为18位" in bad.json()["error"]["message"]


def test_import_and_export_over_http(client: Client, tokens: dict[Role, str]) -> None:
    clerk, reviewer = bearer(tokens[Role.clerk]), bearer(tokens[Role.reviewer])
    lines = ["统一社会信用代码,规则,事项日期,金额（元）,状态"] + [
        f"{firm_code(i)},nb-2020-mfg/13/green_design_product,2021-05-01,100000,已拨付" for i in range(3)
    ]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    files = {"file": ("台账.csv", data, "text/csv")}
    assert client.post("/api/ledger/import", files=files, headers=clerk).status_code == 403
    report = client.post("/api/ledger/import", files=files, headers=reviewer).json()
    assert (report["created"], report["already_imported"]) == (3, False)
    assert client.post("/api/ledger/import", files=files, headers=reviewer).json()["already_imported"] is True
    csv_export = client.get("/api/ledger/export", headers=clerk)
    assert csv_export.headers["content-type"].startswith("text/csv")
    assert csv_export.content.decode("utf-8-sig").count(",已拨付,") == 3
    xlsx = client.get("/api/ledger/export?format=xlsx", headers=clerk)
    back = client.post(
        "/api/ledger/import",
        files={"file": ("back.xlsx", xlsx.content, "application/octet-stream")},
        headers=reviewer,
    )
    assert (back.json()["created"], back.json()["unchanged"]) == (0, 3)
    broken = client.post(
        "/api/ledger/import", files={"file": ("坏.csv", b"a,b\n1,2\n", "text/csv")}, headers=reviewer
    )
    assert broken.status_code == 422 and broken.json()["error"]["message"].startswith("缺少列")
    rows = io.StringIO(
        "统一社会信用代码,规则,事项日期,金额（元）\n" + f"{FIRM},nb-2020-mfg/22/x,2021-13-01,1\n"
    )
    fields = client.post(
        "/api/ledger/import",
        files={"file": ("f.csv", rows.getvalue().encode(), "text/csv")},
        headers=reviewer,
    )
    assert [f["field"] for f in fields.json()["error"]["fields"]] == ["第2行.事项日期", "第2行"]


def test_tokens_never_appear_in_logs_the_audit_trail_or_the_database(
    client: Client, ledger: Ledger, tokens: dict[Role, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("sqlalchemy.engine").setLevel(logging.DEBUG)  # every statement and its parameters
    try:
        clerk, reviewer = tokens[Role.clerk], tokens[Role.reviewer]
        made = client.post("/api/ledger/awards", json=award_body(), headers=bearer(clerk)).json()
        client.post(f"/api/ledger/awards/{made['id']}/publish", headers=bearer(clerk))  # 403
        client.post(f"/api/ledger/awards/{made['id']}/publish", headers=bearer(reviewer + "0"))  # 401
        client.post(f"/api/ledger/awards/{made['id']}/publish", headers=bearer(reviewer))
        client.get("/api/ledger/audit", headers=bearer(reviewer))
    finally:
        logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    assert "ledger grant ok by 李经办" in caplog.text and "SELECT" in caplog.text
    dump = []
    metadata = MetaData()
    metadata.reflect(ledger.engine)
    for table in metadata.sorted_tables:
        dump += [repr(tuple(row)) for row in ledger.run(lambda s, t=table: list(s.execute(select(t))))]
    everything = caplog.text + "\n".join(dump)
    for secret in (clerk, reviewer, reviewer + "0"):
        assert secret not in everything
        assert secret[3:20] not in everything  # not even a part of it


def test_the_ledger_page(client: Client) -> None:
    page = client.get("/ledger")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>兑现台账</h1>" in page.text and "/api/ledger/me" in page.text


def test_the_ledger_page_in_the_web_app(ledger: Ledger, tmp_path: Path) -> None:
    web = pytest.importorskip("huiqi.web.app")
    settings = Settings(database_url=ledger.url, data_dir=tmp_path, upload_limit_bytes=1024 * 1024)
    client = Client(web.create_app(settings))
    page = client.get("/ledger")
    assert page.status_code == 200, page.text
    assert "兑现台账 · 惠企" in page.text and "<h1>兑现台账</h1>" in page.text
    assert client.get("/api/ledger/health").json()["revision"] == "0001"
    refused = client.post("/api/ledger/awards", json=award_body())
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthenticated"
