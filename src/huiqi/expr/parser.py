"""Recursive-descent parser: text → AST.

Grammar, loosest binding first::

    expr       := or
    or         := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := sum [("<" | "<=" | ">" | ">=" | "==" | "!=") sum | ["not"] "in" list]   (no chaining)
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | postfix
    postfix    := primary ["[" expr "]"]          (only after a name)
    primary    := NUMBER | STRING | DATE | "true" | "false" | "null" | name | call | "(" expr ")" | list
    name       := IDENT ("." IDENT)*
    call       := IDENT "(" [expr ("," expr)* [","]] ")"
    list       := "[" [expr ("," expr)* [","]] "]"
"""

from __future__ import annotations

import difflib
from datetime import date
from decimal import Decimal
from typing import Final, NoReturn, cast

from huiqi.errors import Source
from huiqi.expr._position import expression_error
from huiqi.expr.ast import (
    COMPARE_OPS,
    KEYWORDS,
    ArithOp,
    Binary,
    Bool,
    BoolOp,
    Call,
    Compare,
    CompareOp,
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
    Unit,
    depth,
)
from huiqi.expr.functions import FUNCTIONS
from huiqi.expr.lexer import Token, tokenize

#: Deepest bracket/operator nesting the parser accepts (keeps well clear of Python's recursion limit).
MAX_NESTING: Final = 40
#: Tallest tree accepted (a chain ``a + b + c + …`` is as tall as it is long).
MAX_DEPTH: Final = 100

_CLOSERS: Final = {")": "右括号“)”", "]": "右方括号“]”"}


def parse(text: str, *, source: Source | None = None) -> Node:
    """Parse ``text`` into an AST; raise :class:`~huiqi.errors.ExpressionError` with the position."""
    if not isinstance(text, str):
        raise TypeError(f"expression must be str, not {type(text).__name__}")
    return _Parser(text, source).parse()


