"""Several worker processes, and the main process handing each new connection to the least busy.

The main process listens and accepts. It passes each accepted connection (its file descriptor, over a Unix
socket pair) to the worker with the fewest connections open, and the worker serves it with uvicorn until it
closes. Each worker says on its pair when it is ready (``+``) and when a connection has closed (``-``). A
worker that dies after it was ready is replaced (its connections are lost with it); one that dies before
(the app failed to start) or stops when asked (Ctrl+C reaches every process) is not, and when no worker is
left the main process stops.

Why not let the kernel do it: kept-alive connections stay with the process that took them, so how they
are spread is how the load is spread. With one socket shared by all processes (uvicorn's supervisor),
whichever process wakes first takes a burst: 50 clients split 38 / 12 over two. With a socket per process
(``SO_REUSEPORT``) the kernel hashes each connection to a process: 50 clients split anywhere from 25 / 25
to 31 / 19 from one run to the next. Either way the busier process sets the tail latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess

import uvicorn

from huiqi.web.protocol import WEBSOCKETS, HuiqiHttpProtocol

READY, CLOSED = b"+", b"-"
_ASKED_TO_STOP = (0, -signal.SIGTERM, -signal.SIGINT)  # exit codes of a worker that stopped when asked


@dataclass
class Worker:
    """The main process's view of one worker: its process, its end of the pair, its open connections."""

    process: BaseProcess
    channel: socket.socket
    ready: bool = False
    open: int = 0


# Starts a worker process on the given end of a fresh pair.
Start = Callable[[socket.socket], BaseProcess]


class Dispatcher:
    """The main process's loop: accept, hand over, count, replace. Runs until every worker has gone."""

    def __init__(self, listener: socket.socket, start: Start, count: int) -> None:
        self.listener = listener
        self._start = start
        self._selector = selectors.DefaultSelector()
        self._turn = 0  # ties go round the workers
        self.workers: list[Worker] = []
        for _ in range(count):
            self._spawn()

    def _spawn(self) -> None:
        ours, theirs = socket.socketpair()
        try:
            process = self._start(theirs)
        finally:
            theirs.close()
        worker = Worker(process, ours)
        self.workers.append(worker)
        self._selector.register(ours, selectors.EVENT_READ, worker)

    def stop(self) -> None:
        """Ask every worker to finish (uvicorn shuts down gracefully on SIGTERM) and wait for them."""
        for worker in self.workers:
            if worker.process.is_alive():
                worker.process.terminate()
        for worker in self.workers:
            worker.process.join(timeout=30)

    def run(self) -> None:
        self.listener.setblocking(False)
        listening = started = False
        while self.workers:
            # Connections wait in the backlog until every worker has started (kept-alive connections stay
            # where they are put: taken by the first worker up, they would all stay there), and afterwards
            # while no worker is ready (one that died is being replaced).
            ready = (all if not started else any)(w.ready for w in self.workers)
            if listening != ready:
                if listening:
                    self._selector.unregister(self.listener)
                else:
                    self._selector.register(self.listener, selectors.EVENT_READ, None)
                listening = ready
                started = started or ready
            for key, _ in self._selector.select():
                if key.data is None:
                    self._accept()
                else:
                    self._hear(key.data)

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. out of file descriptors: leave the rest in the backlog a moment
                time.sleep(0.05)
                return
            with conn:
                self._hand(conn)

    def _hand(self, conn: socket.socket) -> None:
        while True:
            ready = [w for w in self.workers if w.ready]
            if not ready:
                return  # nobody to take it: closed
            self._turn += 1
            n = len(ready)
            worker = min((ready[(self._turn + i) % n] for i in range(n)), key=lambda w: w.open)
            try:
                socket.send_fds(worker.channel, [b"c"], [conn.fileno()])
            except OSError:
                self._gone(worker)
                continue
            worker.open += 1
            return

    def _hear(self, worker: Worker) -> None:
        try:
            news = worker.channel.recv(4096)
        except OSError:
            news = b""
        if not news:
            self._gone(worker)
            return
        worker.ready = worker.ready or READY in news
        worker.open = max(0, worker.open - news.count(CLOSED))

    def _gone(self, worker: Worker) -> None:
        if worker not in self.workers:  # already gone (a stale event from the same select)
            return
        self.workers.remove(worker)
        self._selector.unregister(worker.channel)
        worker.channel.close()
        worker.process.join(timeout=30)
        if worker.ready and worker.process.exitcode not in _ASKED_TO_STOP:
            self._spawn()


def serve_handed(channel: socket.socket, app: str) -> None:
    """A worker process: uvicorn with no socket of its own, serving the connections handed to it."""
    config = uvicorn.Config(app, factory=True, log_level="warning", http=HuiqiHttpProtocol, ws=WEBSOCKETS)
    server = uvicorn.Server(config)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_serve(server, channel))


async def _serve(server: uvicorn.Server, channel: socket.socket) -> None:
    loop = asyncio.get_running_loop()
    adopting: set[asyncio.Task[None]] = set()
    serving = asyncio.ensure_future(server.serve(sockets=[]))
    while not server.started:  # the app is built and warmed in uvicorn's startup
        if serving.done():
            await serving
            return
        await asyncio.sleep(0.02)
    channel.setblocking(False)

    def closed() -> None:
        with contextlib.suppress(OSError):
            channel.send(CLOSED)

    def protocol() -> asyncio.Protocol:
        made = HuiqiHttpProtocol(
            config=server.config,
            server_state=server.server_state,
            app_state=server.lifespan.state,
            _loop=loop,
        )
        made.on_lost = closed
        return made

    async def adopt(conn: socket.socket) -> None:
        try:
            await loop.connect_accepted_socket(protocol, conn)
        except OSError:
            conn.close()
            closed()

    def hear() -> None:
        try:
            message, fds, _, _ = socket.recv_fds(channel, 64, 16)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            message, fds = b"", []
        for fd in fds:
            conn = socket.socket(fileno=fd)
            conn.setblocking(False)
            task = loop.create_task(adopt(conn))
            adopting.add(task)
            task.add_done_callback(adopting.discard)
        if not message:  # the main process has gone: finish what is open and stop
            loop.remove_reader(channel.fileno())
            server.should_exit = True

    loop.add_reader(channel.fileno(), hear)
    channel.send(READY)
    await serving
