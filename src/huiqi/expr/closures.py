"""The closures :mod:`~huiqi.expr.compile` builds: one builder per kind of node, each given its operands
already compiled (``Part``: the closure, whether it is a constant, whether it computes with the decimal
context). A closure that meets anything unusual calls ``fallback``, and the compiled expression then asks
:func:`~huiqi.expr.evaluate` (see compile's docstring for the contract).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final, NamedTuple, NoReturn, TypeAlias, cast

from huiqi.expr.ast import Path
from huiqi.expr.evaluate import Lookup, known_equal
from huiqi.expr.functions import FunctionSpec
from huiqi.expr.values import MISSING, Known, Missing, Value, coerce_value

Fn: TypeAlias = Callable[[Lookup], Value]


def _divide(a: Decimal, b: Decimal) -> Decimal:
    if not b:
        fallback()  # evaluate reports 除数为零 (whatever the context's traps)
    return a / b


_ARITHMETIC: Final[dict[str, Callable[[Decimal, Decimal], Decimal]]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": _divide,
}
_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {  # called on two Decimals or two dates
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


class Fallback(Exception):
    """The fast path cannot decide (a type error, most likely): let :func:`evaluate` do it."""


def fallback() -> NoReturn:
    raise Fallback


class Part(NamedTuple):
    """A compiled sub-node; ``constant`` is set when the sub-node reads no facts and evaluates cleanly;
    ``context``: whether its closures compute with the current decimal context (arithmetic, functions)."""

    fn: Fn
    is_constant: bool = False
    constant: Known = None
    context: bool = False


def any_context(parts: Sequence[Part]) -> bool:
    return any(part.context for part in parts)


def constant(value: Known) -> Part:
    def fn(lookup: Lookup) -> Value:
        return value

    return Part(fn, True, value)


# -- facts -----------------------------------------------------------------------------------------

_NONE_TYPE: Final = type(None)
_AS_GIVEN: Final = frozenset({bool, str, date, Missing, _NONE_TYPE})


def _coerce(raw: object) -> Value:
    """``coerce_value``, with the common exact types first."""
    if type(raw) is Decimal:
        if raw.is_finite():
            return raw
    elif type(raw) in _AS_GIVEN:
        return raw  # type: ignore[return-value]  # one of the exact types of ``Value``
    return coerce_value(raw)


def name(path: Path) -> Fn:
    def fn(lookup: Lookup) -> Value:
        raw = lookup(path, None)
        if type(raw) is Decimal and raw.is_finite():
            return raw
        return _coerce(raw)

    return fn


def index(path: Path, index: Fn) -> Fn:
    def fn(lookup: Lookup) -> Value:
        value = index(lookup)
        kind = type(value)
        if kind is Decimal or kind is str or kind is date:
            return _coerce(lookup(path, cast("Decimal | str | date", value)))
        if value is MISSING:
            return MISSING
        fallback()

    return fn


def list_of(items: Sequence[Fn]) -> Fn:
    def fn(lookup: Lookup) -> Value:
        values = [item(lookup) for item in items]
        if MISSING in values:
            return MISSING
        return tuple(cast(list[Known], values))

    return fn


# -- arithmetic and comparison ---------------------------------------------------------------------


def unary(operand: Fn) -> Fn:
    def fn(lookup: Lookup) -> Value:
        value = operand(lookup)
        if type(value) is Decimal:
            return -value
        if value is MISSING:
            return MISSING
        fallback()

    return fn


def _numbers_or_missing(a: Value, b: Value) -> Value:
    """The result of an arithmetic operator when not both sides are plain numbers."""
    if (a is MISSING or type(a) is Decimal) and (b is MISSING or type(b) is Decimal):
        return MISSING  # at least one side is MISSING, the other is a number or MISSING
    fallback()


def binary(op: str, left: Part, right: Part) -> Fn:
    apply = _ARITHMETIC[op]
    lf, rf = left.fn, right.fn
    if right.is_constant and type(right.constant) is Decimal:
        c = right.constant

        def var_const(lookup: Lookup) -> Value:
            a = lf(lookup)
            if type(a) is Decimal:
                return apply(a, c)
            return _numbers_or_missing(a, c)

        return var_const
    if left.is_constant and type(left.constant) is Decimal:
        k = left.constant

        def const_var(lookup: Lookup) -> Value:
            b = rf(lookup)
            if type(b) is Decimal:
                return apply(k, b)
            return _numbers_or_missing(k, b)

        return const_var

    def var_var(lookup: Lookup) -> Value:
        a, b = lf(lookup), rf(lookup)
        if type(a) is Decimal and type(b) is Decimal:
            return apply(a, b)
        return _numbers_or_missing(a, b)

    return var_var


def _orderable(value: Value) -> bool:
    return value is MISSING or type(value) is Decimal or type(value) is date


def _equal(a: Known, b: Known) -> bool:
    """``known_equal``, with the common case (two values of one exact scalar type) first."""
    if a is None or b is None:
        return a is b
    kind = type(a)
    if kind is type(b) and kind is not tuple:
        return a == b
    return known_equal(a, b)  # tuples; raises ValueProblem for values of different types


def compare(op: str, left: Part, right: Part) -> Fn:
    lf, rf = left.fn, right.fn
    if op in _ORDER:
        order = _ORDER[op]

        def ordered(lookup: Lookup) -> Value:
            a, b = lf(lookup), rf(lookup)
            kind = type(a)
            if kind is type(b) and (kind is Decimal or kind is date):
                return order(a, b)
            if (a is MISSING or b is MISSING) and _orderable(a) and _orderable(b):
                return MISSING
            fallback()  # a type error, or two values of different types

        return ordered

    negated = op == "!="
    if right.is_constant and (right.constant is None or type(right.constant) in (str, Decimal, date, bool)):
        c = right.constant
        kind = type(c)

        def var_const(lookup: Lookup) -> Value:
            a = lf(lookup)
            if type(a) is kind:
                return (a == c) is not negated
            if a is MISSING:
                return MISSING
            return _equal(a, c) is not negated

        return var_const

    def equality(lookup: Lookup) -> Value:
        a, b = lf(lookup), rf(lookup)
        if a is MISSING or b is MISSING:
            return MISSING
        return _equal(a, b) is not negated

    return equality


# -- logic -----------------------------------------------------------------------------------------


def bool_op(decisive: bool, operands: Sequence[Fn]) -> Fn:
    """``and`` (``decisive`` False) / ``or`` (True): the first operand equal to ``decisive`` settles it."""
    settled = not decisive  # the value when no operand is decisive and none is MISSING
    if len(operands) == 2:
        first, second = operands

        def pair(lookup: Lookup) -> Value:
            a = first(lookup)
            if a is decisive:
                return decisive
            if a is not settled and a is not MISSING:
                fallback()
            b = second(lookup)
            if b is decisive:
                return decisive
            if b is settled:
                return a  # settled, or MISSING
            if b is MISSING:
                return MISSING
            fallback()

        return pair

    def many(lookup: Lookup) -> Value:
        missing = False
        for operand in operands:
            value = operand(lookup)
            if value is decisive:
                return decisive
            if value is MISSING:
                missing = True
            elif value is not settled:
                fallback()
        return MISSING if missing else settled

    return many


def not_(operand: Fn) -> Fn:
    def fn(lookup: Lookup) -> Value:
        value = operand(lookup)
        if value is True:
            return False
        if value is False:
            return True
        if value is MISSING:
            return MISSING
        fallback()

    return fn


def in_(item: Fn, options: Sequence[Part], negated: bool) -> Fn:
    found = not negated
    kinds = {type(option.constant) for option in options}
    if options and all(option.is_constant for option in options) and len(kinds) == 1:
        # ``x in ['国家级', '省级']``: options of one type, known at compile time, so no option can be
        # MISSING, and an item of that type is compared without type errors.
        (kind,) = kinds
        if kind in (str, Decimal, date, bool):
            choices = frozenset(option.constant for option in options)

            def constant_options(lookup: Lookup) -> Value:
                value = item(lookup)
                if type(value) is kind:
                    return found if value in choices else negated
                if value is MISSING:
                    return MISSING
                if value is None:
                    return negated  # null equals no option
                fallback()  # a type error at the first option

            return constant_options

    option_fns = [option.fn for option in options]

    def general(lookup: Lookup) -> Value:
        value = item(lookup)
        values = [option(lookup) for option in option_fns]  # every option is evaluated, as in evaluate
        if value is MISSING:
            return MISSING
        unknown = False
        for option in values:
            if option is MISSING:
                unknown = True
            elif _equal(value, option):
                return found
        return MISSING if unknown else negated

    return general


# -- functions --------------------------------------------------------------------------------------


def always_fails(lookup: Lookup) -> Value:
    fallback()


def if_(condition: Fn, then: Fn, otherwise: Fn) -> Fn:
    def fn(lookup: Lookup) -> Value:
        value = condition(lookup)
        if value is True:
            return then(lookup)
        if value is False:
            return otherwise(lookup)
        if value is MISSING:
            return MISSING
        fallback()

    return fn


def coalesce(parts: Sequence[Part]) -> Fn:
    last = parts[-1]
    if last.is_constant and last.constant is not None:
        # ``coalesce(x, 0)``: a known last resort, so the result is never MISSING nor null.
        default = last.constant
        heads = [part.fn for part in parts[:-1]]

        def with_default(lookup: Lookup) -> Value:
            for head in heads:
                value = head(lookup)
                if value is not None and value is not MISSING:
                    return value
            return default

        return with_default

    fns = [part.fn for part in parts]

    def fn(lookup: Lookup) -> Value:
        missing = False
        for arg in fns:
            value = arg(lookup)
            if value is MISSING:
                missing = True
            elif value is not None:
                return value
        return MISSING if missing else None

    return fn


def extreme2(largest: bool, first: Fn, second: Fn, spec: FunctionSpec) -> Fn:
    apply = spec.apply
    assert apply is not None

    def fn(lookup: Lookup) -> Value:
        a, b = first(lookup), second(lookup)
        if type(a) is Decimal and type(b) is Decimal:
            # Python's min/max keep the first of equal values: so does the evaluator.
            return (b if b > a else a) if largest else (b if b < a else a)
        if a is MISSING or b is MISSING:
            return MISSING
        return apply((a, b))

    return fn


def abs_(operand: Fn) -> Fn:
    def fn(lookup: Lookup) -> Value:
        value = operand(lookup)
        if type(value) is Decimal:
            return abs(value)
        if value is MISSING:
            return MISSING
        fallback()

    return fn


def shift_years(sign: int, day: Part, count: Known) -> Part | None:
    """``years_before(event.date, 3)`` / ``years_after``: a constant whole number of years, checked once
    (``None`` for any other count)."""
    if not (type(count) is Decimal and count == count.to_integral_value() and -10_000 < count < 10_000):
        return None
    years, day_fn = sign * int(count), day.fn

    def fn(lookup: Lookup) -> Value:
        value = day_fn(lookup)
        if type(value) is date:
            year = value.year + years
            if 1 <= year <= 9999:
                try:
                    return value.replace(year=year)
                except ValueError:  # 29 February in a common year, as in functions._shift_years
                    return date(year, 2, 28)
        elif value is MISSING:
            return MISSING
        fallback()  # not a date, or a year out of range

    return Part(fn, context=day.context)


def strict(spec: FunctionSpec, args: Sequence[Fn]) -> Fn:
    apply = spec.apply
    assert apply is not None

    def fn(lookup: Lookup) -> Value:
        values = [arg(lookup) for arg in args]
        if MISSING in values:
            return MISSING
        return apply(tuple(cast(list[Known], values)))

    return fn
