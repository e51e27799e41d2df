"""Batch inputs: the firms and events tables, typed and validated by the vocabulary, column by column in
the database (a million rows are never looped over in Python). A bad row is set aside with its row number,
column and reason; it never stops the run.

Schema (see ``huiqi.tabular``): firms — ``firm_id``, every firm fact by name, per-year figures as
``<name>_<year>``; events — ``firm_id``, ``type``, ``date``, ``level``, ``subject``, ``first_time`` and the
event fields. Values may be typed (Parquet) or text (CSV / XLSX: 是/否, YYYY-MM-DD, numbers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huiqi.batch.backend import is_spark, load, materialize, view
from huiqi.batch.clean import CREDIT_OK, clean, credit_codes_ok
from huiqi.batch.compile import DEC, null
from huiqi.vocab.catalogue import EVENT_BASE, Fact, Vocabulary

_TRUE = ("是", "true", "1", "yes", "y", "t")
_FALSE = ("否", "false", "0", "no", "n", "f")
YEAR_COLUMN = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)_(?P<year>(19|20)\d\d)$")


@dataclass(frozen=True)
class RowProblem:
    table: str  # 企业 / 事项
    row: int  # 1-based data row in the input
    column: str
    value: str
    message: str


def _type_of(fact: Fact) -> str:
    return {"bool": "boolean", "integer": DEC, "decimal": DEC, "money": DEC, "date": "date"}.get(
        fact.type, "string"
    )


def _convert(col: ir.Value, fact: Fact, regions: tuple[str, ...]) -> tuple[ir.Value, ir.Value]:
    """(typed value, bool: the given value is bad) for one cleaned column (text trimmed, empty → NULL)."""
    target = _type_of(fact)
    given = col.notnull()
    kind = col.type()
    if fact.type == "bool":
        if kind.is_boolean():
            value = col
        else:
            text = col.cast("string").lower()
            value = ibis.cases((text.isin(_TRUE), True), (text.isin(_FALSE), False), else_=null("boolean"))
    elif target == "string":
        value = col.cast("string")
    elif kind.is_decimal() or kind.is_integer():
        value = col  # exact already; the plan casts the few it reads
    elif kind.is_floating():
        value = col.cast(DEC)
    elif target == "date" and kind.is_date():
        value = col
    elif target == "date" and kind.is_timestamp():
        value = col.cast("date")
    else:
        value = col.cast("string").replace(",", "").try_cast(target)
    bad = given & value.isnull()
    if fact.type in ("money", "decimal", "integer"):
        bad = bad | (value < 0).coalesce(False)
    if fact.type == "integer":
        bad = bad | (value != value.floor()).coalesce(False)
        if fact.min is not None:
            bad = bad | (value < fact.min).coalesce(False)
        if fact.max is not None:
            bad = bad | (value > fact.max).coalesce(False)
    if fact.type == "enum":
        allowed = list(regions if fact.values_from == "regions" else fact.values or ())
        bad = bad | (value.notnull() & ~value.isin(allowed))
    return value, bad


MESSAGES = {
    "bool": "应为“是”或“否”",
    "integer": "应为范围内的整数",
    "decimal": "应为不小于0的数字",
    "money": "应为不小于0的金额（元）",
    "date": "不是有效日期（YYYY-MM-DD）",
    "enum": "不在可选范围内",
    "credit_code": "统一社会信用代码无效（长度、字符或校验位）",
    "string": "格式错误",
}


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


def _with_rows(data: pa.Table) -> pa.Table:
    """Number the rows as the user sees them: the spreadsheet row (``huiqi.first_row`` from the reader: 2 below
    a header row, later when a template's description rows were skipped), else 1, 2, 3 …"""
    meta = data.schema.metadata or {}
    first = int(meta.get(b"huiqi.first_row", b"1"))
    return data.append_column("_row", pa.array(range(first, first + data.num_rows), type=pa.int64()))


Source_: TypeAlias = pa.Table | Path


def _scan_parquet(con: Any, path: Path, kind: str, vocab: Vocabulary, labels: dict[str, str]) -> ir.Table:
    """A Parquet file read where it lies (no copy through Python), renamed to canonical columns, numbered by
    its own row numbers, text trimmed (empty → NULL), codes upper-cased, event-type labels mapped once."""
    from huiqi.tabular.columns import canonical_headers
    from huiqi.tabular.read import columns_for

    headers = pq.read_schema(path).names
    names = canonical_headers(headers, columns_for(kind, vocab, headers), table=kind)  # type: ignore[arg-type]
    t = con.read_parquet(str(path), file_row_number=True)
    columns: dict[str, ir.Value] = {"_row": t.file_row_number + 2}  # row 1 of a sheet is its header
    for header in headers:
        col = t[header]
        if col.type().is_string():
            text = col.strip()
            col = ibis.cases((text == "", null("string")), else_=text)
            if names[header] == "credit_code":
                col = col.upper()
        columns[names[header]] = col
    table = t.select(**columns)
    code_header = next((h for h in headers if names[h] == "credit_code"), None)
    if code_header is not None:  # the check character, for every row at once in numpy: one column read
        codes = pq.read_table(path, columns=[code_header])[code_header].cast(pa.string())
        ok = credit_codes_ok(pc.utf8_upper(pc.utf8_trim_whitespace(codes)))
        checked = load(
            con,
            f"{kind}_codes",
            pa.table({"code_row": pa.array(range(2, 2 + len(ok)), pa.int64()), CREDIT_OK: ok}),
        )
        table = table.join(checked, table._row == checked.code_row).drop("code_row")
    if kind == "events" and "type" in table.columns and labels:
        as_label = table.filter(table.type.isin(list(labels))).count().to_pyarrow().as_py()
        if as_label:
            table = table.mutate(
                type=ibis.cases(*((table.type == k, v) for k, v in labels.items()), else_=table.type)
            )
    return table


def _duplicates(con: Any, raw: ir.Table) -> ir.Table:
    """Firm ids given more than once, with the first row that gave each (an aggregate, not a sort)."""
    ids = raw.firm_id.cast("string")
    counted = raw.group_by(dup_id=ids).aggregate(dup_first=raw._row.min(), dup_n=raw._row.count())
    return materialize(con, "firm_duplicates", counted.filter(counted.dup_n > 1).drop("dup_n"))


def prepare(con: Any, firms: Source_, events: Source_ | None, vocab: Vocabulary) -> Prepared:
    regions = vocab.regions
    if isinstance(firms, Path):
        raw = _scan_parquet(con, firms, "firms", vocab, {})
    else:
        if "firm_id" not in firms.column_names:
            raise ValueError("企业表缺少“企业编号（firm_id）”列")
        raw = load(
            con, "firms_raw", _with_rows(clean(firms, upper=("credit_code",), credit_code="credit_code"))
        )
    dups = _duplicates(con, raw)
    raw = raw.left_join(dups, raw.firm_id.cast("string") == dups.dup_id)
    columns: dict[str, ir.Value] = {"firm_id": raw.firm_id.cast("string"), "_row": raw._row}
    checks: dict[str, tuple[str, ir.Value]] = {}
    years: set[int] = set()
    for column in raw.columns:
        fact, match = vocab.firm_by_name.get(column), YEAR_COLUMN.match(column)
        if fact is None and match and match["name"] in vocab.years_by_name:
            fact = vocab.years_by_name[match["name"]]
            years.add(int(match["year"]))
        if fact is None:
            continue
        value, bad = _convert(raw[column], fact, regions)
        if fact.type == "credit_code":
            bad = bad | (raw[CREDIT_OK] == False)  # noqa: E712 - a column comparison, not a Python bool
        columns[column] = value
        checks[column] = (f"{fact.label}{MESSAGES[fact.type]}", bad)
    checks["firm_id"] = ("企业编号不能为空", columns["firm_id"].isnull())
    checks["firm_id#dup"] = ("企业编号重复", raw.dup_first.notnull() & (raw._row != raw.dup_first))
    for fact in vocab.firm:  # every firm fact exists as a column, NULL where the input has none
        if fact.name not in columns:
            columns[fact.name] = null(_type_of(fact))
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
            **{n: _type_of(f) for n, f in fields.items()},
        }
        empty = pa.Table.from_pylist([], schema=ibis.schema(schema).to_pyarrow())
        return load(con, "events", empty), [], 0
    labels = {e.label: e.name for e in vocab.events}
    if isinstance(events, Path):
        raw = _scan_parquet(con, events, "events", vocab, labels)
    else:
        raw = load(con, "events_raw", _with_rows(clean(events, labels=labels)))
    etype = raw.type.cast("string")
    columns: dict[str, ir.Value] = {
        "firm_id": raw.firm_id.cast("string"),
        "event_id": raw._row,
        "_row": raw._row,
        "type": etype,
    }
    checks: dict[str, tuple[str, ir.Value]] = {
        "type": ("未知的事项类型", ~etype.isin(list(vocab.event_by_name))),
        "firm_id": ("企业编号不在企业表中（或该企业行有误）", ~columns["firm_id"].isin(firms.firm_id)),
    }
    for name, fact in fields.items():
        if name not in raw.columns:
            columns[name] = null(_type_of(fact))
            continue
        value, bad = _convert(raw[name], fact, vocab.regions)
        columns[name] = value
        checks[name] = (f"{fact.label}{MESSAGES[fact.type]}", bad)
    checks["date"] = (
        "缺少日期或日期无效",
        checks.get("date", ("", ibis.literal(False)))[1] | columns["date"].isnull(),
    )
    pairs = [f"{e.name}|{lv}" for e in vocab.events for lv in e.levels]
    without = [e.name for e in vocab.events if not e.levels]
    level_ok = ibis.cases(
        (etype.isin(without), columns["level"].isnull()),
        else_=(etype.concat("|").concat(columns["level"].coalesce(""))).isin(pairs),
    )
    checks["level"] = ("级别/类别不适用于该事项类型", ~level_ok)
    table, rejected = _split(con, "events", raw, columns, checks, raw.columns)
    return table, rejected, _rows_in(events) - len({p.row for p in rejected})
