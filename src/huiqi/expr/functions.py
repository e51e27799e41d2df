"""The fixed registry of functions an expression may call: ``FUNCTIONS[name] -> FunctionSpec``.

A *strict* function (``apply``) gets its arguments evaluated and known: if any argument is ``MISSING`` the
call is ``MISSING`` without calling it. A *lazy* function (``apply_lazy``: ``if``, ``coalesce``) gets one
thunk per argument and decides itself what to evaluate and how ``MISSING`` propagates.
Functions raise :class:`ValueProblem`; the evaluator adds the position.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from types import MappingProxyType
from typing import Final

from huiqi.expr.ast import ListLit, Node
from huiqi.expr.values import MISSING, FactKey, Known, Result, ValueProblem, type_name

Thunk = Callable[[], Result]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    signature: str
    summary: str  # Chinese, for documentation and error messages
    min_args: int
    max_args: int | None  # None: any number
    apply: Callable[[tuple[Known, ...]], Known] | None = None
    apply_lazy: Callable[[tuple[Thunk, ...]], Result] | None = None
    check_args: Callable[[tuple[Node, ...]], str | None] | None = None  # parse-time shape check

    @property
    def lazy(self) -> bool:
        return self.apply_lazy is not None

    def arity_problem(self, count: int) -> str | None:
        """A Chinese message if ``count`` arguments are wrong for this function, else ``None``."""
        low, high = self.min_args, self.max_args
        if low <= count and (high is None or count <= high):
            return None
        if high is None:
            need = f"至少需要 {low} 个参数"
        elif low == high:
            need = f"需要 {low} 个参数"
        else:
            need = f"需要 {low} 到 {high} 个参数"
        return f"函数 {self.name} {need}，实际给了 {count} 个（用法：{self.signature}）"


def _number(func: str, position: int, value: Known) -> Decimal:
    if not isinstance(value, Decimal):
        raise ValueProblem(f"{func} 的第 {position} 个参数应为数字，实际是{type_name(value)}")
    return value


def _date(func: str, position: int, value: Known) -> date:
    if not isinstance(value, date):
        raise ValueProblem(f"{func} 的第 {position} 个参数应为日期，实际是{type_name(value)}")
    return value


def _extreme(func: str, args: tuple[Known, ...], largest: bool) -> Known:
    numbers = [a for a in args if isinstance(a, Decimal)]
    if len(numbers) == len(args):
        return max(numbers) if largest else min(numbers)
    dates = [a for a in args if isinstance(a, date)]
    if len(dates) == len(args):
        return max(dates) if largest else min(dates)
    kinds = "、".join(type_name(a) for a in args)
    raise ValueProblem(f"{func} 的参数必须全是数字或全是日期，实际是：{kinds}")


def _abs(args: tuple[Known, ...]) -> Known:
    return abs(_number("abs", 1, args[0]))


def _floor(args: tuple[Known, ...]) -> Known:
    return _number("floor", 1, args[0]).to_integral_value(rounding=ROUND_FLOOR)


def _year(args: tuple[Known, ...]) -> Known:
    return Decimal(_date("year", 1, args[0]).year)


def _days_between(args: tuple[Known, ...]) -> Known:
    start, end = _date("days_between", 1, args[0]), _date("days_between", 2, args[1])
    return Decimal((end - start).days)


def _shift_years(name: str, sign: int, args: tuple[Known, ...]) -> Known:
    day = _date(name, 1, args[0])
    count = _number(name, 2, args[1])
    if count != count.to_integral_value():
        raise ValueProblem(f"{name} 的年数必须是整数，实际是 {count}")
    year = day.year + sign * int(count)
    if not 1 <= year <= 9999:
        raise ValueProblem(f"{name} 算出的年份 {year} 超出范围")
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def _tier(args: tuple[Known, ...]) -> Known:
    x = _number("tier", 1, args[0])
    amount, previous = Decimal(0), None
    for position, pair in enumerate(args[1:], start=2):
        if not (isinstance(pair, tuple) and len(pair) == 2):
            raise ValueProblem(f"tier 的第 {position} 个参数应为 [门槛, 金额]")
        threshold = _number("tier", position, pair[0])
        value = _number("tier", position, pair[1])
        if previous is not None and threshold <= previous:
            raise ValueProblem(f"tier 的门槛必须从小到大排列（第 {position} 个参数的门槛不大于前一个）")
        previous = threshold
        if x >= threshold:
            amount = value
    return amount


def _check_tier(args: tuple[Node, ...]) -> str | None:
    for arg in args[1:]:
        if not (isinstance(arg, ListLit) and len(arg.items) == 2):
            return "tier 的每一档必须写成 [门槛, 金额]，如 tier(x, [100万元, 5万元], [500万元, 10万元])"
    return None


def _if(thunks: tuple[Thunk, ...]) -> Result:
    condition = thunks[0]()
    if condition.value is MISSING:
        return condition
    if not isinstance(condition.value, bool):
        raise ValueProblem(f"if 的条件必须是真假值，实际是{type_name(condition.value)}")
    return thunks[1]() if condition.value else thunks[2]()


def _coalesce(thunks: tuple[Thunk, ...]) -> Result:
    missing: set[FactKey] = set()
    for thunk in thunks:
        result = thunk()
        if result.value is MISSING:
            missing |= result.missing
        elif result.value is not None:
            return Result(result.value)
    # Nothing usable: unknown if some argument was unknown (it might have had a value), else null.
    return Result(MISSING, frozenset(missing)) if missing else Result(None)


_SPECS: Final = (
    FunctionSpec(
        "min", "min(a, b, ...)", "最小值（数字或日期）", 1, None, apply=lambda a: _extreme("min", a, False)
    ),
    FunctionSpec(
        "max", "max(a, b, ...)", "最大值（数字或日期）", 1, None, apply=lambda a: _extreme("max", a, True)
    ),
    FunctionSpec("if", "if(条件, 是, 否)", "条件为真取第二个参数，否则取第三个", 3, 3, apply_lazy=_if),
    FunctionSpec("abs", "abs(x)", "绝对值", 1, 1, apply=_abs),
    FunctionSpec("floor", "floor(x)", "向下取整", 1, 1, apply=_floor),
    FunctionSpec("year", "year(日期)", "日期所在的年份", 1, 1, apply=_year),
    FunctionSpec(
        "days_between", "days_between(d1, d2)", "从 d1 到 d2 的天数（d2 - d1）", 2, 2, apply=_days_between
    ),
    FunctionSpec(
        "years_before",
        "years_before(日期, n)",
        "n 年前的同一天（2 月 29 日取 2 月 28 日）",
        2,
        2,
        apply=lambda a: _shift_years("years_before", -1, a),
    ),
    FunctionSpec(
        "years_after",
        "years_after(日期, n)",
        "n 年后的同一天（2 月 29 日取 2 月 28 日）",
        2,
        2,
        apply=lambda a: _shift_years("years_after", 1, a),
    ),
    FunctionSpec("coalesce", "coalesce(a, b, ...)", "第一个已知且非空的值", 1, None, apply_lazy=_coalesce),
    FunctionSpec(
        "tier",
        "tier(x, [门槛1, 金额1], [门槛2, 金额2], ...)",
        "x 达到的最高门槛对应的金额，未达到任何门槛为 0",
        2,
        None,
        apply=_tier,
        check_args=_check_tier,
    ),
)

#: name → spec, read-only.
FUNCTIONS: Final[Mapping[str, FunctionSpec]] = MappingProxyType({spec.name: spec for spec in _SPECS})
