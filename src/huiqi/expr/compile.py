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

from decimal import getcontext, setcontext
from threading import Lock
from typing import Final

from huiqi.errors import Source
from huiqi.expr import closures as c
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
from huiqi.expr.evaluate import Lookup, evaluate
from huiqi.expr.functions import FUNCTIONS
from huiqi.expr.parser import parse
from huiqi.expr.values import DECIMAL_CONTEXT, MISSING, Value

__all__ = ["Compiled", "Lookup", "compile_expr"]


#: The current decimal context during a call (flags it collects are never read).
_CONTEXT: Final = DECIMAL_CONTEXT.copy()


#: Functions compiled natively when the number of years is a constant: name → direction.
_YEAR_SHIFTS: Final = {"years_before": -1, "years_after": 1}


class Compiled:
    """A compiled expression: call it with a ``lookup(path, index)`` function to get the value.

    ``node``, ``text`` and ``source`` are kept for the fallback to :func:`evaluate`, so errors read exactly
    as if the expression had been evaluated directly.
    """

    __slots__ = ("_fn", "node", "source", "text")

    def __init__(self, fn: c.Fn, node: Node, text: str | None, source: Source | None) -> None:
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
_cache: dict[str, tuple[c.Fn, bool]] = {}
_cache_lock = Lock()


def _cached(node: Node) -> tuple[c.Fn, bool]:
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


def _no_facts(path: Path, index: object) -> object:  # pragma: no cover - name-free trees never look up
    raise AssertionError("a name-free expression looked up a fact")


def _part(node: Node) -> c.Part:
    match node:
        case Num() | Str() | DateLit() | Bool():
            return c.constant(node.value)
        case Null():
            return c.constant(None)
    if not any(isinstance(sub, Name) for sub in walk(node)):
        try:
            value = evaluate(node, _no_facts)
        except Exception:
            pass  # it fails when (if) it is evaluated at run time, and the fallback reports it
        else:
            if value is not MISSING:
                return c.constant(value)
    match node:
        case Name():
            return c.Part(c.name(node.path))
        case Index():
            index = _part(node.index)
            return c.Part(c.index(node.target.path, index.fn), context=index.context)
        case ListLit():
            items = [_part(item) for item in node.items]
            return c.Part(c.list_of([item.fn for item in items]), context=c.any_context(items))
        case Unary():
            return c.Part(c.unary(_part(node.operand).fn), context=True)
        case Binary():
            return c.Part(c.binary(node.op, _part(node.left), _part(node.right)), context=True)
        case Compare():
            left, right = _part(node.left), _part(node.right)
            return c.Part(c.compare(node.op, left, right), context=left.context or right.context)
        case BoolOp():
            operands = [_part(operand) for operand in node.operands]
            fn = c.bool_op(node.op == "or", [operand.fn for operand in operands])
            return c.Part(fn, context=c.any_context(operands))
        case Not():
            operand = _part(node.operand)
            return c.Part(c.not_(operand.fn), context=operand.context)
        case In():
            item, options = _part(node.item), [_part(option) for option in node.options]
            fn = c.in_(item.fn, options, node.negated)
            return c.Part(fn, context=item.context or c.any_context(options))
        case Call():
            return _call(node)
    raise TypeError(f"not an expression node: {node!r}")


# -- calls -----------------------------------------------------------------------------------------


def _call(node: Call) -> c.Part:
    """A call; ``if``, ``coalesce`` and a whole number of ``years_before``/``years_after`` compute nothing
    themselves (``context`` is their arguments'), any other function may."""
    spec = FUNCTIONS.get(node.func)
    if spec is None or spec.arity_problem(len(node.args)) is not None:
        return c.Part(c.always_fails)  # ``evaluate`` reports it, in its own context
    parts = [_part(arg) for arg in node.args]
    fns = [part.fn for part in parts]
    context = c.any_context(parts)
    if node.func == "if":
        return c.Part(c.if_(*fns), context=context)
    if node.func == "coalesce":
        return c.Part(c.coalesce(parts), context=context)
    if spec.apply_lazy is not None:  # a lazy function added later: leave it to evaluate
        return c.Part(c.always_fails)
    if node.func in ("min", "max") and len(fns) == 2:
        return c.Part(c.extreme2(node.func == "max", fns[0], fns[1], spec), context=True)
    if node.func == "abs":
        return c.Part(c.abs_(fns[0]), context=True)
    if node.func in _YEAR_SHIFTS and parts[1].is_constant:
        shifted = c.shift_years(_YEAR_SHIFTS[node.func], parts[0], parts[1].constant)
        if shifted is not None:
            return shifted
    return c.Part(c.strict(spec, fns), context=True)
