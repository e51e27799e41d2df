"""Evaluation of an AST against an environment of facts, with three-valued logic for missing facts.

A fact the environment does not know is ``MISSING``. Arithmetic, comparisons and strict functions on
``MISSING`` give ``MISSING``; ``False and …`` is ``False``, ``True or …`` is ``True``, ``coalesce`` takes
the first known non-null argument and ``if`` with a known condition only evaluates the taken branch.
Type errors (``'abc' + 1``, ``2025-01-01 < 3``) raise :class:`~huiqi.errors.ExpressionError`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from functools import partial
from typing import Final, NoReturn, Protocol, TypeAlias, cast, runtime_checkable

from huiqi.errors import Source
from huiqi.expr._position import expression_error
from huiqi.expr.ast import (
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
    Path,
    Str,
    Unary,
)
from huiqi.expr.functions import FUNCTIONS
from huiqi.expr.parser import parse
from huiqi.expr.render import render
from huiqi.expr.values import (
    DECIMAL_CONTEXT,
    MISSING,
    FactKey,
    Known,
    Result,
    Value,
    ValueProblem,
    coerce_value,
    type_name,
)
from huiqi.expr.values import Index as IndexValue


@runtime_checkable
class Env(Protocol):
    """Where facts come from. Return ``MISSING`` for a fact the profile does not give."""

    def lookup(self, path: Path, index: IndexValue | None, /) -> object: ...


Lookup: TypeAlias = Callable[[Path, "IndexValue | None"], object]
EnvLike: TypeAlias = "Env | Lookup | Mapping[str, object]"


class MappingEnv:
    """An :class:`Env` over a mapping: keys are dotted paths (``"event.amount"``) or nested mappings.

    A subscripted fact is a mapping from index to value (``{"firm.revenue": {2024: 1000}}``; an integral
    ``Decimal`` index finds an ``int`` key, and also a ``str`` key like ``"2024"``). Absent keys are ``MISSING``.
    """

    def __init__(self, facts: Mapping[str, object]) -> None:
        self.facts = facts

    def find(self, path: Path) -> object:
        dotted = ".".join(path)
        if dotted in self.facts:
            return self.facts[dotted]
        current: object = self.facts
        for part in path:
            if not isinstance(current, Mapping) or part not in current:
                return MISSING
            current = current[part]
        return current

    def lookup(self, path: Path, index: IndexValue | None, /) -> object:
        value = self.find(path)
        if index is None or value is MISSING:
            return value
        if not isinstance(value, Mapping):
            raise ValueProblem(f"事实 {'.'.join(path)} 不能按下标取值")
        if index in value:
            return value[index]
        if isinstance(index, Decimal) and index == index.to_integral_value() and str(int(index)) in value:
            return value[str(int(index))]
        return MISSING


@dataclass(frozen=True)
class Evaluation:
    """What :func:`evaluate_traced` found.

    ``missing``: the paths of the missing facts the value depends on (empty when the value is known);
    ``missing_facts``: the same with indexes (``"firm.revenue[2023]"``);
    ``read``: every fact read, in reading order, with its value (``MISSING`` included).
    """

    value: Value
    missing: frozenset[Path]
    missing_facts: frozenset[str]
    read: dict[str, Value]

    @property
    def is_missing(self) -> bool:
        return self.value is MISSING


def evaluate(
    node: Node | str, env: EnvLike, *, text: str | None = None, source: Source | None = None
) -> Value:
    """The value of ``node`` (possibly ``MISSING``). ``text`` (the parsed source) improves error messages."""
    return evaluate_traced(node, env, text=text, source=source).value


def evaluate_traced(
    node: Node | str, env: EnvLike, *, text: str | None = None, source: Source | None = None
) -> Evaluation:
    """Evaluate and also report which facts were read and which missing ones mattered."""
    if isinstance(node, str):
        text, node = node, parse(node, source=source)
    evaluator = _Evaluator(as_lookup(env), text, source)
    with localcontext(DECIMAL_CONTEXT):
        result = evaluator.eval(node)
    return Evaluation(
        value=result.value,
        missing=frozenset(key.path for key in result.missing),
        missing_facts=frozenset(str(key) for key in result.missing),
        read=evaluator.read,
    )


_ENV_TYPES: set[type] = set()  # types seen to be an Env (a ``lookup`` method) and not a mapping


def as_lookup(env: EnvLike) -> Lookup:
    """Any accepted environment as a plain ``lookup(path, index)`` function."""
    lookup = getattr(env, "lookup", None)  # an Env: checked by attribute (a Protocol isinstance is slow)
    if lookup is not None and type(env) in _ENV_TYPES:
        return lookup  # type: ignore[no-any-return]
    if callable(lookup) and not isinstance(env, Mapping):
        _ENV_TYPES.add(type(env))  # the next one of this type skips the ABC check
        return lookup  # type: ignore[no-any-return]
    if isinstance(env, Mapping):
        return MappingEnv(env).lookup
    if callable(env):
        return env
    raise TypeError(f"env must be an Env, a callable or a mapping, not {type(env).__name__}")


_ARITHMETIC: Final[dict[str, Callable[[Decimal, Decimal], Decimal]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
}
_ORDER: Final[dict[str, Callable[[Decimal | date, Decimal | date], bool]]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _category(value: Known) -> type:
    return bool if isinstance(value, bool) else date if isinstance(value, date) else type(value)


def known_equal(a: Known, b: Known) -> bool:
    """``==`` of the language: ``null`` equals only ``null``; values of different types are an error."""
    if a is None or b is None:
        return a is b
    if _category(a) is not _category(b):
        raise ValueProblem(f"不能判断{type_name(a)}和{type_name(b)}是否相等")
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(known_equal(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _missing_of(results: Iterable[Result]) -> frozenset[FactKey]:
    return frozenset().union(*(r.missing for r in results))


class _Evaluator:
    def __init__(self, lookup: Lookup, text: str | None, source: Source | None) -> None:
        self.lookup = lookup
        self.text = text
        self.source = source
        self.read: dict[str, Value] = {}

    def fail(self, node: Node, message: str) -> NoReturn:
        raise expression_error(message, node.pos, self.text, self.source)

    def eval(self, node: Node) -> Result:
        match node:
            case Num() | Str() | DateLit() | Bool():
                return Result(node.value)
            case Null():
                return Result(None)
            case Name():
                return self.fact(node, node.path, None)
            case Index():
                return self.index(node)
            case ListLit():
                return self.list(node)
            case Unary():
                return self.unary(node)
            case Binary():
                return self.binary(node)
            case Compare():
                return self.compare(node)
            case BoolOp():
                return self.bool_op(node)
            case Not():
                return self.negation(node)
            case In():
                return self.membership(node)
            case Call():
                return self.call(node)
        raise TypeError(f"not an expression node: {node!r}")

    def fact(self, node: Node, path: Path, index: IndexValue | None) -> Result:
        key = FactKey(path, index)
        try:
            value = coerce_value(self.lookup(path, index))
        except ValueProblem as problem:
            self.fail(node, f"事实 {key} 的值无效：{problem}")
        self.read[str(key)] = value
        return Result(value, frozenset({key})) if value is MISSING else Result(value)

    def index(self, node: Index) -> Result:
        index = self.eval(node.index)
        if index.value is MISSING:
            return index
        if not isinstance(index.value, Decimal | str | date) or isinstance(index.value, bool):
            self.fail(node, f"下标必须是数字、文本或日期，实际是{type_name(index.value)}：{render(node)}")
        return self.fact(node, node.target.path, index.value)

    def list(self, node: ListLit) -> Result:
        results = [self.eval(item) for item in node.items]
        if any(r.value is MISSING for r in results):
            return Result(MISSING, _missing_of(results))
        return Result(tuple(cast(Known, r.value) for r in results))

    def unary(self, node: Unary) -> Result:
        operand = self.eval(node.operand)
        if operand.value is MISSING:
            return operand
        if not isinstance(operand.value, Decimal):
            self.fail(node, f"负号“-”只能用于数字，这里是{type_name(operand.value)}：{render(node)}")
        return Result(-operand.value)

    def binary(self, node: Binary) -> Result:
        left, right = self.eval(node.left), self.eval(node.right)
        for side, value in (("左边", left.value), ("右边", right.value)):
            if value is not MISSING and not isinstance(value, Decimal):
                self.fail(node, f"“{node.op}”只能用于数字，{side}是{type_name(value)}：{render(node)}")
        if left.value is MISSING or right.value is MISSING:
            return Result(MISSING, left.missing | right.missing)
        a, b = cast(Decimal, left.value), cast(Decimal, right.value)
        if node.op == "/" and b == 0:
            self.fail(node, f"除数为零：{render(node)}")
        try:
            return Result(_ARITHMETIC[node.op](a, b))
        except ArithmeticError:
            self.fail(node, f"数值超出可计算的范围：{render(node)}")

    def compare(self, node: Compare) -> Result:
        left, right = self.eval(node.left), self.eval(node.right)
        a, b = left.value, right.value
        if node.op in _ORDER:
            for side, value in (("左边", a), ("右边", b)):
                if value is not MISSING and not isinstance(value, Decimal | date):
                    self.fail(
                        node, f"“{node.op}”只能比较数字或日期，{side}是{type_name(value)}：{render(node)}"
                    )
        if a is MISSING or b is MISSING:
            return Result(MISSING, left.missing | right.missing)
        if node.op not in _ORDER:
            try:
                equal = known_equal(a, b)
            except ValueProblem as problem:
                self.fail(node, f"{problem}（“{node.op}”）：{render(node)}")
            return Result(equal if node.op == "==" else not equal)
        if _category(a) is not _category(b):
            self.fail(node, f"不能比较{type_name(a)}和{type_name(b)}的大小（“{node.op}”）：{render(node)}")
        return Result(_ORDER[node.op](cast(Decimal | date, a), cast(Decimal | date, b)))

    def truth(self, node: Node, context: str) -> Result:
        result = self.eval(node)
        if result.value is not MISSING and not isinstance(result.value, bool):
            self.fail(node, f"{context}必须是真假值，这里是{type_name(result.value)}：{render(node)}")
        return result

    def bool_op(self, node: BoolOp) -> Result:
        decisive = node.op == "or"  # the value that settles the whole expression
        missing: set[FactKey] = set()
        for operand in node.operands:
            result = self.truth(operand, f"“{node.op}”两边")
            if result.value is MISSING:
                missing |= result.missing
            elif result.value is decisive:
                return Result(decisive)
        return Result(MISSING, frozenset(missing)) if missing else Result(not decisive)

    def negation(self, node: Not) -> Result:
        result = self.truth(node.operand, "“not”后面")
        return result if result.value is MISSING else Result(not result.value)

    def membership(self, node: In) -> Result:
        item = self.eval(node.item)
        options = [self.eval(option) for option in node.options]
        if item.value is MISSING:
            return Result(MISSING, item.missing)
        unknown: set[FactKey] = set()
        for option in options:
            if option.value is MISSING:
                unknown |= option.missing
                continue
            try:
                found = known_equal(item.value, option.value)
            except ValueProblem as problem:
                self.fail(node, f"{problem}（“in”）：{render(node)}")
            if found:
                return Result(not node.negated)
        return Result(MISSING, frozenset(unknown)) if unknown else Result(node.negated)

    def call(self, node: Call) -> Result:
        spec = FUNCTIONS.get(node.func)
        if spec is None:
            self.fail(node, f"未知的函数“{node.func}”")
        problem = spec.arity_problem(len(node.args))
        if problem is not None:
            self.fail(node, problem)
        try:
            if spec.apply_lazy is not None:
                return spec.apply_lazy(tuple(partial(self.eval, arg) for arg in node.args))
            assert spec.apply is not None
            results = [self.eval(arg) for arg in node.args]
            if any(r.value is MISSING for r in results):
                return Result(MISSING, _missing_of(results))
            return Result(spec.apply(tuple(cast(Known, r.value) for r in results)))
        except ValueProblem as problem:
            self.fail(node, f"{problem}：{render(node)}")
        except ArithmeticError:
            self.fail(node, f"数值超出可计算的范围：{render(node)}")
