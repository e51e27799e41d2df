"""``huiqi ledger …`` and ``huiqi budget …``: the award ledger (兑现台账) from the command line.

Writes need a token (``--token`` or the environment variable HUIQI_LEDGER_TOKEN) whose role may do them;
reading, migrating and creating tokens need access to the database only (HUIQI_DATABASE_URL).
"""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table
from rich.text import Text
from sqlalchemy.orm import Session

from huiqi.cli.common import FORMAT_OPTION, Format, emit_json, err, guard, out
from huiqi.errors import QueryError
from huiqi.ledger import budgets as budget_ops
from huiqi.ledger import service, transfer
from huiqi.ledger.access import Actor, audit_trail, create_token, list_tokens, parse_role, revoke_token
from huiqi.ledger.db import Ledger
from huiqi.ledger.schemas import AuditOut, AwardOut, BudgetIn, FirmOut, GrantIn, PayIn
from huiqi.money import yuan

T = TypeVar("T")
ledger_app = typer.Typer(
    help="兑现台账：记录奖励的拟兑现、公示、拨付与撤销，以及谁在何时办理。", no_args_is_help=True
)
token_app = typer.Typer(help="台账令牌：创建（只显示一次）、列出、吊销。", no_args_is_help=True)
budget_app = typer.Typer(help="预算：按文件、条款或部门及年度设置，显示已用与剩余。", no_args_is_help=True)

TOKEN = typer.Option("--token", envvar="HUIQI_LEDGER_TOKEN", help="令牌（建议用环境变量 HUIQI_LEDGER_TOKEN）")
Token = Annotated[str | None, TOKEN]


@contextmanager
def _ledger(*, check: bool = True) -> Iterator[Ledger]:
    ledger = Ledger.from_env()
    try:
        if check:
            ledger.ensure_schema()
        yield ledger
    finally:
        ledger.close()


def _write(token: str | None, action: str, work: Callable[[Session, Actor], T], **target: Any) -> T:
    with _ledger() as ledger:
        return service.perform(ledger, token, action, work, via="cli", target=target)


def _read(work: Callable[[Session], T]) -> T:
    with _ledger() as ledger:
        return ledger.run(work)


def _admin() -> Actor:
    return Actor(name=f"{getpass.getuser()}（本机管理员）", role=None, via="cli")


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"{option} 不是有效日期：{value}（应为 YYYY-MM-DD）") from None


def _award_line(a: AwardOut) -> str:
    paid = "；".join(
        f"{t.milestone} {yuan(t.amount_yuan)}" + (f"（已拨付 {t.paid_on or ''}）" if t.paid else "（未拨付）")
        for t in a.tranches
    )
    subject = f"·{a.subject}" if a.subject else ""
    return f"#{a.id} {a.rule_id}{subject}（{a.event_date}）{yuan(a.amount_yuan)} 元 {a.state.value}　{paid}"


def _show_award(a: AwardOut, fmt: Format) -> None:
    if fmt is Format.json:
        return emit_json(a)
    out.print(_award_line(a), markup=False)
    return None


@ledger_app.command("migrate")
@guard
def migrate(
    revision: Annotated[
        str, typer.Option("--to", help="目标版本：head（最新）、base（清空）或版本号")
    ] = "head",
    down: Annotated[bool, typer.Option("--down", help="降级到 --to 指定的版本")] = False,
) -> None:
    """把台账数据库升级到最新版本（alembic upgrade head）；--down --to base 删除台账的表。"""
    with _ledger(check=False) as ledger:
        before = ledger.current_revision()
        (ledger.downgrade if down else ledger.upgrade)(revision)
        out.print(f"台账数据库：{before or '空'} → {ledger.current_revision() or '空'}（{ledger.dialect}）")


@token_app.command("create")
@guard
def token_create(
    role: Annotated[str, typer.Option("--role", help="经办 或 审核")],
    name: Annotated[str, typer.Option("--name", help="持有人姓名")],
) -> None:
    """创建令牌：只在此时显示一次，库中只存其 sha256。"""
    actor, chosen = _admin(), parse_role(role)

    def work(s: Session) -> tuple[int, str]:
        row, secret = create_token(s, name=name, role=chosen, by=actor)
        return row.id, secret

    with _ledger() as ledger:
        token_id, secret = ledger.run(work)
    err.print(f"已为 {name}（{chosen}）创建令牌 #{token_id}。令牌只显示这一次，请妥善保存：", markup=False)
    sys.stdout.write(secret + "\n")


@token_app.command("list")
@guard
def token_list() -> None:
    """列出令牌（编号、持有人、角色、创建与吊销时间；不含令牌本身）。"""
    for t in _read(list_tokens):
        revoked = f"，已吊销 {t.revoked_at:%Y-%m-%d}" if t.revoked_at else ""
        out.print(f"#{t.id} {t.name}（{t.role}）创建于 {t.created_at:%Y-%m-%d}{revoked}", markup=False)


