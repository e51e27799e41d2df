"""``huiqi serve``: the web app (政策库, 政策计算器, 批量测算, 兑现台账 and the JSON API) on uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer

from huiqi.cli.common import err, guard, out


def serve(
    host: Annotated[str, typer.Option("--host", help="监听地址（默认仅本机）")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", "-p", min=1, max=65535, help="端口")] = 8000,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="进程数")] = 1,
) -> None:
    """启动网页版：政策库、政策计算器、批量测算、兑现台账和 JSON API（/api，OpenAPI 见 /api/openapi.json）。"""
    from huiqi.settings import Settings
    from huiqi.web import server

    settings = Settings.from_env()
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    out.print(f"惠企网页版已启动：http://{shown}:{port}/ （按 Ctrl+C 停止）", markup=False)
    out.print(f"数据目录：{settings.data_dir}", markup=False, style="dim")
    try:
        server.run(host, port, workers)
    except OSError as exc:  # the port is taken, …
        err.print(f"无法启动：{exc}", markup=False)
        raise typer.Exit(1) from None


def register(app: typer.Typer) -> None:
    app.command("serve")(guard(serve))
