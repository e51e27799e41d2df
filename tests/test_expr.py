"""The rule expression language: parsing, evaluation (exact, three-valued), rendering, name checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from huiqi.errors import ExpressionError, Source
from huiqi.expr import (
    FUNCTIONS,
    MISSING,
    Binary,
    Bool,
    BoolOp,
    Call,
    Compare,
    DateLit,
    Evaluation,
    In,
    Index,
    ListLit,
    MappingEnv,
    Name,
    Not,
    Null,
    Num,
    Str,
    Unary,
    check_names,
    evaluate,
    evaluate_traced,
    format_decimal,
    format_value,
    names,
    parse,
    render,
    render_filled,
    walk,
)

D = Decimal


def ev(text: str, facts: dict[str, object] | None = None) -> object:
    return evaluate(parse(text), facts or {})


def a() -> Name:
    return Name(("a",))


# -- literals ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("200", D(200), ""),
        ("0.15", D("0.15"), ""),
        ("15%", D("0.15"), "%"),
        ("1.5%", D("0.015"), "%"),
        ("200万", D(2_000_000), "万"),
        ("200万元", D(2_000_000), "万元"),
        ("0.5万元", D(5000), "万元"),
        ("5亿", D(500_000_000), "亿"),
        ("5亿元", D(500_000_000), "亿元"),
        ("300元", D(300), "元"),
    ],
)
def test_number_literals(text: str, value: Decimal, unit: str) -> None:
    node = parse(text)
    assert node == Num(value, unit)  # type: ignore[arg-type]
    assert isinstance(node, Num) and node.value == value
    assert render(node) == text
    assert ev(text) == value


def test_money_literal_is_a_plain_integer_decimal() -> None:
    value = ev("200万元")
    assert value == 2_000_000 and str(value) == "2000000"


def test_other_literals() -> None:
    assert parse("'国家级'") == Str("国家级")
    assert parse('"国家级"') == Str("国家级")
    assert parse(r"'it\'s \\ \n'") == Str("it's \\ \n")
    assert parse("2025-10-08") == DateLit(date(2025, 10, 8))
    assert parse("true") == Bool(True)
    assert parse("false") == Bool(False)
    assert parse("null") == Null()
    assert parse("[1, 'a', null]") == ListLit((Num(D(1)), Str("a"), Null()))
    assert parse("[]") == ListLit(())


def test_names_and_subscripts() -> None:
    assert parse("event.amount") == Name(("event", "amount"))
    assert parse("firm.revenue[2024]") == Index(Name(("firm", "revenue")), Num(D(2024)))
    node = parse("firm.revenue[event.year - 1]")
    assert node == Index(Name(("firm", "revenue")), Binary("-", Name(("event", "year")), Num(D(1))))
    assert names(node) == {("firm", "revenue"), ("event", "year")}


def test_date_versus_subtraction() -> None:
    assert parse("2025 - 10 - 08") == Binary("-", Binary("-", Num(D(2025)), Num(D(10))), Num(D(8)))
    assert parse("2024-1") == Binary("-", Num(D(2024)), Num(D(1)))


def test_positions() -> None:
    node = parse("a + min(b, 2)")
    assert isinstance(node, Binary)
    assert node.pos == 2 and node.left.pos == 0 and node.right.pos == 4
    assert parse("  x").pos == 2


def test_ast_is_hashable_and_ignores_positions() -> None:
    assert parse("a+1") == parse("a  +  1")
    assert hash(parse("a+1")) == hash(parse(" a + 1"))
    assert len({parse("min(a, 1)"), parse("min(a,1)"), parse("max(a, 1)")}) == 2


def test_walk_is_preorder() -> None:
    kinds = [type(n).__name__ for n in walk(parse("min(a + 1, b)"))]
    assert kinds == ["Call", "Binary", "Name", "Num", "Name"]


# -- precedence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("1 + 2 * 3", Binary("+", Num(D(1)), Binary("*", Num(D(2)), Num(D(3))))),
        ("(1 + 2) * 3", Binary("*", Binary("+", Num(D(1)), Num(D(2))), Num(D(3)))),
        ("1 - 2 - 3", Binary("-", Binary("-", Num(D(1)), Num(D(2))), Num(D(3)))),
        ("-a * 2", Binary("*", Unary("-", Name(("a",))), Num(D(2)))),
        ("a + 1 > 2", Compare(">", Binary("+", Name(("a",)), Num(D(1))), Num(D(2)))),
        ("not a == 1", Not(Compare("==", Name(("a",)), Num(D(1))))),
        ("a or b and c", BoolOp("or", (Name(("a",)), BoolOp("and", (Name(("b",)), Name(("c",))))))),
        ("a and b and c", BoolOp("and", (Name(("a",)), Name(("b",)), Name(("c",))))),
        ("not a and b", BoolOp("and", (Not(Name(("a",))), Name(("b",))))),
        ("x in [1, 2]", In(Name(("x",)), (Num(D(1)), Num(D(2))))),
        ("x not in ['a']", In(Name(("x",)), (Str("a"),), negated=True)),
        ("not x in [1]", Not(In(Name(("x",)), (Num(D(1)),)))),
        ("x + 1 in [2]", In(Binary("+", Name(("x",)), Num(D(1))), (Num(D(2)),))),
    ],
)
def test_precedence(text: str, tree: object) -> None:
    assert parse(text) == tree


def test_calls() -> None:
    assert parse("min(a, 1)") == Call("min", (a(), Num(D(1))))
    assert parse("if(a, 1, 2,)") == Call("if", (a(), Num(D(1)), Num(D(2))))
    tier = parse("tier(x, [100万, 1万], [500万, 5万])")
    assert isinstance(tier, Call) and all(isinstance(arg, ListLit) for arg in tier.args[1:])


def test_function_registry_is_a_table() -> None:
    assert set(FUNCTIONS) == {
        "min", "max", "if", "abs", "floor", "year", "days_between", "years_before", "years_after", "coalesce",
        "tier",
    }  # fmt: skip
    assert FUNCTIONS["if"].lazy and FUNCTIONS["coalesce"].lazy and not FUNCTIONS["min"].lazy


# -- parse errors --------------------------------------------------------------------------------


def parse_error(text: str) -> str:
    with pytest.raises(ExpressionError) as info:
        parse(text)
    return info.value.message


def test_unclosed_paren_points_at_the_end() -> None:
    message = parse_error("min(a, b")
    assert message.startswith("表达式第 9 个字符处：缺少右括号")
    assert message.endswith("  min(a, b\n          ^")


def test_unknown_function_names_it_and_lists_known_ones() -> None:
    message = parse_error("x + mn(1, 2)")
    assert "第 5 个字符处" in message and "未知的函数“mn”" in message
    assert "min" in message and "coalesce" in message and "years_before" in message


@pytest.mark.parametrize(
    ("text", "pos", "fragment"),
    [
        ("", 1, "表达式为空"),
        ("   ", 1, "表达式为空"),
        ("a # b", 3, "无法识别的字符“#”"),
        ("a = 1", 3, "=="),
        ("a && b", 3, "and"),
        ("（a）", 1, "半角"),
        ("event.金额", 7, "英文字母"),
        ("200 万", 5, "紧跟在数字后面"),
        ("200千元", 4, "不支持的单位"),
        ("12abc", 3, "数字后面"),
        ("'abc", 1, "引号"),
        ("‘abc’", 1, "半角引号"),
        ("2025-13-01", 1, "无效的日期"),
        ("1 +", 4, "不完整"),
        ("(1 + 2", 7, "缺少右括号"),
        ("1 + 2)", 6, "多余的右括号"),
        ("a b", 3, "多余的内容"),
        ("[1, 2", 6, "缺少右方括号"),
        ("a[1", 4, "缺少右方括号"),
        ("1 < 2 < 3", 7, "不能连写"),
        ("a == b in [1]", 8, "不能连写"),
        ("x in y", 6, "方括号"),
        ("min()", 1, "至少需要 1 个参数"),
        ("if(a, b)", 1, "需要 3 个参数"),
        ("abs(1, 2)", 1, "需要 1 个参数"),
        ("tier(x, 1)", 1, "[门槛, 金额]"),
        ("tier(x, [1, 2, 3])", 1, "[门槛, 金额]"),
        ("a.b(1)", 4, "不是函数"),
        ("a.and", 3, "保留字"),
        ("a.", 3, "缺少名称"),
        ("min(1)[0]", 7, "只有事实名称"),
        ("a[1][2]", 5, "多重下标"),
        ("1 == not a", 6, "关键字“not”"),
        ("'a\\q'", 3, "转义"),
    ],
)
def test_parse_errors(text: str, pos: int, fragment: str) -> None:
    message = parse_error(text)
    assert message.startswith(f"表达式第 {pos} 个字符处"), message
    assert fragment in message, message


def test_parse_error_carries_source_and_caret_under_wide_characters() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("'国家级' +", source=Source(file="rules/a.yaml", rule="r1"))
    assert info.value.source.rule == "r1"
    assert "rules/a.yaml" in str(info.value)
    assert info.value.message.endswith("  '国家级' +\n            ^")  # CJK characters are two columns wide


def test_multiline_error_names_the_line() -> None:
    message = parse_error("min(a,\n    b")
    assert "（第 2 行）" in message and message.endswith("      b\n       ^")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    assert "嵌套过深" in parse_error("(" * 200 + "1" + ")" * 200)
    assert "嵌套过深" in parse_error("-" * 200 + "1")
    assert "过于复杂" in parse_error(" + ".join(["1"] * 500))


def test_parse_rejects_non_text() -> None:
    with pytest.raises(TypeError):
        parse(1)  # type: ignore[arg-type]


# -- evaluation ----------------------------------------------------------------------------------


def test_arithmetic_is_exact() -> None:
    assert ev("0.1 + 0.2 == 0.3") is True
    assert ev("20000001 * 1") == D(20000001)
    assert str(ev("20000001 * 1")) == "20000001"
    assert ev("12345678901234567890123456789 + 1") == D("12345678901234567890123456790")
    assert ev("1 / 3 * 3") == D("0." + "9" * 50)  # 50 significant digits, rounded, never a float
    assert ev("15% * 1500000") == D(225000)
    assert ev("-(2 - 5)") == 3
    assert ev("7 / 2") == D("3.5")


def test_division_by_zero_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="除数为零"):
        ev("a / (b - 1)", {"a": 1, "b": 1})


def test_facts_from_mappings() -> None:
    facts = {"event.amount": D(100), "firm": {"above_scale": True, "revenue": {2023: 50, "2024": D(70)}}}
    assert ev("event.amount * 2", facts) == 200
    assert ev("firm.above_scale", facts) is True
    assert ev("firm.revenue[2023] + firm.revenue[2024]", facts) == 120
    assert ev("firm.revenue[2022]", facts) is MISSING
    assert ev("firm.nothing", facts) is MISSING


def test_env_protocol_and_callable_env() -> None:
    seen: list[tuple[tuple[str, ...], object]] = []

    def lookup(path: tuple[str, ...], index: object) -> object:
        seen.append((path, index))
        return 10

    assert evaluate(parse("firm.revenue[event.year - 1]"), lookup) == 10
    assert seen == [(("event", "year"), None), (("firm", "revenue"), D(9))]
    assert evaluate(parse("x + 1"), MappingEnv({"x": 1})) == 2


def test_float_facts_are_refused() -> None:
    with pytest.raises(ExpressionError, match="浮点数"):
        ev("x + 1", {"x": 0.1})


def test_evaluate_accepts_text() -> None:
    assert evaluate("1 + x", {"x": 2}) == 3


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("'abc' + 1", "“+”只能用于数字，左边是文本"),
        ("1 * true", "右边是真假值"),
        ("2025-01-01 < 3", "不能比较日期和数字的大小"),
        ("'a' < 'b'", "只能比较数字或日期"),
        ("'1' == 1", "不能判断文本和数字是否相等"),
        ("1 and true", "必须是真假值"),
        ("not 1", "必须是真假值"),
        ("-'a'", "负号"),
        ("if(1, 2, 3)", "if 的条件必须是真假值"),
        ("year(1)", "year 的第 1 个参数应为日期"),
        ("min(1, 2025-01-01)", "全是数字或全是日期"),
        ("years_before(2024-02-29, 1.5)", "整数"),
        ("tier(1, [2, 1], [1, 2])", "从小到大"),
        ("1 in ['a']", "不能判断"),
        ("null + 1", "空值"),
    ],
)
def test_type_errors_name_operator_and_types(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate(parse(text), {}, text=text)
    assert fragment in info.value.message, info.value.message
    assert info.value.message.startswith("表达式第 ")


def test_type_error_points_at_the_operator() -> None:
    text = "x + 'abc' * 2"
    with pytest.raises(ExpressionError) as info:
        evaluate(text, {"x": 1})
    assert info.value.message.startswith("表达式第 11 个字符处")


def test_comparisons_and_membership() -> None:
    facts = {"level": "国家级", "d": date(2025, 10, 8)}
    assert ev("level in ['国家级', '省级']", facts) is True
    assert ev("level not in ['国家级', '省级']", facts) is False
    assert ev("level in []", facts) is False
    assert ev("d >= 2025-01-01 and d < 2026-01-01", facts) is True
    assert ev("null == null") is True and ev("1 != null") is True
    assert ev("[1, 2] == [1, 2.0]") is True


def test_functions() -> None:
    assert ev("min(3, 1, 2)") == 1 and ev("max(3, 1, 2)") == 3
    assert ev("max(2025-01-01, 2024-01-01)") == date(2025, 1, 1)
    assert ev("if(1 < 2, 'yes', 'no')") == "yes"
    assert ev("abs(-2.5)") == D("2.5")
    assert ev("floor(2.7)") == 2 and ev("floor(-2.5)") == -3
    assert ev("year(2025-10-08)") == 2025 and isinstance(ev("year(2025-10-08)"), Decimal)
    assert ev("days_between(2025-01-01, 2025-03-01)") == 59
    assert ev("years_before(2025-10-08, 3)") == date(2022, 10, 8)
    assert ev("years_before(2024-02-29, 1)") == date(2023, 2, 28)
    assert ev("coalesce(null, x, 5)") == 5
    assert ev("coalesce(null, null)") is None


@pytest.mark.parametrize(
    ("x", "amount"),
    [("50万", 0), ("100万", 50000), ("499万", 50000), ("500万", 100000), ("1亿", 200000)],
)
def test_tier(x: str, amount: int) -> None:
    assert ev(f"tier({x}, [100万元, 5万元], [500万元, 10万元], [1000万元, 20万元])") == amount


# -- three-valued logic --------------------------------------------------------------------------


def test_missing_propagates_through_arithmetic_and_comparison() -> None:
    result = evaluate_traced(parse("event.amount * 15% > 1万"), {})
    assert result.value is MISSING and result.is_missing
    assert result.missing == {("event", "amount")}
    assert result.read == {"event.amount": MISSING}


@pytest.mark.parametrize(
    ("text", "value", "missing"),
    [
        ("false and x", False, set()),
        ("x and false", False, set()),
        ("x and true", MISSING, {("x",)}),
        ("true or x", True, set()),
        ("x or true", True, set()),
        ("x or false", MISSING, {("x",)}),
        ("x and y", MISSING, {("x",), ("y",)}),
        ("not x", MISSING, {("x",)}),
        ("coalesce(x, 3)", D(3), set()),
        ("coalesce(x, null)", MISSING, {("x",)}),
        ("if(true, 1, x)", D(1), set()),
        ("if(false, 1, x)", MISSING, {("x",)}),
        ("if(x, 1, y)", MISSING, {("x",)}),
        ("min(x, 1)", MISSING, {("x",)}),
        ("1 in [x, 1]", True, set()),
        ("1 in [x, 2]", MISSING, {("x",)}),
        ("x in [1]", MISSING, {("x",)}),
        ("[1, x]", MISSING, {("x",)}),
        ("firm.revenue[x]", MISSING, {("x",)}),
    ],
)
def test_three_valued_logic(text: str, value: object, missing: set[tuple[str, ...]]) -> None:
    result = evaluate_traced(parse(text), {})
    assert result.value is value if value is MISSING or isinstance(value, bool) else result.value == value
    assert result.missing == missing


def test_short_circuit_reads_only_what_matters() -> None:
    result = evaluate_traced(parse("a > 1 and b > 1"), {"a": 0, "b": 5})
    assert result.value is False and result.read == {"a": D(0)}


def test_missing_subscripted_fact_is_reported_with_its_index() -> None:
    result = evaluate_traced(parse("firm.revenue[event.year - 1] > 0"), {"event.year": 2025})
    assert result.missing == {("firm", "revenue")}
    assert result.missing_facts == {"firm.revenue[2024]"}
    assert result.read == {"event.year": D(2025), "firm.revenue[2024]": MISSING}


def test_missing_is_not_null_and_has_no_truth_value() -> None:
    assert MISSING is not None and repr(MISSING) == "MISSING"
    with pytest.raises(TypeError):
        bool(MISSING)
    assert ev("x == null", {"x": None}) is True
    assert ev("x == null") is MISSING


# -- rendering -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "min(15% * event.amount, 200万元)",
        "a - (b - c)",
        "(a + b) * c",
        "-(a * b)",
        "a - -b",
        "a or (b and c)",
        "(a or b) and c",
        "not (a and b)",
        "(not a) == b",
        "x not in ['国家级', '省级']",
        "firm.revenue[event.year - 1] >= 0.5万元",
        "tier(x, [1, 2], [3, 4])",
        "if(d > 2025-10-08, true, null)",
        "'it\\'s'",
        "1.5% * 5亿",
    ],
)
def test_render_is_canonical(text: str) -> None:
    assert render(parse(text)) == text


def test_render_drops_redundant_parentheses() -> None:
    assert render(parse("((a)) + (b * c)")) == "a + b * c"
    assert render(parse("(a and b) and c")) == "(a and b) and c"  # grouping kept: tree shape differs


def test_format_decimal() -> None:
    assert format_decimal(D("2.00E+6"), thousands=True) == "2,000,000"
    assert format_decimal(D("0.150")) == "0.15"
    assert format_decimal(D("-0")) == "0"
    assert format_decimal(D("-1234.5"), thousands=True) == "-1,234.5"
    assert format_decimal(D("2") / D("3"), places=2) == "0.67"
    assert format_value(D("0.035"), "percent") == "3.5%"
    assert format_value(D(1500000), "money") == "1,500,000元"
    assert format_value(D(2024)) == "2024"


def test_render_filled_from_an_evaluation() -> None:
    node = parse("min(15% * event.amount, 200万元)")
    result = evaluate_traced(node, {"event.amount": 1500000})
    assert result.value == 225000
    assert render_filled(node, result, kinds={"event.amount": "money"}) == "min(15% × 1,500,000元, 200万元)"
    assert render_filled(node, result) == "min(15% × 1,500,000, 200万元)"


def test_render_filled_conventions() -> None:
    facts = {"level": "国家级", "year": 2024, "ok": False, "r": D("0.035"), "n": -5}
    node = parse("level in ['国家级'] and year >= 2020 or not ok and r <= 3% and n != 0 and m / 2 == 1")
    text = render_filled(node, facts, kinds=lambda path: "percent" if path == ("r",) else None)
    assert text == (
        "(“国家级” 属于 [“国家级”] 且 2024 ≥ 2020) 或 (非 否 且 3.5% ≤ 3% 且 (-5) ≠ 0 且 〈m：缺失〉 ÷ 2 = 1)"
    )


def test_render_filled_keeps_names_the_evaluation_never_read() -> None:
    node = parse("if(a > 0, b, c)")
    result = evaluate_traced(node, {"a": 1, "b": 2, "c": 3})
    assert isinstance(result, Evaluation) and result.value == 2
    assert render_filled(node, result) == "if(1 > 0, 2, c)"


# -- name checks ---------------------------------------------------------------------------------


def test_check_names_accepts_known_names() -> None:
    check_names(parse("event.amount > 0 and firm.revenue[event.year] > 0"),
                {"event.amount": "money", "event.year": "int", "firm.revenue": "money"})  # fmt: skip
    check_names(parse("a.b"), lambda dotted: dotted.startswith("a."))


def test_check_names_suggests_close_matches() -> None:
    text = "event.amont > 0"
    with pytest.raises(ExpressionError) as info:
        check_names(parse(text), {"event.amount", "event.year", "firm.revenue"}, text=text)
    message = info.value.message
    assert "未知的事实名称：event.amont（可用：event.amount" in message
    assert message.startswith("表达式第 1 个字符处")


def test_check_names_reports_the_leftmost_unknown_name() -> None:
    with pytest.raises(ExpressionError, match="未知的事实名称：zz"):
        check_names(parse("a + zz + yy"), ["a"])
    with pytest.raises(ExpressionError, match=r"未知的事实名称：q$"):
        check_names(parse("q"), lambda _: False)
