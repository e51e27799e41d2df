"""``huiqi calc``/``demo``/``vocab``/``schema`` through the CLI: results, stable JSON, refused profiles."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from huiqi.cli import app

from .conftest import CORPUS_DIR

runner = CliRunner()
EXAMPLES = sorted((CORPUS_DIR / "examples").glob("*.yaml"))
GOOD = {
    "firm": {
        "name": "宁波测试机械有限公司",
        "credit_code": "91330200MA2H12345L",
        "region": "鄞州区",
        "manufacturing": True,
        "digital_level": 3,
        "green_transformation": True,
        "in_mu_jun_evaluation": False,
    },
    "years": {2025: {"rd_internal": 1000000}},
    "events": [
        {"type": "manufacturing_champion", "level": "国家级", "date": "2025-11-20"},
        {"type": "little_giant", "level": "国家级", "date": "2025-12-01"},
    ],
}


def write(tmp_path: Path, data: object, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    text = (
        json.dumps(data, ensure_ascii=False)
        if name.endswith(".json")
        else yaml.safe_dump(data, allow_unicode=True)
    )
    path.write_text(text, encoding="utf-8")
    return path


def test_calc_json_is_stable_and_complete(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["calc", str(write(tmp_path, GOOD, "p.json")), "--as-of", "2026-01-31", "-f", "json"]
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data) >= {
        "firm",
        "as_of",
        "include_drafts",
        "documents",
        "awards",
        "totals",
        "near_misses",
        "notes",
    }
    kept, aside = data["awards"]
    for line in (kept, aside):
        assert set(line) >= {
            "rule_id",
            "document_id",
            "article",
            "basis",
            "amount_yuan",
            "draft",
            "modifiers",
            "quote",
            "department",
            "status",
        }
    assert (kept["rule_id"], kept["amount_yuan"], kept["status"]) == (
        "nb-2025-35/11/champion",
        2000000,
        "paid",
    )
    assert aside["status"] == "set_aside" and aside["modifiers"][0]["kind"] == "set_aside"
    assert data["totals"] == {
        "exact_yuan": 0,
        "up_to_yuan": 2000000,
        "at_least_yuan": 0,
        "unquantified": 0,
        "non_monetary": 0,
    }
    assert any("征求意见稿未计入" in n for n in data["notes"])
    assert data["near_misses"] and all(n["message"] for n in data["near_misses"])


def test_calc_table_groups_by_document_in_wan(tmp_path: Path) -> None:
    result = runner.invoke(app, ["calc", str(write(tmp_path, GOOD)), "--as-of", "2026-01-31", "--explain"])
    assert result.exit_code == 0
    assert "最高 200" in result.stdout and "从高不重复" in result.stdout and "再进一步" in result.stdout
    assert "原文：“对入选国家级制造业单项冠军" in result.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_every_bundled_example_runs_and_fits_the_schema(example: Path) -> None:
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    jsonschema.Draft202012Validator(schema).validate(
        json.loads(json.dumps(yaml.safe_load(example.read_text(encoding="utf-8")), default=str))
    )
    result = runner.invoke(app, ["demo", example.stem])
    assert result.exit_code == 0, result.stderr
    assert "合计" in result.stdout


def test_demo_default_and_list() -> None:
    assert runner.invoke(app, ["demo"]).exit_code == 0
    listing = runner.invoke(app, ["demo", "--list"])
    assert listing.exit_code == 0 and "demo-manufacturer" in listing.stdout


BAD = [
    ("unknown field", {"firm": {**GOOD["firm"], "colour": "red"}}, "firm.colour", "未知字段"),
    ("wrong type", {"firm": {**GOOD["firm"], "digital_level": "高"}}, "firm.digital_level", "应为数字"),
    (
        "bad credit code",
        {"firm": {**GOOD["firm"], "credit_code": "91330200MA2H123450"}},
        "firm.credit_code",
        "校验位错误",
    ),
    (
        "negative amount",
        {"events": [{"type": "dataset", "date": "2025-11-01", "investment": -5}]},
        "events[0].investment",
        "不能为负数",
    ),
    (
        "impossible date",
        {"events": [{"type": "dataset", "date": "2025-02-30", "investment": 5}]},
        "events[0].date",
        "不是有效日期",
    ),
    (
        "unknown event",
        {"events": [{"type": "lottery", "date": "2025-11-01"}]},
        "events[0].type",
        "未知的事项类型",
    ),
    (
        "wrong level",
        {"events": [{"type": "little_giant", "level": "省级", "date": "2025-11-01"}]},
        "events[0].level",
        "不适用于",
    ),
    ("missing region", {"firm": {"name": "x"}}, "firm.region", "缺少必填字段"),
    ("unknown region", {"firm": {**GOOD["firm"], "region": "杭州市"}}, "firm.region", "不在可选范围内"),
    ("bad year", {"years": {"二〇二五": {"rd_internal": 1}}}, "years.二〇二五", "年份"),
]


@pytest.mark.parametrize(("what", "change", "field", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_profiles_are_refused_naming_the_field(
    tmp_path: Path,
    what: str,
    change: dict,
    field: str,
    message: str,  # type: ignore[type-arg]
) -> None:
    result = runner.invoke(app, ["calc", str(write(tmp_path, {**GOOD, **change})), "--as-of", "2026-01-01"])
    assert result.exit_code == 2, result.stdout
    assert f"{field}: " in result.stderr and message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["calc", "/nonexistent/p.yaml"], "无法读取企业档案文件"),
        (["calc", "{tmp}/p.yaml", "--as-of", "2026-13-01"], "--as-of 不是有效日期"),
        (["calc", "{tmp}/broken.yaml"], "企业档案文件格式错误"),
        (["demo", "nobody"], "没有名为“nobody”的示例企业"),
    ],
)
def test_bad_invocations(tmp_path: Path, args: list[str], message: str) -> None:
    write(tmp_path, GOOD)
    (tmp_path / "broken.yaml").write_text("firm: [unclosed", encoding="utf-8")
    result = runner.invoke(app, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert result.exit_code != 0 and message in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_vocab_and_schema() -> None:
    vocab = json.loads(runner.invoke(app, ["vocab", "-f", "json"]).stdout)
    assert all(f["label"] and f["type_label"] for f in vocab["facts"])
    assert all(e["label"] and e["verb"] for e in vocab["events"])
    schema = json.loads(runner.invoke(app, ["schema"]).stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["properties"]["firm"]["properties"]["credit_code"]["title"] == "统一社会信用代码"
