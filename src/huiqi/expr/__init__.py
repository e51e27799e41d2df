"""huiqi's rule expression language: a small, safe language for rule conditions and amount formulas.

``parse`` text once into an immutable AST, ``evaluate`` it against an environment of facts (exact
``Decimal`` arithmetic, three-valued logic for ``MISSING`` facts), ``render`` it back to canonical text
or ``render_filled`` it with the facts filled in for explanations. Never uses Python ``eval``.
``compile_expr`` turns an AST into closures that give the same values as ``evaluate``, several times faster.

    >>> from decimal import Decimal
    >>> node = parse("min(15% * event.amount, 200万元)")
    >>> evaluate(node, {"event.amount": Decimal(1_500_000)})
    Decimal('225000.00')
"""

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
    children,
    names,
    walk,
)
from huiqi.expr.check import Vocabulary, check_names
from huiqi.expr.compile import Compiled, Lookup, compile_expr
from huiqi.expr.evaluate import Env, EnvLike, Evaluation, MappingEnv, evaluate, evaluate_traced
from huiqi.expr.filled import Kind, format_value, render_filled
from huiqi.expr.formatting import format_decimal, format_money, format_percent
from huiqi.expr.functions import FUNCTIONS, FunctionSpec
from huiqi.expr.parser import parse
from huiqi.expr.render import render
from huiqi.expr.values import DECIMAL_CONTEXT, MISSING, Known, Missing, Value

__all__ = [
    "DECIMAL_CONTEXT",
    "FUNCTIONS",
    "MISSING",
    "Binary",
    "Bool",
    "BoolOp",
    "Call",
    "Compare",
    "Compiled",
    "DateLit",
    "Env",
    "EnvLike",
    "Evaluation",
    "FunctionSpec",
    "In",
    "Index",
    "Kind",
    "Known",
    "ListLit",
    "Lookup",
    "MappingEnv",
    "Missing",
    "Name",
    "Node",
    "Not",
    "Null",
    "Num",
    "Path",
    "Str",
    "Unary",
    "Value",
    "Vocabulary",
    "check_names",
    "children",
    "compile_expr",
    "evaluate",
    "evaluate_traced",
    "format_decimal",
    "format_money",
    "format_percent",
    "format_value",
    "names",
    "parse",
    "render",
    "render_filled",
    "walk",
]
