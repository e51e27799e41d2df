"""Tokenizer of the expression language.

Token kinds: ``num`` (value: Decimal, unit kept), ``str``, ``date``, ``name``, ``eof``; operators and
keywords are their own kind (``"+"``, ``"<="``, ``"and"``, ``"null"``, …).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from huiqi.errors import ExpressionError, Source
from huiqi.expr._position import expression_error
from huiqi.expr.ast import KEYWORDS, UNIT_EXPONENT
from huiqi.expr.formatting import shift

_DATE: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?![\d.])")
_NUMBER: Final = re.compile(r"(\d+(?:\.\d+)?)(%|万元|亿元|万|亿|元)?")
_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_OPERATORS: Final = ("<=", ">=", "==", "!=", "<", ">", "+", "-", "*", "/", "(", ")", "[", "]", ",", ".")
_MAX_DIGITS: Final = 40
_ESCAPES: Final = {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t"}

# Characters people type by accident (Chinese input methods, maths habits) and what to use instead.
# fmt: off
_LOOKALIKES: Final = {
    "（": "(", "）": ")", "［": "[", "］": "]", "，": ",", "＋": "+", "－": "-", "＊": "*", "／": "/",
    "×": "*", "÷": "/", "＜": "<", "＞": ">", "≤": "<=", "≥": ">=", "≠": "!=", "＝": "==", "％": "%",
    "。": ".", "．": ".", "【": "[", "】": "]",
}
# fmt: on
_HINTS: Final = {
    "=": "请用 == 表示相等",
    "!": "请用 not 表示否定",
    "&": "请用 and 表示“并且”",
    "|": "请用 or 表示“或者”",
    "%": "百分号要紧跟在数字后面，如 15%",
    "‘": "文本请用半角引号 ' 或 \" 括起来",
    "’": "文本请用半角引号 ' 或 \" 括起来",
    "“": "文本请用半角引号 ' 或 \" 括起来",
    "”": "文本请用半角引号 ' 或 \" 括起来",
}
_STRAY_UNITS: Final = frozenset("万亿元千百十角分")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int
    value: Decimal | str | date | None = None
    unit: str = ""


def tokenize(text: str, source: Source | None = None) -> list[Token]:
    """Split ``text`` into tokens, ending with an ``eof`` token; raise ``ExpressionError`` on a bad one."""
    return _Lexer(text, source).run()


class _Lexer:
    def __init__(self, text: str, source: Source | None) -> None:
        self.text = text
        self.source = source
        self.tokens: list[Token] = []

    def error(self, message: str, pos: int) -> ExpressionError:
        return expression_error(message, pos, self.text, self.source)

    def run(self) -> list[Token]:
        text, i = self.text, 0
        while i < len(text):
            char = text[i]
            if char.isspace():
                i += 1
            elif char.isdigit() and char.isascii():
                i = self.number(i)
            elif char in "'\"":
                i = self.string(i)
            elif (match := _NAME.match(text, i)) is not None:
                word = match.group()
                self.tokens.append(Token(word if word in KEYWORDS else "name", word, i))
                i = match.end()
            else:
                op = next((o for o in _OPERATORS if text.startswith(o, i)), None)
                if op is None:
                    raise self.error(self.bad_char_message(char), i)
                self.tokens.append(Token(op, op, i))
                i += len(op)
        self.tokens.append(Token("eof", "", len(text)))
        return self.tokens

    def number(self, i: int) -> int:
        text = self.text
        if (match := _DATE.match(text, i)) is not None:
            try:
                day = date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                raise self.error(f"无效的日期“{match.group()}”", i) from None
            self.tokens.append(Token("date", match.group(), i, day))
            return match.end()
        match = _NUMBER.match(text, i)
        assert match is not None  # text[i] is a digit
        digits, unit = match.group(1), match.group(2) or ""
        end = match.end()
        if end < len(text):
            following = text[end]
            if following.isascii() and (following.isalnum() or following in "_."):
                raise self.error(f"数字后面不能直接跟“{following}”", end)
            if following in _STRAY_UNITS:
                raise self.error(f"不支持的单位“{following}”，数字后只能跟 %、万、万元、亿、亿元、元", end)
        if len(digits.replace(".", "")) > _MAX_DIGITS:
            raise self.error(f"数字过长（最多 {_MAX_DIGITS} 位）", i)
        value = shift(Decimal(digits), UNIT_EXPONENT[unit])
        sign, coefficient, exponent = value.as_tuple()
        if isinstance(exponent, int) and exponent > 0:  # 200万 → Decimal("2000000"), not Decimal("2.00E+6")
            value = Decimal((sign, coefficient + (0,) * exponent, 0))
        self.tokens.append(Token("num", match.group(), i, value, unit))
        return end

    def string(self, i: int) -> int:
        text, quote = self.text, self.text[i]
        chars: list[str] = []
        j = i + 1
        while j < len(text):
            char = text[j]
            if char == quote:
                self.tokens.append(Token("str", text[i : j + 1], i, "".join(chars)))
                return j + 1
            if char == "\\":
                escaped = _ESCAPES.get(text[j + 1 : j + 2])
                if escaped is None:
                    raise self.error("不支持的转义（只能用 \\\\、\\'、\\\"、\\n、\\t）", j)
                chars.append(escaped)
                j += 2
            else:
                chars.append(char)
                j += 1
        raise self.error("文本缺少结尾的引号", i)

    @staticmethod
    def bad_char_message(char: str) -> str:
        if char in _LOOKALIKES:
            return f"不能使用“{char}”，请改用半角的“{_LOOKALIKES[char]}”"
        if char in _HINTS:
            return f"无法识别的“{char}”：{_HINTS[char]}"
        if char in _STRAY_UNITS:
            return f"单位“{char}”要紧跟在数字后面，如 200万元"
        if "\u4e00" <= char <= "\u9fff":
            return f"无法识别的字符“{char}”：名称只能用英文字母、数字和下划线，中文文本请加引号"
        return f"无法识别的字符“{char}”"
