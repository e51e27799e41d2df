"""The expression AST: frozen, hashable dataclasses, plain data (another module compiles them to Ibis).

Equality and hashing ignore ``pos`` (the offset in the source text), so ``parse("a+1") == parse("a + 1")``.
``pos`` points at the node's head: the first character of a literal, name or call, the operator of an
operator node (the first ``and``/``or`` of a :class:`BoolOp`), the ``[`` of an :class:`Index`.

Numbers are ``Decimal``; :class:`Num` keeps the unit it was written with (``15%`` is
``Num(Decimal("0.15"), "%")``, ``200万元`` is ``Num(Decimal("2000000"), "万元")``) so that explanations can
show it as written; ``value`` is always the plain number (yuan for money, a fraction for percent).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Final, Literal, TypeAlias

Path: TypeAlias = tuple[str, ...]
ArithOp: TypeAlias = Literal["+", "-", "*", "/"]
CompareOp: TypeAlias = Literal["<", "<=", ">", ">=", "==", "!="]
BoolOpName: TypeAlias = Literal["and", "or"]
Unit: TypeAlias = Literal["", "%", "万", "万元", "亿", "亿元", "元"]

#: Power of ten each unit multiplies the written number by.
UNIT_EXPONENT: Final[dict[str, int]] = {"": 0, "元": 0, "%": -2, "万": 4, "万元": 4, "亿": 8, "亿元": 8}

ARITH_OPS: Final = frozenset({"+", "-", "*", "/"})
COMPARE_OPS: Final = frozenset({"<", "<=", ">", ">=", "==", "!="})
KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false", "null"})


@dataclass(frozen=True)
class Node:
    """Base of every AST node."""

    pos: int = field(default=0, compare=False, hash=False, repr=False, kw_only=True)


@dataclass(frozen=True)
class Num(Node):
    value: Decimal
    unit: Unit = ""


@dataclass(frozen=True)
class Str(Node):
    value: str


@dataclass(frozen=True)
class DateLit(Node):
    value: date


@dataclass(frozen=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True)
class Null(Node):
    pass


@dataclass(frozen=True)
class Name(Node):
    """A fact read from the environment: ``event.amount`` is ``Name(("event", "amount"))``."""

    path: Path


@dataclass(frozen=True)
class Index(Node):
    """A subscripted fact: ``firm.revenue[event.year - 1]``. Only names can be subscripted."""

    target: Name
    index: Node


@dataclass(frozen=True)
class Unary(Node):
    op: Literal["-"]
    operand: Node


@dataclass(frozen=True)
class Binary(Node):
    op: ArithOp
    left: Node
    right: Node


@dataclass(frozen=True)
class Compare(Node):
    op: CompareOp
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp(Node):
    """``a and b and c`` is one ``BoolOp("and", (a, b, c))``; always two or more operands."""

    op: BoolOpName
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True)
class In(Node):
    """``item in [o1, o2]`` / ``item not in [...]``: the options are always a literal list."""

    item: Node
    options: tuple[Node, ...]
    negated: bool = False


@dataclass(frozen=True)
class Call(Node):
    """A call of a function from the fixed registry ``huiqi.expr.functions.FUNCTIONS``."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class ListLit(Node):
    items: tuple[Node, ...]


def children(node: Node) -> Iterator[Node]:
    """The direct sub-nodes of ``node``, in source order."""
    for f in fields(node):
        value = getattr(node, f.name)
        if isinstance(value, Node):
            yield value
        elif isinstance(value, tuple):
            for item in value:
                if isinstance(item, Node):
                    yield item


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, pre-order (a node before its children, children in source order)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(tuple(children(current))))


def names(node: Node) -> frozenset[Path]:
    """The paths of every fact the expression reads (for ``a.b[i]``: ``("a", "b")`` and the names in ``i``)."""
    return frozenset(n.path for n in walk(node) if isinstance(n, Name))


def depth(node: Node) -> int:
    """The height of the tree (a leaf has depth 1)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        current, level = stack.pop()
        best = max(best, level)
        stack.extend((child, level + 1) for child in children(current))
    return best
