"""Calculations on the event loop take turns in batches, the longest-waiting request first.

A calculation is CPU-bound Python that runs on the event loop (see ``services``). Each time the loop polls
its sockets it reads every request that has arrived and then computes them back to back, in the order the
poll happened to report the sockets, which is much the same every time. The connection answered last in a
batch sends its next request just after the loop has polled again; that request is read one batch later and
then computed in its usual place, last: it waits two batches where the others wait one. Measured with 50
kept-alive clients over two processes, a few connections settled into that slot and p99 was twice p50.

Here the requests read by one poll form a batch, and the batch is computed in the order the requests can
have arrived: a request cannot be older than the moment its connection was last answered (``since``, given by
``protocol.StampedHttpToolsProtocol``; without it, when the calculation asked for its turn). The request that
missed a poll was answered before every other request of its batch, so it goes first, and every request
waits about one batch.
"""

from __future__ import annotations

import asyncio
import itertools
import weakref


class Turns:
    """Batches of turns for CPU-bound work on one event loop. A batch is every request waiting when the
    previous batch has finished; it is granted in one later loop iteration (so the loop polls first) and
    runs oldest first."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._running = 0  # turns granted and not yet done
        self._due = False  # a grant is scheduled
        self._order = itertools.count()

    async def wait(self, since: float | None = None) -> None:
        """Wait for a turn (``since``: the request arrived after this ``loop.time()``); call ``done``
        when it is over."""
        turn: asyncio.Future[None] = self._loop.create_future()
        arrived = self._loop.time() if since is None else since
        self._waiting.append((arrived, next(self._order), turn))
        self._schedule()
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # granted, then cancelled before it ran
                self.done()
            raise

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
            if not turn.done():  # a cancelled request has left
                turn.set_result(None)
                self._running += 1
        self._schedule()  # nobody was left in the batch: the next one


_TURNS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Turns] = weakref.WeakKeyDictionary()


def turns() -> Turns:
    """The turns of the running event loop (one per loop: tests run several)."""
    loop = asyncio.get_running_loop()
    found = _TURNS.get(loop)
    if found is None:
        found = _TURNS[loop] = Turns(loop)
    return found
