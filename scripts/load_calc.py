#!/usr/bin/env python3
"""Load test (not a test): POST /api/calc from many concurrent clients on loopback; prints p50/p99 latency
and throughput for docs/benchmarks.md. Bounded: stops after --requests or --seconds, whichever comes first.

    .venv/bin/python scripts/load_calc.py                      # starts `huiqi serve` on a free port
    .venv/bin/python scripts/load_calc.py --clients 50 --requests 3000 --workers 2
    .venv/bin/python scripts/load_calc.py --url http://127.0.0.1:8000   # an app already running
    .venv/bin/python scripts/load_calc.py --workers 2 --rate 1500       # open loop: 1,500 requests/s

Closed loop (the default): each client sends its next request as soon as the last is answered, so there are
always --clients requests in flight and latency is clients / throughput. Open loop (--rate): requests are
due at random (Poisson) times at that average rate, sent on the first free connection, and each latency is
counted from when the client dispatched it (a request waiting for a free connection is late, not excused).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import queue
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from huiqi.corpus import get_corpus
from huiqi.vocab import read_profile_file


def bodies() -> list[dict[str, object]]:
    """Every bundled example firm, drafts included (the most work per request)."""
    return [{"profile": read_profile_file(p), "include_drafts": True} for p in get_corpus().example_files()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(workers: int, data_dir: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    huiqi = Path(sys.executable).parent / "huiqi"
    cmd = [str(huiqi), "serve", "--port", str(port), "--workers", str(workers)]
    env = {**os.environ, "HUIQI_DATA_DIR": data_dir}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(url + "/api/documents", timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise SystemExit("the server did not start within 60 s")


def encoded(url: str, payloads: list[dict[str, object]]) -> list[bytes]:
    """Each body as the complete HTTP/1.1 request, encoded once: the client should cost next to nothing
    (it shares the two cores with the server; httpx took about a millisecond of CPU per request)."""
    host = url.split("://", 1)[1]
    out = []
    for body in payloads:
        data = json.dumps(body, ensure_ascii=False, default=str).encode()
        head = (
            f"POST /api/calc HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode()
        out.append(head + data)
    return out


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes) -> int:
    """Send one request on a kept-alive connection; read the whole response; return its status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status, length = status_and_length(head)
    await reader.readexactly(length)
    return status


def status_and_length(head: bytes) -> tuple[int, int]:
    """A response head's status and ``Content-Length`` (0 when it gives none)."""
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return int(head[9:12]), length