class _Parser:
    def __init__(self, text: str, source: Source | None) -> None:
        self.text = text
        self.source = source
        self.tokens = tokenize(text, source)
        self.i = 0
        self.nesting = 0

    # -- helpers ---------------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def peek(self) -> Token:
        return self.tokens[min(self.i + 1, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.i]
        if token.kind != "eof":
            self.i += 1
        return token

    def error(self, message: str, pos: int) -> NoReturn:
        raise expression_error(message, pos, self.text, self.source)

    def enter(self, pos: int) -> None:
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            self.error(f"表达式嵌套过深（最多 {MAX_NESTING} 层）", pos)

    def describe(self, token: Token) -> str:
        return "表达式结尾" if token.kind == "eof" else f"“{token.text}”"

    # -- grammar ---------------------------------------------------------------------------------

    def parse(self) -> Node:
        if not self.text.strip():
            self.error("表达式为空", 0)
        node = self.expression()
        token = self.tok
        if token.kind == ")":
            self.error("多余的右括号“)”", token.pos)
        if token.kind != "eof":
            self.error(f"多余的内容 {self.describe(token)}（是否缺少运算符或逗号？）", token.pos)
        if depth(node) > MAX_DEPTH:
            self.error(f"表达式过于复杂（语法树超过 {MAX_DEPTH} 层），请拆分", 0)
        return node

    def expression(self) -> Node:
        self.enter(self.tok.pos)
        try:
            return self.or_expr()
        finally:
            self.nesting -= 1

    def or_expr(self) -> Node:
        first = self.and_expr()
        if self.tok.kind != "or":
            return first
        pos, operands = self.tok.pos, [first]
        while self.tok.kind == "or":
            self.advance()
            operands.append(self.and_expr())
        return BoolOp("or", tuple(operands), pos=pos)

    def and_expr(self) -> Node:
        first = self.not_expr()
        if self.tok.kind != "and":
            return first
        pos, operands = self.tok.pos, [first]
        while self.tok.kind == "and":
            self.advance()
            operands.append(self.not_expr())
        return BoolOp("and", tuple(operands), pos=pos)

    def not_expr(self) -> Node:
        if self.tok.kind != "not":
            return self.comparison()
        token = self.advance()
        self.enter(token.pos)
        try:
            return Not(self.not_expr(), pos=token.pos)
        finally:
            self.nesting -= 1

    def starts_comparison(self) -> bool:
        kind = self.tok.kind
        return kind in COMPARE_OPS or kind == "in" or (kind == "not" and self.peek().kind == "in")

    def comparison(self) -> Node:
        left = self.sum_expr()
        if not self.starts_comparison():
            return left
        token = self.advance()
        node: Node
        if token.kind in COMPARE_OPS:
            node = Compare(cast(CompareOp, token.kind), left, self.sum_expr(), pos=token.pos)
        else:
            negated = token.kind == "not"
            if negated:
                self.advance()
            node = In(left, self.options(), negated, pos=token.pos)
        if self.starts_comparison():
            self.error("比较不能连写：a < b < c 请写成 a < b and b < c", self.tok.pos)
        return node

    def options(self) -> tuple[Node, ...]:
        if self.tok.kind != "[":
            self.error("in 后面必须是方括号括起的列表，如 x in ['国家级', '省级']", self.tok.pos)
        return self.items(self.advance())

    def sum_expr(self) -> Node:
        node = self.product()
        while self.tok.kind in ("+", "-"):
            token = self.advance()
            node = Binary(cast(ArithOp, token.kind), node, self.product(), pos=token.pos)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind in ("*", "/"):
            token = self.advance()
            node = Binary(cast(ArithOp, token.kind), node, self.unary(), pos=token.pos)
        return node

    def unary(self) -> Node:
        if self.tok.kind != "-":
            return self.postfix()
        token = self.advance()
        self.enter(token.pos)
        try:
            return Unary("-", self.unary(), pos=token.pos)
        finally:
            self.nesting -= 1

    def postfix(self) -> Node:
        node = self.primary()
        if self.tok.kind != "[":
            return node
        if not isinstance(node, Name):
            self.error("只有事实名称后面可以加下标 [...]", self.tok.pos)
        opener = self.advance()
        index = self.expression()
        if self.tok.kind != "]":
            self.error(f"缺少右方括号“]”（与第 {opener.pos + 1} 个字符处的“[”配对）", self.tok.pos)
        self.advance()
        if self.tok.kind == "[":
            self.error("不支持多重下标", self.tok.pos)
        return Index(node, index, pos=opener.pos)

    def primary(self) -> Node:
        token = self.tok
        kind, pos = token.kind, token.pos
        if kind == "num":
            self.advance()
            return Num(cast(Decimal, token.value), cast(Unit, token.unit), pos=pos)
        if kind == "str":
            self.advance()
            return Str(cast(str, token.value), pos=pos)
        if kind == "date":
            self.advance()
            return DateLit(cast(date, token.value), pos=pos)
        if kind in ("true", "false"):
            self.advance()
            return Bool(kind == "true", pos=pos)
        if kind == "null":
            self.advance()
            return Null(pos=pos)
        if kind == "name":
            return self.name_or_call()
        if kind == "(":
            self.advance()
            node = self.expression()
            if self.tok.kind != ")":
                self.error(f"缺少右括号“)”（与第 {pos + 1} 个字符处的“(”配对）", self.tok.pos)
            self.advance()
            return node
        if kind == "[":
            return ListLit(self.items(self.advance()), pos=pos)
        if kind == "eof":
            self.error("表达式不完整，结尾处还缺少内容", pos)
        if kind in KEYWORDS:
            self.error(f"此处不应出现关键字“{kind}”（如需这样组合，请加括号）", pos)
        self.error(f"此处不应出现“{token.text}”", pos)

    def name_or_call(self) -> Node:
        first = self.advance()
        if self.tok.kind == "(":
            return self.call(first)
        path = [first.text]
        while self.tok.kind == ".":
            self.advance()
            token = self.tok
            if token.kind != "name":
                if token.kind in KEYWORDS:
                    self.error(f"“{token.kind}”是保留字，不能用作名称", token.pos)
                self.error(f"“.”后面缺少名称，却是{self.describe(token)}", token.pos)
            path.append(self.advance().text)
        if self.tok.kind == "(":
            self.error(f"“{'.'.join(path)}”不是函数，不能调用", self.tok.pos)
        return Name(tuple(path), pos=first.pos)

    def call(self, name: Token) -> Node:
        spec = FUNCTIONS.get(name.text)
        if spec is None:
            close = difflib.get_close_matches(name.text, FUNCTIONS, n=1)
            guess = f"，是不是 {close[0]}？" if close else ""
            known = "、".join(sorted(FUNCTIONS))
            self.error(f"未知的函数“{name.text}”{guess}（可用的函数：{known}）", name.pos)
        args = self.items(self.advance())
        problem = spec.arity_problem(len(args))
        if problem is None and spec.check_args is not None:
            problem = spec.check_args(args)
        if problem is not None:
            self.error(problem, name.pos)
        return Call(name.text, args, pos=name.pos)

    def items(self, opener: Token) -> tuple[Node, ...]:
        """Comma-separated expressions after ``(`` or ``[`` up to the matching closer (trailing comma ok)."""
        close = ")" if opener.kind == "(" else "]"
        items: list[Node] = []
        while self.tok.kind != close:
            if self.tok.kind != "eof":
                items.append(self.expression())
                if self.tok.kind == ",":
                    self.advance()
                    continue
                if self.tok.kind == close:
                    break
            if self.tok.kind == "eof":
                where = f"与第 {opener.pos + 1} 个字符处的“{opener.text}”配对"
                self.error(f"缺少{_CLOSERS[close]}（{where}）", self.tok.pos)
            self.error(f"此处应为“,”或“{close}”，却是{self.describe(self.tok)}", self.tok.pos)
        self.advance()
        return tuple(items)
