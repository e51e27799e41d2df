"""The ``huiqi`` command: thin commands over the library (each parses options, calls one function,
prints the result as a table or JSON, and maps typed errors to exit codes)."""

from __future__ import annotations

import typer

from huiqi.cli import calc_cmds, corpus_cmds, rules_cmds

app = typer.Typer(
    name="huiqi",
    help="惠企：把宁波的惠企政策变成可执行、可引用的规则。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

corpus_cmds.register(app)
calc_cmds.register(app)
rules_cmds.register(app)


def main() -> None:
    app(prog_name="huiqi")