class Tally:
    """Latencies and status counts of the requests sent."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}

    async def send(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, since: float
    ) -> None:
        """One request, timed from ``since`` (status 0: the connection failed)."""
        t0 = since
        try:
            status = await exchange(reader, writer, request)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            status = 0
        self.add(time.perf_counter() - t0, status)

    def add(self, seconds: float, status: int) -> None:
        self.latencies.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


class Connection(asyncio.Protocol):
    """One kept-alive client connection of the closed loop: as soon as a response is complete, the next
    request goes out. Responses are read by ``Content-Length`` straight from the protocol callbacks, with no
    stream objects or coroutine switches: the client is cheap, so the two cores go to the server."""

    def __init__(self, loop: ClosedLoop) -> None:
        self.run = loop
        self.buffer = bytearray()
        self.need = -1  # the whole response's length once its head is in
        self.status = 0
        self.sent = 0.0
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's is not an asyncio.Transport
        self.run.next(self)

    def send(self, request: bytes) -> None:
        assert self.transport is not None
        self.sent = time.perf_counter()
        self.transport.write(request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if self.need < 0:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            self.status, length = status_and_length(bytes(self.buffer[:end]))
            self.need = end + 4 + length
        if len(self.buffer) >= self.need:
            self.run.tally.add(time.perf_counter() - self.sent, self.status)
            del self.buffer[: self.need]
            self.need = -1
            self.run.next(self)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.sent:  # a request was in flight
            self.run.tally.add(time.perf_counter() - self.sent, 0)
        self.run.lost(self)


class ClosedLoop:
    """``clients`` connections, each sending its next request when the last is answered, until ``total``
    requests have been sent or ``seconds`` have passed."""

    def __init__(self, requests: list[bytes], total: int, seconds: float) -> None:
        self.requests, self.total, self.seconds = requests, total, seconds
        self.issued = 0
        self.stop_at = 0.0
        self.tally = Tally()
        self.open: set[Connection] = set()
        self.finished: asyncio.Future[None] | None = None

    def next(self, conn: Connection) -> None:
        if self.finished is None:  # connected, waiting for the start
            self.open.add(conn)
            return
        if self.issued < self.total and time.perf_counter() < self.stop_at:
            conn.send(self.requests[self.issued % len(self.requests)])
            self.issued += 1
        else:
            conn.sent = 0.0
            assert conn.transport is not None
            conn.transport.close()

    def lost(self, conn: Connection) -> None:
        self.open.discard(conn)
        if not self.open and self.finished is not None and not self.finished.done():
            self.finished.set_result(None)

    async def go(self) -> float:
        loop = asyncio.get_running_loop()
        self.finished = loop.create_future()
        start = time.perf_counter()
        self.stop_at = start + self.seconds
        for conn in list(self.open):
            self.next(conn)
        await self.finished
        return time.perf_counter() - start


async def warm_up(url: str, requests: list[bytes]) -> None:
    """Every body once, on its own connection (caches, first imports), before the clock starts."""
    host, port = url.split("://", 1)[1].split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    for request in requests:
        if await exchange(reader, writer, request) != 200:
            raise SystemExit("warm-up request failed")
    writer.close()


async def drive(
    url: str, clients: int, total: int, seconds: float
) -> tuple[list[float], dict[int, int], float]:
    requests = encoded(url, bodies())
    await warm_up(url, requests)
    return await closed_loop(url, requests, clients, total, seconds)


async def closed_loop(
    url: str, requests: list[bytes], clients: int, total: int, seconds: float, start: Any = None
) -> tuple[list[float], dict[int, int], float]:
    host, port = url.split("://", 1)[1].split(":")
    loop = asyncio.get_running_loop()
    run = ClosedLoop(requests, total, seconds)
    for _ in range(clients):
        await loop.create_connection(lambda: Connection(run), host, int(port))
    if start is not None:  # several client processes start together
        await loop.run_in_executor(None, start.wait)
    elapsed = await run.go()
    return run.tally.latencies, run.tally.statuses, elapsed


def client_process(
    url: str, requests: list[bytes], clients: int, total: int, seconds: float, start: Any, out: Any
) -> None:
    out.put(new_loop_run(closed_loop(url, requests, clients, total, seconds, start)))


def drive_processes(
    url: str, clients: int, total: int, seconds: float, processes: int
) -> tuple[list[float], dict[int, int], float]:
    """The closed loop from several client processes (so that the client's own CPU is spread over the
    cores as the server's is), started together; their results merged."""
    requests = encoded(url, bodies())
    new_loop_run(warm_up(url, requests))
    fork = multiprocessing.get_context("fork")
    start, out = fork.Barrier(processes), fork.Queue()
    shares = [clients // processes + (i < clients % processes) for i in range(processes)]
    workers = [
        fork.Process(
            target=client_process,
            args=(url, requests, share, total * share // clients, seconds, start, out),
        )
        for share in shares
    ]
    for w in workers:
        w.start()
    results: list[tuple[list[float], dict[int, int], float]] = []
    deadline = time.monotonic() + seconds + 120
    while len(results) < len(workers):
        try:
            results.append(out.get(timeout=1))
        except queue.Empty:
            failed = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if failed or time.monotonic() > deadline:
                for w in workers:
                    w.kill()
                raise SystemExit(f"a client process failed (exit codes {failed}) or did not finish") from None
    for w in workers:
        w.join()
    latencies = [v for r in results for v in r[0]]
    statuses: dict[int, int] = {}
    for r in results:
        for k, v in r[1].items():
            statuses[k] = statuses.get(k, 0) + v
    return latencies, statuses, max(r[2] for r in results)


def new_loop_run(coro: Any) -> Any:
    """Run on uvloop when it is there (it is, with uvicorn[standard]): the client should cost little."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover
        return asyncio.run(coro)
    return uvloop.run(coro)


async def drive_open(
    url: str, clients: int, total: int, seconds: float, rate: float
) -> tuple[list[float], dict[int, int], float]:
    """Open loop: requests due at Poisson times at ``rate`` per second, each sent on the first free
    connection; latency counted from dispatch (a wait for a free connection counts: the server is behind;
    the client's own timer being late by a fraction of a millisecond does not)."""
    requests = encoded(url, bodies())
    host, port = url.split("://", 1)[1].split(":")
    tally = Tally()
    free: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(clients):
        free.put_nowait(await asyncio.open_connection(host, int(port)))
    conn = await free.get()
    for request in requests:  # warm-up
        if await exchange(*conn, request) != 200:
            raise SystemExit("warm-up request failed")
    free.put_nowait(conn)
    rng = random.Random(20261121)
    loop = asyncio.get_running_loop()
    start = loop.time()
    due = start
    pending: set[asyncio.Task[None]] = set()

    async def one(request: bytes) -> None:
        dispatched = time.perf_counter()
        reader, writer = await free.get()
        await tally.send(reader, writer, request, dispatched)
        free.put_nowait((reader, writer))

    for i in range(total):
        due += rng.expovariate(rate)
        if due - start > seconds:
            break
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(one(requests[i % len(requests)]))
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    elapsed = loop.time() - start
    while not free.empty():
        free.get_nowait()[1].close()
    return tally.latencies, tally.statuses, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--requests", type=int, default=2000, help="stop after this many requests")
    parser.add_argument("--seconds", type=float, default=60.0, help="… or after this many seconds")
    parser.add_argument("--workers", type=int, default=1, help="server processes when starting one")
    parser.add_argument("--url", help="use an app already running here instead of starting one")
    parser.add_argument("--rate", type=float, help="open loop: requests per second (default: closed loop)")
    parser.add_argument(
        "--client-processes",
        type=int,
        default=2,
        help="closed loop: client processes sharing the clients (default 2, as many as server processes "
        "on two cores: the client's CPU is then spread as the server's is)",
    )
    args = parser.parse_args()
    proc = None
    with tempfile.TemporaryDirectory(prefix="huiqi-load-") as data_dir:
        if args.url:
            url = args.url.rstrip("/")
        else:
            proc, url = start_server(args.workers, data_dir)
        try:
            if args.rate:
                run = drive_open(url, args.clients, args.requests, args.seconds, args.rate)
                latencies, statuses, elapsed = asyncio.run(run)
            elif args.client_processes > 1:
                latencies, statuses, elapsed = drive_processes(
                    url, args.clients, args.requests, args.seconds, args.client_processes
                )
            else:
                latencies, statuses, elapsed = new_loop_run(
                    drive(url, args.clients, args.requests, args.seconds)
                )
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(timeout=30)
    ms = [v * 1000 for v in latencies]
    ok = statuses.get(200, 0)
    print(
        f"# POST /api/calc load — {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs, server workers={args.workers if not args.url else '?'}"
    )
    print(
        f"clients            {args.clients}"
        + (
            f", open loop at {args.rate:g}/s"
            if args.rate
            else f", closed loop, {args.client_processes} client process(es)"
        )
    )
    print(
        f"requests           {len(ms)} ({ok} × 200; others: { {k: v for k, v in statuses.items() if k != 200} })"
    )
    print(f"duration           {elapsed:.1f} s")
    print(f"throughput         {len(ms) / elapsed:.1f} requests/s")
    print(f"latency p50        {percentile(ms, 0.50):.1f} ms")
    print(f"latency p90        {percentile(ms, 0.90):.1f} ms")
    print(f"latency p99        {percentile(ms, 0.99):.1f} ms")
    print(f"latency mean / max {statistics.fmean(ms):.1f} / {max(ms):.1f} ms")
    if ok != len(ms):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
