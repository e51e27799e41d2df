"""``huiqi calc`` and ``huiqi demo``: what one firm may claim, as of a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from huiqi.cli.common import FORMAT_OPTION, Format, emit_json, guard, out
from huiqi.corpus import get_corpus
from huiqi.engine import calculate
from huiqi.engine.result import CalcResult, Status, Tranche
from huiqi.errors import NotFoundError, QueryError
from huiqi.money import wan
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file

STATUS_STYLE = {
    Status.paid: "green",
    Status.halved: "yellow",
    Status.set_aside: "dim",
    Status.excluded: "red",
    Status.needs_info: "magenta",
}


def _amount(amount: int | None, basis_label: str) -> str:
    return "—" if amount is None else f"{basis_label} {wan(amount)}"


def _tranche(t: Tranche) -> str:
    when = f"（{t.date}{'，已到期' if t.due else '，未到期'}）" if t.date else "（日期待定）"
    money = f" {wan(t.amount_yuan)}万元" if t.amount_yuan is not None else ""
    paid = f"，已拨付{' ' + str(t.paid_on) if t.paid_on else ''}" if t.paid else ""
    return f"{t.milestone}{when} {t.share}{money}{paid}"


def render(result: CalcResult, explain: bool) -> None:
    firm = result.firm
    out.print(Text(f"{firm.name}（{firm.region}）　计算日：{result.as_of}", style="bold"))
    for doc in result.documents:
        lines = [a for a in result.awards if a.document_id == doc.id]
        if not doc.considered:
            continue
        table = Table(title=f"{doc.title}（{doc.status}）", show_lines=explain, title_justify="left")
        for col in ("条款", "奖补事项", "事项", "金额（万元）", "状态", "说明"):
            table.add_column(col, overflow="fold")
        for a in lines:
            event = (
                a.event.label
                + (f"·{a.event.level}" if a.event.level else "")
                + (f"·{a.event.subject}" if a.event.subject else "")
                + f"（{a.event.date}）"
            )
            notes = [
                m.reason + (f"〔{m.article_id}〕" if m.article_id else "")
                for m in a.modifiers
                if m.kind != "exempt" or explain
            ]
            if a.missing:
                notes.append("需补充：" + "、".join(a.missing))
            if a.support and a.amount_yuan is None:
                notes.append(a.support)
            if a.schedule:
                notes.append("分期：" + "；".join(_tranche(t) for t in a.schedule))
            if explain:
                if a.formula_filled:
                    notes.append(f"计算：{a.formula_filled}")
                notes.append("原文：" + " … ".join(f"“{q}”" for q in a.quote))
            table.add_row(
                a.article_id,
                a.title,
                event,
                _amount(a.amount_yuan, a.basis_label),
                Text(a.status_label, style=STATUS_STYLE[a.status]),
                "\n".join(notes),
            )
        if lines:
            out.print(table)
        else:
            out.print(Text(f"{doc.title}：没有适用的奖补事项", style="dim"))
    t = result.totals
    out.print(
        Text(
            f"合计：定额 {wan(t.exact_yuan)} 万元；最高 {wan(t.up_to_yuan)} 万元；不低于 {wan(t.at_least_yuan)} 万元；"
            f"支持 {t.unquantified} 项；非资金 {t.non_monetary} 项",
            style="bold",
        )
    )
    for doc in result.documents:
        if not doc.considered and doc.reason and not doc.reason.startswith("征求意见稿"):
            out.print(Text(f"不适用：{doc.title} — {doc.reason}", style="dim"))
    for e in result.ignored_events:
        out.print(Text(f"未计入：{e.event.label}（{e.event.date}）— {e.reason}", style="dim"))
    for note in result.notes:
        out.print(Text(f"说明：{note}", style="cyan"))
    if result.near_misses:
        out.print(Text("\n再进一步（尚未满足、按可得金额排序）：", style="bold"))
        for nm in result.near_misses[:10]:
            out.print(f"  · {nm.message}", markup=False)


def _as_of(value: str | None, fallback: dt.date | None) -> dt.date:
    if value is None:
        return fallback or dt.date.today()
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise QueryError(f"--as-of 不是有效日期：{value}（应为 YYYY-MM-DD）") from None


def _publication(values: list[str] | None) -> dict[str, dt.date]:
    dates = {}
    for item in values or []:
        doc, _, day = item.partition("=")
        get_corpus().document(doc)
        try:
            dates[doc] = dt.date.fromisoformat(day)
        except ValueError:
            raise QueryError(f"--publication-date 应为 文件编号=YYYY-MM-DD：{item}") from None
    return dates


AS_OF = typer.Option("--as-of", help="计算日（YYYY-MM-DD）；默认取档案中的 as_of，否则为今天")
DRAFTS = typer.Option("--include-drafts", help="计入征求意见稿（结果会标明）")
EXPLAIN = typer.Option("--explain", "-e", help="逐项说明：公式代入、读取的事实、原文引文，以及“再进一步”")
PUBLICATION = typer.Option("--publication-date", help="发布日期未知的文件：文件编号=YYYY-MM-DD（可多次给出）")
LEDGER = typer.Option(
    "--ledger", help="从兑现台账读取该企业此前的奖励（累计上限、一次性奖励），并标明已拨付的分期"
)


def calc(
    profile: Annotated[Path, typer.Argument(help="企业档案文件（YAML 或 JSON）")],
    as_of: Annotated[str | None, AS_OF] = None,
    include_drafts: Annotated[bool, DRAFTS] = False,
    explain: Annotated[bool, EXPLAIN] = False,
    publication_date: Annotated[list[str] | None, PUBLICATION] = None,
    fmt: Format = FORMAT_OPTION,
    ledger: Annotated[bool, LEDGER] = False,
) -> None:
    """测算一家企业在某日可享受的全部奖补：金额、依据、减半/从高不重复/不予享受的原因，以及差什么条件。"""
    parsed = parse_profile(read_profile_file(profile), get_vocabulary(), source=str(profile))
    if ledger:
        from huiqi.ledger.bridge import calc_profile

        parsed = calc_profile(parsed)
    result = calculate(
        parsed,
        _as_of(as_of, parsed.as_of),
        include_drafts=include_drafts,
        explain=explain or fmt is Format.json,
        publication_dates=_publication(publication_date),
    )
    if ledger:
        from huiqi.ledger.bridge import calc_result

        result = calc_result(result, parsed)
    if fmt is Format.json:
        return emit_json(result)
    render(result, explain)
    return None


def _examples() -> dict[str, Path]:
    return {p.stem: p for p in get_corpus().example_files()}


def demo(
    name: Annotated[str, typer.Argument(help="示例企业名（默认 demo-manufacturer）")] = "demo-manufacturer",
    list_examples: Annotated[bool, typer.Option("--list", help="列出全部示例企业")] = False,
    include_drafts: Annotated[bool, DRAFTS] = False,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """用随库附带的示例企业演示计算器（README 的第一条命令）。"""
    examples = _examples()
    if list_examples:
        for key, path in examples.items():
            data = read_profile_file(path)
            out.print(f"{key}\t{data.get('description', '')}", markup=False)
        return None
    if name not in examples:
        raise NotFoundError(f"没有名为“{name}”的示例企业（可用：{'、'.join(examples)}）")
    path = examples[name]
    calc(path, None, include_drafts, True, None, fmt)
    if fmt is Format.table:
        out.print(Text(f"\n（示例档案：{path}；用 huiqi calc 档案.yaml 计算自己的企业）", style="dim"))
    return None


def register(app: typer.Typer) -> None:
    app.command("calc")(guard(calc))
    app.command("demo")(guard(demo))
