"""Running the app: one uvicorn process, or several that each listen on the port (``SO_REUSEPORT``).

With several processes uvicorn's own supervisor shares one listening socket, and whichever process wakes
first accepts a burst of connections: measured here, 50 kept-alive clients split 38 / 12 over two processes,
and the busier one sets the tail latency. With a socket per process and ``SO_REUSEPORT`` the kernel spreads
connections evenly over the processes instead. Where the platform has no ``SO_REUSEPORT``, uvicorn's
supervisor is used.
"""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from types import FrameType

APP = "huiqi.web:create_app"


def listening_socket(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A socket bound to ``host:port`` and listening (``OSError`` when the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if reuse_port:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int) -> None:
    import uvicorn

    sock = listening_socket(host, port, reuse_port=True)
    config = uvicorn.Config(APP, factory=True, log_level="warning")
    uvicorn.Server(config).run(sockets=[sock])


def run(host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted. ``OSError`` (the port is taken, …) is raised before any worker starts."""
    import uvicorn

    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level="warning")
        return
    if not hasattr(socket, "SO_REUSEPORT"):  # pragma: no cover - not on Linux
        uvicorn.run(APP, factory=True, host=host, port=port, workers=workers, log_level="warning")
        return
    listening_socket(host, port, reuse_port=True).close()  # the port is free for us (raises if not)
    spawn = multiprocessing.get_context("spawn")
    processes = [spawn.Process(target=_worker, args=(host, port), daemon=True) for _ in range(workers)]

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for p in processes:
            p.start()
        for p in processes:
            p.join()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        for p in processes:
            if p.is_alive():
                p.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for p in processes:
            p.join(timeout=30)
    if any(p.exitcode not in (0, -signal.SIGTERM, None) for p in processes):
        sys.exit(1)
