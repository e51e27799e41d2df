"""The engine reads the ledger: earlier awards count against cumulative caps across years, a one-time award
already received is not offered again, tranches already paid are shown as paid — for ``huiqi calc --ledger``
and for the batch engine's ``prior_awards(session, codes)``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from huiqi.cli import app
from huiqi.engine import calculate
from huiqi.engine.result import Status
from huiqi.errors import ProfileError
from huiqi.ledger import annotate, merge_prior_awards, prior_awards, service
from huiqi.ledger.db import Ledger
from huiqi.ledger.models import Role
from huiqi.ledger.schemas import PayIn
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file
from huiqi.vocab.profile import PriorAward, Profile

from .conftest import CORPUS_DIR
from .test_ledger_support import BACKENDS, FIRM, day, firm_code, grant, make_tokens, open_ledger

EXAMPLE = CORPUS_DIR / "examples" / "draft2020-equipment-maker.yaml"
PINZI_PRODUCT = "nb-2020-mfg/22/pinzibiao_certified_product"


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger(request.param, tmp_path) as opened:
        yield opened


def example(without_prior: bool = True) -> Profile:
    data = read_profile_file(EXAMPLE)
    if without_prior:
        data.pop("prior_awards")
    return parse_profile(data, get_vocabulary())


def record_example_history(ledger: Ledger) -> dict[Role, str]:
    """The example's prior_awards, as a bureau would have recorded them (and one revoked award)."""
    tokens = make_tokens(ledger)
    grant(
        ledger,
        tokens[Role.clerk],
        rule_id="nb-2020-mfg/22/pinzibiao_certified",
        event_date=day("2020-10-01"),
        amount_yuan=300_000,
    )
    grant(ledger, tokens[Role.clerk], rule_id=PINZI_PRODUCT, subject="旧产品", event_date=day("2021-09-15"))
    wrong = grant(
        ledger, tokens[Role.clerk], rule_id=PINZI_PRODUCT, subject="误录", event_date=day("2021-10-01")
    )
    service.perform(
        ledger, tokens[Role.reviewer], "revoke", lambda s, a: service.revoke(s, a, wrong.id, "误录")
    )
    return tokens


def test_prior_awards_per_firm_for_the_batch_engine(ledger: Ledger) -> None:
    record_example_history(ledger)
    found = ledger.run(lambda s: prior_awards(s, [FIRM, firm_code(9), firm_code(9)]))
    assert found[firm_code(9)] == []
    assert found[FIRM] == [
        PriorAward("nb-2020-mfg", "22", "pinzibiao", None, dt.date(2020, 10, 1), 300_000),  # type: ignore[arg-type]
        PriorAward("nb-2020-mfg", "22", "pinzibiao", "旧产品", dt.date(2021, 9, 15), 100_000),  # type: ignore[arg-type]
    ]


def test_a_cap_holds_across_years_from_the_ledger_as_from_the_profile(ledger: Ledger) -> None:
    record_example_history(ledger)
    profile = ledger.run(lambda s: merge_prior_awards(s, example()))
    from_ledger = calculate(profile, dt.date(2023, 6, 30), include_drafts=True)
    from_profile = calculate(example(without_prior=False), dt.date(2023, 6, 30), include_drafts=True)
    assert from_ledger.awards == from_profile.awards
    line = next(a for a in from_ledger.awards if a.rule_id == PINZI_PRODUCT)
    assert line.amount_yuan == 100_000  # 500,000 - 300,000 - 100,000
    assert line.modifiers[-1].reason == "累计上限 500,000 元，此前已享受 400,000 元"
    # the profile's own entries are kept, and one given in both places is counted once
    both = ledger.run(lambda s: merge_prior_awards(s, example(without_prior=False)))
    assert len(both.prior_awards) == 2


def test_the_ledgers_award_for_the_profiles_own_event_is_not_an_earlier_award(ledger: Ledger) -> None:
    tokens = record_example_history(ledger)
    own = grant(
        ledger, tokens[Role.clerk], rule_id=PINZI_PRODUCT, subject="伺服压力机", event_date=day("2022-06-01")
    )
    profile = ledger.run(lambda s: merge_prior_awards(s, example()))
    assert len(profile.prior_awards) == 2  # not the 2022-06-01 award: the engine computes that line itself
    result = ledger.run(
        lambda s: annotate(s, calculate(profile, dt.date(2023, 6, 30), include_drafts=True), profile)
    )
    line = next(a for a in result.awards if a.rule_id == PINZI_PRODUCT)
    assert line.amount_yuan == 100_000 and line.status is Status.paid
    assert (
        f"台账 #{own.id}：原有企业新增“品字标浙江制造”认证产品减半补助（2022-06-01）拟兑现，金额 100,000 元，已拨付 0 元"
        in result.notes
    )
    assert "台账：已计入此前奖励 2 项，共 400,000 元（累计上限、一次性奖励据此判断）" in result.notes


