"""Running the app: one uvicorn process, or several that share the connections evenly (``handoff``: the
main process accepts and hands each connection to the worker with the fewest open). Where the platform
cannot pass sockets between processes, uvicorn's own supervisor runs the workers."""

from __future__ import annotations

import multiprocessing
import signal
import socket
import sys
from multiprocessing.process import BaseProcess
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
    from huiqi.web.protocol import WEBSOCKETS, HuiqiHttpProtocol

    options = {"factory": True, "log_level": "warning", "http": HuiqiHttpProtocol, "ws": WEBSOCKETS}
    if workers == 1:
        uvicorn.run(APP, host=host, port=port, **options)  # type: ignore[arg-type]
        return
    if not hasattr(socket, "send_fds"):  # pragma: no cover - not on Linux
        uvicorn.run(APP, host=host, port=port, workers=workers, **options)  # type: ignore[arg-type]
        return
    listener = listening_socket(host, port)
    spawn = multiprocessing.get_context("spawn")

    def start(channel: socket.socket) -> BaseProcess:
        process = spawn.Process(target=handoff.serve_handed, args=(channel, APP), daemon=True)
        process.start()
        return process

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    previous = signal.signal(signal.SIGTERM, stop)
    dispatcher = None
    try:
        dispatcher = handoff.Dispatcher(listener, start, workers)
        dispatcher.run()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        listener.close()
        if dispatcher is not None:
            dispatcher.stop()
    if dispatcher is None or not dispatcher.workers:  # every worker failed to start
        sys.exit(1)
