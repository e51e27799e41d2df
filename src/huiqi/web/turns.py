"""Calculations on the event loop take turns in batches, the longest-waiting request first.

A calculation is CPU-bound Python that runs on the event loop (see ``services``). Each time the loop polls
its sockets it reads every request that has arrived and then computes them back to back, in the order the
poll happened to report the sockets, which is much the same every time. The connection answered last in a
batch sends its next request just after the loop has polled again; that request is read one batch later and
then computed in its usual place, last: it waits two batches where the others wait one. Measured with 50
kept-alive clients over two processes, a few connections settled into that slot and p99 was twice p50.

Here the requests read by one poll form a batch, and the batch is computed in the order the requests can
have arrived: a request cannot be older than the moment its connection was last answered (``since``, given by
``protocol.HuiqiHttpProtocol``; without it, when the calculation asked for its turn). The request that
missed a poll was answered before every other request of its batch, so it goes first, and every request
waits about one batch.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import weakref
from collections.abc import Callable


class Turns:
    """Batches of turns for CPU-bound work on one event loop. A batch is every request waiting when the
    previous batch has finished; it is granted in one later loop iteration (so the loop polls first) and
    runs oldest first. A turn is awaited (``wait``, for a coroutine) or given to a callback (``take``, for
    the protocol's fast lane, which has no task of its own)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: list[tuple[float, int, asyncio.Future[None] | Callable[[], None]]] = []
        self._running = 0  # turns granted and not yet done
        self._due = False  # a grant is scheduled
        self._order = itertools.count()

    async def wait(self, since: float | None = None) -> None:
        """Wait for a turn (``since``: the request arrived after this ``time.monotonic()``); call ``done``
        when it is over."""
        turn: asyncio.Future[None] = self._loop.create_future()
        arrived = time.monotonic() if since is None else since
        self._waiting.append((arrived, next(self._order), turn))
        self._schedule()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # granted, then cancelled before it ran
                self.done()
            raise

    def take(self, since: float, callback: Callable[[], None]) -> None:
        """Call ``callback`` in its turn (``since``: as for ``wait``); it must call ``done`` when it is over,
        whatever happens (it runs from the event loop, as a ``call_soon`` callback)."""
        self._waiting.append((since, next(self._order), callback))
        self._schedule()

    def done(self) -> None:
        self._running -= 1
        self._schedule()

    def _schedule(self) -> None:
        if not self._running and not self._due and self._waiting:
            self._due = True
            self._loop.call_soon(self._grant)

    def _grant(self) -> None:
        self._due = False
        batch, self._waiting = sorted(self._waiting), []
        for _arrived, _order, turn in batch:
            if isinstance(turn, asyncio.Future):
                if turn.done():  # a cancelled request has left
                    continue
                turn.set_result(None)  # its task runs in the next iteration, in this order
            else:
                self._loop.call_soon(turn)  # … and so does a callback
            self._running += 1
        self._schedule()  # nobody was left in the batch: the next one


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Turns] = weakref.WeakKeyDictionary()


def turns(loop: asyncio.AbstractEventLoop | None = None) -> Turns:
    """The turns of ``loop``, by default the running one (one per loop: tests run several)."""
    loop = loop or asyncio.get_running_loop()
    found = _TURNS.get(loop)
    if found is None:
        found = _TURNS[loop] = Turns(loop)
    return found
