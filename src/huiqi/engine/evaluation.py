"""How the engine evaluates rule expressions: fast, and traced only when the trace is needed.

Tracing (which facts were read, which were missing) is for explanations; a plain calculation takes the
compiled fast path (``huiqi.expr.compile_expr``, compiled once per rule expression) and traces only an
expression whose value turns out ``MISSING`` (to name the missing facts for 需补充信息).

An explained calculation takes the fast path too where that can say what was read: the compiled closures
read facts in the order the traced evaluator does (left to right, stopping where ``and``/``or`` are
settled; a strict function call reads its arguments left to right, like the evaluator), so recording their
lookups gives the same ``read``. Expressions with lazy functions (``if``, ``coalesce``), subscripts or
options that are facts (whose reading order may differ) are traced, as is any ``MISSING`` value."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from huiqi.engine.context import Context, FactEnv
from huiqi.expr import MISSING, Compiled, Evaluation, compile_expr, evaluate_traced
from huiqi.expr.ast import (
    Binary,
    Bool,
    BoolOp,
    Call,
    Compare,
    DateLit,
    In,
    Index,
    Name,
    Node,
    Not,
    Null,
    Num,
    Str,
    Unary,
    walk,
)
from huiqi.expr.functions import FUNCTIONS
from huiqi.expr.values import FactKey, Value, coerce_value

_NOTHING: frozenset[str] = frozenset()
_NEW = object.__new__
_LITERALS = (Num, Str, DateLit, Bool, Null)
_IN_ORDER = (Name, Unary, Binary, Compare, BoolOp, Not, *_LITERALS)
# node identity → (node, compiled, how a traced evaluation goes: ``_TRACE``, ``_RECORD`` (recording the
# compiled lookups gives the traced ``read``) or ``_CONSTANT``, and the value of a ``_CONSTANT``);
# holding the node keeps its id from being reused
_COMPILED: dict[int, tuple[Node, Compiled, int, Value]] = {}
_TRACE, _RECORD, _CONSTANT = range(3)
_DOTTED: dict[tuple[str, ...], str] = {}  # fact path → its name in ``read``
_PLAIN = frozenset({bool, str, date, Decimal, type(None), type(MISSING)})  # as coerce_value gives them


def _entry(node: Node) -> tuple[Node, Compiled, int, Value]:
    entry = _COMPILED.get(id(node))
    if entry is None or entry[0] is not node:
        fast, constant = compile_expr(node), None
        if not any(isinstance(n, Name | Index) for n in walk(node)):
            # an amount such as ``50万``: no fact read, so its evaluation is the same every time
            constant = fast.decide(_no_facts)
        if constant is not None and constant is not MISSING:
            entry = (node, fast, _CONSTANT, constant)
        else:
            entry = (node, fast, _RECORD if all(_in_order(n) for n in walk(node)) else _TRACE, None)
        _COMPILED[id(node)] = entry
    return entry


def _no_facts(path: tuple[str, ...], index: object, /) -> object:  # pragma: no cover - never called
    raise AssertionError("a name-free expression looked up a fact")


def _in_order(n: Node) -> bool:
    """Whether the compiled closure for ``n`` reads the facts beneath it in the evaluator's order."""
    if isinstance(n, _IN_ORDER):
        return True
    if isinstance(n, In):
        return all(isinstance(o, _LITERALS) for o in n.options)
    if isinstance(n, Call):
        spec = FUNCTIONS.get(n.func)
        return spec is not None and spec.apply_lazy is None and spec.arity_problem(len(n.args)) is None
    return False


def compiled(node: Node) -> Compiled:
    return _entry(node)[1]


def _recorded(fast: Compiled, env: FactEnv) -> Evaluation | None:
    """The fast path with every lookup recorded; ``None`` where the traced evaluator must answer."""
    read: dict[str, Value] = {}
    base = env.lookup

    def lookup(path: tuple[str, ...], index: object, /) -> object:
        raw: Any = base(path, index)  # ``Any``: a value of a type in ``_PLAIN`` is read as is
        key = _DOTTED.get(path)
        if key is None:
            key = _DOTTED[path] = str(FactKey(path))
        # a value coerce_value refuses makes ``decide`` give up, as the compiled name would on its own
        read[key] = raw if type(raw) in _PLAIN else coerce_value(raw)
        return raw

    value = fast.decide(lookup)
    if value is None or value is MISSING:
        return None
    return _known(value, read)


def _known(value: Value, read: dict[str, Value]) -> Evaluation:
    """``Evaluation(value, missing=∅, missing_facts=∅, read)`` without the frozen dataclass's ``__init__``
    (a third of the cost; made for every rule expression a calculation evaluates)."""
    done = _NEW(Evaluation)
    attrs = done.__dict__
    attrs["value"], attrs["missing"], attrs["missing_facts"], attrs["read"] = value, _NOTHING, _NOTHING, read
    return done


def traced(node: Node, env: FactEnv) -> Evaluation:
    """The evaluation with what it read (and, where ``MISSING``, what was missing), whatever the context."""
    entry = _COMPILED.get(id(node))
    if entry is None or entry[0] is not node:
        entry = _entry(node)
    how = entry[2]
    if how == _RECORD:
        done = _recorded(entry[1], env)
        if done is not None:
            return done
    elif how == _CONSTANT:
        return _known(entry[3], {})
    return evaluate_traced(node, env)


def evaluate_in(ctx: Context, node: Node, env: FactEnv) -> Evaluation:
    if ctx.explain:
        return traced(node, env)
    value = compiled(node)(env.lookup)
    if value is MISSING:
        return evaluate_traced(node, env)
    return _known(value, {})


def condition_in(ctx: Context, node: Node, env: FactEnv) -> Evaluation:
    """``evaluate_in`` for a condition, where a ``False`` may come without what was read (it drops the
    rule, so what it read is never shown): when explaining, an expression whose lookups cannot be recorded
    is first tried without tracing (most rules of an event's type are for another level)."""
    if not ctx.explain:
        return evaluate_in(ctx, node, env)
    entry = _entry(node)
    if entry[2] == _TRACE and entry[1](env.lookup) is False:
        return _FALSE
    return traced(node, env)


_FALSE = _known(False, {})


def value_in(node: Node, env: FactEnv) -> object:
    """Only the value (``MISSING`` where a fact is missing): no trace, whatever the context asks for."""
    return compiled(node)(env.lookup)
