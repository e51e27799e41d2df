"""A closure compiler for expressions: the values of :func:`~huiqi.expr.evaluate`, several times faster.

``compile_expr(node)`` turns the AST into nested Python closures once; calling the result with a
``lookup(path, index)`` function gives exactly what ``evaluate(node, lookup)`` gives: the same values
(``MISSING`` included), the same short-circuiting, the same facts read in the same order. Pass a lookup
function (``MappingEnv(facts).lookup``, ``env.lookup``), not a mapping: anything else goes the slow way.

The compiled path is a *fast path* only. It handles well-typed values and ``MISSING``; whenever it meets
anything else (a type error, an arithmetic trap, a lookup that raises, an unusual value such as a
``Decimal`` subclass) it gives up and calls :func:`~huiqi.expr.evaluate`, which either returns the value or
raises exactly the :class:`~huiqi.errors.ExpressionError` the user would get without compiling (then the
facts are looked up a second time).

    >>> from decimal import Decimal
    >>> from huiqi.expr import parse
    >>> grant = compile_expr(parse("min(15% * event.amount, 200万元)"))
    >>> grant(lambda path, index: Decimal(1_500_000))
    Decimal('225000.00')

A call that computes (arithmetic, ``abs``, a function other than ``if``, ``coalesce`` and a whole number of
``years_before``/``years_after``) runs with a private copy of ``DECIMAL_CONTEXT`` as the current decimal
context (and restores the caller's), so the arithmetic, the functions and even the ``lookup`` see the
context they see in :func:`evaluate`. The copy is installed as is rather than copied again per call
(``localcontext`` would cost 0.6 µs, more than many whole evaluations): a ``lookup`` that *changed* the
current context in place would change it for later calls too. An expression that only reads, compares and
combines truth values (most conditions) uses no context (comparing and hashing finite ``Decimal`` values
does not depend on it): it runs in the caller's context, which saves switching it twice per call, and its
``lookup`` sees the caller's context; a fallback to :func:`evaluate` still runs in ``DECIMAL_CONTEXT``.
Name-free subtrees (``30%``, ``[1, 2]``, ``800万``) are folded to
constants at compile time with :func:`evaluate` itself; a subtree whose folding fails is left to fail at
run time, when (and only if) it is evaluated.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, getcontext, setcontext
from threading import Lock
from typing import Any, Final, NamedTuple, NoReturn, TypeAlias, cast

from huiqi.errors import Source
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
    walk,
)
from huiqi.expr.evaluate import Lookup, evaluate, known_equal
from huiqi.expr.functions import FUNCTIONS, FunctionSpec
from huiqi.expr.parser import parse
from huiqi.expr.values import DECIMAL_CONTEXT, MISSING, Known, Missing, Value, coerce_value

__all__ = ["Compiled", "Lookup", "compile_expr"]

_Fn: TypeAlias = Callable[[Lookup], Value]


#: The current decimal context during a call (flags it collects are never read).
_CONTEXT: Final = DECIMAL_CONTEXT.copy()


def _divide(a: Decimal, b: Decimal) -> Decimal:
    if not b:
        _fallback()  # evaluate reports 除数为零 (whatever the context's traps)
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
#: Functions compiled natively when the number of years is a constant: name → direction.
_YEAR_SHIFTS: Final = {"years_before": -1, "years_after": 1}


class _Fallback(Exception):
    """The fast path cannot decide (a type error, most likely): let :func:`evaluate` do it."""


def _fallback() -> NoReturn:
    raise _Fallback


class Compiled:
    """A compiled expression: call it with a ``lookup(path, index)`` function to get the value.

    ``node``, ``text`` and ``source`` are kept for the fallback to :func:`evaluate`, so errors read exactly
    as if the expression had been evaluated directly.
    """

    __slots__ = ("_fn", "node", "source", "text")

    def __init__(self, fn: _Fn, node: Node, text: str | None, source: Source | None) -> None:
        self._fn = fn
        self.node = node
        self.text = text
        self.source = source

    def __call__(self, lookup: Lookup) -> Value:
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            return self._fn(lookup)
        except Exception:
            return evaluate(self.node, lookup, text=self.text, source=self.source)
        finally:
            setcontext(outer)

    def decide(self, lookup: Lookup) -> Value | None:
        """The value by the fast path alone, or ``None`` where only :func:`evaluate` can say (a type
        error, say, whose message it words; a ``null`` result is also left to it)."""
        outer = getcontext()
        setcontext(_CONTEXT)
        try:
            return self._fn(lookup)
        except Exception:
            return None
        finally:
            setcontext(outer)

    def __repr__(self) -> str:
        return f"Compiled({self.node!r})"


class _ContextFree(Compiled):
    """A compiled expression that does no arithmetic and calls no function that could (see the module's
    docstring): the same, without setting the decimal context around each call."""

    __slots__ = ()

    def __call__(self, lookup: Lookup) -> Value:
        try:
            return self._fn(lookup)
        except Exception:
            return evaluate(self.node, lookup, text=self.text, source=self.source)

    def decide(self, lookup: Lookup) -> Value | None:
        try:
            return self._fn(lookup)
        except Exception:
            return None


def compile_expr(node: Node | str, *, text: str | None = None, source: Source | None = None) -> Compiled:
    """Compile ``node`` (or expression text, parsed first) to a :class:`Compiled` callable.

    The closures are cached per node (structurally, so a rule compiled twice is compiled once); ``text``
    and ``source`` only shape error messages, as for :func:`evaluate`.
    """
    if isinstance(node, str):
        text, node = node, parse(node, source=source)
    fn, context = _cached(node)
    return (Compiled if context else _ContextFree)(fn, node, text, source)


# -- the cache -------------------------------------------------------------------------------------

_CACHE_SIZE: Final = 4096
_cache: dict[str, tuple[_Fn, bool]] = {}
_cache_lock = Lock()


def _cached(node: Node) -> tuple[_Fn, bool]:
    """The closure for ``node``, and whether it needs ``DECIMAL_CONTEXT`` as the current context."""
    # Keyed on repr, not on the node: node equality compares numbers by value, and Num(Decimal("1.0"))
    # == Num(Decimal("1")), yet "1.0 + x" and "1 + x" give differently written Decimals. The repr is exact
    # (and leaves out ``pos``, which only error messages use: those come from the fallback).
    key = repr(node)
    found = _cache.get(key)
    if found is None:
        part = _part(node)
        found = (part.fn, part.context)
        with _cache_lock:
            if len(_cache) >= _CACHE_SIZE:
                _cache.clear()
            _cache[key] = found
    return found


# -- compilation -----------------------------------------------------------------------------------


class _Part(NamedTuple):
    """A compiled sub-node; ``constant`` is set when the sub-node reads no facts and evaluates cleanly;
    ``context``: whether its closures compute with the current decimal context (arithmetic, functions)."""

    fn: _Fn
    is_constant: bool = False
    constant: Known = None
    context: bool = False


def _any_context(parts: Sequence[_Part]) -> bool:
    return any(part.context for part in parts)


def _no_facts(path: Path, index: object) -> object:  # pragma: no cover - name-free trees never look up
    raise AssertionError("a name-free expression looked up a fact")


def _constant(value: Known) -> _Part:
    def fn(lookup: Lookup) -> Value:
        return value

    return _Part(fn, True, value)


def _part(node: Node) -> _Part:
    match node:
        case Num() | Str() | DateLit() | Bool():
            return _constant(node.value)
        case Null():
            return _constant(None)
    if not any(isinstance(sub, Name) for sub in walk(node)):
        try:
            value = evaluate(node, _no_facts)
        except Exception:
            pass  # it fails when (if) it is evaluated at run time, and the fallback reports it
        else:
            if value is not MISSING:
                return _constant(value)
    match node:
        case Name():
            return _Part(_name(node.path))
        case Index():
            index = _part(node.index)
            return _Part(_index(node.target.path, index.fn), context=index.context)
        case ListLit():
            items = [_part(item) for item in node.items]
            return _Part(_list([item.fn for item in items]), context=_any_context(items))
        case Unary():
            return _Part(_unary(_part(node.operand).fn), context=True)
        case Binary():
            return _Part(_binary(node.op, _part(node.left), _part(node.right)), context=True)
        case Compare():
            left, right = _part(node.left), _part(node.right)
            return _Part(_compare(node.op, left, right), context=left.context or right.context)
        case BoolOp():
            operands = [_part(operand) for operand in node.operands]
            fn = _bool_op(node.op == "or", [operand.fn for operand in operands])
            return _Part(fn, context=_any_context(operands))
        case Not():
            operand = _part(node.operand)
            return _Part(_not(operand.fn), context=operand.context)
        case In():
            item, options = _part(node.item), [_part(option) for option in node.options]
            fn = _in(item.fn, options, node.negated)
            return _Part(fn, context=item.context or _any_context(options))
        case Call():
            return _call(node)
    raise TypeError(f"not an expression node: {node!r}")


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


def _name(path: Path) -> _Fn:
    def fn(lookup: Lookup) -> Value:
        raw = lookup(path, None)
        if type(raw) is Decimal and raw.is_finite():
            return raw
        return _coerce(raw)

    return fn


def _index(path: Path, index: _Fn) -> _Fn:
    def fn(lookup: Lookup) -> Value:
        value = index(lookup)
        kind = type(value)
        if kind is Decimal or kind is str or kind is date:
            return _coerce(lookup(path, cast("Decimal | str | date", value)))
        if value is MISSING:
            return MISSING
        _fallback()

    return fn


def _list(items: Sequence[_Fn]) -> _Fn:
    def fn(lookup: Lookup) -> Value:
        values = [item(lookup) for item in items]
        if MISSING in values:
            return MISSING
        return tuple(cast(list[Known], values))

    return fn


# -- arithmetic and comparison ---------------------------------------------------------------------


def _unary(operand: _Fn) -> _Fn:
    def fn(lookup: Lookup) -> Value:
        value = operand(lookup)
        if type(value) is Decimal:
            return -value
        if value is MISSING:
            return MISSING
        _fallback()

    return fn


def _numbers_or_missing(a: Value, b: Value) -> Value:
    """The result of an arithmetic operator when not both sides are plain numbers."""
    if (a is MISSING or type(a) is Decimal) and (b is MISSING or type(b) is Decimal):
        return MISSING  # at least one side is MISSING, the other is a number or MISSING
    _fallback()


def _binary(op: str, left: _Part, right: _Part) -> _Fn:
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


def _compare(op: str, left: _Part, right: _Part) -> _Fn:
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
            _fallback()  # a type error, or two values of different types

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


def _bool_op(decisive: bool, operands: Sequence[_Fn]) -> _Fn:
    """``and`` (``decisive`` False) / ``or`` (True): the first operand equal to ``decisive`` settles it."""
    settled = not decisive  # the value when no operand is decisive and none is MISSING
    if len(operands) == 2:
        first, second = operands

        def pair(lookup: Lookup) -> Value:
            a = first(lookup)
            if a is decisive:
                return decisive
            if a is not settled and a is not MISSING:
                _fallback()
            b = second(lookup)
            if b is decisive:
                return decisive
            if b is settled:
                return a  # settled, or MISSING
            if b is MISSING:
                return MISSING
            _fallback()

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
                _fallback()
        return MISSING if missing else settled

    return many


def _not(operand: _Fn) -> _Fn:
    def fn(lookup: Lookup) -> Value:
        value = operand(lookup)
        if value is True:
            return False
        if value is False:
            return True
        if value is MISSING:
            return MISSING
        _fallback()

    return fn


def _in(item: _Fn, options: Sequence[_Part], negated: bool) -> _Fn:
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
                _fallback()  # a type error at the first option

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


# -- calls -----------------------------------------------------------------------------------------


def _call(node: Call) -> _Part:
    """A call; ``if``, ``coalesce`` and a whole number of ``years_before``/``years_after`` compute nothing
    themselves (``context`` is their arguments'), any other function may."""
    spec = FUNCTIONS.get(node.func)
    if spec is None or spec.arity_problem(len(node.args)) is not None:
        return _Part(_always_fails)  # ``evaluate`` reports it, in its own context
    parts = [_part(arg) for arg in node.args]
    fns = [part.fn for part in parts]
    context = _any_context(parts)
    if node.func == "if":
        return _Part(_if(*fns), context=context)
    if node.func == "coalesce":
        return _Part(_coalesce(parts), context=context)
    if spec.apply_lazy is not None:  # a lazy function added later: leave it to evaluate
        return _Part(_always_fails)
    if node.func in ("min", "max") and len(fns) == 2:
        return _Part(_extreme2(node.func == "max", fns[0], fns[1], spec), context=True)
    if node.func == "abs":
        return _Part(_abs(fns[0]), context=True)
    if node.func in _YEAR_SHIFTS and parts[1].is_constant:
        shifted = _shift_years(_YEAR_SHIFTS[node.func], parts[0], parts[1].constant)
        if shifted is not None:
            return shifted
    return _Part(_strict(spec, fns), context=True)


def _always_fails(lookup: Lookup) -> Value:
    _fallback()


def _if(condition: _Fn, then: _Fn, otherwise: _Fn) -> _Fn:
    def fn(lookup: Lookup) -> Value:
        value = condition(lookup)
        if value is True:
            return then(lookup)
        if value is False:
            return otherwise(lookup)
        if value is MISSING:
            return MISSING
        _fallback()

    return fn


def _coalesce(parts: Sequence[_Part]) -> _Fn:
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


def _extreme2(largest: bool, first: _Fn, second: _Fn, spec: FunctionSpec) -> _Fn:
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


def _abs(operand: _Fn) -> _Fn:
    def fn(lookup: Lookup) -> Value:
        value = operand(lookup)
        if type(value) is Decimal:
            return abs(value)
        if value is MISSING:
            return MISSING
        _fallback()

    return fn


def _shift_years(sign: int, day: _Part, count: Known) -> _Part | None:
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
        _fallback()  # not a date, or a year out of range

    return _Part(fn, context=day.context)


def _strict(spec: FunctionSpec, args: Sequence[_Fn]) -> _Fn:
    apply = spec.apply
    assert apply is not None

    def fn(lookup: Lookup) -> Value:
        values = [arg(lookup) for arg in args]
        if MISSING in values:
            return MISSING
        return apply(tuple(cast(list[Known], values)))

    return fn
