"""``render_filled``: the formula with each fact replaced by its value, for explanations to users.

``min(15% * event.amount, 200万元)`` with ``event.amount = 1500000`` (kind ``money``) becomes
``min(15% × 1,500,000元, 200万元)``. Conventions (simple and deterministic):

* literals stay as written (``15%``, ``200万元``); facts are filled in;
* a numeric fact is formatted by its *kind*: ``money`` → ``1,500,000元``, ``percent`` → ``3.5%``,
  ``number`` → ``12,000``, ``plain`` → ``2024``; without a kind, thousands separators from 10,000 up
  (so years stay ``2024``); a negative fact is parenthesised: ``(-5)``;
* text in Chinese quotes “国家级”, ``true``/``false`` as 是/否, ``null`` as 空, dates ``2025-10-08``;
* ``*`` ``/`` ``==`` ``!=`` ``<=`` ``>=`` become × ÷ = ≠ ≤ ≥; ``and`` ``or`` ``not`` ``in`` ``not in`` become
  且 或 非 属于 不属于;
* a missing fact shows as ``〈event.amount：缺失〉``; a fact the evaluation did not read (an untaken
  branch) keeps its name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import ClassVar, Final, Literal, TypeAlias

from huiqi.errors import ExpressionError
from huiqi.expr.ast import Bool, Index, Name, Node, Null, Path, Str
from huiqi.expr.evaluate import EnvLike, Evaluation, Lookup, as_lookup, evaluate_traced
from huiqi.expr.formatting import format_decimal, format_money, format_percent
from huiqi.expr.render import Renderer, render
from huiqi.expr.values import MISSING, FactKey, Value, ValueProblem, coerce_value
from huiqi.expr.values import Index as IndexValue

Kind: TypeAlias = Literal["money", "percent", "number", "plain"]
Kinds: TypeAlias = Mapping[str, str] | Callable[[Path], str | None]

_GROUPING_FROM: Final = Decimal(10_000)


def format_value(value: Value, kind: str | None = None) -> str:
    """One value for a Chinese reader; ``kind`` (``money``/``percent``/``number``/``plain``) for numbers."""
    if isinstance(value, Decimal):  # the usual value, first (MISSING, None, bool are not Decimals)
        if kind == "money":
            return format_money(value)
        if kind == "percent":
            return format_percent(value)
        if kind == "plain":
            return format_decimal(value)
        return format_decimal(value, thousands=kind == "number" or abs(value) >= _GROUPING_FROM)
    if value is MISSING:
        return "缺失"
    if value is None:
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, date):
        return value.isoformat()
    return "[" + ", ".join(format_value(item, kind) for item in value) + "]"


class _NotRead(Exception):
    """The evaluation being explained never read this fact."""


class _ReadEnv:
    def __init__(self, read: Mapping[str, Value]) -> None:
        self.read = read

    def lookup(self, path: Path, index: IndexValue | None, /) -> object:
        key = str(FactKey(path, index))
        if key not in self.read:
            raise _NotRead(key)
        return self.read[key]


class _FilledRenderer(Renderer):
    OPS: ClassVar[dict[str, str]] = {
        "*": "×",
        "/": "÷",
        "==": "=",
        "!=": "≠",
        "<=": "≤",
        ">=": "≥",
        "and": "且",
        "or": "或",
        "not": "非",
        "in": "属于",
        "not in": "不属于",
        "neg": "-",
    }

    def __init__(self, lookup: Lookup, kinds: Kinds | None) -> None:
        self.lookup = lookup
        self.kinds = kinds
        self._by_name = isinstance(kinds, Mapping)  # asked once, not for every fact rendered

    def kind_of(self, path: Path) -> str | None:
        if self.kinds is None:
            return None
        if self._by_name:
            return self.kinds.get(".".join(path))  # type: ignore[union-attr]
        return self.kinds(path)  # type: ignore[operator]

    def leaf(self, node: Node) -> str:
        if isinstance(node, Name | Index):
            return self.fact(node)
        if isinstance(node, Str):
            return f"“{node.value}”"
        if isinstance(node, Bool):
            return "是" if node.value else "否"
        if isinstance(node, Null):
            return "空"
        return super().leaf(node)

    def fact(self, node: Name | Index) -> str:
        if isinstance(node, Name):  # a plain name: read directly (the traced evaluator gives the same)
            try:
                value = coerce_value(self.lookup(node.path, None))
            except (_NotRead, ValueProblem):
                return render(node)
            if value is MISSING:
                return f"〈{FactKey(node.path)}：缺失〉"
        else:
            try:
                evaluation = evaluate_traced(node, self.lookup)
            except (_NotRead, ExpressionError):
                return render(node)
            value = evaluation.value
            if value is MISSING:
                return f"〈{'、'.join(sorted(evaluation.missing_facts)) or render(node)}：缺失〉"
        path = node.path if isinstance(node, Name) else node.target.path
        text = format_value(value, self.kind_of(path))
        if isinstance(value, Decimal) and value < 0:
            text = f"({text})"
        return text


class _Slots(_FilledRenderer):
    """Renders the formula once with a marker where each fact goes (what surrounds a fact depends on the
    tree only, never on the fact's value)."""

    MARK: ClassVar[str] = "\x00"

    def __init__(self) -> None:
        super().__init__(lambda path, index: None, None)
        self.slots: list[Name | Index] = []

    def fact(self, node: Name | Index) -> str:
        self.slots.append(node)
        return self.MARK


# node identity → (node, the text around the facts and the facts in order, or None where a literal holds the
# marker); holding the node keeps its id from being reused
_TEMPLATES: dict[int, tuple[Node, tuple[list[str], list[Name | Index]] | None]] = {}


def _template(node: Node) -> tuple[list[str], list[Name | Index]] | None:
    kept = _TEMPLATES.get(id(node))
    if kept is None or kept[0] is not node:
        slotted = _Slots()
        parts = slotted.render(node).split(_Slots.MARK)
        fits = len(parts) == len(slotted.slots) + 1
        kept = _TEMPLATES[id(node)] = (node, (parts, slotted.slots) if fits else None)
    return kept[1]


def render_filled(node: Node, values: Evaluation | EnvLike, *, kinds: Kinds | None = None) -> str:
    """The formula with the facts filled in, from an :class:`Evaluation` (its ``read``) or an environment.

    ``kinds`` maps a dotted fact path (``"event.amount"``) to ``money``/``percent``/``number``/``plain``,
    or is a function of the path tuple returning one of those (or ``None``).
    """
    lookup = _ReadEnv(values.read).lookup if isinstance(values, Evaluation) else as_lookup(values)
    template = _template(node)
    if template is not None and not template[1]:  # no fact to fill in: the formula's own text
        return template[0][0]
    renderer = _FilledRenderer(lookup, kinds)
    if template is None:  # a marker inside a literal: render in full
        return renderer.render(node)
    parts, slots = template
    out = [parts[0]]
    for slot, after in zip(slots, parts[1:], strict=True):
        out.append(renderer.fact(slot))
        out.append(after)
    return "".join(out)
