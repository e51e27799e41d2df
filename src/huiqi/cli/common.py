"""What every command shares: output format, consoles, and turning typed errors into exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import Any, ParamSpec, TypeVar

import typer
from pydantic import BaseModel, TypeAdapter
from rich.console import Console

from huiqi.errors import HuiqiError

P = ParamSpec("P")
R = TypeVar("R")

# Piped output (CI logs, files) gets a wide page instead of rich's 80 columns.
out = Console(soft_wrap=False, highlight=False, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # messages are never cut or wrapped


class Format(StrEnum):
    table = "table"
    json = "json"


FORMAT_OPTION = typer.Option(Format.table, "--format", "-f", help="输出格式：table（表格）或 json")


def guard(fn: Callable[P, R]) -> Callable[P, R]:
    """Run a command; a ``HuiqiError`` becomes a Chinese message on stderr and the error's exit code."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except HuiqiError as exc:
            err.print(f"[bold red]错误：[/]{exc}", markup=True, highlight=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def emit_json(data: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(data, BaseModel):
        text = data.model_dump_json(indent=2)
    else:
        text = TypeAdapter(type(data)).dump_json(data, indent=2).decode()
    sys.stdout.write(text + "\n")
