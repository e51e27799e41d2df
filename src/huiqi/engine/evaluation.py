"""How the engine evaluates rule expressions: fast, and traced only when the trace is needed.

Tracing (which facts were read, which were missing) is for explanations; a plain calculation takes the
compiled fast path (``huiqi.expr.compile_expr``, compiled once per rule expression) and traces only an
expression whose value turns out ``MISSING`` (to name the missing facts for 需补充信息)."""

from __future__ import annotations

from huiqi.engine.context import Context, FactEnv
from huiqi.expr import MISSING, Compiled, Evaluation, Node, compile_expr, evaluate_traced

_NOTHING: frozenset[str] = frozenset()
# node identity → (node, compiled): holding the node keeps its id from being reused
_COMPILED: dict[int, tuple[Node, Compiled]] = {}


def compiled(node: Node) -> Compiled:
    entry = _COMPILED.get(id(node))
    if entry is None or entry[0] is not node:
        entry = _COMPILED[id(node)] = (node, compile_expr(node))
    return entry[1]


def evaluate_in(ctx: Context, node: Node, env: FactEnv) -> Evaluation:
    if ctx.explain:
        return evaluate_traced(node, env)
    value = compiled(node)(env.lookup)
    if value is MISSING:
        return evaluate_traced(node, env)
    return Evaluation(value=value, missing=frozenset(), missing_facts=_NOTHING, read={})
