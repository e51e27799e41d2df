"""What a batch run hands out: per-award rows, per-firm totals, and the budget view — cost per document,
article, department and region with exact money, ceilings and floors kept apart, firms reached, and how
many lines were excluded, halved or set aside, and why."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from huiqi.corpus.load import Corpus

if TYPE_CHECKING:
    from huiqi.batch import BatchResult

# output column → plan column
AWARD_COLUMNS = {
    "firm_id": "firm_id",
    "event_id": "event_id",
    "rule_no": "rule_no",
    "rule_id": "rule_id",
    "document_id": "doc_id",
    "article": "article",
    "title": "title",
    "event_type": "e__type",
    "event_date": "e__date",
    "level": "e__level",
    "subject": "e__subject",
    "basis": "basis",
    "amount_yuan": "amount_yuan",
    "status": "status",
    "draft": "doc_draft",
    "department": "department",
    "region": "f__region",
    "group_id": "group_id",
    "excluded_by": "excluded_by",
    "halved_by": "halved_by",
    "set_aside_by": "set_aside_by",
    "capped_by": "capped_by",
}

HEADERS_ZH = {
    "firm_id": "企业编号",
    "rule_id": "规则",
    "document_id": "文件",
    "article": "条款",
    "title": "奖补事项",
    "event_type": "事项类型",
    "event_date": "事项日期",
    "level": "级别/类别",
    "subject": "对象",
    "basis": "依据类型",
    "amount_yuan": "金额（元）",
    "status": "状态",
    "draft": "征求意见稿",
    "department": "责任部门",
    "group_id": "从高不重复分组",
    "excluded_by": "不予享受原因",
    "halved_by": "减半原因",
    "set_aside_by": "未另计原因",
    "capped_by": "累计上限",
    "exact_yuan": "定额合计（元）",
    "up_to_yuan": "最高合计（元）",
    "at_least_yuan": "不低于合计（元）",
    "unquantified": "支持（项）",
    "non_monetary": "非资金（项）",
    "firms_reached": "涉及企业数",
    "lines": "行数",
    "excluded": "不予享受行数",
    "halved": "减半行数",
    "set_aside": "未另计行数",
    "needs_info": "需补充信息行数",
    "region": "注册地",
    "lines_counted": "计入行数",
    "reason": "原因",
    "count": "次数",
    "table": "表",
    "row": "行号",
    "column": "列",
    "value": "值",
    "message": "问题",
}

_SUMS = """
    sum(case when status in ('paid', 'halved') and basis = 'exact' then amount_yuan else 0 end)::BIGINT exact_yuan,
    sum(case when status in ('paid', 'halved') and basis = 'up_to' then amount_yuan else 0 end)::BIGINT up_to_yuan,
    sum(case when status in ('paid', 'halved') and basis = 'at_least' then amount_yuan else 0 end)::BIGINT
        at_least_yuan,
    count(*) filter (where status in ('paid', 'halved') and basis = 'unquantified') unquantified,
    count(*) filter (where status in ('paid', 'halved') and basis = 'non_monetary') non_monetary"""


def _sql(db: duckdb.DuckDBPyConnection, query: str, **tables: pa.Table) -> pa.Table:
    for name, table in tables.items():
        db.register(name, table)
    try:
        return db.sql(query).to_arrow_table()
    finally:
        for name in tables:
            db.unregister(name)


def firm_totals(awards: pa.Table, db: duckdb.DuckDBPyConnection | None = None) -> pa.Table:
    """Per firm with at least one line: money per basis, counts, and how many lines count (``db``: a DuckDB
    connection to use, else a new one)."""
    return _sql(
        db or duckdb.connect(),
        f"""
        select firm_id, region, {_SUMS},
               count(*) filter (where status in ('paid', 'halved')) lines_counted, count(*) lines
        from awards group by firm_id, region order by firm_id""",
        awards=awards,
    )


def summaries(
    awards: pa.Table, totals: pa.Table, corpus: Corpus, db: duckdb.DuckDBPyConnection | None = None
) -> dict[str, pa.Table]:
    db = db or duckdb.connect()
    counts = """count(distinct firm_id) filter (where status in ('paid', 'halved')) firms_reached,
        count(*) lines, count(*) filter (where status = 'excluded') excluded,
        count(*) filter (where status = 'halved') halved, count(*) filter (where status = 'set_aside') set_aside,
        count(*) filter (where status = 'needs_info') needs_info"""
    titles = pa.table(
        {"document_id": [d.id for d in corpus], "document_title": [d.meta.short_title for d in corpus]}
    )
    with_region = awards
    return {
        "by_document": _sql(
            db,
            f"""select a.document_id, d.document_title, {_SUMS}, {counts}
            from awards a left join titles d using (document_id) group by all order by 1""",
            awards=awards,
            titles=titles,
        ),
        "by_article": _sql(
            db,
            f"""select document_id, article, title, {_SUMS}, {counts},
                                      try_cast(split_part(article, '.', 1) as integer) article_no
                               from awards group by document_id, article, title
                               order by document_id, article_no, article, title""",
            awards=awards,
        ).drop(["article_no"]),
        "by_department": _sql(
            db,
            f"select coalesce(department, '（未注明）') department, {_SUMS}, {counts} "
            "from awards group by all order by 1",
            awards=awards,
        ),
        "by_region": _sql(
            db, f"select region, {_SUMS}, {counts} from awards group by all order by 1", awards=with_region
        ),
        "reasons": _sql(
            db,
            """
            with split as (
              select 'excluded' status, unnest(string_split(excluded_by, ',')) reason
                from awards where status = 'excluded' and excluded_by is not null
              union all
              select 'halved', unnest(string_split(halved_by, ','))
                from awards where halved_by is not null and status in ('halved', 'needs_info')
              union all
              select 'set_aside', set_aside_by from awards where status = 'set_aside')
            select status, reason, count(*) count from split group by all order by 1, 3 desc, 2""",
            awards=awards,
        ),
    }


def rejected_table(result: BatchResult) -> pa.Table:
    rows = [
        {"table": p.table, "row": p.row, "column": p.column, "value": p.value, "message": p.message}
        for p in result.rejected
    ]
    schema = pa.schema(
        [
            ("table", pa.string()),
            ("row", pa.int64()),
            ("column", pa.string()),
            ("value", pa.string()),
            ("message", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


EXCEL_ROW_LIMIT = 1_048_575


def write_outputs(result: BatchResult, out: Path, fmt: str = "parquet") -> list[Path]:
    """Per-award rows, per-firm totals, summaries and rejected rows: one file each (parquet, csv), or one
    workbook (xlsx) with a 汇总 summary sheet first. Text cells that would start a formula are escaped."""
    from huiqi.tabular import write_table, write_workbook

    out.mkdir(parents=True, exist_ok=True)
    tables: dict[str, pa.Table] = {
        "awards": result.awards,
        "firms": result.firms,
        **result.summary,
        "rejected": rejected_table(result),
    }
    if fmt == "xlsx":
        names = {
            "by_document": "汇总",
            "by_article": "按条款",
            "by_department": "按部门",
            "by_region": "按地区",
            "reasons": "原因",
            "firms": "企业合计",
            "awards": "奖补明细",
            "rejected": "未通过校验",
        }
        sheets: dict[str, Any] = {}
        for key, title in names.items():
            table = tables[key]
            if table.num_rows > EXCEL_ROW_LIMIT:
                table = table.slice(0, EXCEL_ROW_LIMIT)
            sheets[title] = table.rename_columns([HEADERS_ZH.get(c, c) for c in table.column_names])
        path = out / "huiqi-batch.xlsx"
        write_workbook(sheets, path)
        return [path]
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"未知的输出格式：{fmt}（可用：parquet、csv、xlsx）")
    written = []
    for key, table in tables.items():
        path = out / f"{key}.{fmt}"
        write_table(table, path)
        written.append(path)
    return written
