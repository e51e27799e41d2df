"""AST → canonical text, with the fewest parentheses that keep the tree: ``parse(render(t)) == t``.

Conventions: one space around binary operators, ``, `` between arguments, strings in single quotes,
numbers without exponent and with the unit they were written with (``15%``, ``200万元``), and a nested
``and``/``or`` always parenthesised (``a or (b and c)``) for readability.

:class:`Renderer` is also the base of ``render_filled``: subclasses override :meth:`Renderer.leaf` and
the operator spellings.
"""

from __future__ import annotations

from typing import ClassVar, Final

from huiqi.expr.ast import (
    UNIT_EXPONENT,
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
from huiqi.expr.formatting import format_decimal, shift

# Binding strength, loosest first.
OR, AND, NOT, COMPARE, SUM, PRODUCT, UNARY, ATOM = range(1, 9)
_BINARY_PRECEDENCE: Final = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT}


def precedence(node: Node) -> int:
    if isinstance(node, BoolOp):
        return OR if node.op == "or" else AND
    if isinstance(node, Not):
        return NOT
    if isinstance(node, Compare | In):
        return COMPARE
    if isinstance(node, Binary):
        return _BINARY_PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return UNARY
    return ATOM


def render(node: Node) -> str:
    """The canonical text of ``node``."""
    return Renderer().render(node)


def render_number(node: Num) -> str:
    """A number literal as written: ``Num(Decimal("0.15"), "%")`` → ``15%``."""
    return format_decimal(shift(node.value, -UNIT_EXPONENT[node.unit])) + node.unit


def render_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace("\t", "\\t")
    return f"'{escaped}'"


class Renderer:
    """Walks the tree; ``OPS`` maps the language's operators to how this renderer spells them."""

    OPS: ClassVar[dict[str, str]] = {"neg": "-"}

    def op(self, name: str) -> str:
        return self.OPS.get(name, name)

    def wrap(self, node: Node, parenthesise: bool) -> str:
        text = self.render(node)
        return f"({text})" if parenthesise else text

    def render(self, node: Node) -> str:
        match node:
            case Binary():
                level = _BINARY_PRECEDENCE[node.op]
                left = self.wrap(node.left, precedence(node.left) < level)
                right = self.wrap(node.right, precedence(node.right) <= level)
                return f"{left} {self.op(node.op)} {right}"
            case Compare():
                left = self.wrap(node.left, precedence(node.left) <= COMPARE)
                right = self.wrap(node.right, precedence(node.right) <= COMPARE)
                return f"{left} {self.op(node.op)} {right}"
            case In():
                item = self.wrap(node.item, precedence(node.item) <= COMPARE)
                word = self.op("not in" if node.negated else "in")
                return f"{item} {word} {self.sequence('[', node.options, ']')}"
            case BoolOp():
                parts = (self.wrap(o, precedence(o) <= AND) for o in node.operands)
                return f" {self.op(node.op)} ".join(parts)
            case Not():
                return f"{self.op('not')} {self.wrap(node.operand, precedence(node.operand) < NOT)}"
            case Unary():
                return self.op("neg") + self.wrap(node.operand, precedence(node.operand) < UNARY)
            case Call():
                return self.sequence(f"{node.func}(", node.args, ")")
            case ListLit():
                return self.sequence("[", node.items, "]")
        return self.leaf(node)

    def sequence(self, opener: str, items: tuple[Node, ...], closer: str) -> str:
        return opener + ", ".join(self.render(item) for item in items) + closer

    def leaf(self, node: Node) -> str:
        match node:
            case Num():
                return render_number(node)
            case Str():
                return render_string(node.value)
            case DateLit():
                return node.value.isoformat()
            case Bool():
                return "true" if node.value else "false"
            case Null():
                return "null"
            case Name():
                return ".".join(node.path)
            case Index():
                return f"{self.leaf(node.target)}[{self.render(node.index)}]"
        raise TypeError(f"not an expression node: {node!r}")