@token_app.command("revoke")
@guard
def token_revoke(token_id: Annotated[int, typer.Argument(help="令牌编号")]) -> None:
    """吊销令牌。"""
    actor = _admin()
    with _ledger() as ledger:
        row = ledger.run(lambda s: revoke_token(s, token_id, by=actor))
    out.print(f"令牌 #{row.id}（{row.name}）已吊销")


@ledger_app.command("grant")
@guard
def grant(
    firm: Annotated[str, typer.Option("--firm", help="统一社会信用代码")],
    rule: Annotated[str, typer.Option("--rule", help="规则编号，如 nb-2020-mfg/22/pinzibiao_certified")],
    date: Annotated[str, typer.Option("--date", help="事项日期（入选、认定等，YYYY-MM-DD）")],
    amount: Annotated[str, typer.Option("--amount", help="金额：元，或 15万")],
    subject: Annotated[str | None, typer.Option("--subject", help="对象：产品、项目、场地")] = None,
    year: Annotated[int | None, typer.Option("--year", help="预算年度（默认事项所在年）")] = None,
    name: Annotated[str | None, typer.Option("--name", help="企业名称")] = None,
    note: Annotated[str | None, typer.Option("--note", help="说明")] = None,
    token: Token = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """录入拟兑现奖励（经办）：超过累计上限、每企业项目数或预算的，拒绝并说明原因。"""
    day = _date(date, "--date")
    assert day is not None
    req = GrantIn(
        credit_code=firm,
        firm_name=name,
        rule_id=rule,
        subject=subject,
        event_date=day,
        year=year,
        amount_yuan=budget_ops.parse_amount(amount),
        note=note,
    )
    target = {"credit_code": firm.strip().upper(), "request": req.model_dump(mode="json")}
    _show_award(_write(token, "grant", lambda s, a: AwardOut.of(service.grant(s, a, req)), **target), fmt)


@ledger_app.command("publish")
@guard
def publish(
    award_id: Annotated[int, typer.Argument(help="奖励编号")],
    token: Token = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """公示（审核）：拟兑现 → 已公示。"""
    award = _write(
        token, "publish", lambda s, a: AwardOut.of(service.publish(s, a, award_id)), award_id=award_id
    )
    _show_award(award, fmt)


@ledger_app.command("pay")
@guard
def pay(
    award_id: Annotated[int, typer.Argument(help="奖励编号")],
    tranche: Annotated[int | None, typer.Option("--tranche", help="第几期（默认第一笔未拨付的）")] = None,
    on: Annotated[str | None, typer.Option("--date", help="拨付日期（默认今天）")] = None,
    token: Token = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """拨付一期（审核）；各期拨完即为已拨付。"""
    req = PayIn(tranche=tranche, paid_on=_date(on, "--date"))
    award = _write(
        token, "pay", lambda s, a: AwardOut.of(service.pay(s, a, award_id, req)), award_id=award_id
    )
    _show_award(award, fmt)


@ledger_app.command("revoke")
@guard
def revoke(
    award_id: Annotated[int, typer.Argument(help="奖励编号")],
    reason: Annotated[str, typer.Option("--reason", help="撤销理由")],
    token: Token = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """撤销（审核）：撤销的奖励不再占用累计上限和预算。"""

    def work(s: Session, a: Actor) -> AwardOut:
        return AwardOut.of(service.revoke(s, a, award_id, reason))

    _show_award(_write(token, "revoke", work, award_id=award_id, revoke_reason=reason), fmt)


@ledger_app.command("show")
@guard
def show(firm: Annotated[str, typer.Argument(help="统一社会信用代码")], fmt: Format = FORMAT_OPTION) -> None:
    """一家企业的台账：每项奖励、分期拨付、状态与合计。"""
    view: FirmOut = _read(lambda s: service.firm_view(s, firm))
    if fmt is Format.json:
        return emit_json(view)
    out.print(Text(f"{view.name or '（未记名称）'}　{view.credit_code}", style="bold"))
    table = Table(show_lines=False)
    for col in ("编号", "条款", "对象", "事项日期", "金额（元）", "状态", "分期"):
        table.add_column(col, overflow="fold")
    for a in view.awards:
        tranches = "\n".join(
            f"{t.milestone} {yuan(t.amount_yuan)}" + (f" 已拨付 {t.paid_on or ''}" if t.paid else " 未拨付")
            for t in a.tranches
        )
        table.add_row(
            f"#{a.id}",
            f"{a.document} 第{a.article}条",
            a.subject or "",
            str(a.event_date),
            yuan(a.amount_yuan),
            a.state.value,
            tranches,
        )
    out.print(table)
    totals = "；".join(f"{k} {yuan(v)} 元" for k, v in view.totals.items() if k != "paid_yuan" and v)
    out.print(f"按状态：{totals or '无'}　实际已拨付资金 {yuan(view.totals['paid_yuan'])} 元", markup=False)
    return None


@ledger_app.command("audit")
@guard
def audit(
    firm: Annotated[str | None, typer.Option("--firm", help="统一社会信用代码")] = None,
    award_id: Annotated[int | None, typer.Option("--award", help="奖励编号")] = None,
    limit: Annotated[int, typer.Option("--limit", help="最多显示几条")] = 50,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """审计记录：谁在何时做了什么（包括被拒绝的操作及原因），新的在前。"""
    code = service.valid_code(firm) if firm else None
    entries = _read(
        lambda s: [AuditOut.of(e) for e in audit_trail(s, credit_code=code, award_id=award_id, limit=limit)]
    )
    if fmt is Format.json:
        return emit_json(entries)
    for e in entries:
        reason = e.detail.get("reason")
        target = f" #{e.award_id}" if e.award_id else ""
        line = f"{e.at:%Y-%m-%d %H:%M:%S} {e.actor}（{e.role or '-'}，{e.via}）{e.action}{target} {e.outcome}"
        out.print(line + (f"：{reason}" if reason else ""), markup=False)
    return None


@ledger_app.command("import")
@guard
def import_(
    file: Annotated[Path, typer.Argument(help="CSV 或 XLSX 文件（列名见 huiqi ledger export）")],
    token: Token = None,
) -> None:
    """导入台账：整个文件一个事务，中途失败不留半截；同一文件重复导入不作任何更改。"""
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise QueryError(f"无法读取文件：{exc}") from None
    parsed = transfer.parse_file(data, file.name)
    report = _write(
        token, "import", lambda s, a: transfer.import_rows(s, a, parsed), file=file.name, sha256=parsed.sha256
    )
    out.print(report.summary, markup=False)


@ledger_app.command("export")
@guard
def export(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="输出文件（.csv 或 .xlsx）；默认 CSV 到标准输出")
    ] = None,
    firm: Annotated[str | None, typer.Option("--firm", help="只导出这家企业")] = None,
    year: Annotated[int | None, typer.Option("--year", help="只导出该预算年度")] = None,
) -> None:
    """导出台账（CSV 或 XLSX，列与导入相同，可再导入）。"""
    rows = _read(lambda s: transfer.export_rows(s, credit_code=firm, year=year))
    if output is None:
        sys.stdout.write(transfer.to_csv(rows).decode("utf-8-sig"))
        return
    data = transfer.to_xlsx(rows) if output.suffix.lower() == ".xlsx" else transfer.to_csv(rows)
    output.write_bytes(data)
    out.print(f"已导出 {len(rows)} 项到 {output}", markup=False)


@budget_app.command("set")
@guard
def budget_set(
    year: Annotated[int, typer.Option("--year", help="年度")],
    amount: Annotated[str, typer.Option("--amount", help="金额：元，或 39亿、500万")],
    document: Annotated[str | None, typer.Option("--document", help="文件编号，如 nb-2020-mfg")] = None,
    article: Annotated[str | None, typer.Option("--article", help="条款号（与 --document 同用）")] = None,
    department: Annotated[str | None, typer.Option("--department", help="部门，如 市经信局")] = None,
    note: Annotated[str | None, typer.Option("--note", help="说明，如 第39条 每年39亿元")] = None,
    token: Token = None,
) -> None:
    """设置预算（审核）：按文件、条款或部门及年度；不能调低到已用之下。"""
    req = BudgetIn(
        document=document,
        article=article,
        department=department,
        year=year,
        amount_yuan=budget_ops.parse_amount(amount),
        note=note,
    )
    b = _write(
        token, "budget", lambda s, a: budget_ops.set_budget(s, a, req), request=req.model_dump(mode="json")
    )
    out.print(
        f"{b.label} {b.year} 年度预算 {yuan(b.amount_yuan)} 元，已用 {yuan(b.used_yuan)} 元，剩余 {yuan(b.remaining_yuan)} 元",
        markup=False,
    )


@budget_app.command("show")
@guard
def budget_show(
    year: Annotated[int | None, typer.Option("--year", help="只显示该年度")] = None,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """预算：金额、已用、剩余。"""
    rows = _read(lambda s: budget_ops.list_budgets(s, year=year))
    if fmt is Format.json:
        return emit_json(rows)
    table = Table()
    for col in ("预算", "年度", "金额（元）", "已用（元）", "剩余（元）", "说明"):
        table.add_column(col, overflow="fold")
    for b in rows:
        table.add_row(
            b.label, str(b.year), yuan(b.amount_yuan), yuan(b.used_yuan), yuan(b.remaining_yuan), b.note or ""
        )
    out.print(table)
    return None


ledger_app.add_typer(token_app, name="token")


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
    app.add_typer(budget_app, name="budget")
