"""The fast lane for POST /api/calc answers exactly as the FastAPI route would, and hands everything it does
not answer — errors, other routes, bodies in pieces or over the limit — to the full app, body intact."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from huiqi.web.fastlane import CalcFastLane
from huiqi.web.schemas import CalcRequest
from huiqi.web.services import calculate_request

pytestmark = pytest.mark.anyio
GOOD = {
    "profile": {
        "firm": {"name": "宁波测试机械有限公司", "region": "鄞州区", "manufacturing": True},
        "events": [{"type": "little_giant", "level": "国家级", "date": "2026-03-01"}],
    },
    "as_of": "2026-06-30",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Inner:
    """Stands for the full app: records what reached it, answers 299 with the body it read."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        self.bodies.append(body)
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": body})


async def call(
    app: Any,
    chunks: list[bytes],
    path: str = "/api/calc",
    method: str = "POST",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> tuple[int, bytes]:
    scope = {"type": "http", "method": method, "path": path, "headers": headers or []}
    pieces = _pieces(chunks)
    sent: list[Message] = []

    async def receive() -> Message:
        return await pieces.__anext__()

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


async def _pieces(chunks: list[bytes]) -> AsyncIterator[Message]:
    for i, c in enumerate(chunks):
        yield {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}


async def test_the_lane_answers_as_the_route_would() -> None:
    inner = Inner()
    body = json.dumps(GOOD, ensure_ascii=False).encode()
    status, answer = await call(CalcFastLane(inner, limit=1 << 20), [body])
    assert status == 200 and not inner.bodies
    assert answer.decode() == calculate_request(CalcRequest.model_validate(GOOD)).model_dump_json()


async def test_a_body_in_pieces_is_read_whole() -> None:
    inner = Inner()
    body = json.dumps(GOOD).encode()
    status, _ = await call(CalcFastLane(inner, limit=1 << 20), [body[:10], body[10:50], body[50:]])
    assert status == 200 and not inner.bodies


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        json.dumps({"profile": GOOD["profile"], "unknown": 1}).encode(),
        json.dumps({"profile": {"firm": {"name": "x", "region": "火星"}}}).encode(),
        json.dumps({**GOOD, "publication_dates": {"no-such-doc": "2026-01-01"}}).encode(),
    ],
    ids=["not-json", "unknown-field", "bad-profile", "unknown-document"],
)
async def test_what_it_cannot_answer_goes_to_the_full_app_intact(body: bytes) -> None:
    inner = Inner()
    status, echoed = await call(CalcFastLane(inner, limit=1 << 20), [body[:7], body[7:]])
    assert status == 299 and inner.bodies == [body] and echoed == body


async def test_a_body_over_the_limit_goes_to_the_full_app_unread_beyond_it() -> None:
    inner = Inner()
    body = json.dumps(GOOD).encode()
    status, echoed = await call(CalcFastLane(inner, limit=16), [body[:20], body[20:]])
    assert status == 299 and echoed == body


async def test_other_routes_and_methods_pass_through() -> None:
    inner = Inner()
    lane = CalcFastLane(inner, limit=1 << 20)
    assert (await call(lane, [b"x"], path="/api/shares"))[0] == 299
    assert (await call(lane, [b""], method="GET"))[0] == 299


@pytest.mark.parametrize(
    ("content_type", "answered"),
    [(b"application/json", True), (b"application/json; charset=utf-8", True), (b"text/plain", False)],
)
async def test_only_json_bodies_take_the_lane(content_type: bytes, answered: bool) -> None:
    inner = Inner()
    body = json.dumps(GOOD).encode()
    status, _ = await call(
        CalcFastLane(inner, limit=1 << 20), [body], headers=[(b"content-type", content_type)]
    )
    assert (status == 200) is answered and (inner.bodies == []) is answered
