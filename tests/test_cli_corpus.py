"""The corpus commands through the real CLI: output, JSON, and clean failures (no tracebacks)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiqi.cli import app

from .conftest import CORPUS_DIR

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_docs_lists_the_five_documents() -> None:
    code, out, _ = run("docs", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    assert [r["id"] for r in rows] == [
        "nb-2025-35",
        "cx-2025-plan",
        "nb-kj-2025-51",
        "fh-2025-2",
        "nb-2020-mfg",
    ]
    assert rows[0]["wenhao"] == "甬政办发〔2025〕35号" and rows[0]["window"]["end"] == "2027-12-31"
    code, out, _ = run("docs")
    assert code == 0 and "nb-2020-mfg" in out and "征求意见稿" in out


def test_show_article_11_is_about_champions() -> None:
    code, out, _ = run("show", "nb-2025-35/11")
    assert code == 0
    assert "单项冠军" in out and "专精特新“小巨人”" in out and "三、强化企业创新主体地位" in out


def test_show_2020_article_26_rewards_firsts_in_top_500_lists() -> None:
    code, out, _ = run("show", "nb-2020-mfg/26", "--format", "json")
    data = json.loads(out)
    assert code == 0 and "世界 500 强" in data["raw"] and "“中国制造业500强”" in data["text"]


def test_show_raw_prints_the_original_span() -> None:
    code, out, _ = run("show", "nb-2025-35/1", "--raw")
    assert code == 0 and "分\n\n别给予" in out


def test_show_document_outline() -> None:
    code, out, _ = run("show", "cx-2025-plan")
    assert code == 0 and "（原文缺序号）" in out and "cx-2025-plan/30" in out


def test_search_finds_beidou_and_broken_phrase() -> None:
    code, out, _ = run("search", "北斗", "--format", "json")
    assert code == 0 and json.loads(out)["hits"][0]["id"] == "nb-2025-35/9"
    code, out, _ = run("search", "分别给予", "--doc", "nb-2025-35", "--limit", "50", "--format", "json")
    assert code == 0 and "nb-2025-35/1" in [h["id"] for h in json.loads(out)["hits"]]
    code, out, _ = run("search", "冠军")
    assert code == 0 and "nb-2025-35/11" in out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "nb-2025-35/99"], 4, "没有条款“99”"),
        (["show", "nb-1999-1"], 4, "没有编号为“nb-1999-1”的文件"),
        (["search", ""], 2, "搜索词不能为空"),
        (["search", "冠军", "--doc", "xx"], 4, "没有编号为“xx”的文件"),
        (["search", "冠军", "--status", "final"], 2, "final"),
    ],
)
def test_bad_input_gets_a_message_and_exit_code(args: list[str], code: int, message: str) -> None:
    got, out, err = run(*args)
    assert got == code
    assert message in out + err
    assert "Traceback" not in out + err


def test_tampered_corpus_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "ningbo"
    shutil.copytree(CORPUS_DIR, copy)
    target = copy / "documents" / "000_ef88f7c86d05775e.txt"
    target.write_bytes(target.read_bytes().replace("200 万元".encode(), "300 万元".encode(), 1))
    monkeypatch.setenv("HUIQI_CORPUS", str(copy))
    code, _out, err = run("docs")
    assert code == 3
    assert "000_ef88f7c86d05775e.txt 已被改动" in err and "Traceback" not in err


def test_the_command_map_names_what_each_module_registers() -> None:
    """`huiqi <command>` loads only the module COMMANDS names for it: the map must be exactly right."""
    import importlib

    import typer

    from huiqi.cli import COMMAND_MODULES, COMMANDS

    registered = {}
    for module in COMMAND_MODULES:
        one = typer.Typer()
        importlib.import_module(module).register(one)
        for c in one.registered_commands:
            registered[c.name or c.callback.__name__] = module  # type: ignore[union-attr]
        for g in one.registered_groups:
            registered[str(g.name)] = module
    assert registered == COMMANDS


def test_one_command_loads_alone_and_still_runs_as_a_subcommand() -> None:
    import subprocess
    import sys

    code = (
        "import sys; sys.argv = ['huiqi', 'show', 'nb-2025-35/11']; from huiqi.cli import main\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert 'huiqi.ledger' not in sys.modules and 'huiqi.batch' not in sys.modules, 'loaded too much'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert "单项冠军" in result.stdout
