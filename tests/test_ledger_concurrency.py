"""Officials granting at the same moment never overdraw a cap or a budget: 50 threads released together
against one cumulative cap (row lock on the firm) and one budget (row lock on the budget) on PostgreSQL,
and the same on SQLite (BEGIN IMMEDIATE). Every refused grant says why, and is audited with its reason."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from huiqi.ledger import budgets, service
from huiqi.ledger.db import Ledger
from huiqi.ledger.errors import LedgerRefused
from huiqi.ledger.models import AuditEntry, Award, Role
from huiqi.ledger.schemas import BudgetIn

from .test_ledger_support import FIRM, firm_code, grant, make_tokens, open_ledger

PINZI_PRODUCT = "nb-2020-mfg/22/pinzibiao_certified_product"
GREEN_PRODUCT = "nb-2020-mfg/13/green_design_product"


def race(n: int, attempt: Callable[[int], object]) -> list[str | None]:
    """``attempt(i)`` in ``n`` threads released at once; None for a grant made, else the refusal."""
    gate = threading.Barrier(n)

    def one(i: int) -> str | None:
        gate.wait()
        try:
            attempt(i)
        except LedgerRefused as exc:
            return exc.message
        return None

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def refusals_audited(ledger: Ledger) -> list[str]:
    query = select(AuditEntry.detail).where(AuditEntry.action == "grant", AuditEntry.outcome == "refused")
    return [json.loads(d)["reason"] for d in ledger.run(lambda s: list(s.scalars(query)))]


def total(ledger: Ledger) -> int:
    return int(ledger.run(lambda s: s.scalar(select(func.coalesce(func.sum(Award.amount_yuan), 0)))) or 0)


def cap_race(ledger: Ledger, n: int) -> None:
    clerk = make_tokens(ledger)[Role.clerk]
    start = dt.date(2021, 1, 1)

    def attempt(
        i: int,
    ) -> object:  # 50 different products of one firm, 10 万元 each, against art 22's 50 万元
        return grant(
            ledger, clerk, rule_id=PINZI_PRODUCT, subject=f"产品{i}", event_date=start + dt.timedelta(days=i)
        )

    results = race(n, attempt)
    refused = [r for r in results if r is not None]
    assert results.count(None) == 5 and len(refused) == n - 5
    assert total(ledger) == 500_000  # the cap holds exactly
    assert all(
        r.startswith("超过 nb-2020-mfg 第22条的累计上限：单个企业累计不超过 500,000 元") for r in refused
    )
    assert all("最多还可 0 元" in r for r in refused)
    assert sorted(refusals_audited(ledger)) == sorted(refused)


def budget_race(ledger: Ledger, n: int, room: int) -> None:
    tokens = make_tokens(ledger)
    req = BudgetIn(document="nb-2020-mfg", year=2021, amount_yuan=room * 100_000)
    service.perform(ledger, tokens[Role.reviewer], "budget", lambda s, a: budgets.set_budget(s, a, req))

    def attempt(i: int) -> object:  # n firms, one award each, against one budget
        return grant(
            ledger,
            tokens[Role.clerk],
            credit_code=firm_code(i),
            rule_id=GREEN_PRODUCT,
            event_date=dt.date(2021, 5, 1),
        )

    results = race(n, attempt)
    assert results.count(None) == room
    assert all(
        r is None or r.startswith("预算不足，拒绝超支：文件 nb-2020-mfg 2021 年度预算") for r in results
    )
    shown = ledger.run(lambda s: budgets.list_budgets(s, year=2021))
    assert [(b.used_yuan, b.remaining_yuan) for b in shown] == [(room * 100_000, 0)]
    assert len(refusals_audited(ledger)) == n - room


def test_fifty_concurrent_grants_hold_one_cumulative_cap_on_postgresql(tmp_path: Path) -> None:
    with open_ledger("postgresql", tmp_path, pool_size=60) as ledger:
        cap_race(ledger, 50)


def test_fifty_concurrent_grants_hold_one_budget_on_postgresql(tmp_path: Path) -> None:
    with open_ledger("postgresql", tmp_path, pool_size=60) as ledger:
        budget_race(ledger, 50, room=23)


@pytest.mark.parametrize("race_", [cap_race, budget_race], ids=["cap", "budget"])
def test_concurrent_grants_on_sqlite(tmp_path: Path, race_: Callable[..., None]) -> None:
    with open_ledger("sqlite", tmp_path) as ledger:
        if race_ is budget_race:
            budget_race(ledger, 20, room=7)
        else:
            cap_race(ledger, 20)


def test_the_firm_is_named_once_whoever_grants_first(tmp_path: Path) -> None:
    with open_ledger("sqlite", tmp_path) as ledger:
        clerk = make_tokens(ledger)[Role.clerk]
        grant(ledger, clerk, rule_id=GREEN_PRODUCT, event_date=dt.date(2021, 5, 1), firm_name="宁波甬联")
        grant(ledger, clerk, rule_id=GREEN_PRODUCT, event_date=dt.date(2021, 6, 1), firm_name="别的名字")
        assert ledger.run(lambda s: service.firm_view(s, FIRM)).name == "宁波甬联"
