"""Docs that cannot drift: generated references are current, and every vocabulary entry is documented."""

from __future__ import annotations

import pytest

from huiqi.cli import app
from huiqi.docgen import generated
from huiqi.vocab import get_vocabulary

from .conftest import ROOT


@pytest.mark.parametrize("rel", sorted(generated(app)))
def test_generated_reference_is_current(rel: str) -> None:
    path = ROOT / rel
    assert path.exists(), f"{rel} is missing: run python3 scripts/gen_docs.py"
    assert path.read_text(encoding="utf-8") == generated(app)[rel](), (
        f"{rel} is stale: run scripts/gen_docs.py"
    )


def test_every_vocabulary_entry_has_a_chinese_label_and_a_description() -> None:
    v = get_vocabulary()
    for fact in (*v.firm, *v.years, *v.event_fields):
        assert fact.label and any("\u4e00" <= ch <= "\u9fff" for ch in fact.label), fact.name
    for e in v.events:
        assert e.label and e.verb, e.name
    for fact in v.firm:
        assert fact.description, f"firm.{fact.name} has no description"


def test_every_command_has_chinese_help() -> None:
    import typer

    command = typer.main.get_command(app)
    for name, sub in command.commands.items():  # type: ignore[attr-defined]
        assert sub.help and any("\u4e00" <= ch <= "\u9fff" for ch in sub.help), name
