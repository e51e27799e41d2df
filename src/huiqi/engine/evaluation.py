"""How the engine evaluates rule expressions: fast, and traced only when the trace is needed.

Tracing (which facts were read, which were missing) is for explanations; a plain calculation takes the
compiled fast path and traces only an expression whose value turns out ``MISSING`` (to name the missing
facts for 需补充信息)."""

from __future__ import annotations

from huiqi.engine.context import Context, FactEnv
from huiqi.expr import MISSING, Evaluation, Node, evaluate, evaluate_traced

_NOTHING: frozenset[str] = frozenset()


def evaluate_in(ctx: Context, node: Node, env: FactEnv) -> Evaluation:
    if ctx.explain:
        return evaluate_traced(node, env)
    value = evaluate(node, env)
    if value is MISSING:
        return evaluate_traced(node, env)
    return Evaluation(value=value, missing=frozenset(), missing_facts=_NOTHING, read={})
