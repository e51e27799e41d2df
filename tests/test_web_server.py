"""`huiqi serve --workers N`: N worker processes that all answer, take the kept-alive connections in equal
shares (the main process hands each to the worker with the fewest, and accepts none before every worker is
ready), are replaced when they die, and stop together; a taken port is reported before any starts."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from huiqi.web.server import listening_socket

pytestmark = pytest.mark.skipif(
    not hasattr(socket, "send_fds"), reason="needs sockets passed between processes"
)
HUIQI = Path(sys.executable).parent / "huiqi"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(tmp_path: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    """``huiqi serve --workers 2`` on ``port``, its stderr in a log file."""
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(HUIQI), "serve", "--port", str(port), "--workers", "2"],
            env={**os.environ, "HUIQI_DATA_DIR": str(tmp_path)},
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    return proc, log


def test_two_workers_answer_and_stop_together(tmp_path: Path) -> None:
    port = free_port()
    proc, log = serve(tmp_path, port)
    try:
        wait_until(lambda: answers(port), proc, log, "start")
        for _ in range(20):  # new connections, one after another: all answered
            assert httpx.get(f"http://127.0.0.1:{port}/api/vocab").status_code == 200
        if shutil.which("ss"):  # the port answers once both workers are ready: ten connections, five each
            assert all(balanced(port) for _ in range(3))  # every time, not by luck
        # no websocket routes: an upgrade request is answered as HTTP and the connection stays HTTP (upgraded,
        # it would have left the protocol that tells the main process when a connection closes)
        with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
            conn.sendall(
                b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
            )
            assert read_response(conn).startswith(b"HTTP/1.1 404")
            conn.sendall(b"GET /api/vocab HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(conn).startswith(b"HTTP/1.1 200")
        # and not with uvicorn's two warnings (the second asks for a WebSocket library the app does not want)
        assert "upgrade" not in log.read_text(encoding="utf-8").lower()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    with socket.socket() as s:  # the port is free again: no worker was left behind
        s.bind(("127.0.0.1", port))


@pytest.mark.skipif(not shutil.which("ss"), reason="needs ss to see which process holds a connection")
def test_a_worker_that_dies_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    proc, log = serve(tmp_path, port)
    try:
        wait_until(lambda: answers(port) and balanced(port), proc, log, "start")
        first, _ = children(proc.pid)
        os.kill(first, signal.SIGKILL)
        wait_until(
            lambda: first not in children(proc.pid) and len(children(proc.pid)) == 2, proc, log, "replace"
        )
        wait_until(lambda: balanced(port), proc, log, "the replacement takes its share")
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0


def children(pid: int) -> list[int]:
    """The live worker processes of ``pid`` (not multiprocessing's resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != "Z" and b"spawn_main" in command:
                found.append(int(entry.name))
    return sorted(found)


def balanced(port: int) -> bool:
    """Ten new kept-alive connections are all answered and held five by each worker (once the connections
    before them have closed, and the main process has heard so)."""
    deadline = time.monotonic() + 30
    while connections_per_process(port) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) for _ in range(10)]
    try:
        if not all(client.get("/api/vocab").status_code == 200 for client in clients):
            return False
        return sorted(connections_per_process(port).values()) == [5, 5]
    except httpx.HTTPError:  # e.g. a slow machine: ask again (``wait_until`` has the deadline)
        return False
    finally:
        for client in clients:
            client.close()


def answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/api/documents", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def wait_until(ready: Callable[[], bool], proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 90
    while not ready():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"timed out: {what}"
        time.sleep(0.3)


def connections_per_process(port: int) -> dict[str, int]:
    """Established connections on the server's side of ``port``, by the process that holds them."""
    listing = subprocess.run(
        ["ss", "-Htnp", "state", "established", f"sport = :{port}"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    counts: dict[str, int] = {}
    for pid in re.findall(r"pid=(\d+)", listing):
        counts[pid] = counts.get(pid, 0) + 1
    return counts


def test_a_taken_port_is_reported_before_any_worker_starts(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [str(HUIQI), "serve", "--port", str(port), "--workers", "2"],
            env={**os.environ, "HUIQI_DATA_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1 and "无法启动" in result.stderr


def test_listening_socket_refuses_a_taken_port() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        with pytest.raises(OSError):
            listening_socket("127.0.0.1", holder.getsockname()[1])


def read_response(conn: socket.socket) -> bytes:
    """One whole response (by its ``content-length``) read from ``conn``."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536) or b""
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
    while len(body) < length:
        body += conn.recv(65536)
    return head
