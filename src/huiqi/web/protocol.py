"""uvicorn's httptools protocol, telling the app how long a request can have been waiting.

A request on a kept-alive connection cannot have arrived before the connection's previous response was
sent (a new connection: before it was accepted). Each request's scope carries that moment, in the event
loop's clock, as ``scope["extensions"]["huiqi.arrival"]["not_before"]``; ``turns`` computes the oldest
requests first with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

ARRIVAL = "huiqi.arrival"


class StampedHttpToolsProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that stamps each request's scope with ``not_before`` (and calls ``on_lost``,
    when set, once the connection has closed)."""

    _not_before = 0.0
    on_lost: Callable[[], None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._not_before = self.loop.time()
        super().connection_made(transport)  # type: ignore[arg-type]

    def on_message_begin(self) -> None:
        super().on_message_begin()
        scope: Any = self.scope
        scope.setdefault("extensions", {})[ARRIVAL] = {"not_before": self._not_before}

    def connection_lost(self, exc: Exception | None) -> None:
        super().connection_lost(exc)
        if self.on_lost is not None:
            self.on_lost()

    def on_response_complete(self) -> None:
        self._not_before = self.loop.time()
        super().on_response_complete()


def not_before(scope: Any) -> float | None:
    """The stamp, when the server gave one."""
    stamp = (scope.get("extensions") or {}).get(ARRIVAL)
    return stamp.get("not_before") if isinstance(stamp, dict) else None
