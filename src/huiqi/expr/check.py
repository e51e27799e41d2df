"""Static checks of an expression against a vocabulary of fact names."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from typing import Final, TypeAlias

from huiqi.errors import Source
from huiqi.expr._position import expression_error
from huiqi.expr.ast import Name, Node, walk

#: Dotted paths (``"event.amount"``): a mapping (values are ignored here: types, kinds, docs…),
#: a collection, or a predicate.
Vocabulary: TypeAlias = Mapping[str, object] | Collection[str] | Callable[[str], bool]

_SHOW_AT_MOST: Final = 8


def check_names(
    node: Node, allowed: Vocabulary, *, text: str | None = None, source: Source | None = None
) -> None:
    """Raise ``ExpressionError`` for the first (leftmost) fact name not in ``allowed``.

    For ``a.b[i]`` the base name ``a.b`` is checked (and the names inside ``i``).
    """
    candidates: list[str] = []
    is_known: Callable[[str], bool]
    if isinstance(allowed, Mapping | Collection):
        candidates = sorted(str(name) for name in allowed)
        is_known = frozenset(candidates).__contains__
    else:
        is_known = allowed
    for name in sorted((n for n in walk(node) if isinstance(n, Name)), key=lambda n: n.pos):
        dotted = ".".join(name.path)
        if not is_known(dotted):
            raise expression_error(_unknown_message(dotted, candidates), name.pos, text, source)


def _unknown_message(dotted: str, candidates: list[str]) -> str:
    message = f"未知的事实名称：{dotted}"
    if not candidates:
        return message
    close = difflib.get_close_matches(dotted, candidates, n=5, cutoff=0.6)
    if close:
        return f"{message}（可用：{'、'.join(close)}）"
    shown = "、".join(candidates[:_SHOW_AT_MOST])
    more = f" 等 {len(candidates)} 个" if len(candidates) > _SHOW_AT_MOST else ""
    return f"{message}（可用：{shown}{more}）"
