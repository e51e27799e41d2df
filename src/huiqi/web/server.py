"""Running the app: one uvicorn process, or several that share the connections evenly (``handoff``: the
main process accepts and hands each connection to the worker with the fewest open). Where the platform
cannot pass sockets between processes, uvicorn's own supervisor runs the workers."""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from types import FrameType

APP = "huiqi.web:create_app"


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening (``OSError`` when the port is taken)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def run(host: str, port: int, workers: int = 1) -> None:
    """Serve until interrupted. ``OSError`` (the port is taken, …) is raised before any worker starts."""
    import uvicorn

    from huiqi.web import handoff
    from huiqi.web.protocol import StampedHttpToolsProtocol

    options = {"factory": True, "log_level": "warning", "http": StampedHttpToolsProtocol}
    if workers == 1:
        uvicorn.run(APP, host=host, port=port, **options)  # type: ignore[arg-type]
        return
    if not hasattr(socket, "send_fds"):  # pragma: no cover - not on Linux
        uvicorn.run(APP, host=host, port=port, workers=workers, **options)  # type: ignore[arg-type]
        return
    listener = listening_socket(host, port)
    spawn = multiprocessing.get_context("spawn")
    pairs = [socket.socketpair() for _ in range(workers)]
    processes = [
        spawn.Process(target=handoff.serve_handed, args=(theirs, APP), daemon=True) for _, theirs in pairs
    ]

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        for p in processes:
            p.start()
        for _, theirs in pairs:
            theirs.close()
        handoff.Dispatcher(listener, [ours for ours, _ in pairs]).run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        listener.close()
        for p in processes:
            if p.is_alive():
                p.terminate()  # uvicorn shuts down gracefully on SIGTERM
        for p in processes:
            p.join(timeout=30)
    if any(p.exitcode not in (0, -signal.SIGTERM, None) for p in processes):
        sys.exit(1)
