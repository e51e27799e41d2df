"""`huiqi serve --workers N`: N worker processes that all answer, take the kept-alive connections in equal
shares (the main process hands each to the worker with the fewest) and stop together; a taken port is
reported before any starts."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
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


def test_two_workers_answer_and_stop_together(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "HUIQI_DATA_DIR": str(tmp_path)}
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(HUIQI), "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=out,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/documents", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.3)
        for _ in range(20):  # new connections, one after another: all answered
            assert httpx.get(f"http://127.0.0.1:{port}/api/vocab").status_code == 200
        clients = [httpx.Client(base_url=f"http://127.0.0.1:{port}") for _ in range(10)]
        try:  # ten kept-alive connections: five for each worker
            for client in clients:
                assert client.get("/api/vocab").status_code == 200
            if shutil.which("ss"):
                assert sorted(connections_per_process(port).values()) == [5, 5]
        finally:
            for client in clients:
                client.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    with socket.socket() as s:  # the port is free again: no worker was left behind
        s.bind(("127.0.0.1", port))


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
