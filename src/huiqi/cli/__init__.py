"""The ``huiqi`` command: thin commands over the library (each parses options, calls one function,
prints the result as a table or JSON, and maps typed errors to exit codes)."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="huiqi",
    help="惠企：把宁波的惠企政策变成可执行、可引用的规则。",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)

# Each module registers its commands; one line per area.
COMMAND_MODULES = (
    "huiqi.cli.corpus_cmds",
    "huiqi.cli.calc_cmds",
    "huiqi.cli.rules_cmds",
    "huiqi.cli.batch_cmds",
    "huiqi.cli.web_cmds",
    "huiqi.cli.ledger_cmds",
)

for _name in COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    app(prog_name="huiqi")
