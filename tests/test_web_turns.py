"""Calculations take turns on the event loop: in batches, each granted in a later loop iteration than the
one that asked (so the loop polls its sockets in between), oldest request first; a cancelled request
neither blocks the others nor keeps its turn. The server stamps each request with when it can have
arrived at the earliest (``HuiqiHttpProtocol``); the protocol's fast lane takes its turns by callback."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn

from huiqi.web.protocol import HuiqiHttpProtocol, not_before
from huiqi.web.turns import Turns, turns


async def take(queue: Turns, name: str, since: float | None, log: list[str]) -> None:
    await queue.wait(since)
    try:
        log.append(name)
    finally:
        queue.done()


def test_a_batch_runs_oldest_first_in_a_later_iteration() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        queue, log = Turns(loop), []
        tasks = [
            asyncio.create_task(take(queue, name, since, log))
            for name, since in (("c", 3.0), ("a", 1.0), ("b", 2.0))
        ]
        await asyncio.sleep(0)  # every request has asked: none has run in this iteration
        log.append("poll")
        await asyncio.gather(*tasks)
        return log

    assert asyncio.run(main()) == ["poll", "a", "b", "c"]


def test_requests_that_arrive_during_a_batch_wait_for_the_next() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        queue, log = Turns(loop), []

        async def first() -> None:
            await queue.wait(1.0)
            try:
                log.append("first")
                late.append(asyncio.create_task(take(queue, "late but older", 0.0, log)))
                await asyncio.sleep(0)  # the late request asks while this turn is still going
            finally:
                queue.done()

        late: list[asyncio.Task[None]] = []
        await asyncio.gather(first(), take(queue, "second", 2.0, log))
        await asyncio.gather(*late)
        return log

    assert asyncio.run(main()) == ["first", "second", "late but older"]


def test_a_cancelled_request_gives_way() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        queue, log = Turns(loop), []
        doomed = asyncio.create_task(take(queue, "doomed", 0.0, log))
        kept = asyncio.create_task(take(queue, "kept", 1.0, log))
        await asyncio.sleep(0)
        doomed.cancel()
        await asyncio.gather(kept)
        with pytest.raises(asyncio.CancelledError):
            await doomed
        await take(queue, "after", None, log)  # the turn was not left held
        return log

    assert asyncio.run(main()) == ["kept", "after"]


def test_a_request_cancelled_after_its_turn_was_granted_hands_it_on() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        queue, log = Turns(loop), []
        granted = asyncio.create_task(take(queue, "granted", 0.0, log))
        await asyncio.sleep(0)  # asked
        await asyncio.sleep(0)  # granted: its wake-up is queued, it has not run
        granted.cancel()
        with pytest.raises(asyncio.CancelledError):
            await granted
        await take(queue, "next", None, log)
        return log

    assert asyncio.run(main()) == ["next"]


def test_callbacks_and_coroutines_share_one_order() -> None:
    async def main() -> list[str]:
        loop = asyncio.get_running_loop()
        queue, log = Turns(loop), []

        def callback(name: str) -> None:
            log.append(name)
            queue.done()

        task = asyncio.create_task(take(queue, "coroutine", 2.0, log))
        await asyncio.sleep(0)  # the coroutine has asked
        queue.take(3.0, lambda: callback("lane, newest"))
        queue.take(1.0, lambda: callback("lane, oldest"))
        log.append("poll")
        await task
        await asyncio.sleep(0)
        return log

    assert asyncio.run(main()) == ["poll", "lane, oldest", "coroutine", "lane, newest"]


def test_one_queue_per_event_loop() -> None:
    async def mine() -> Turns:
        return turns()

    first, second = asyncio.run(mine()), asyncio.run(mine())
    assert first is not second


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_request_is_stamped_with_when_its_connection_was_last_answered() -> None:
    seen: list[tuple[float | None, float]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        seen.append((not_before(scope), time.monotonic()))
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", http=HuiqiHttpProtocol)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started:
            assert time.monotonic() < deadline
            time.sleep(0.02)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:  # one kept-alive connection
            for _ in range(3):
                assert client.get("/").text == "ok"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    stamps = [stamp for stamp, _ in seen]
    handled = [at for _, at in seen]
    assert all(isinstance(stamp, float) for stamp in stamps)
    assert stamps[0] <= handled[0]  # type: ignore[operator]
    for i in (1, 2):  # not before the previous response on the connection
        assert handled[i - 1] <= stamps[i] <= handled[i]  # type: ignore[operator]


def test_no_stamp_without_the_protocol() -> None:
    assert not_before({"type": "http"}) is None
    assert not_before({"type": "http", "extensions": {"other": {}}}) is None
