"""``huiqi docs``, ``huiqi show``, ``huiqi search``: the documents and their articles."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from huiqi.cli.common import FORMAT_OPTION, Format, emit_json, guard, out
from huiqi.corpus import Status, get_corpus
from huiqi.corpus import views as v
from huiqi.rules.load import article_links, get_rulebook


def _window(w: v.Window | None) -> str:
    if w is None:
        return "—（非兑现依据）"
    text = f"{w.start} 至 {w.end}"
    if w.events_from and w.events_from != w.start:
        text += f"（{w.events_from} 起的事项可参照执行）"
    if w.start_note:
        text += "（起始日待定）"
    return text


def docs(fmt: Format = FORMAT_OPTION) -> None:
    """列出政策库中的文件：编号、文号、标题、状态、适用地区、有效期。"""
    rows = v.list_documents(get_corpus())
    if fmt is Format.json:
        return emit_json(rows)
    table = Table(title="政策库", show_lines=True)
    for col in ("编号", "文号", "标题", "状态", "适用地区", "有效期", "条数"):
        table.add_column(col, overflow="fold")
    for d in rows:
        table.add_row(
            d.id,
            d.wenhao or "—",
            d.short_title,
            d.status_label,
            d.jurisdiction,
            _window(d.window),
            str(d.articles),
        )
    out.print(table)
    return None


def _print_passage(p: v.PassageView, raw: bool) -> None:
    if p.section:
        out.print(Text(p.section, style="bold"))
    out.print(Text(f"{p.id}  {p.label}", style="cyan"))
    out.print(p.raw if raw else p.text, markup=False)
    if p.departments and not raw:
        out.print(Text("责任部门：" + "、".join(p.departments), style="dim"))
    for link in p.links:
        arrow = (
            f"该数字的兑现依据：{link.article_id}"
            if link.relation == "依据"
            else f"答复函中提及：{link.article_id}"
        )
        out.print(Text(f"{arrow}（{link.amount}）— {link.note}", style="cyan"))


def show(
    ident: Annotated[
        str, typer.Argument(metavar="ID", help="文件编号（nb-2025-35）或条款编号（nb-2025-35/11）")
    ],
    raw: Annotated[bool, typer.Option("--raw", help="打印原文片段（未经整理）")] = False,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """显示一个文件或一条条款的全文，带所在章节标题。"""
    corpus = get_corpus()
    if "/" in ident:
        passage = v.show_passage(corpus, ident, article_links(get_rulebook()))
        if fmt is Format.json:
            return emit_json(passage)
        _print_passage(passage, raw)
        return None
    doc = v.document_view(corpus, ident)
    if fmt is Format.json:
        return emit_json(doc)
    if raw:
        out.print(corpus.document(ident).original, markup=False)
        return None
    out.print(Text(doc.title, style="bold"))
    out.print(
        f"{doc.wenhao or '（无文号）'} · {doc.issuer} · {doc.status_label} · 适用：{doc.jurisdiction} · "
        f"有效期：{_window(doc.window)}",
        markup=False,
    )
    for note in doc.notes:
        out.print(Text(note, style="dim"))
    for section in doc.sections:
        mark = "" if section.numbered_in_text else "（原文缺序号）"
        out.print(Text(f"\n{_cn(section.number)}、{section.heading}{mark}", style="bold"))
        if section.intro:
            out.print(section.intro, markup=False)
        for a in section.articles:
            out.print(Text.assemble((f"  {a.id:<20}", "cyan"), f" {a.label} {a.title}"))
    if doc.closing:
        out.print(Text("\n附则", style="bold"))
        out.print(doc.closing.text, markup=False)
    return None


def _cn(n: int) -> str:
    from huiqi.corpus.segment import int_to_cn

    return int_to_cn(n)


def search(
    query: Annotated[str, typer.Argument(help="要查找的文字；空格分隔的多个词须同时出现")],
    doc: Annotated[
        list[str] | None, typer.Option("--doc", "-d", help="只在这些文件中查找（可多次给出）")
    ] = None,
    status: Annotated[list[Status] | None, typer.Option("--status", "-s", help="只查这些状态的文件")] = None,
    department: Annotated[str | None, typer.Option("--department", help="只查此责任部门的条款")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, max=500, help="最多显示条数")] = 30,
    fmt: Format = FORMAT_OPTION,
) -> None:
    """全文检索所有条款（两个字的词也可以，如“冠军”“北斗”“亩均”），按相关度排序并标出命中处。"""
    result = v.search(get_corpus(), query, documents=doc, statuses=status, department=department, limit=limit)
    if fmt is Format.json:
        return emit_json(result)
    if not result.hits:
        out.print(f"没有找到“{query}”。", markup=False)
        return None
    table = Table(title=f"“{query}”的检索结果（{result.total} 条）")
    for col in ("条款", "文件", "标题", "命中"):
        table.add_column(col, overflow="fold")
    for h in result.hits:
        snippet = Text()
        for part, hit in h.snippet:
            snippet.append(part, style="bold red" if hit else None)
        table.add_row(h.id, h.document_title, h.title, snippet)
    out.print(table)
    return None


def register(app: typer.Typer) -> None:
    for fn in (docs, show, search):
        app.command(fn.__name__)(guard(fn))
