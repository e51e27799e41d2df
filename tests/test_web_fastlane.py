"""The fast lane for POST /api/calc, run by the HTTP protocol itself: it answers exactly as the FastAPI route
would, and hands everything it does not answer — errors, large profiles, other routes, bodies it should not
wait for — to the full app, body intact. Driven through ``HuiqiHttpProtocol`` with an in-memory transport."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.server import ServerState

from huiqi.settings import Settings
from huiqi.web import create_app, fastlane
from huiqi.web.protocol import HuiqiHttpProtocol
from huiqi.web.schemas import CalcRequest
from huiqi.web.services import calculate_request

GOOD = {
    "profile": {
        "firm": {"name": "宁波测试机械有限公司", "region": "鄞州区", "manufacturing": True},
        "events": [{"type": "little_giant", "level": "国家级", "date": "2026-03-01"}],
    },
    "as_of": "2026-06-30",
}
BODY = json.dumps(GOOD, ensure_ascii=False).encode()


class Transport:
    """What the protocol writes, and whether it closed the connection."""

    def __init__(self) -> None:
        self.out = bytearray()
        self.closed = False

    def write(self, data: bytes) -> None:
        self.out += data

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(name, default)

    def is_closing(self) -> bool:
        return self.closed

    def close(self) -> None:
        self.closed = True

    def pause_reading(self) -> None: ...

    def resume_reading(self) -> None: ...

    def set_write_buffer_limits(self, *args: Any) -> None: ...


class Inner:
    """Stands for the full app: records the bodies that reached it, answers 299 with the body it read."""

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
        await send(
            {
                "type": "http.response.start",
                "status": 299,
                "headers": [(b"content-length", b"%d" % len(body))],
            }
        )
        await send({"type": "http.response.body", "body": body})


def connect(app: Any) -> tuple[HuiqiHttpProtocol, Transport]:
    config = Config(app, log_level="warning", http=HuiqiHttpProtocol, lifespan="off")
    config.load()
    state = ServerState()
    state.default_headers = [(b"server", b"uvicorn")]
    protocol = HuiqiHttpProtocol(config, state, {}, asyncio.get_running_loop())
    transport = Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    return protocol, transport


def request(body: bytes = BODY, path: str = "/api/calc", method: str = "POST", **headers: str) -> bytes:
    fields = {"host": "t", "content-type": "application/json", "content-length": str(len(body))}
    fields.update({k.replace("_", "-"): v for k, v in headers.items()})  # "" leaves a header out
    head = "".join(f"{k}: {v}\r\n" for k, v in fields.items() if v)
    return f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + body


async def until(done: Callable[[], bool]) -> None:
    for _ in range(2000):
        if done():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("no answer")


def responses(written: bytearray) -> list[tuple[bytes, bytes]]:
    """(head, body) of each complete response written."""
    out, found = bytes(written), []
    while b"\r\n\r\n" in out:
        head, rest = out.split(b"\r\n\r\n", 1)
        if head.startswith(b"HTTP/1.1 100 "):  # an interim ``100 Continue``
            out = rest
            continue
        length = int(next(v for k, v in _fields(head) if k == b"content-length"))
        if len(rest) < length:
            break
        found.append((head, rest[:length]))
        out = rest[length:]
    return found


def _fields(head: bytes) -> list[tuple[bytes, bytes]]:
    pairs = [line.split(b": ", 1) for line in head.split(b"\r\n")[1:]]
    return [(k, v) for k, v in pairs]


def run(test: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(test())


def test_the_lane_answers_with_the_routes_bytes(tmp_path: Path) -> None:
    async def main() -> None:
        db = f"sqlite:///{tmp_path / 'h.sqlite3'}"
        app = create_app(Settings(database_url=db, data_dir=tmp_path, upload_limit_bytes=1 << 20))
        protocol, transport = connect(app)
        protocol.data_received(request())
        await until(lambda: len(responses(transport.out)) == 1)
        ((head, laned),) = responses(transport.out)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        assert dict(_fields(head))[b"content-type"] == b"application/json"
        expected = calculate_request(CalcRequest.model_validate(GOOD)).model_dump_json().encode()
        assert laned == expected
        # the same request the full way (a chunked body is not the lane's): the route gives the same bytes
        other, out = connect(app)
        chunked = request(
            b"%x\r\n%s\r\n0\r\n\r\n" % (len(BODY), BODY), content_length="", transfer_encoding="chunked"
        )
        other.data_received(chunked)
        await until(lambda: len(responses(out.out)) == 1)
        assert responses(out.out)[0][1] == laned

    run(main)


def test_a_body_in_pieces_is_read_whole_and_answered_by_the_lane() -> None:
    async def main() -> None:
        inner = Inner()
        protocol, transport = connect(inner)
        raw = request()
        for piece in (raw[:30], raw[30:120], raw[120:200], raw[200:]):
            protocol.data_received(piece)
            await asyncio.sleep(0)
        await until(lambda: len(responses(transport.out)) == 1)
        assert responses(transport.out)[0][0].startswith(b"HTTP/1.1 200") and not inner.bodies

    run(main)


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        json.dumps({"profile": GOOD["profile"], "unknown": 1}).encode(),
        json.dumps({"profile": {"firm": {"name": "x", "region": "火星"}}}).encode(),
        json.dumps({**GOOD, "publication_dates": {"no-such-doc": "2026-01-01"}}).encode(),
        json.dumps({"profile": {**GOOD["profile"], "events": [GOOD["profile"]["events"][0]] * 41}}).encode(),  # type: ignore[index]
    ],
    ids=["not-json", "unknown-field", "bad-profile", "unknown-document", "large-profile"],
)
def test_what_it_does_not_answer_goes_to_the_full_app_intact(body: bytes) -> None:
    async def main() -> None:
        inner = Inner()
        protocol, transport = connect(inner)
        raw = request(body)
        protocol.data_received(raw[:90])
        protocol.data_received(raw[90:])
        await until(lambda: len(responses(transport.out)) == 1)
        assert inner.bodies == [body] and responses(transport.out)[0][1] == body

    run(main)


@pytest.mark.parametrize(
    "raw",
    [
        request(path="/api/shares"),
        request(b"", method="GET", content_length=""),
        request(content_type="text/plain"),
        request(b"x" * (fastlane.MAX_BODY + 1)),
        request(expect="100-continue"),
    ],
    ids=["other-route", "get", "not-json", "over-the-lanes-size", "expect-100-continue"],
)
def test_requests_the_lane_does_not_take_go_to_the_full_app(raw: bytes) -> None:
    async def main() -> None:
        inner = Inner()
        protocol, transport = connect(inner)
        protocol.data_received(raw)
        await until(lambda: b"HTTP/1.1 299" in transport.out and len(responses(transport.out)) == 1)
        assert len(inner.bodies) == 1

    run(main)


def test_pipelined_requests_are_answered_in_order() -> None:
    async def main() -> None:
        inner = Inner()
        protocol, transport = connect(inner)
        protocol.data_received(request() + request(b"{bad") + request())
        await until(lambda: len(responses(transport.out)) == 3)
        statuses = [head.split(b" ")[1] for head, _ in responses(transport.out)]
        assert statuses == [b"200", b"299", b"200"] and inner.bodies == [b"{bad"]

    run(main)


def test_connection_close_is_honoured() -> None:
    async def main() -> None:
        protocol, transport = connect(Inner())
        protocol.data_received(request(connection="close"))
        await until(lambda: len(responses(transport.out)) == 1)
        assert b"connection: close" in responses(transport.out)[0][0] and transport.closed

    run(main)


def test_a_client_gone_before_its_turn_is_not_answered_and_holds_no_one_up() -> None:
    async def main() -> None:
        gone, gone_out = connect(Inner())
        staying, staying_out = connect(Inner())
        gone.data_received(request())
        staying.data_received(request())
        gone.connection_lost(None)  # before the turns are granted
        await until(lambda: len(responses(staying_out.out)) == 1)
        await asyncio.sleep(0.01)
        assert gone_out.out == b""

    run(main)


@pytest.mark.parametrize(
    ("headers", "taken"),
    [
        ([(b"content-type", b"application/json"), (b"content-length", b"10")], True),
        ([(b"content-type", b"application/json; charset=utf-8"), (b"content-length", b"10")], True),
        ([(b"content-type", b"application/vnd.api+json"), (b"content-length", b"10")], True),
        ([(b"content-length", b"10")], True),  # no content type: FastAPI decodes JSON
        ([(b"content-type", b"text/plain"), (b"content-length", b"10")], False),
        ([(b"content-type", b"application/json")], False),  # no length declared
        ([(b"content-length", b"ten")], False),
    ],
)
def test_which_requests_the_lane_takes(headers: list[tuple[bytes, bytes]], taken: bool) -> None:
    assert fastlane.takes("POST", "/api/calc", headers) is taken


def test_the_lane_logs_access_as_uvicorn_does_when_asked() -> None:
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    async def main() -> None:
        protocol, transport = connect(Inner())
        access = logging.getLogger("uvicorn.access")
        handler, level = Keep(), access.level
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        try:
            protocol.access_log = True
            protocol.data_received(request())
            await until(lambda: len(responses(transport.out)) == 1)
        finally:
            access.removeHandler(handler)
            access.setLevel(level)

    run(main)
    assert seen == ['127.0.0.1:50000 - "POST /api/calc HTTP/1.1" 200']
