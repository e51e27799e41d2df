"""``huiqi check``, ``huiqi vocab``, ``huiqi schema``: the rules and the facts they read."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from huiqi.cli.common import FORMAT_OPTION, Format, emit_json, err, guard, out
from huiqi.corpus import get_corpus
from huiqi.errors import CheckError
from huiqi.rules.check import check as run_check
from huiqi.rules.load import get_rulebook
from huiqi.vocab import get_vocabulary
from huiqi.vocab.catalogue import TYPE_LABELS, Fact
from huiqi.vocab.schema import profile_schema


def check(fmt: Format = FORMAT_OPTION) -> None:
    """校验全部规则文件：能否载入、每段引文是否在原文中、每个金额和比例是否都有规则或注释（覆盖率）。"""
    report = run_check(get_corpus(), get_rulebook())
    if fmt is Format.json:
        emit_json(report)
    else:
        table = Table(title="规则校验")
        for col in ("文件", "规则数", "条款覆盖", "金额/比例覆盖", "覆盖率"):
            table.add_column(col)
        for d in report.documents:
            if not d.encoded:
                table.add_row(d.document, "—", "—", f"0/{d.mentions}", Text("未编码", style="dim"))
                continue
            style = "green" if not d.uncovered else "red"
            table.add_row(
                d.document,
                str(d.rules),
                f"{d.articles_accounted}/{d.articles}",
                f"{d.covered}/{d.mentions}",
                Text(f"{d.coverage:.0%}", style=style),
            )
        out.print(table)
        for d in report.documents:
            for m in d.uncovered:
                err.print(f"未覆盖：{m.article_id} 中的“{m.text}”既没有规则使用，也没有注释", markup=False)
        for p in report.problems:
            err.print(
                f"问题：{p.article_id or p.document}{'，' + p.source if p.source else ''}：{p.message}",
                markup=False,
            )
    if not report.ok:
        raise CheckError(
            f"规则校验未通过：{len(report.problems)} 个问题，"
            f"{sum(len(d.uncovered) for d in report.documents if d.encoded)} 处金额未覆盖"
        )


def _row(section: str, f: Fact, regions: tuple[str, ...]) -> dict[str, object]:
    values = list(regions if f.values_from == "regions" else f.values or ())
    return {
        "section": section,
        "name": f.name,
        "label": f.label,
        "type": f.type,
        "type_label": TYPE_LABELS[f.type],
        "unit": f.unit,
        "values": values,
        "description": f.description,
    }


def vocab(fmt: Format = FORMAT_OPTION) -> None:
    """列出规则可读取、档案可填写的全部事实：中文名称、类型、单位、可选值；以及全部事项类型。"""
    v = get_vocabulary()
    rows = (
        [_row("firm", f, v.regions) for f in v.firm]
        + [_row("years", f, v.regions) for f in v.years]
        + [_row("event", f, v.regions) for f in v.event_fields]
    )
    events = [
        {"name": e.name, "label": e.label, "verb": e.verb, "levels": list(e.levels), "fields": list(e.fields)}
        for e in v.events
    ]
    if fmt is Format.json:
        return emit_json({"facts": rows, "events": events})
    table = Table(title="事实词汇表")
    for col in ("名称", "中文", "类型", "单位", "可选值"):
        table.add_column(col, overflow="fold")
    for r in rows:
        values = r["values"]
        shown = "、".join(values[:6]) + ("…" if len(values) > 6 else "") if isinstance(values, list) else ""
        table.add_row(
            f"{r['section']}.{r['name']}", str(r["label"]), str(r["type_label"]), str(r["unit"] or ""), shown
        )
    out.print(table)
    etable = Table(title="事项类型")
    for col in ("名称", "事项", "级别/类别", "字段"):
        etable.add_column(col, overflow="fold")
    for e in v.events:
        etable.add_row(e.name, f"{e.verb}{e.label}", "、".join(e.levels), "、".join(e.fields))
    out.print(etable)
    return None


def schema(indent: Annotated[int, typer.Option(help="缩进空格数")] = 2) -> None:
    """输出企业档案的 JSON Schema（由词汇表生成）。"""
    typer.echo(json.dumps(profile_schema(get_vocabulary()), ensure_ascii=False, indent=indent))


def register(app: typer.Typer) -> None:
    for fn in (check, vocab, schema):
        app.command(fn.__name__)(guard(fn))
