"""uvicorn's httptools protocol, with the fast lane for ``POST /api/calc`` and arrival stamps.

*The lane.* uvicorn reads a request's head, makes its request–response cycle and starts an ASGI task for
it; the body arrives into the cycle as it is read. For a request the lane takes (``fastlane.takes``) the
task is not started: once the body is complete, the calculation takes its turn (``turns``) and its answer
is written straight to the transport — the same status line, headers and body uvicorn would write for the
route's ``Response``. When the lane does not answer (``fastlane.answer`` gives ``None``), the held task
is started then, and the full app reads the body from the cycle as if nothing had happened.

*The stamps.* A request on a kept-alive connection cannot have arrived before the connection's previous
response was sent (a new connection: before it was accepted). The lane takes its turn with that moment;
for the full app each request's scope carries it, in ``time.monotonic()`` seconds (not uvloop's
``loop.time()``, which counts whole milliseconds: a batch's responses would tie), as
``scope["extensions"]["huiqi.arrival"]["not_before"]``, and ``turns`` computes the oldest requests first
with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import (
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

from huiqi.web import fastlane
from huiqi.web.turns import turns

ARRIVAL = "huiqi.arrival"
# uvicorn's ``ws`` setting. The app has no websocket routes, so an upgrade request is answered as plain HTTP
# (404) on the same connection: upgraded, the connection would leave this protocol, and ``on_lost`` (the
# worker's count of open connections in ``handoff``) would never be called for it.
WEBSOCKETS = "none"
_JSON = b"content-type: application/json\r\n"


class HuiqiHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that answers the fast lane itself, stamps each request's scope with
    ``not_before``, and calls ``on_lost``, when set, once the connection has closed."""

    _not_before = 0.0
    _held: tuple[RequestResponseCycle, Any] | None = None  # a lane request whose body is still arriving
    on_lost: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._not_before = time.monotonic()
        super().connection_made(transport)  # type: ignore[arg-type]

    def on_message_begin(self) -> None:
        super().on_message_begin()
        scope: Any = self.scope
        scope.setdefault("extensions", {})[ARRIVAL] = {"not_before": self._not_before}

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        self._held = None
        if self.on_lost is not None:
            self.on_lost()

    def _unsupported_upgrade_warning(self) -> None:
        """uvicorn warns twice per upgrade request, the second time that a WebSocket library is missing: not
        so here (``WEBSOCKETS``), so one line, for whoever reads the log at debug level."""
        self.logger.debug("升级请求（Upgrade）不受支持：本服务没有 WebSocket，按普通 HTTP 应答")

    def on_response_complete(self) -> None:
        self._not_before = time.monotonic()
        super().on_response_complete()

    # The lane

    def _start_asgi_task(self, cycle: RequestResponseCycle, app: Any) -> None:
        """uvicorn starts a request here (at its head, or when a pipelined one's turn comes)."""
        scope: Any = cycle.scope
        if (
            app is not self.app
            or cycle.waiting_for_100_continue
            or not fastlane.takes(scope["method"], scope["path"], scope["headers"])
        ):
            super()._start_asgi_task(cycle, app)
        elif cycle.more_body:
            self._held = (cycle, app)  # ``on_message_complete`` goes on
        else:
            self._take_turn(cycle, app)

    def on_message_complete(self) -> None:
        super().on_message_complete()
        held = self._held
        if held is not None and held[0] is self.cycle and not held[0].more_body:
            self._held = None
            self._take_turn(*held)

    def _take_turn(self, cycle: RequestResponseCycle, app: Any) -> None:
        queue = turns(self.loop)
        since = self._not_before

        def turn() -> None:
            try:
                answer = None if cycle.disconnected else fastlane.answer(bytes(cycle.body))
            finally:
                queue.done()
            if answer is not None:
                self._respond(cycle, answer)
            elif not cycle.disconnected:
                super(HuiqiHttpProtocol, self)._start_asgi_task(cycle, app)  # the full app answers

        queue.take(since, turn)

    def _respond(self, cycle: RequestResponseCycle, body: bytes) -> None:
        """Write a 200 JSON response as ``RequestResponseCycle.send`` would, and complete the cycle."""
        scope: Any = cycle.scope
        cycle.response_started = cycle.response_complete = True
        if cycle.access_log and cycle.access_logger.isEnabledFor(logging.INFO):  # (its arguments cost)
            cycle.access_logger.info(
                '%s - "%s %s HTTP/%s" %d',
                get_client_addr(scope),
                scope["method"],
                get_path_with_query_string(scope),
                scope["http_version"],
                200,
            )
        head = [STATUS_LINE[200]]
        head += [b"%s: %s\r\n" % pair for pair in cycle.default_headers]
        head += [_JSON, b"content-length: %d\r\n" % len(body)]
        if not cycle.keep_alive:
            head.append(b"connection: close\r\n")
        head += (b"\r\n", body)
        self.transport.write(b"".join(head))  # one segment: the client wakes once
        cycle.message_event.set()
        if not cycle.keep_alive:
            self.transport.close()
        cycle.on_response()


def not_before(scope: Any) -> float | None:
    """The stamp, when the server gave one."""
    stamp = (scope.get("extensions") or {}).get(ARRIVAL)
    return stamp.get("not_before") if isinstance(stamp, dict) else None
