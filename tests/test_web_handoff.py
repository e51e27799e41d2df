"""The main process's dispatcher, with stand-in workers (no uvicorn, no processes): nothing is accepted
before every worker is ready; each connection goes to the worker with the fewest open; closes are counted;
a worker that dies after it was ready is replaced, one that stopped when asked is not, and the dispatcher
returns when no worker is left."""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from huiqi.web.handoff import CLOSED, READY, Dispatcher


class Stand:
    """A stand-in worker process holding its end of the pair."""

    def __init__(self, channel: socket.socket) -> None:
        self.channel = channel.dup()
        self.exitcode: int | None = None
        self.fds: list[int] = []

    def is_alive(self) -> bool:
        return self.exitcode is None

    def terminate(self) -> None:
        self.die(-15)

    def join(self, timeout: float | None = None) -> None:
        pass

    def die(self, code: int) -> None:
        if self.exitcode is None:
            self.exitcode = code
            self.channel.close()
        for fd in self.fds:
            os.close(fd)
        self.fds = []

    def take(self, expected: int, wait: float = 5.0) -> list[int]:
        """Receive handed-over connections until ``expected`` have come (or ``wait`` has passed)."""
        deadline = time.monotonic() + wait
        while len(self.fds) < expected and time.monotonic() < deadline:
            if select.select([self.channel], [], [], 0.05)[0]:
                _, fds, _, _ = socket.recv_fds(self.channel, 64, 16)
                self.fds.extend(fds)
        return self.fds


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock
    sock.close()


def start_dispatcher(listener: socket.socket, count: int) -> tuple[Dispatcher, list[Stand], threading.Thread]:
    stands: list[Stand] = []

    def start(channel: socket.socket) -> Stand:
        stand = Stand(channel)
        stands.append(stand)
        return stand

    dispatcher = Dispatcher(listener, start, count)  # type: ignore[arg-type]
    thread = threading.Thread(target=dispatcher.run, daemon=True)
    thread.start()
    return dispatcher, stands, thread


def connect(listener: socket.socket, n: int) -> list[socket.socket]:
    return [socket.create_connection(listener.getsockname()) for _ in range(n)]


def test_connections_wait_for_every_worker_then_go_to_the_least_busy(listener: socket.socket) -> None:
    dispatcher, (a, b), thread = start_dispatcher(listener, 2)
    clients = connect(listener, 2)
    a.channel.send(READY)
    assert a.take(1, wait=0.5) == []  # b is not ready: nothing accepted yet
    b.channel.send(READY)
    clients += connect(listener, 8)
    assert len(a.take(5)) == 5 and len(b.take(5)) == 5
    a.channel.send(CLOSED * 3)  # three of a's connections close: the next three go to a
    time.sleep(0.2)
    clients += connect(listener, 3)
    assert len(a.take(8)) == 8 and len(b.take(5, wait=0.3)) == 5
    for stand in (a, b):
        stand.die(0)  # stopped when asked: not replaced
    thread.join(timeout=5)
    assert not thread.is_alive() and dispatcher.workers == []
    for c in clients:
        c.close()


def test_a_worker_that_dies_after_it_was_ready_is_replaced(listener: socket.socket) -> None:
    _, stands, thread = start_dispatcher(listener, 2)
    a, b = stands
    a.channel.send(READY)
    b.channel.send(READY)
    time.sleep(0.1)
    a.die(-9)  # killed
    deadline = time.monotonic() + 5
    while len(stands) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(stands) == 3  # a replacement was started
    c = stands[2]
    c.channel.send(READY)
    time.sleep(0.1)
    clients = connect(listener, 4)
    assert len(b.take(2)) == 2 and len(c.take(2)) == 2
    b.die(0)
    c.die(0)
    thread.join(timeout=5)
    assert not thread.is_alive()
    for client in clients:
        client.close()


def test_a_worker_that_fails_to_start_is_not_replaced(listener: socket.socket) -> None:
    dispatcher, stands, thread = start_dispatcher(listener, 2)
    a, b = stands
    a.die(1)  # never said it was ready
    b.channel.send(READY)  # the only worker left is ready: connections are accepted
    clients = connect(listener, 2)
    assert len(b.take(2)) == 2
    assert len(stands) == 2
    b.die(0)
    thread.join(timeout=5)
    assert not thread.is_alive() and dispatcher.workers == []
    for client in clients:
        client.close()
