"""Batch inputs: the firms and events tables, typed and validated by the vocabulary, column by column in
the database (a million rows are never looped over in Python). A bad row is set aside with its row number,
column and reason; it never stops the run.

Schema (see ``huiqi.tabular``): firms — ``firm_id``, every firm fact by name, per-year figures as
``<name>_<year>``; events — ``firm_id``, ``type``, ``date``, ``level``, ``subject``, ``first_time`` and the
event fields. Values may be typed (Parquet) or text (CSV / XLSX: 是/否, YYYY-MM-DD, numbers)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from huiqi.batch.backend import is_spark, load, materialize, view
from huiqi.batch.checks import MESSAGES, convert, firm_fact, type_of
from huiqi.batch.compile import null
from huiqi.batch.scan import Raw, load_arrow, scan_parquet
from huiqi.vocab.catalogue import EVENT_BASE, Vocabulary

__all__ = ["Prepared", "RowProblem", "prepare"]


@dataclass(frozen=True)
class RowProblem:
    table: str  # 企业 / 事项
    row: int  # 1-based data row in the input
    column: str
    value: str
    message: str


def _split(
    con: Any,
    name: str,
    table: ir.Table,
    columns: dict[str, ir.Value],
    checks: dict[str, tuple[str, ir.Value]],
    raw_columns: list[str],
) -> tuple[ir.Table, list[RowProblem]]:
    """One pass computes every check; only the rows that fail are written (with their flags) and come back
    to Python, each bad column named. The valid rows stay a view over the input: nothing is copied, and the
    plan computes the typed values of just the columns it reads."""
    flags = {f"__bad_{i}": bad for i, (_, bad) in enumerate(checks.values())}
    # the flags are computed once into a narrow table (row number and booleans), then filtered in a second
    # query: Spark's optimizer would otherwise inline every check into the filter, and run out of memory
    marked = table.select("_row", **flags)
    if is_spark(con):
        marked = materialize(con, f"{name}_flags", marked)
    any_bad = ibis.or_(*(marked[f] for f in flags)) if flags else ibis.literal(False)
    bad = materialize(con, f"{name}_rejected", marked.filter(any_bad))
    bad_rows = bad.to_pyarrow().to_pylist()
    given = {}
    if bad_rows:  # the values as given, for the report: only for the rejected rows
        wanted = [c for c in raw_columns if c in checks or c.split("#")[0] in checks]
        found = table.filter(table._row.isin(bad._row)).select("_row", *wanted)
        given = {r["_row"]: r for r in found.to_pyarrow().to_pylist()}
    problems = []
    label = "企业" if name == "firms" else "事项"
    for row in bad_rows:
        for i, (column, (message, _)) in enumerate(checks.items()):
            if row.get(f"__bad_{i}"):
                col = column.split("#")[0]
                value = given.get(row["_row"], {}).get(col)
                problems.append(
                    RowProblem(label, int(row["_row"]), col, "" if value is None else str(value), message)
                )
    typed = table.select(**columns)
    good = typed.filter(~typed._row.isin(bad._row)) if bad_rows else typed
    return view(con, name, good.drop("_row")), problems


@dataclass(frozen=True)
class Prepared:
    firms: ir.Table
    events: ir.Table
    rejected: list[RowProblem]
    years: tuple[int, ...]
    firm_count: int
    event_count: int


Source_: TypeAlias = pa.Table | Path


def _duplicates(con: Any, raw: ir.Table) -> ir.Table | None:
    """The rows that repeat an earlier row's firm id (ids given more than once are found by aggregation,
    not a sort; only their rows are then looked up). None when every id is given once."""
    ids = raw.firm_id.cast("string")
    counted = raw.group_by(dup_id=ids).aggregate(dup_first=raw._row.min(), dup_n=raw._row.count())
    dups = materialize(con, "firm_duplicates", counted.filter(counted.dup_n > 1).drop("dup_n"))
    if not dups.count().to_pyarrow().as_py():
        return None
    later = raw.join(dups, raw.firm_id.cast("string") == dups.dup_id)
    return materialize(con, "firm_duplicate_rows", later.filter(later._row != later.dup_first).select("_row"))


def prepare(con: Any, firms: Source_, events: Source_ | None, vocab: Vocabulary) -> Prepared:
    if isinstance(firms, Path):
        source = scan_parquet(con, firms, "firms", vocab, {})
    else:
        if "firm_id" not in firms.column_names:
            raise ValueError("企业表缺少“企业编号（firm_id）”列")
        source = load_arrow(con, firms, "firms", {})
    raw, seen = source.table, source.evidence
    columns: dict[str, ir.Value] = {"firm_id": raw.firm_id.cast("string"), "_row": raw._row}
    checks: dict[str, tuple[str, ir.Value]] = {}
    years: set[int] = set()
    for column in raw.columns:
        fact, year = firm_fact(column, vocab)
        if fact is None:
            continue
        if year is not None:
            years.add(year)
        value, bad = convert(raw[column], fact, vocab.regions, column, seen)
        if fact.type == "credit_code" and source.bad_codes is not None:
            code_bad = raw._row.isin(source.bad_codes._row)
            bad = code_bad if bad is None else bad | code_bad
        columns[column] = value
        if bad is not None:
            checks[column] = (f"{fact.label}{MESSAGES[fact.type]}", bad)
    if "firm_id" not in seen.no_nulls:
        checks["firm_id"] = ("企业编号不能为空", columns["firm_id"].isnull())
    repeated = None if "firm_id" in seen.distinct else _duplicates(con, raw)
    if repeated is not None:
        checks["firm_id#dup"] = ("企业编号重复", raw._row.isin(repeated._row))
    for fact in vocab.firm:  # every firm fact exists as a column, NULL where the input has none
        if fact.name not in columns:
            columns[fact.name] = null(type_of(fact))
    good, rejected = _split(con, "firms", raw, columns, checks, raw.columns)
    ev, event_rejects, n_events = _prepare_events(con, events, good, vocab)
    ordered = sorted(rejected, key=lambda p: p.row) + sorted(event_rejects, key=lambda p: p.row)
    return Prepared(
        good, ev, ordered, tuple(sorted(years)), _rows_in(firms) - len({p.row for p in rejected}), n_events
    )


def _rows_in(source: Source_) -> int:
    return int(pq.ParquetFile(source).metadata.num_rows if isinstance(source, Path) else source.num_rows)


def _prepare_events(
    con: Any, events: Source_ | None, firms: ir.Table, vocab: Vocabulary
) -> tuple[ir.Table, list[RowProblem], int]:
    fields = {f.name: f for f in (*EVENT_BASE, *vocab.event_fields)}
    if events is None or (isinstance(events, pa.Table) and events.num_rows == 0):
        schema = {
            "firm_id": "string",
            "event_id": "int64",
            "type": "string",
            **{n: type_of(f) for n, f in fields.items()},
        }
        empty = pa.Table.from_pylist([], schema=ibis.schema(schema).to_pyarrow())
        return load(con, "events", empty), [], 0
    labels = {e.label: e.name for e in vocab.events}
    source: Raw = (
        scan_parquet(con, events, "events", vocab, labels)
        if isinstance(events, Path)
        else load_arrow(con, events, "events", labels)
    )
    raw, seen = source.table, source.evidence
    etype = raw.type.cast("string")
    columns: dict[str, ir.Value] = {
        "firm_id": raw.firm_id.cast("string"),
        "event_id": raw._row,
        "_row": raw._row,
        "type": etype,
    }
    checks: dict[str, tuple[str, ir.Value]] = {}
    if "type" not in seen.within_options:
        checks["type"] = ("未知的事项类型", ~etype.isin(list(vocab.event_by_name)))
    checks["firm_id"] = ("企业编号不在企业表中（或该企业行有误）", ~columns["firm_id"].isin(firms.firm_id))
    for name, fact in fields.items():
        if name not in raw.columns:
            columns[name] = null(type_of(fact))
            continue
        value, bad = convert(raw[name], fact, vocab.regions, name, seen)
        columns[name] = value
        if name == "date":
            missing = None if name in seen.no_nulls else value.isnull()
            bad = missing if bad is None else bad if missing is None else bad | missing
            if bad is not None:
                checks[name] = ("缺少日期或日期无效", bad)
        elif bad is not None:
            checks[name] = (f"{fact.label}{MESSAGES[fact.type]}", bad)
    if "date" not in raw.columns:
        checks["date"] = ("缺少日期或日期无效", columns["date"].isnull())
    pairs = [f"{e.name}|{lv}" for e in vocab.events for lv in e.levels]
    without = [e.name for e in vocab.events if not e.levels]
    level_ok = ibis.cases(
        (etype.isin(without), columns["level"].isnull()),
        else_=(etype.concat("|").concat(columns["level"].coalesce(""))).isin(pairs),
    )
    checks["level"] = ("级别/类别不适用于该事项类型", ~level_ok)
    table, rejected = _split(con, "events", raw, columns, checks, raw.columns)
    return table, rejected, _rows_in(events) - len({p.row for p in rejected})
