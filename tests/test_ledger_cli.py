"""``huiqi ledger …`` and ``huiqi budget …``: tokens shown once, writes need a token of the right role,
refusals exit with a Chinese reason, import / export round trip."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from huiqi.cli import app
from huiqi.ledger.errors import AuthenticationRequired, Forbidden, LedgerRefused

from .test_ledger_support import FIRM, database_url

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    with database_url("sqlite", tmp_path) as url:
        monkeypatch.setenv("HUIQI_DATABASE_URL", url)
        monkeypatch.delenv("HUIQI_LEDGER_TOKEN", raising=False)
        assert runner.invoke(app, ["ledger", "migrate"]).exit_code == 0
        tokens = {}
        for role, name in (("经办", "李经办"), ("审核", "张审核")):
            made = runner.invoke(app, ["ledger", "token", "create", "--role", role, "--name", name])
            assert made.exit_code == 0, made.output
            tokens[role] = made.stdout.strip()
            assert f"已为 {name}（{role}）创建令牌" in made.stderr and "只显示这一次" in made.stderr
        yield tokens


def huiqi(*args: str, token: str | None = None) -> Result:
    return runner.invoke(app, list(args), env={"HUIQI_LEDGER_TOKEN": token} if token else None)


def test_a_token_is_printed_once_and_stored_hashed(env: dict[str, str]) -> None:
    assert all(t.startswith("hq_") and len(t) == 46 for t in env.values())
    listed = huiqi("ledger", "token", "list")
    assert "#1 李经办（经办）" in listed.stdout and "#2 张审核（审核）" in listed.stdout
    assert not any(t in listed.stdout for t in env.values())
    assert huiqi("ledger", "token", "create", "--role", "局长", "--name", "王").exit_code == 7
    assert huiqi("ledger", "token", "revoke", "1").exit_code == 0
    refused = huiqi("ledger", "grant", "--firm", FIRM, "--rule", "nb-2020-mfg/22/pinzibiao_certified",
                    "--date", "2020-10-01", "--amount", "30万", token=env["经办"])  # fmt: skip
    assert refused.exit_code == AuthenticationRequired.exit_code
    assert "令牌已于" in refused.stderr and "吊销" in refused.stderr


def test_grant_publish_pay_show_and_the_audit_trail(env: dict[str, str]) -> None:
    clerk, reviewer = env["经办"], env["审核"]
    grant = ["ledger", "grant", "--firm", FIRM, "--rule", "nb-2020-mfg/3/industrial_investment", "--subject", "技改",
             "--date", "2021-04-20", "--amount", "1300万", "--name", "宁波甬联精工"]  # fmt: skip
    missing = huiqi(*grant)
    assert (
        missing.exit_code == AuthenticationRequired.exit_code and "台账须凭令牌查阅和办理" in missing.stderr
    )
    wrong = huiqi(*grant, token=reviewer)
    assert wrong.exit_code == Forbidden.exit_code and "须由经办角色办理" in wrong.stderr
    made = huiqi(*grant, "--format", "json", token=clerk)
    assert made.exit_code == 0, made.output
    award = json.loads(made.stdout)
    assert (award["state"], [t["amount_yuan"] for t in award["tranches"]]) == (
        "拟兑现",
        [3_900_000, 9_100_000],
    )
    again = huiqi(*grant, token=clerk)
    assert again.exit_code == LedgerRefused.exit_code and "该奖励已在台账中（#1，拟兑现）" in again.stderr
    assert huiqi("ledger", "publish", "1", token=reviewer).exit_code == 0
    paid = huiqi("ledger", "pay", "1", "--date", "2021-07-15", token=reviewer)
    assert "开工 3,900,000（已拨付 2021-07-15）；竣工投产 9,100,000（未拨付）" in paid.stdout
    shown = huiqi("ledger", "show", FIRM)
    assert "宁波甬联精工" in shown.stdout and "实际已拨付资金 3,900,000 元" in shown.stdout
    as_json = json.loads(huiqi("ledger", "show", FIRM, "--format", "json").stdout)
    assert as_json["totals"]["已公示"] == 13_000_000
    revoked = huiqi("ledger", "revoke", "1", "--reason", "项目终止", token=reviewer)
    assert revoked.exit_code == 0 and "已撤销" in revoked.stdout
    trail = huiqi("ledger", "audit", "--firm", FIRM).stdout.splitlines()
    assert [line.split("）", 2)[-1] for line in trail][:3] == [
        "revoke #1 ok：项目终止",
        "pay #1 ok",
        "publish #1 ok",
    ]
    assert any("grant refused：该奖励已在台账中" in line for line in trail)
    assert any("张审核（审核，cli）grant denied：张审核（审核）无权拟兑现" in line for line in trail)


def test_budgets_and_a_refused_overdraft(env: dict[str, str]) -> None:
    clerk, reviewer = env["经办"], env["审核"]
    assert (
        huiqi(
            "budget", "set", "--document", "nb-2020-mfg", "--year", "2021", "--amount", "15万", token=clerk
        ).exit_code
        == 8
    )
    made = huiqi("budget", "set", "--document", "nb-2020-mfg", "--year", "2021", "--amount", "15万",
                 "--note", "第39条", token=reviewer)  # fmt: skip
    assert (
        made.exit_code == 0
        and "文件 nb-2020-mfg 2021 年度预算 150,000 元，已用 0 元，剩余 150,000 元" in made.stdout
    )
    assert (
        huiqi(
            "budget", "set", "--document", "nb-9999", "--year", "2021", "--amount", "1", token=reviewer
        ).exit_code
        == 4
    )
    grant = [
        "ledger",
        "grant",
        "--firm",
        FIRM,
        "--rule",
        "nb-2020-mfg/13/green_design_product",
        "--amount",
        "10万",
    ]
    assert huiqi(*grant, "--subject", "甲", "--date", "2021-03-01", token=clerk).exit_code == 0
    over = huiqi(*grant, "--subject", "乙", "--date", "2021-04-01", token=clerk)
    assert over.exit_code == LedgerRefused.exit_code
    assert (
        "预算不足，拒绝超支：文件 nb-2020-mfg 2021 年度预算 150,000 元，已用 100,000 元，剩余 50,000 元"
        in over.stderr
    )
    shown = huiqi("budget", "show", "--format", "json")
    assert [(b["used_yuan"], b["remaining_yuan"]) for b in json.loads(shown.stdout)] == [(100_000, 50_000)]


def test_import_twice_and_export(env: dict[str, str], tmp_path: Path) -> None:
    reviewer = env["审核"]
    path = tmp_path / "历史台账.csv"
    path.write_text(
        "统一社会信用代码,规则,事项日期,金额（元）\n"
        f"{FIRM},nb-2020-mfg/22/pinzibiao_certified,2020-10-01,300000\n"
        f"{FIRM},nb-2020-mfg/13/green_design_product,2021-11-01,100000\n",
        encoding="utf-8",
    )
    assert huiqi("ledger", "import", str(path), token=env["经办"]).exit_code == Forbidden.exit_code
    first = huiqi("ledger", "import", str(path), token=reviewer)
    assert first.exit_code == 0 and "共 2 行，新增 2 项，更新 0 项，未变 0 项" in first.stdout
    second = huiqi("ledger", "import", str(path), token=reviewer)
    assert "已导入过" in second.stdout and "台账未作任何更改" in second.stdout
    out = tmp_path / "台账.xlsx"
    assert "已导出 2 项" in huiqi("ledger", "export", "-o", str(out)).stdout
    back = huiqi("ledger", "import", str(out), token=reviewer)
    assert "新增 0 项，更新 0 项，未变 2 项" in back.stdout
    assert huiqi("ledger", "export").stdout.count(FIRM) == 2
    assert huiqi("ledger", "import", str(tmp_path / "无.csv"), token=reviewer).exit_code == 2
