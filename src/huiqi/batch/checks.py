"""What each input column must satisfy, by its fact in the vocabulary: the typed value the plan reads, and
the check a given value can fail (its type, range, options). Shared by every source (Parquet scanned in
place, CSV / XLSX / Arrow tables loaded) and every backend.

A check that no value can fail is not built at all (None): a Parquet column already stored in the fact's
type needs no conversion, and what the file itself shows (integer statistics, the text values read once
in Arrow) may rule out the range and option checks as well (``Evidence``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from huiqi.batch.compile import DEC, null
from huiqi.vocab.catalogue import Fact, Vocabulary

_TRUE = ("是", "true", "1", "yes", "y", "t")
_FALSE = ("否", "false", "0", "no", "n", "f")
YEAR_COLUMN = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)_(?P<year>(19|20)\d\d)$")

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

Number = int | Decimal


@dataclass(frozen=True)
class Evidence:
    """What a Parquet file shows about its columns before any row is checked (canonical column names):
    integer columns' smallest and largest values (from the statistics of every row group; None when all
    are null), the text columns whose values are all among their allowed options, the columns with no
    nulls (text: none empty once trimmed either), and those whose values are all different."""

    ranges: dict[str, tuple[Number, Number] | None] = field(default_factory=dict)
    within_options: frozenset[str] = frozenset()
    no_nulls: frozenset[str] = frozenset()
    distinct: frozenset[str] = frozenset()


def type_of(fact: Fact) -> str:
    return {"bool": "boolean", "integer": DEC, "decimal": DEC, "money": DEC, "date": "date"}.get(
        fact.type, "string"
    )


def allowed(fact: Fact, regions: tuple[str, ...]) -> list[str]:
    return list(regions if fact.values_from == "regions" else fact.values or ())


def firm_fact(column: str, vocab: Vocabulary) -> tuple[Fact | None, int | None]:
    """The fact a firms-table column holds, and its year for a per-year figure (``revenue_2025``)."""
    fact, match = vocab.firm_by_name.get(column), YEAR_COLUMN.match(column)
    if fact is None and match and match["name"] in vocab.years_by_name:
        return vocab.years_by_name[match["name"]], int(match["year"])
    return fact, None


def _any(parts: list[ir.Value]) -> ir.Value | None:
    """The OR of the checks that can fail; None when there are none."""
    return ibis.or_(*parts) if parts else None


def _in_range(fact: Fact, span: tuple[Number, Number] | None) -> bool:
    """Whether every value of an integer-stored column within ``span`` passes the fact's range checks."""
    if span is None:
        return True  # no values at all
    low, high = span
    return low >= max(0, fact.min or 0) and (fact.max is None or high <= fact.max)


def _proven(fact: Fact, name: str, seen: Evidence) -> bool:
    return name in seen.ranges and _in_range(fact, seen.ranges[name])


def convert(
    col: ir.Value, fact: Fact, regions: tuple[str, ...], name: str = "", evidence: Evidence | None = None
) -> tuple[ir.Value, ir.Value | None]:
    """(typed value, bool: the given value is bad) for one cleaned column (text trimmed, empty → NULL);
    the check is None where no value can fail it."""
    target = type_of(fact)
    kind = col.type()
    seen = evidence or Evidence()
    converted = True  # the value is parsed from another type, and may fail to be
    if fact.type == "bool" and kind.is_boolean():
        value, converted = col, False
    elif fact.type == "bool":
        text = col.cast("string").lower()
        value = ibis.cases((text.isin(_TRUE), True), (text.isin(_FALSE), False), else_=null("boolean"))
    elif target == "string":
        value, converted = col.cast("string"), False
    elif kind.is_decimal() or kind.is_integer():
        value, converted = col, False  # exact already; the plan casts the few it reads
    elif kind.is_floating():
        value = col.cast(DEC)
    elif target == "date" and (kind.is_date() or kind.is_timestamp()):
        value, converted = (col if kind.is_date() else col.cast("date")), False
    else:
        value = col.cast("string").replace(",", "").try_cast(target)
    bad = [col.notnull() & value.isnull()] if converted else []
    whole = kind.is_integer() or (kind.is_decimal() and kind.scale == 0)
    numeric = fact.type in ("money", "decimal", "integer")
    if numeric and not converted and (fact.type != "integer" or whole) and _proven(fact, name, seen):
        return value, _any(bad)  # the statistics rule out every range check
    if fact.type in ("money", "decimal", "integer"):
        bad.append((value < 0).coalesce(False))
    if fact.type == "integer":
        if converted or not whole:
            bad.append((value != value.floor()).coalesce(False))
        if fact.min is not None:
            bad.append((value < fact.min).coalesce(False))
        if fact.max is not None:
            bad.append((value > fact.max).coalesce(False))
    if fact.type == "enum" and name not in seen.within_options:
        bad.append(value.notnull() & ~value.isin(allowed(fact, regions)))
    return value, _any(bad)
