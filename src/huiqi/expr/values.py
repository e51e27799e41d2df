"""Runtime values of the expression language: the ``MISSING`` sentinel, coercion of facts, the decimal context.

A value is a ``Decimal`` (every number, never a float), a ``str``, a ``datetime.date``, a ``bool``, ``None``
(the ``null`` literal: "known to be nothing"), a ``tuple`` of values (a list literal), or ``MISSING`` ("the
profile does not say"). Booleans are not numbers.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Final, NamedTuple, TypeAlias

from huiqi.expr.formatting import format_decimal

Path: TypeAlias = tuple[str, ...]

#: Every computation runs in this context: 50 significant digits, traps instead of NaN/Infinity.
DECIMAL_CONTEXT: Final = Context(
    prec=50,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[DivisionByZero, InvalidOperation, Overflow],
)


class Missing(enum.Enum):
    """Type of the ``MISSING`` sentinel. It has no truth value: test it with ``value is MISSING``."""

    MISSING = "MISSING"

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        raise TypeError("MISSING has no truth value; test it with `value is MISSING`")


#: A fact the environment does not know (distinct from ``None``, the ``null`` literal).
MISSING: Final = Missing.MISSING

Known: TypeAlias = "Decimal | str | date | bool | tuple[Known, ...] | None"
Value: TypeAlias = "Known | Missing"
Index: TypeAlias = "Decimal | str | date"


class ValueProblem(Exception):
    """A problem with a value (wrong type, bad argument) found where no position is known.

    The evaluator turns it into an :class:`~huiqi.errors.ExpressionError` that points at the node.
    """


class FactKey(NamedTuple):
    """One fact read from the environment: a path and, for a subscripted name, the evaluated index."""

    path: Path
    subscript: Index | None = None

    def __str__(self) -> str:
        text = ".".join(self.path)
        if self.subscript is None:
            return text
        return f"{text}[{format_index(self.subscript)}]"


class Result(NamedTuple):
    """A value plus the missing facts it depends on (empty whenever the value is known)."""

    value: Value
    missing: frozenset[FactKey] = frozenset()


def format_index(index: Index) -> str:
    if isinstance(index, Decimal):
        return format_decimal(index)
    if isinstance(index, str):
        return "'" + index.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return index.isoformat()


def type_name(value: Value) -> str:
    """The Chinese name of a value's type, for error messages."""
    if value is MISSING:
        return "缺失值"
    if value is None:
        return "空值 null"
    if isinstance(value, bool):
        return "真假值"
    if isinstance(value, Decimal):
        return "数字"
    if isinstance(value, str):
        return "文本"
    if isinstance(value, date):
        return "日期"
    return "列表"


def coerce_value(raw: object) -> Value:
    """Check and normalise a value handed in by an environment; raise :class:`ValueProblem` if unusable.

    ``int`` becomes ``Decimal``; ``float`` is refused (it is not exact); ``list``/``tuple`` become tuples.
    """
    if raw is MISSING or raw is None or isinstance(raw, bool):
        return raw
    if isinstance(raw, Decimal):
        if not raw.is_finite():
            raise ValueProblem(f"数字 {raw} 不是有限数")
        return raw
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        raise ValueProblem(f"浮点数 {raw!r} 不精确，请改用 Decimal 或整数")
    if isinstance(raw, str):
        return str.__str__(raw)
    if isinstance(raw, datetime):
        raise ValueProblem(f"不支持带时间的日期时间 {raw.isoformat()}，请只给日期")
    if isinstance(raw, date):
        return raw
    if isinstance(raw, list | tuple):
        items: list[Known] = []
        for item in raw:
            value = coerce_value(item)
            if value is MISSING:
                raise ValueProblem("列表中不能含有缺失值")
            items.append(value)
        return tuple(items)
    raise ValueProblem(f"不支持的值类型 {type(raw).__name__}")
