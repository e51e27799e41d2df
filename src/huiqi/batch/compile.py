"""The rule language compiled to Ibis: the same AST the single-firm engine interprets, as column expressions.

Semantics are the interpreter's, mapped onto SQL:
- a missing fact is SQL NULL, and SQL's three-valued AND/OR/NOT is exactly the language's Kleene logic;
- a fact whose NULL means a *known* null (``event.level`` of a type without levels, a firm fact whose
  vocabulary default is null) compares as the interpreter does: ``== 'x'`` is false, ``== null`` true;
- ``min``/``max`` are NULL when any argument is (SQL LEAST/GREATEST would skip NULLs), ``if`` with a NULL
  condition is NULL (SQL CASE would take the else branch);
- every number is one exact decimal type, cast back after each operation; division only by a constant whose
  reciprocal is an exact decimal (a per-unit rate: ``/ 1000``) — anything else is refused at compile time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from huiqi.errors import RuleError, Source
from huiqi.expr import (
    Binary,
    Bool,
    BoolOp,
    Call,
    Compare,
    DateLit,
    In,
    Index,
    ListLit,
    Name,
    Node,
    Not,
    Null,
    Num,
    Str,
    Unary,
)

DEC = "decimal(38, 6)"  # the one exact decimal type of the plan …
DEC_ARROW = pa.decimal128(38, 6)  # … and of the Arrow tables that feed it
_SCALE = Decimal(10) ** -6


def dec(value: Decimal | int) -> ir.Value:
    return ibis.literal(Decimal(value), type=DEC)


def null(kind: str = DEC) -> ir.Value:
    return ibis.null().cast(kind)


@dataclass(frozen=True)
class Col:
    """A fact as a column; ``null_is_known`` when its NULL is a known null rather than a missing fact."""

    expr: ir.Value
    null_is_known: bool = False


Resolver = Callable[[tuple[str, ...]], Col]


class BatchCompileError(RuleError):
    code = "batch_compile"


class _Compiler:
    def __init__(self, resolve: Resolver, source: Source | None) -> None:
        self.resolve, self.source = resolve, source

    def fail(self, message: str) -> BatchCompileError:
        return BatchCompileError(message, self.source)

    def name(self, node: Node) -> Col | None:
        if isinstance(node, Name):
            return self.resolve(node.path)
        if isinstance(node, Index):
            raise self.fail("批量引擎不支持下标取值（请用 year.* 取年度数据）")
        return None

    def __call__(self, node: Node) -> Any:
        method = getattr(self, f"c_{type(node).__name__}", None)
        if method is None:
            raise self.fail(f"批量引擎不支持的表达式：{type(node).__name__}")
        return method(node)

    def c_Num(self, node: Num) -> ir.Value:
        return dec(node.value)

    def c_Str(self, node: Str) -> ir.Value:
        return ibis.literal(node.value, type="string")

    def c_DateLit(self, node: DateLit) -> ir.Value:
        return ibis.literal(node.value, type="date")

    def c_Bool(self, node: Bool) -> ir.Value:
        return ibis.literal(node.value, type="boolean")

    def c_Null(self, node: Null) -> ir.Value:
        return ibis.null()

    def c_Name(self, node: Name) -> ir.Value:
        return self.resolve(node.path).expr

    def c_Index(self, node: Index) -> ir.Value:
        raise self.fail("批量引擎不支持下标取值（请用 year.* 取年度数据）")

    def c_ListLit(self, node: ListLit) -> list[Any]:
        return [self(item) for item in node.items]

    def c_Unary(self, node: Unary) -> ir.Value:
        return (-self(node.operand)).cast(DEC)

    def c_Binary(self, node: Binary) -> ir.Value:
        left = self(node.left)
        if node.op == "/":
            if not isinstance(node.right, Num) or node.right.value == 0:
                raise self.fail("批量引擎只支持除以非零常数（如按每1000台计）")
            inverse = Decimal(1) / node.right.value
            if inverse.quantize(_SCALE) != inverse:
                raise self.fail(f"除以 {node.right.value} 的结果不是有限小数，批量引擎无法精确计算")
            return (left * dec(inverse)).cast(DEC)
        right = self(node.right)
        ops = {"+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b}
        return ops[node.op](left, right).cast(DEC)

    def c_Compare(self, node: Compare) -> ir.Value:
        for this, other in ((node.left, node.right), (node.right, node.left)):
            col = self.name(this)
            if isinstance(other, Null) and col is not None:
                is_null = col.expr.isnull()
                if col.null_is_known:
                    return is_null if node.op == "==" else ~is_null
                # NULL here is a missing fact: unknown; a value present is never null
                known = ibis.literal(node.op != "==")
                return ibis.cases((col.expr.notnull(), known), else_=null("boolean"))
        left, right = self(node.left), self(node.right)
        ops = {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
        }
        result = ops[node.op](left, right)
        known = [self.name(n) for n in (node.left, node.right)]
        if node.op in ("==", "!=") and any(c is not None and c.null_is_known for c in known):
            return result.coalesce(ibis.literal(node.op == "!="))
        return result

    def c_BoolOp(self, node: BoolOp) -> ir.Value:
        parts = [self(o) for o in node.operands]
        out = parts[0]
        for p in parts[1:]:
            out = (out & p) if node.op == "and" else (out | p)
        return out

    def c_Not(self, node: Not) -> ir.Value:
        return ~self(node.operand)

    def c_In(self, node: In) -> ir.Value:
        item = self(node.item)
        options = [self(o) for o in node.options]
        result = item.isin(options)
        col = self.name(node.item)
        if col is not None and col.null_is_known:
            result = result.coalesce(ibis.literal(False))
        return ~result if node.negated else result

    def c_Call(self, node: Call) -> ir.Value:
        fn = getattr(self, f"f_{node.func}", None)
        if fn is None:
            raise self.fail(f"批量引擎不支持函数 {node.func}")
        return fn(node.args)

    def _extreme(self, args: tuple[Node, ...], pick: Callable[..., ir.Value]) -> ir.Value:
        values = [self(a) for a in args]
        if len(values) == 1:
            return values[0]
        any_null = values[0].isnull()
        for v in values[1:]:
            any_null = any_null | v.isnull()
        result = pick(*values)
        return ibis.cases((any_null, null(str(result.type()))), else_=result)

    def f_min(self, args: tuple[Node, ...]) -> ir.Value:
        return self._extreme(args, ibis.least)

    def f_max(self, args: tuple[Node, ...]) -> ir.Value:
        return self._extreme(args, ibis.greatest)

    def f_if(self, args: tuple[Node, ...]) -> ir.Value:
        cond, then, other = (self(a) for a in args)
        return ibis.cases((cond, then), (~cond, other), else_=null(str(then.type())))

    def f_coalesce(self, args: tuple[Node, ...]) -> ir.Value:
        return ibis.coalesce(*(self(a) for a in args))

    def f_abs(self, args: tuple[Node, ...]) -> ir.Value:
        return self(args[0]).abs().cast(DEC)

    def f_floor(self, args: tuple[Node, ...]) -> ir.Value:
        return self(args[0]).floor().cast(DEC)

    def f_year(self, args: tuple[Node, ...]) -> ir.Value:
        return self(args[0]).year().cast(DEC)

    def f_days_between(self, args: tuple[Node, ...]) -> ir.Value:
        start, end = self(args[0]), self(args[1])
        return end.delta(start, unit="day").cast(DEC)

    def _years(self, args: tuple[Node, ...], sign: int) -> ir.Value:
        if not isinstance(args[1], Num):
            raise self.fail("批量引擎只支持常数年数的 years_before / years_after")
        years = int(args[1].value) * sign
        day = self(args[0])
        shifted = day + ibis.interval(years=years) if years >= 0 else day - ibis.interval(years=-years)
        return shifted.cast("date")

    def f_years_before(self, args: tuple[Node, ...]) -> ir.Value:
        return self._years(args, -1)

    def f_years_after(self, args: tuple[Node, ...]) -> ir.Value:
        return self._years(args, 1)

    def f_tier(self, args: tuple[Node, ...]) -> ir.Value:
        x = self(args[0])
        steps = []
        for pair in args[1:]:
            assert isinstance(pair, ListLit)
            steps.append((self(pair.items[0]), self(pair.items[1])))
        cases = [(x >= threshold, amount) for threshold, amount in reversed(steps)]
        return ibis.cases((x.isnull(), null()), *cases, else_=dec(0))


def compile_node(node: Node, resolve: Resolver, *, source: Source | None = None) -> Any:
    """``node`` as an Ibis expression over the columns ``resolve`` gives for each fact name."""
    return _Compiler(resolve, source)(node)