def test_tranches_already_paid_are_shown_as_paid(ledger: Ledger) -> None:
    tokens = make_tokens(ledger)
    award = grant(
        ledger,
        tokens[Role.clerk],
        rule_id="nb-2020-mfg/3/industrial_investment",
        subject="智能冲压装备扩产技改项目",
        event_date=day("2021-04-20"),
        amount_yuan=13_000_000,
    )
    reviewer = tokens[Role.reviewer]
    service.perform(ledger, reviewer, "publish", lambda s, a: service.publish(s, a, award.id))
    paid = PayIn(paid_on=day("2021-07-15"))
    service.perform(ledger, reviewer, "pay", lambda s, a: service.pay(s, a, award.id, paid))
    profile = example()
    result = ledger.run(
        lambda s: annotate(s, calculate(profile, dt.date(2023, 6, 30), include_drafts=True), profile)
    )
    line = next(a for a in result.awards if a.rule_id == "nb-2020-mfg/3/industrial_investment")
    assert [t.milestone for t in line.schedule] == ["开工", "竣工投产"]
    assert [(t.paid, t.paid_on) for t in line.schedule] == [(True, day("2021-07-15")), (False, None)]
    assert line.ledger_id == award.id
    from huiqi.cli.calc_cmds import _tranche  # the table's wording (``huiqi calc --ledger``)

    assert _tranche(line.schedule[0]).endswith("，已拨付 2021-07-15")
    assert "已拨付" not in _tranche(line.schedule[1])
    others = [a for a in result.awards if a.rule_id != "nb-2020-mfg/3/industrial_investment"]
    assert all(a.ledger_id is None and all(t.paid is None for t in a.schedule) for a in others)
    assert [t.amount_yuan for t in line.schedule] == [3_900_000, 9_100_000]


def test_a_one_time_award_already_received_is_not_offered_again(ledger: Ledger) -> None:
    tokens = make_tokens(ledger)
    grant(
        ledger,
        tokens[Role.clerk],
        rule_id="fh-2025-2/13/champion_first",
        event_date=day("2024-05-01"),
        amount_yuan=500_000,
    )
    data = {
        "firm": {
            "name": "宁波奉化测试有限公司",
            "credit_code": FIRM,
            "region": "奉化区",
            "manufacturing": True,
        },
        "years": {2025: {"rd_internal": 1000000}},
        "events": [
            {"type": "manufacturing_champion", "level": "国家级", "date": "2025-06-01", "first_time": True}
        ],
    }
    profile = parse_profile(data, get_vocabulary())
    before = calculate(profile, dt.date(2025, 12, 31))
    assert next(a for a in before.awards if a.rule_id == "fh-2025-2/13/champion_first").status is Status.paid
    after = calculate(ledger.run(lambda s: merge_prior_awards(s, profile)), dt.date(2025, 12, 31))
    line = next(a for a in after.awards if a.rule_id == "fh-2025-2/13/champion_first")
    assert line.status is Status.set_aside
    assert line.modifiers[-1].reason == "一次性奖励，已于 2024-05-01 享受过"


def test_calc_dash_dash_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with open_ledger("sqlite", tmp_path) as ledger:
        record_example_history(ledger)
        monkeypatch.setenv("HUIQI_DATABASE_URL", ledger.url)
        data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
        data.pop("prior_awards")
        path = tmp_path / "firm.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        runner = CliRunner()
        plain = runner.invoke(app, ["calc", str(path), "--include-drafts", "--format", "json"])
        with_ledger = runner.invoke(
            app, ["calc", str(path), "--include-drafts", "--format", "json", "--ledger"]
        )
        assert plain.exit_code == 0 and with_ledger.exit_code == 0, with_ledger.output
        amounts = {
            name: next(
                a["amount_yuan"] for a in json.loads(r.stdout)["awards"] if a["rule_id"] == PINZI_PRODUCT
            )
            for name, r in (("plain", plain), ("ledger", with_ledger))
        }
        assert amounts == {"plain": 150_000, "ledger": 100_000}
        table = runner.invoke(app, ["calc", str(path), "--include-drafts", "--ledger"])
        assert "台账：已计入此前奖励 2 项，共 400,000 元" in table.stdout
        data["firm"].pop("credit_code")
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        refused = runner.invoke(app, ["calc", str(path), "--include-drafts", "--ledger"])
        assert refused.exit_code == ProfileError.exit_code
        assert "使用台账（--ledger）须在档案 firm.credit_code 中给出统一社会信用代码" in refused.stderr


def test_merging_keeps_the_profile_immutable(ledger: Ledger) -> None:
    record_example_history(ledger)
    profile = example()
    merged = ledger.run(lambda s: merge_prior_awards(s, profile))
    assert profile.prior_awards == () and dataclasses.replace(merged, prior_awards=()) == profile
