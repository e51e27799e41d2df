"""Browser tests: Playwright for Python driving Debian's chromium (never a downloaded browser) against the
app served by uvicorn in a thread on a free loopback port. Screenshots go to artifacts/screenshots/."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from huiqi.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("HUIQI_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _require_browser() -> None:
    missing = None
    if not Path(CHROMIUM).exists():
        missing = f"chromium not found at {CHROMIUM}"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            missing = "playwright (Python) is not installed"
    if missing:
        if os.environ.get("HUIQI_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (HUIQI_REQUIRE_BROWSER=1) but {missing}")
        pytest.skip(missing)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    _require_browser()
    import uvicorn

    from huiqi.web import create_app

    data = tmp_path_factory.mktemp("huiqi-data")
    settings = Settings(
        database_url=f"sqlite:///{data / 'huiqi.sqlite3'}", data_dir=data, upload_limit_bytes=2 * 1024 * 1024
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the web app did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(base_url: str) -> Iterator[Any]:
    """Per module: Playwright's sync API runs an event loop of its own, which must be gone before any
    async (anyio) test of another module runs."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield b
        b.close()


def _page(browser: Any, base_url: str, viewport: dict[str, int]) -> Iterator[Any]:
    context = browser.new_context(
        viewport=viewport, base_url=base_url, locale="zh-CN", accept_downloads=True, device_scale_factor=1
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    context.close()
    assert not errors, f"script errors on the page: {errors}"


@pytest.fixture
def phone(browser: Any, base_url: str) -> Iterator[Any]:
    yield from _page(browser, base_url, PHONE)


@pytest.fixture
def desktop(browser: Any, base_url: str) -> Iterator[Any]:
    yield from _page(browser, base_url, DESKTOP)


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot kept as a test artifact (artifacts/ is gitignored)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    width = page.viewport_size["width"]
    path = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
