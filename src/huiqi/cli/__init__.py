"""The ``huiqi`` command: thin commands over the library (each parses options, calls one function,
prints the result as a table or JSON, and maps typed errors to exit codes)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable

import typer

# Which module registers which command. ``huiqi <command>`` imports only that command's module, so showing a
# document does not load the ledger's database layer, nor a batch run the web app (tests/test_cli_corpus.py
# checks the map against what the modules register).
COMMANDS = {
    "docs": "huiqi.cli.corpus_cmds",
    "show": "huiqi.cli.corpus_cmds",
    "search": "huiqi.cli.corpus_cmds",
    "calc": "huiqi.cli.calc_cmds",
    "demo": "huiqi.cli.calc_cmds",
    "check": "huiqi.cli.rules_cmds",
    "vocab": "huiqi.cli.rules_cmds",
    "schema": "huiqi.cli.rules_cmds",
    "batch": "huiqi.cli.batch_cmds",
    "synth": "huiqi.cli.batch_cmds",
    "serve": "huiqi.cli.web_cmds",
    "ledger": "huiqi.cli.ledger_cmds",
    "budget": "huiqi.cli.ledger_cmds",
}
COMMAND_MODULES = tuple(dict.fromkeys(COMMANDS.values()))


def build(modules: Iterable[str] = COMMAND_MODULES) -> typer.Typer:
    """The command with the commands of ``modules`` (all by default)."""
    cli = typer.Typer(
        name="huiqi",
        help="惠企：把宁波的惠企政策变成可执行、可引用的规则。",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        add_completion=False,
        rich_markup_mode=None,
    )
    cli.callback()(_group)  # a group even when only one command is loaded
    for name in modules:
        importlib.import_module(name).register(cli)
    return cli


def _group() -> None:
    """惠企：把宁波的惠企政策变成可执行、可引用的规则。"""


def __getattr__(name: str) -> typer.Typer:
    """``huiqi.cli.app``: the command with every command (tests, docs), built on first use."""
    if name == "app":
        app = globals()["app"] = build()
        return app
    raise AttributeError(name)


def main() -> None:
    word = next((a for a in sys.argv[1:] if not a.startswith("-")), None)
    module = COMMANDS.get(word or "")
    build([module] if module else COMMAND_MODULES)(prog_name="huiqi")
