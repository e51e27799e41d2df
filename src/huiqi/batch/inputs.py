"""Batch inputs: the firms and events tables, typed and validated by the vocabulary, column by column in
the database (a million rows are never looped over in Python). A bad row is set aside with its row number,
column and reason; it never stops the run.

Schema (see ``huiqi.tabular``): firms — ``firm_id``, every firm fact by name, per-year figures as
``<name>_<year>``; events — ``firm_id``, ``type``, ``date``, ``level``, ``subject``, ``first_time`` and the
event fields. Values may be typed (Parquet) or text (CSV / XLSX: 是/否, YYYY-MM-DD, numbers)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from huiqi.batch.backend import load, materialize
from huiqi.batch.compile import DEC, null
from huiqi.vocab.catalogue import EVENT_BASE, Fact, Vocabulary
from huiqi.vocab.credit_code import ALPHABET, WEIGHTS

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


def _as_text(col: ir.Value) -> ir.Value:
    # a regex, not strip(): Ibis's PySpark translation of strip() also strips the letter "f"
    return col.cast("string").re_replace(r"^\s+|\s+$", "")


def _convert(col: ir.Value, fact: Fact, regions: tuple[str, ...]) -> tuple[ir.Value, ir.Value]:
    """(typed value, bool: the given value is bad) for one column of one fact."""
    target = _type_of(fact)
    given = col.notnull() & (_as_text(col) != "")
    if fact.type == "bool":
        if col.type().is_boolean():
            value = col
        else:
            text = _as_text(col).lower()
            value = ibis.cases((text.isin(_TRUE), True), (text.isin(_FALSE), False), else_=null("boolean"))
    elif target == "string":
        value = ibis.cases((given, _as_text(col)), else_=null("string"))
    elif col.type().is_decimal() or col.type().is_integer() or col.type().is_floating():
        value = col.cast(DEC)
    elif target == "date" and col.type().is_date():
        value = col
    elif target == "date" and col.type().is_timestamp():
        value = col.cast("date")
    else:
        text = _as_text(col).replace(",", "")
        value = ibis.cases((given, text.try_cast(target)), else_=null(target))
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
    if fact.type == "credit_code":
        value = value.upper()
        bad = bad | (value.notnull() & ~_credit_code_ok(value))
    return value, bad


def _credit_code_ok(code: ir.StringValue) -> ir.BooleanValue:
    """GB 32100-2015 in SQL: 18 characters of the alphabet, the last the check character of the first 17."""
    total: Any = ibis.literal(0)
    well_formed = code.length() == 18
    for i, weight in enumerate(WEIGHTS):
        index = ibis.literal(ALPHABET).find(code.substr(i, 1))  # -1 when not in the alphabet
        well_formed = well_formed & (index >= 0)
        total = total + index * weight
    check = (ibis.literal(31) - total % 31) % 31
    last = ibis.literal(ALPHABET).find(code.substr(17, 1))
    return well_formed & (last >= 0) & (last == check)


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
    """Materialise the typed table with one flag per check (compiled once), then split good rows from bad;
    only the bad rows come back to Python, with every bad column named."""
    flags = {f"__bad_{i}": bad for i, (_, bad) in enumerate(checks.values())}
    raws = {f"__raw_{c}": _as_text(table[c]) for c in raw_columns if c in checks}
    checked = materialize(con, f"{name}_checked", table.select(**columns, **flags, **raws))
    any_bad = ibis.or_(*(checked[f] for f in flags)) if flags else ibis.literal(False)
    bad_rows = checked.filter(any_bad).to_pyarrow().to_pylist()
    problems = []
    label = "企业" if name == "firms" else "事项"
    for row in bad_rows:
        for i, (column, (message, _)) in enumerate(checks.items()):
            if row.get(f"__bad_{i}"):
                col = column.split("#")[0]
                value = row.get(f"__raw_{col}")
                problems.append(
                    RowProblem(label, int(row["_row"]), col, "" if value is None else str(value), message)
                )
    good = checked.filter(~any_bad).drop(*flags, *raws, "_row")  # row numbers were for the report only
    return materialize(con, name, good), problems


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


def prepare(con: Any, firms: pa.Table, events: pa.Table | None, vocab: Vocabulary) -> Prepared:
    regions = vocab.regions
    raw = load(con, "firms_raw", _with_rows(firms))
    if "firm_id" not in raw.columns:
        raise ValueError("企业表缺少“企业编号（firm_id）”列")
    columns: dict[str, ir.Value] = {"firm_id": _as_text(raw.firm_id), "_row": raw._row}
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
        columns[column] = value
        checks[column] = (f"{fact.label}{MESSAGES[fact.type]}", bad)
    checks["firm_id"] = ("企业编号不能为空", columns["firm_id"].isnull() | (columns["firm_id"] == ""))
    dup = raw.firm_id.cast("string").strip()
    checks["firm_id#dup"] = ("企业编号重复", ibis.row_number().over(group_by=dup, order_by=raw._row) > 0)
    for fact in vocab.firm:  # every firm fact exists as a column, NULL where the input has none
        if fact.name not in columns:
            columns[fact.name] = null(_type_of(fact))
    good, rejected = _split(con, "firms", raw, columns, checks, raw.columns)
    ev, event_rejects, n_events = _prepare_events(con, events, good, vocab)
    ordered = sorted(rejected, key=lambda p: p.row) + sorted(event_rejects, key=lambda p: p.row)
    return Prepared(good, ev, ordered, tuple(sorted(years)), good.count().to_pyarrow().as_py(), n_events)


def _prepare_events(
    con: Any, events: pa.Table | None, firms: ir.Table, vocab: Vocabulary
) -> tuple[ir.Table, list[RowProblem], int]:
    fields = {f.name: f for f in (*EVENT_BASE, *vocab.event_fields)}
    if events is None or events.num_rows == 0:
        schema = {
            "firm_id": "string",
            "event_id": "int64",
            "type": "string",
            **{n: _type_of(f) for n, f in fields.items()},
        }
        empty = pa.Table.from_pylist([], schema=ibis.schema(schema).to_pyarrow())
        return load(con, "events", empty), [], 0
    raw = load(con, "events_raw", _with_rows(events))
    labels = {e.label: e.name for e in vocab.events}
    type_text = _as_text(raw.type)
    etype = (
        ibis.cases(*((type_text == label, name) for label, name in labels.items()), else_=type_text)
        if labels
        else type_text
    )
    columns: dict[str, ir.Value] = {
        "firm_id": _as_text(raw.firm_id),
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
    return table, rejected, table.count().to_pyarrow().as_py()
