"""The ledger's rules, on SQLite and PostgreSQL: an award's life, cumulative caps across years (art 22's
50 万元, art 13's five products, nb-2025-35 art 34's 30 万元 in three years), ceilings, budgets, roles."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from huiqi.errors import NotFoundError
from huiqi.ledger import budgets, service
from huiqi.ledger.db import Ledger
from huiqi.ledger.errors import AuthenticationRequired, Forbidden, LedgerError, LedgerRefused
from huiqi.ledger.models import AuditEntry, Award, Role, State
from huiqi.ledger.schemas import BudgetIn, PayIn

from .test_ledger_support import (
    BACKENDS,
    audit_count,
    count,
    day,
    firm_code,
    grant,
    make_tokens,
    open_ledger,
)

PINZI = "nb-2020-mfg/22/pinzibiao_certified"
PINZI_PRODUCT = "nb-2020-mfg/22/pinzibiao_certified_product"
GREEN_PRODUCT = "nb-2020-mfg/13/green_design_product"
CLASSIC = "nb-2025-35/34/classic_industry_studio"
INVESTMENT = "nb-2020-mfg/3/industrial_investment"


@pytest.fixture(params=BACKENDS)
def ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger(request.param, tmp_path) as opened:
        yield opened


@pytest.fixture
def tokens(ledger: Ledger) -> dict[Role, str]:
    return make_tokens(ledger)


def act(ledger: Ledger, token: str, action: str, award_id: int, **extra: object) -> Award:
    work = {
        "publish": lambda s, a: service.publish(s, a, award_id),
        "pay": lambda s, a: service.pay(s, a, award_id, PayIn.model_validate(extra)),
        "revoke": lambda s, a: service.revoke(s, a, award_id, str(extra.get("reason", "复核不符"))),
    }[action]
    return service.perform(ledger, token, action, work, target={"award_id": award_id})


def test_an_award_goes_from_proposed_to_published_to_paid_tranche_by_tranche(
    ledger: Ledger, tokens: dict[Role, str]
) -> None:
    clerk, reviewer = tokens[Role.clerk], tokens[Role.reviewer]
    award = grant(
        ledger,
        clerk,
        rule_id=INVESTMENT,
        subject="技改项目",
        event_date=day("2021-04-20"),
        amount_yuan=13_000_001,
    )
    assert award.state == State.proposed
    assert [(t.milestone, t.amount_yuan) for t in award.tranches] == [
        ("开工", 3_900_000),
        ("竣工投产", 9_100_001),
    ]
    with pytest.raises(LedgerRefused, match="尚未公示"):
        act(ledger, reviewer, "pay", award.id)
    assert act(ledger, reviewer, "publish", award.id).state == State.published
    first = act(ledger, reviewer, "pay", award.id, paid_on="2021-07-15")
    assert first.state == State.published and first.paid_yuan == 3_900_000
    with pytest.raises(LedgerRefused, match="已于 2021-07-15 拨付"):
        act(ledger, reviewer, "pay", award.id, tranche=1)
    done = act(ledger, reviewer, "pay", award.id, paid_on="2023-04-30")
    assert done.state == State.paid and done.paid_yuan == 13_000_001
    trail = ledger.run(
        lambda s: [(e.action, e.actor, e.outcome) for e in s.query(AuditEntry).order_by(AuditEntry.id)]
    )
    assert trail[2:] == [  # after the two tokens were created
        ("grant", "李经办", "ok"),
        ("pay", "张审核", "refused"),
        ("publish", "张审核", "ok"),
        ("pay", "张审核", "ok"),
        ("pay", "张审核", "refused"),
        ("pay", "张审核", "ok"),
    ]


def test_art_22_caps_pinzibiao_awards_at_50_wan_across_years(ledger: Ledger, tokens: dict[Role, str]) -> None:
    clerk, reviewer = tokens[Role.clerk], tokens[Role.reviewer]
    grant(ledger, clerk, rule_id=PINZI, event_date=day("2020-10-01"), amount_yuan=300_000)
    grant(
        ledger,
        clerk,
        rule_id=PINZI_PRODUCT,
        subject="伺服压力机",
        event_date=day("2021-09-15"),
        amount_yuan=100_000,
    )
    with pytest.raises(LedgerRefused) as refused:
        grant(
            ledger,
            clerk,
            rule_id=PINZI_PRODUCT,
            subject="数控折弯机",
            event_date=day("2022-06-01"),
            amount_yuan=150_000,
        )
    assert refused.value.message == (
        "超过 nb-2020-mfg 第22条的累计上限：单个企业累计不超过 500,000 元，台账中已记 400,000 元，"
        "本次 150,000 元，最多还可 100,000 元"
    )
    last = grant(
        ledger,
        clerk,
        rule_id=PINZI_PRODUCT,
        subject="数控折弯机",
        event_date=day("2022-06-01"),
        amount_yuan=100_000,
    )
    with pytest.raises(LedgerRefused, match="最多还可 0 元"):
        grant(
            ledger,
            clerk,
            rule_id=PINZI_PRODUCT,
            subject="液压机",
            event_date=day("2022-08-01"),
            amount_yuan=1,
        )
    act(ledger, reviewer, "revoke", last.id, reason="认证被撤销")  # a revoked award frees its room
    grant(
        ledger,
        clerk,
        rule_id=PINZI_PRODUCT,
        subject="液压机",
        event_date=day("2022-08-01"),
        amount_yuan=100_000,
    )
    other = grant(
        ledger,
        clerk,
        credit_code=firm_code(7),
        rule_id=PINZI,
        event_date=day("2020-10-01"),
        amount_yuan=300_000,
    )
    assert other.id  # the cap is per firm
    assert audit_count(ledger, action="grant", outcome="refused") == 2


def test_art_13_pays_at_most_five_green_design_products_per_firm(
    ledger: Ledger, tokens: dict[Role, str]
) -> None:
    for i in range(5):
        grant(
            ledger,
            tokens[Role.clerk],
            rule_id=GREEN_PRODUCT,
            subject=f"产品{i}",
            event_date=day(f"202{i % 3}-05-01"),
        )
    with pytest.raises(LedgerRefused, match="单个企业累计最多 5 项，台账中已有 5 项"):
        grant(
            ledger, tokens[Role.clerk], rule_id=GREEN_PRODUCT, subject="产品5", event_date=day("2022-12-01")
        )


def test_nb_2025_35_art_34_holds_in_every_three_year_window(ledger: Ledger, tokens: dict[Role, str]) -> None:
    clerk = tokens[Role.clerk]
    grant(ledger, clerk, rule_id=CLASSIC, event_date=day("2025-11-01"), amount_yuan=200_000)
    grant(ledger, clerk, rule_id=CLASSIC, event_date=day("2026-03-01"), amount_yuan=100_000)
    with pytest.raises(LedgerRefused, match="单个企业3年内不超过 300,000 元，台账中已记 300,000 元"):
        grant(ledger, clerk, rule_id=CLASSIC, event_date=day("2027-01-01"), amount_yuan=10_000)
    grant(ledger, clerk, rule_id=CLASSIC, event_date=day("2028-12-01"), amount_yuan=200_000)  # 2025-11 is out
    # back-dated: its own window is empty, but the window ending 2028-12-01 would hold 100,000 + 200,000 + 50,000
    with pytest.raises(LedgerRefused, match="台账中已记 300,000 元"):
        grant(ledger, clerk, rule_id=CLASSIC, event_date=day("2026-06-01"), amount_yuan=50_000)


def test_refusals_name_the_ceiling_the_duplicate_and_the_bad_code(
    ledger: Ledger, tokens: dict[Role, str]
) -> None:
    clerk = tokens[Role.clerk]
    with pytest.raises(
        LedgerRefused,
        match="金额 300,001 元超过nb-2020-mfg 第22条“新增“品字标浙江制造”认证企业补助”的最高 300,000 元",
    ):
        grant(ledger, clerk, rule_id=PINZI, event_date=day("2020-10-01"), amount_yuan=300_001)
    first = grant(ledger, clerk, rule_id=PINZI, event_date=day("2020-10-01"), amount_yuan=200_000)
    with pytest.raises(LedgerRefused, match=f"该奖励已在台账中（#{first.id}，拟兑现）"):
        grant(ledger, clerk, rule_id=PINZI, event_date=day("2020-10-01"), amount_yuan=100_000)
    with pytest.raises(LedgerError, match="校验位错误"):
        grant(ledger, clerk, credit_code="91330200MA2K21001A", rule_id=PINZI, event_date=day("2020-10-01"))
    with pytest.raises(NotFoundError, match="没有编号为“nb-2020-mfg/22/nothing”的规则"):
        grant(ledger, clerk, rule_id="nb-2020-mfg/22/nothing", event_date=day("2020-10-01"))
    reasons = ledger.run(
        lambda s: [e.detail for e in s.query(AuditEntry).filter(AuditEntry.outcome == "refused")]
    )
    assert len(reasons) == 4 and all('"reason": "' in r for r in reasons)


def test_a_budget_refuses_a_grant_that_would_overdraw_it(ledger: Ledger, tokens: dict[Role, str]) -> None:
    clerk, reviewer = tokens[Role.clerk], tokens[Role.reviewer]
    req = BudgetIn(document="nb-2020-mfg", year=2021, amount_yuan=budgets.parse_amount("25万"), note="第39条")
    service.perform(ledger, reviewer, "budget", lambda s, a: budgets.set_budget(s, a, req))
    dept = BudgetIn(department="市经信局", year=2021, amount_yuan=budgets.parse_amount("39亿"))
    service.perform(ledger, reviewer, "budget", lambda s, a: budgets.set_budget(s, a, dept))
    a = grant(ledger, clerk, credit_code=firm_code(1), rule_id=GREEN_PRODUCT, event_date=day("2021-03-01"))
    grant(ledger, clerk, credit_code=firm_code(2), rule_id=GREEN_PRODUCT, event_date=day("2021-03-01"))
    with pytest.raises(LedgerRefused) as refused:
        grant(ledger, clerk, credit_code=firm_code(3), rule_id=GREEN_PRODUCT, event_date=day("2021-03-01"))
    assert refused.value.message == (
        "预算不足，拒绝超支：文件 nb-2020-mfg 2021 年度预算 250,000 元，已用 200,000 元，剩余 50,000 元，本次 100,000 元"
    )
    grant(
        ledger,
        clerk,
        credit_code=firm_code(3),
        rule_id=GREEN_PRODUCT,
        event_date=day("2021-04-01"),
        year=2022,
    )
    shown = {b.label: b for b in ledger.run(lambda s: budgets.list_budgets(s, year=2021))}
    assert (shown["文件 nb-2020-mfg"].used_yuan, shown["文件 nb-2020-mfg"].remaining_yuan) == (
        200_000,
        50_000,
    )
    assert shown["部门 市经信局"].amount_yuan == 3_900_000_000
    lower = BudgetIn(document="nb-2020-mfg", year=2021, amount_yuan=100_000)
    with pytest.raises(LedgerRefused, match="已用 200,000 元，预算不能调低到 100,000 元"):
        service.perform(ledger, reviewer, "budget", lambda s, x: budgets.set_budget(s, x, lower))
    act(ledger, reviewer, "revoke", a.id)
    grant(ledger, clerk, credit_code=firm_code(3), rule_id=GREEN_PRODUCT, event_date=day("2021-05-01"))


def test_amounts_parse_exactly() -> None:
    assert budgets.parse_amount("39亿") == 3_900_000_000
    assert budgets.parse_amount("39 亿元") == 3_900_000_000
    assert budgets.parse_amount("12.5万") == 125_000
    assert budgets.parse_amount("1,000,001") == 1_000_001
    with pytest.raises(LedgerError, match="整数元"):
        budgets.parse_amount("0.5")
    with pytest.raises(LedgerError, match="无法识别"):
        budgets.parse_amount("五十万")


def test_roles_and_tokens_are_enforced_and_every_denial_is_audited(
    ledger: Ledger, tokens: dict[Role, str]
) -> None:
    clerk, reviewer = tokens[Role.clerk], tokens[Role.reviewer]
    with pytest.raises(AuthenticationRequired, match="台账须凭令牌查阅和办理"):
        grant(ledger, "", rule_id=PINZI, event_date=day("2020-10-01"))
    with pytest.raises(AuthenticationRequired, match="令牌无效"):
        grant(ledger, clerk + "x", rule_id=PINZI, event_date=day("2020-10-01"))
    with pytest.raises(Forbidden, match="张审核（审核）无权拟兑现（录入奖励）：须由经办角色办理"):
        grant(ledger, reviewer, rule_id=PINZI, event_date=day("2020-10-01"))
    award = grant(ledger, clerk, rule_id=PINZI, event_date=day("2020-10-01"))
    for action in ("publish", "pay", "revoke"):
        with pytest.raises(Forbidden):
            act(ledger, clerk, action, award.id)
    assert audit_count(ledger, outcome="denied") == 6
    assert audit_count(ledger, outcome="denied", actor="（未认证）") == 2
    assert count(ledger, Award) == 1


def test_the_audit_trail_is_append_only_in_the_database(ledger: Ledger, tokens: dict[Role, str]) -> None:
    grant(ledger, tokens[Role.clerk], rule_id=PINZI, event_date=day("2020-10-01"))
    for statement in ("UPDATE ledger_audit SET actor = 'x'", "DELETE FROM ledger_audit"):
        with pytest.raises(Exception, match="append-only"), ledger.transaction() as session:
            session.connection().exec_driver_sql(statement)
    assert audit_count(ledger, action="grant") == 1
