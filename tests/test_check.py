"""``huiqi check`` passes on the bundled rules and fails, naming the culprit, on broken rule files.

Each broken file is the real nb-2025-35 rule file with one deliberate change (a corpus of bad files,
pinned to their messages, as OpenFisca keeps ``parameter_validation/``)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from huiqi.cli import app

from .conftest import CORPUS_DIR

RULES = CORPUS_DIR / "rules" / "nb-2025-35.yaml"
runner = CliRunner()


def test_bundled_rules_pass_with_full_coverage() -> None:
    result = runner.invoke(app, ["check", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    doc = next(d for d in report["documents"] if d["document"] == "nb-2025-35")
    assert doc["encoded"] and doc["mentions"] > 70 and doc["covered"] == doc["mentions"]
    assert doc["articles_accounted"] == doc["articles"] == 39
    assert report["problems"] == []


def broken_corpus(tmp_path: Path, old: str, new: str) -> Path:
    copy = tmp_path / "ningbo"
    shutil.copytree(CORPUS_DIR, copy)
    text = RULES.read_text(encoding="utf-8")
    assert old in text, old
    (copy / "rules" / "nb-2025-35.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    return copy


BROKEN = [
    # (what is broken, the change, exit code, what the message must name)
    (
        "altered quote",
        "分别给予最高200万元、50万元奖励。",
        "分别给予最高300万元、50万元奖励。",
        5,
        ["nb-2025-35/11", "引文不在条款原文中"],
    ),
    ("uncovered amount", "    amount: 80%", "    amount: 81%", 5, ["“80%”", "nb-2025-35/6"]),
    (
        "unknown fact",
        'when: "firm.manufacturing"',
        'when: "firm.manufacturer"',
        3,
        ["未知的事实名称：firm.manufacturer", "nb-2025-35.yaml:", "规则 nb-2025-35/"],
    ),
    ("bad basis", "basis: up_to", "basis: maybe", 3, ["rules.", "basis", "nb-2025-35.yaml:"]),
    ("unknown event", "event: manufacturing_champion", "event: champion", 3, ["未知的事项类型：champion"]),
    ("syntax", 'formula: "200万"}', 'formula: "200万 +"}', 3, ["amount.formula", "表达式"]),
]


@pytest.mark.parametrize(("what", "old", "new", "code", "needles"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_rule_files_fail_naming_the_culprit(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    what: str,
    old: str,
    new: str,
    code: int,
    needles: list[str],
) -> None:
    monkeypatch.setenv("HUIQI_CORPUS", str(broken_corpus(tmp_path, old, new)))
    result = runner.invoke(app, ["check"])
    output = result.stdout + result.stderr
    assert result.exit_code == code, output
    for needle in needles:
        assert needle in output, (needle, output)
    assert "Traceback" not in output


def test_line_numbers_point_at_the_field(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = RULES.read_text(encoding="utf-8")
    line = text[: text.index('when: "firm.manufacturing"')].count("\n") + 1
    monkeypatch.setenv(
        "HUIQI_CORPUS",
        str(broken_corpus(tmp_path, 'when: "firm.manufacturing"', 'when: "firm.manufacturer"')),
    )
    result = runner.invoke(app, ["check"])
    assert f"nb-2025-35.yaml:{line}" in result.stderr
