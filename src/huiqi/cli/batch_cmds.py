"""``huiqi batch`` (screen a whole population) and ``huiqi synth`` (make a synthetic one)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from huiqi.batch import BatchResult, run_batch, write_outputs
from huiqi.cli.calc_cmds import _as_of, _publication
from huiqi.cli.common import err, guard, out
from huiqi.errors import NotFoundError, QueryError
from huiqi.money import wan

FIRST_ZH = {
    "document_id": "文件",
    "document_title": "标题",
    "article": "条款",
    "title": "奖补事项",
    "department": "责任部门",
    "region": "注册地",
}
STATUS_ZH = {
    "excluded": "不予享受",
    "halved": "减半",
    "set_aside": "从高不重复/上限未另计",
    "needs_info": "需补充信息",
}


def _wan(value: object) -> str:
    return wan(int(value)) if isinstance(value, int) else str(value)


def print_summary(result: BatchResult) -> None:
    """The budget view: cost per document, article and department; exact money, ceilings and floors apart."""
    for key, title, first in (
        ("by_document", "按文件", ("document_id", "document_title")),
        ("by_article", "按条款", ("document_id", "article", "title")),
        ("by_department", "按责任部门", ("department",)),
        ("by_region", "按注册地", ("region",)),
    ):
        table = Table(title=f"{title}（金额单位：万元）", title_justify="left")
        for col in (
            *(FIRST_ZH[c] for c in first),
            "定额",
            "最高",
            "不低于",
            "支持(项)",
            "非资金(项)",
            "涉及企业",
            "不予享受",
            "减半",
            "未另计",
        ):
            table.add_column(col, overflow="fold")
        for row in result.summary[key].to_pylist():
            table.add_row(
                *(str(row[c] or "") for c in first),
                _wan(row["exact_yuan"]),
                _wan(row["up_to_yuan"]),
                _wan(row["at_least_yuan"]),
                str(row["unquantified"]),
                str(row["non_monetary"]),
                str(row["firms_reached"]),
                str(row["excluded"]),
                str(row["halved"]),
                str(row["set_aside"]),
            )
        out.print(table)
    reasons = Table(title="不予享受、减半、未另计的原因", title_justify="left")
    for col in ("状态", "原因（条款、分组或上限）", "行数"):
        reasons.add_column(col)
    for row in result.summary["reasons"].to_pylist():
        reasons.add_row(STATUS_ZH.get(row["status"], row["status"]), str(row["reason"]), str(row["count"]))
    out.print(reasons)


def batch(
    firms: Annotated[Path, typer.Argument(help="企业表（CSV、Parquet 或 XLSX；列名用词汇表名称或中文）")],
    events: Annotated[Path | None, typer.Option("--events", help="事项表（同上）")] = None,
    prior: Annotated[Path | None, typer.Option("--prior", help="已获奖励表（Parquet 或 CSV）")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="输出目录")] = Path("huiqi-batch-output"),
    fmt: Annotated[str, typer.Option("--format", "-f", help="输出格式：parquet、csv 或 xlsx")] = "parquet",
    as_of: Annotated[str | None, typer.Option("--as-of", help="计算日（YYYY-MM-DD），默认今天")] = None,
    include_drafts: Annotated[bool, typer.Option("--include-drafts", help="计入征求意见稿")] = False,
    publication_date: Annotated[
        list[str] | None, typer.Option("--publication-date", help="文件编号=YYYY-MM-DD")
    ] = None,
    engine: Annotated[
        str, typer.Option("--engine", help="计算引擎：duckdb（默认，内嵌）或 spark")
    ] = "duckdb",
    summary: Annotated[
        bool, typer.Option("--summary", help="打印预算视图：按文件、条款、部门、地区汇总")
    ] = False,
) -> None:
    """批量测算：一次筛查全部企业（免申即享、政策成本测算），结果与单个企业计算逐项一致。"""
    for path in (firms, events, prior):
        if path is not None and not path.exists():
            raise NotFoundError(f"找不到文件：{path}")
    if fmt not in ("parquet", "csv", "xlsx"):
        raise QueryError(f"--format 应为 parquet、csv 或 xlsx，而不是 {fmt}")
    day = _as_of(as_of, None)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err, transient=True
    ) as progress:
        task = progress.add_task("开始", total=1.0)
        result = run_batch(
            firms,
            events,
            as_of=day,
            include_drafts=include_drafts,
            prior=prior,
            publication_dates=_publication(publication_date),
            engine=engine,
            progress=lambda stage, share: progress.update(task, description=stage, completed=share),
        )
        written = write_outputs(result, output, fmt)
    c = result.counts
    out.print(
        f"企业 {c['firms']:,} 家，事项 {c['events']:,} 项，奖补行 {c['awards']:,} 行，"
        f"可享受的企业 {c['firms_reached']:,} 家；计算日 {day}",
        markup=False,
    )
    if result.rejected:
        reasons = Counter((p.table, p.column, p.message) for p in result.rejected)
        out.print(f"未通过校验的行：{c['rejected_rows']:,} 行（已跳过，其余照常计算）：", markup=False)
        for (table, column, message), n in reasons.most_common(10):
            out.print(f"  · {table}表 {column}：{message} — {n:,} 处", markup=False)
        first = result.rejected[0]
        out.print(
            f"  例：{first.table}表第 {first.row} 行，{first.column}=“{first.value}”：{first.message}",
            markup=False,
        )
    if summary:
        print_summary(result)
    for path in written:
        out.print(f"已写出：{path}", markup=False)


def synth(
    firms: Annotated[int, typer.Option("--firms", "-n", min=1, max=20_000_000, help="企业数")] = 10_000,
    output: Annotated[Path, typer.Option("--output", "-o", help="输出目录")] = Path("huiqi-synth"),
    seed: Annotated[int, typer.Option("--seed", help="随机种子（同一种子结果相同）")] = 2025,
) -> None:
    """生成一个合成的宁波企业群体（演示、测试、基准测试用），按答复函等文件给出的数字校准。"""
    from huiqi.batch.synth import synthesize

    start = dt.datetime.now()
    firms_path, events_path = synthesize(firms, output, seed=seed)
    n_events = pq.ParquetFile(events_path).metadata.num_rows
    seconds = (dt.datetime.now() - start).total_seconds()
    out.print(
        f"已生成 {firms:,} 家企业、{n_events:,} 项事项（{seconds:.1f} 秒）：{firms_path}、{events_path}",
        markup=False,
    )


def register(app: typer.Typer) -> None:
    app.command("batch")(guard(batch))
    app.command("synth")(guard(synth))
