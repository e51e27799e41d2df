"""The web app: ``create_app()`` builds FastAPI with the API, the pages, the ledger's router and the
static files. ``huiqi serve`` hands it to uvicorn; tests call it in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import jinja2
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

import huiqi
from huiqi.money import wan, yuan
from huiqi.settings import Settings
from huiqi.web import api, errors, pages, services
from huiqi.web.files import megabytes, too_large
from huiqi.web.store import ShareStore

HERE = Path(__file__).resolve().parent
NAV = (
    ("library", "/", "政策库"),
    ("calc", "/calc", "政策计算器"),
    ("batch", "/batch", "批量测算"),
    ("ledger", "/ledger", "兑现台账"),
)


def _ledger_templates() -> Path:
    import huiqi.ledger

    return Path(huiqi.ledger.__file__).resolve().parent / "templates"


def templates() -> Jinja2Templates:
    """Web templates first, then the ledger's (its pages extend our ``base.html``)."""
    loader = jinja2.ChoiceLoader(
        [jinja2.FileSystemLoader(HERE / "templates"), jinja2.FileSystemLoader(_ledger_templates())]
    )
    env = jinja2.Environment(loader=loader, autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["wan"] = wan
    env.filters["yuan"] = yuan
    env.globals["NAV"] = NAV
    env.globals["version"] = huiqi.__version__
    return Jinja2Templates(env=env)


class BodyLimit:
    """Refuse a request whose declared body is larger than two files at the limit (plus form overhead),
    before reading it; each file is also checked as it is read (``files.save_upload``)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope.get("headers") or []).get(b"content-length", b"0")
            if length.isdigit() and int(length) > 2 * self.limit + 1024 * 1024:
                request = Request(scope, receive)
                _, detail = errors.huiqi_detail(too_large(self.limit))
                await errors.respond(request, 413, detail)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services.warm()
        services.settle()
        yield
        jobs = getattr(app.state, "jobs", None)
        if jobs is not None:
            jobs.shutdown()

    app = FastAPI(
        title="惠企 huiqi",
        description="宁波惠企政策：政策库、政策计算器、批量测算。错误统一为 "
        '`{"error": {"code", "message", "fields": [{"field", "message"}]}}`。',
        version="0.1.0",
        lifespan=lifespan,
        openapi_url="/api/openapi.json",
        docs_url=None,  # Swagger UI loads from a CDN; the machine may be offline
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.templates = templates()
    app.state.templates.env.globals["upload_limit"] = megabytes(settings.upload_limit_bytes)
    app.state.shares = ShareStore(settings.data_dir / "web.sqlite3")
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    _include_batch(app, settings)
    _include_ledger(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_middleware(BodyLimit, limit=settings.upload_limit_bytes)
    return app


def _include_batch(app: FastAPI, settings: Settings) -> None:
    from huiqi.web import batch_routes

    batch_routes.install(app, settings)


def _include_ledger(app: FastAPI) -> None:
    from huiqi.ledger.web import router

    app.include_router(router)
