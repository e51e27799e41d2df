"""Error messages that point into the expression text with a caret."""

from __future__ import annotations

import unicodedata

from huiqi.errors import ExpressionError, Source


def _width(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def excerpt(text: str, pos: int) -> str:
    """The line of ``text`` holding ``pos`` and a caret under it (CJK characters count as two columns)."""
    pos = max(0, min(pos, len(text)))
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    line = text[start : len(text) if end < 0 else end].replace("\t", " ")
    column = sum(_width(c) for c in text[start:pos])
    return f"  {line}\n  {' ' * column}^"


def expression_error(
    message: str, pos: int, text: str | None = None, source: Source | None = None
) -> ExpressionError:
    """``ExpressionError("表达式第 N 个字符处：…" + excerpt)``; ``pos`` is a 0-based offset into ``text``."""
    where = f"表达式第 {pos + 1} 个字符处"
    if text is not None and "\n" in text.strip():
        where += f"（第 {text.count(chr(10), 0, pos) + 1} 行）"
    full = f"{where}：{message}"
    if text is not None:
        full += "\n" + excerpt(text, pos)
    return ExpressionError(full, source)
