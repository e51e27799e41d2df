"""The closure compiler gives exactly what ``evaluate`` gives: values, MISSING, short-circuits, errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Context, Decimal, getcontext, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.errors import ExpressionError, Source
from huiqi.expr import (
    FUNCTIONS,
    MISSING,
    Binary,
    Bool,
    BoolOp,
    Call,
    Compare,
    Compiled,
    DateLit,
    In,
    Index,
    ListLit,
    MappingEnv,
    Name,
    Node,
    Not,
    Null,
    Num,
    Str,
    Unary,
    Value,
    compile_expr,
    evaluate,
    parse,
)
from huiqi.expr.ast import UNIT_EXPONENT
from huiqi.expr.formatting import shift

D = Decimal
Path = tuple[str, ...]
Lookup = Callable[[Path, object], object]

# -- the differential property ---------------------------------------------------------------------

DIFF = settings(max_examples=250, deadline=None, database=None)

NUMERIC = [("a",), ("event", "amount"), ("firm", "level")]
TRUTHS = [("flag",), ("firm", "sme")]
DATES = [("d",), ("event", "date")]
TEXTS = [("s",), ("event", "level")]
PATHS = NUMERIC + TRUTHS + DATES + TEXTS

mantissas = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
numbers = st.builds(
    lambda m, unit: Num(shift(m, UNIT_EXPONENT[unit]), unit), mantissas, st.sampled_from(list(UNIT_EXPONENT))
)
small_numbers = st.sampled_from(["0", "1", "2", "3", "0.5", "-1", "1.0", "100"]).map(lambda t: Num(D(t)))
texts = st.sampled_from(["国家级", "省级", "", "a"])
days = st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31))
date_literals = st.one_of(days.map(DateLit), st.just(DateLit(date(2024, 2, 29))))
leaves = st.one_of(
    numbers,
    small_numbers,
    texts.map(Str),
    date_literals,
    st.booleans().map(Bool),
    st.just(Null()),
    st.sampled_from(PATHS).map(Name),
)


def calls(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def arguments(name: str) -> st.SearchStrategy[Node]:
        spec = FUNCTIONS.get(name)
        if spec is None:  # an unknown function
            return st.lists(children, max_size=2).map(lambda xs: Call(name, tuple(xs)))
        if name == "tier":
            pair = st.builds(lambda t, a: ListLit((t, a)), children, children)
            return st.builds(
                lambda x, ps: Call("tier", (x, *ps)), children, st.lists(pair, min_size=1, max_size=3)
            )
        low = max(spec.min_args - 1, 0)  # sometimes one argument short: an arity error
        high = spec.max_args if spec.max_args is not None else spec.min_args + 2
        args = st.integers(low, high).flatmap(lambda n: st.lists(children, min_size=n, max_size=n))
        return args.map(lambda xs: Call(name, tuple(xs)))

    return st.sampled_from([*sorted(FUNCTIONS), "nope"]).flatmap(arguments)


def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    some = st.lists(children, max_size=3).map(tuple)
    return st.one_of(
        children.map(lambda c: Unary("-", c)),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(Compare, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children, children),
        st.builds(
            BoolOp, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=4).map(tuple)
        ),
        children.map(Not),
        st.builds(In, children, some, st.booleans()),
        st.builds(ListLit, some),
        st.builds(Index, st.sampled_from(PATHS).map(Name), children),
        calls(children),
    )


#: Any tree: mostly type errors, which exercise the fallback.
trees = st.recursive(leaves, extend, max_leaves=12)


def typed_trees() -> st.SearchStrategy[Node]:
    """Trees that are mostly well typed, so the values (not only the errors) are compared."""
    num_names = st.sampled_from(NUMERIC).map(Name)
    num_leaves = st.one_of(small_numbers, num_names, numbers, num_names, st.just(Null()))
    date_leaves = st.one_of(date_literals, st.sampled_from(DATES).map(Name))
    dates = st.one_of(
        date_leaves,
        st.builds(
            lambda d, n: Call("years_before", (d, n)), date_leaves, st.one_of(small_numbers, num_leaves)
        ),
    )
    text_leaves = st.one_of(texts.map(Str), st.sampled_from(TEXTS).map(Name))
    order = st.sampled_from(["<", "<=", ">", ">="])
    equality = st.sampled_from(["==", "!="])

    def num_nodes(c: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        args = st.lists(c, min_size=1, max_size=3).map(tuple)
        pair = st.builds(lambda t, a: ListLit((t, a)), small_numbers, c)
        return st.one_of(
            c.map(lambda x: Unary("-", x)),
            st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), c, c),
            st.builds(Call, st.sampled_from(["min", "max", "coalesce"]), args),
            st.builds(lambda f, x: Call(f, (x,)), st.sampled_from(["abs", "floor"]), c),
            st.builds(lambda x, y, z: Call("if", (Compare("<", x, y), z, x)), c, c, c),
            st.builds(lambda x: Call("year", (x,)), dates),
            st.builds(lambda x, y: Call("days_between", (x, y)), dates, dates),
            st.builds(lambda x, ps: Call("tier", (x, *ps)), c, st.lists(pair, min_size=1, max_size=2)),
            st.builds(Index, st.sampled_from(NUMERIC).map(Name), c),
        )

    nums = st.recursive(num_leaves, num_nodes, max_leaves=6)
    truth_names = st.sampled_from(TRUTHS).map(Name)
    atoms = st.one_of(
        st.booleans().map(Bool),
        truth_names,
        truth_names,
        st.builds(Compare, order, nums, nums),
        st.builds(Compare, order, dates, dates),
        st.builds(Compare, equality, nums, nums),
        st.builds(Compare, equality, text_leaves, st.one_of(text_leaves, st.just(Null()))),
        st.builds(In, text_leaves, st.lists(text_leaves, max_size=3).map(tuple), st.booleans()),
        st.builds(  # the usual ``event.level in ['国家级', '省级']``
            In,
            st.sampled_from(TEXTS).map(Name),
            st.lists(texts.map(Str), min_size=1, max_size=3).map(tuple),
            st.booleans(),
        ),
        st.builds(In, nums, st.lists(nums, max_size=3).map(tuple), st.booleans()),
    )

    def bool_nodes(c: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
        return st.one_of(
            st.builds(BoolOp, st.sampled_from(["and", "or"]), st.lists(c, min_size=2, max_size=4).map(tuple)),
            c.map(Not),
            st.builds(lambda x, y, z: Call("if", (x, y, z)), c, c, c),
            st.builds(lambda xs: Call("coalesce", xs), st.lists(c, min_size=1, max_size=3).map(tuple)),
        )

    truths = st.recursive(atoms, bool_nodes, max_leaves=8)
    return st.one_of(nums, truths, truths)


def values_for(path: Path) -> st.SearchStrategy[object]:
    """Facts of the path's type, often MISSING or null, sometimes of another type or invalid."""
    if path in NUMERIC:
        usual: st.SearchStrategy[object] = st.one_of(
            st.integers(-5, 5),
            st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
            st.just(D("1." + "3" * 60)),  # more digits than the context keeps: rounding must agree
        )
    elif path in TRUTHS:
        usual = st.booleans()
    elif path in DATES:
        usual = st.one_of(days, st.just(date(2024, 2, 29)))
    else:
        usual = st.one_of(texts, st.just(["国家级", 1]))
    other = st.sampled_from([D(2), "国家级", True, date(2025, 1, 1), 0.5, D("NaN"), datetime(2025, 1, 1)])
    return st.one_of(usual, usual, usual, st.just(MISSING), st.just(MISSING), st.just(None), other)


facts = st.fixed_dictionaries({path: values_for(path) for path in PATHS})


def recording(values: dict[Path, object]) -> tuple[Lookup, list[tuple[Path, object]]]:
    """A lookup over ``values`` (a subscripted fact is the plain fact, shifted by the index) and its log."""
    calls: list[tuple[Path, object]] = []

    def lookup(path: Path, index: object) -> object:
        calls.append((path, index))
        value = values.get(path, MISSING)
        if index is not None and isinstance(value, int | Decimal) and not isinstance(value, bool):
            return MISSING if index == 3 else value + (len(str(index)) if isinstance(value, int) else D(1))
        return value

    return lookup, calls


def outcome(run: Callable[[], Value]) -> tuple[str, object]:
    try:
        value = run()
    except ExpressionError as error:
        return "error", (error.message, error.source)
    return "value", (type(value), repr(value))  # exact: Decimal('1.0') is not Decimal('1')


def assert_same(node: Node, values: dict[Path, object]) -> None:
    expected_lookup, expected_calls = recording(values)
    actual_lookup, actual_calls = recording(values)
    text = "<表达式>"
    expected = outcome(lambda: evaluate(node, expected_lookup, text=text))
    actual = outcome(lambda: compile_expr(node, text=text)(actual_lookup))
    assert actual == expected, node
    if expected[0] == "value":  # no fallback: the same facts read in the same order (short-circuits)
        assert actual_calls == expected_calls, node


@DIFF
@given(trees, facts)
def test_compiled_equals_evaluate_on_any_tree(node: Node, values: dict[Path, object]) -> None:
    assert_same(node, values)


@DIFF
@given(typed_trees(), facts)
def test_compiled_equals_evaluate_on_well_typed_trees(node: Node, values: dict[Path, object]) -> None:
    assert_same(node, values)


@settings(max_examples=60, deadline=None, database=None)
@given(typed_trees(), facts, st.integers(3, 30))
def test_the_callers_decimal_context_does_not_matter(
    node: Node, values: dict[Path, object], prec: int
) -> None:
    expected_lookup, _ = recording(values)
    actual_lookup, _ = recording(values)
    expected = outcome(lambda: evaluate(node, expected_lookup))
    with localcontext(Context(prec=prec)):
        actual = outcome(lambda: compile_expr(node)(actual_lookup))
    assert actual == expected


# -- every combination of a few facts, for each construct ------------------------------------------

SAMPLES: list[object] = [
    MISSING, None, True, False, 0, D(1), D("1.0"), 2, D("1." + "3" * 60), D("-2.5"),
    "国家级", "x", date(2024, 2, 29), date(2025, 1, 1), ["国家级"], [1, 2], 0.5,
]  # fmt: skip

TEMPLATES = [
    "-a", "not a", "abs(a)", "floor(a)", "year(a)", "[a]", "a + 1", "1 - a", "a * 15%", "a / 2", "2 / a",
    "a == '国家级'", "a != null", "a == null", "a == true", "a != 1", "a == 2024-02-29", "a < 1",
    "2025-01-01 <= a", "a in ['国家级', 'x']", "a not in [1, 2]", "a in [true]", "a in [2024-02-29]",
    "a in [null, 1]", "a in []", "coalesce(a, 0)", "coalesce(a, null)", "years_before(a, 3)",
    "years_after(a, 1)", "tier(a, [1, 5], [2, 10])", "b[a]", "min(a, 1)", "max(1.0, a)",
    "a + b", "a - b", "a * b", "a / b", "a < b", "a <= b", "a > b", "a >= b", "a == b", "a != b",
    "a and b", "a or b", "a in [b, 1]", "a not in ['国家级', b]", "min(a, b)", "max(a, b)", "min(a, b, 1)",
    "coalesce(a, b)", "coalesce(a, b, null)", "if(a, b, 1)", "if(a, 1, b)", "[a, b]", "a == [1, b]",
    "years_before(a, b)", "years_after(b, a)", "days_between(a, b)", "tier(a, [1, b], [2, 3])",
    "b[a + 1]", "abs(a) + floor(b)",
]  # fmt: skip
TRIPLES = ["a and b and c", "a or b or c", "if(a, b, c)", "coalesce(a, b, c)", "a in [b, c]", "min(a, b, c)"]
PAIRS = [(a, b) for a in SAMPLES for b in SAMPLES]


def facts_of(**facts: object) -> dict[str, object]:
    """Facts for ``run``; a subscripted ``b`` maps the number 1 to itself (so ``b[1]``, ``b[a + 1]`` exist)."""
    values = {name: value for name, value in facts.items() if value is not MISSING}
    if "b" in values and values["b"] is not None and not isinstance(values["b"], list):
        values["b"] = {1: values["b"], 2: MISSING, "国家级": values["b"]}
    return values


def run_or_error(text: str, facts: dict[str, object]) -> object:
    try:
        return run(text, facts)
    except ExpressionError as error:
        with pytest.raises(ExpressionError) as again:  # the compiled error is the evaluator's error
            compile_expr(text)(MappingEnv(facts).lookup)
        assert again.value.message == error.message
        return error


@pytest.mark.parametrize("text", TEMPLATES)
def test_every_pair_of_facts(text: str) -> None:
    for a, b in PAIRS if re.search(r"\bb\b", text) else [(a, MISSING) for a in SAMPLES]:
        run_or_error(text, facts_of(a=a, b=b))


@pytest.mark.parametrize("text", TRIPLES)
def test_every_triple_of_facts(text: str) -> None:
    samples = [MISSING, None, True, False, D(1), "x"]
    for a in samples:
        for b in samples:
            for c in samples:
                run_or_error(text, facts_of(a=a, b=b, c=c))


# -- examples ------------------------------------------------------------------------------------

RULES = {
    "amount": "min(30% * (event.contract_amount - coalesce(event.non_own_compute_amount, 0))"
    " + 10% * coalesce(event.non_own_compute_amount, 0), 800万)",
    "digital": "firm.manufacturing and (firm.digital_level < 2 or not firm.green_transformation)",
    "level": "event.level == '国家级'",
    "accident": "firm.major_accident_date != null and firm.major_accident_date >= years_before(event.date, 3)",
}


def run(text: str, facts: dict[str, object] | None = None, *, fast: bool = True) -> Value:
    """The compiled value, checked against ``evaluate`` (same type and representation).

    ``fast``: also check that the compiled path answered by itself (it read the facts evaluate read, in
    the same order, and no more: no fallback).
    """
    node = parse(text)
    env = MappingEnv(facts or {})
    expected_calls: list[tuple[Path, object]] = []
    actual_calls: list[tuple[Path, object]] = []

    def logged(calls: list[tuple[Path, object]]) -> Lookup:
        def lookup(path: Path, index: object) -> object:
            calls.append((path, index))
            return env.lookup(path, index)  # type: ignore[arg-type]

        return lookup

    value = compile_expr(node, text=text)(logged(actual_calls))
    expected = evaluate(node, logged(expected_calls), text=text)
    assert (type(value), repr(value)) == (type(expected), repr(expected))
    if fast:
        assert actual_calls == expected_calls
    return value


@pytest.mark.parametrize(
    ("contract", "non_own", "amount"),
    [
        (D(1_000_000), D(200_000), D("260000.0")),
        (D(1_000_000), None, D("300000.0")),
        (D(1_000_000), MISSING, D("300000.0")),
        (D(100_000_000), D(0), D(8_000_000)),
        (MISSING, D(0), MISSING),
    ],
)
def test_amount_formula(contract: object, non_own: object, amount: Value) -> None:
    facts = {"event.contract_amount": contract, "event.non_own_compute_amount": non_own}
    if non_own is MISSING:
        del facts["event.non_own_compute_amount"]
    if contract is MISSING:
        del facts["event.contract_amount"]
    value = run(RULES["amount"], facts)
    assert value is MISSING if amount is MISSING else value == amount


@pytest.mark.parametrize(
    ("manufacturing", "level", "green", "expected"),
    [
        (True, 1, True, True),
        (True, 3, False, True),
        (True, 3, True, False),
        (False, MISSING, MISSING, False),
        (True, MISSING, True, MISSING),
        (True, MISSING, False, True),
        (MISSING, 1, True, MISSING),
    ],
)
def test_condition_with_three_valued_logic(
    manufacturing: object, level: object, green: object, expected: Value
) -> None:
    facts = {
        "firm.manufacturing": manufacturing,
        "firm.digital_level": level,
        "firm.green_transformation": green,
    }
    assert run(RULES["digital"], {k: v for k, v in facts.items() if v is not MISSING}) is expected


def test_level_and_accident_rules() -> None:
    assert run(RULES["level"], {"event.level": "国家级"}) is True
    assert run(RULES["level"], {"event.level": "省级"}) is False
    assert run(RULES["level"], {"event.level": None}) is False
    assert run(RULES["level"]) is MISSING
    facts: dict[str, object] = {"event.date": date(2025, 10, 8)}
    assert run(RULES["accident"], {**facts, "firm.major_accident_date": None}) is False
    assert run(RULES["accident"], {**facts, "firm.major_accident_date": date(2022, 10, 8)}) is True
    assert run(RULES["accident"], {**facts, "firm.major_accident_date": date(2022, 10, 7)}) is False
    assert run(RULES["accident"], {"firm.major_accident_date": date(2022, 10, 7)}) is MISSING
    assert run(RULES["accident"]) is MISSING


def test_functions() -> None:
    assert run("min(3, x, 2)", {"x": 1}) == 1 and run("max(x, 1, 2)", {"x": 3}) == 3
    assert run("min(x, 1.0)", {"x": 1}) == 1 and str(run("min(x, 1.0)", {"x": D("1.00")})) == "1.00"
    assert str(run("max(1.0, x)", {"x": 1})) == "1.0"  # the first of equal values, like Python's max
    assert run("max(x, 2024-01-01)", {"x": date(2025, 1, 1)}) == date(2025, 1, 1)
    assert run("min(x, 1)") is MISSING
    assert run("if(x < 2, 'yes', 'no')", {"x": 1}) == "yes" and run("if(x, 1, y)", {"x": False}) is MISSING
    assert run("abs(x)", {"x": D("-2.5")}) == D("2.5")
    assert run("floor(x)", {"x": D("2.7")}) == 2 and run("floor(x)", {"x": D("-2.5")}) == -3
    assert run("year(x)", {"x": date(2025, 10, 8)}) == 2025
    assert run("days_between(x, 2025-03-01)", {"x": date(2025, 1, 1)}) == 59
    assert run("years_before(x, 3)", {"x": date(2025, 10, 8)}) == date(2022, 10, 8)
    assert run("years_before(x, 1)", {"x": date(2024, 2, 29)}) == date(2023, 2, 28)
    assert run("years_before(x, n)", {"x": date(2024, 2, 29), "n": 4}) == date(2020, 2, 29)
    assert run("years_before(x, -1)", {"x": date(2024, 2, 29)}) == date(2025, 2, 28)
    assert run("coalesce(null, x, 5)") == 5 and run("coalesce(null, x)") is MISSING
    assert run("coalesce(null, null)") is None and run("coalesce(x, null)", {"x": None}) is None
    assert run("tier(x, [100万元, 5万元], [500万元, 10万元])", {"x": 5_000_000}) == 100_000
    assert run("tier(x, [100万元, 5万元], [500万元, y])", {"x": 5_000_000}) is MISSING
    assert run("years_after(x, 1)", {"x": date(2024, 2, 29)}) == date(2025, 2, 28)
    assert run("years_after(x, n)", {"x": date(2025, 10, 8), "n": D("2.0")}) == date(2027, 10, 8)
    assert run("years_after(x, 3)") is MISSING


def test_operators_literals_and_subscripts() -> None:
    facts: dict[str, object] = {"x": 7, "s": "省级", "firm": {"revenue": {2024: 10, "2025": D(20)}}}
    assert run("x / 2") is MISSING
    assert (
        run("x / 2", facts) == D("3.5") and run("-x", facts) == -7 and run("1 / 3 * 3") == D("0." + "9" * 50)
    )
    assert run("firm.revenue[2024] + firm.revenue[2025]", facts) == 30
    assert run("firm.revenue[x]", facts) is MISSING and run("firm.revenue[y]", facts) is MISSING
    assert run("s in ['国家级', '省级']", facts) is True and run("s not in ['国家级']", facts) is True
    assert run("x in [1, y]", facts) is MISSING and run("x in [y, 7]", facts) is True
    assert run("[x, 1]", facts) == (D(7), D(1)) and run("[x, y]", facts) is MISSING
    assert run("[x, 2] == [7, 2.0]", facts) is True and run("null == null") is True
    assert run("x != null", facts) is True and run("x == null", {"x": None}) is True


def test_name_free_subtrees_are_folded_but_fail_only_when_evaluated() -> None:
    assert run("if(x, 1 / 0, 2)", {"x": False}) == 2
    with pytest.raises(ExpressionError, match="除数为零"):
        run("if(x, 1 / 0, 2)", {"x": True})


# -- errors: the fallback -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "'abc' + x",
        "x * true",
        "2025-01-01 < x",
        "'1' == x",
        "x and true",
        "not x",
        "-s",
        "if(x, 2, 3)",
        "year(x)",
        "min(x, 2025-01-01)",
        "years_before(2024-02-29, x / 2)",
        "years_before(2024-02-29, 3000)",
        "tier(x, [2, 1], [1, 2])",
        "x in ['a']",
        "null + x",
        "x / (x - 1)",
        "f.revenue[null]",
        "abs(s)",
        "x / s",
        "s + x",
    ],
)
def test_errors_are_those_of_evaluate(text: str) -> None:
    facts = {"x": 1, "s": "文本", "f": {"revenue": {}}}
    source = Source(file="rules.yaml", rule="r1")
    node = parse(text)
    with pytest.raises(ExpressionError) as expected:
        evaluate(node, facts, text=text, source=source)
    with pytest.raises(ExpressionError) as actual:
        compile_expr(node, text=text, source=source)(MappingEnv(facts).lookup)
    assert actual.value.message == expected.value.message and actual.value.source == source


def test_nodes_the_parser_would_refuse_fail_as_in_evaluate() -> None:
    for node in (Call("min", ()), Call("nope", (Num(D(1)),)), Call("if", (Bool(True), Num(D(1))))):
        with pytest.raises(ExpressionError) as expected:
            evaluate(node, {})
        with pytest.raises(ExpressionError) as actual:
            compile_expr(node)(lambda path, index: MISSING)
        assert actual.value.message == expected.value.message


def test_invalid_facts_and_failing_lookups_behave_as_in_evaluate() -> None:
    with pytest.raises(ExpressionError, match="浮点数"):
        compile_expr(parse("x + 1"))(MappingEnv({"x": 0.1}).lookup)
    with pytest.raises(ExpressionError, match="不能按下标取值"):
        compile_expr(parse("x[1]"))(MappingEnv({"x": 5}).lookup)

    def broken(path: Path, index: object) -> object:
        raise KeyError(path)

    with pytest.raises(KeyError):
        compile_expr(parse("x + 1"))(broken)


def test_unusual_values_take_the_slow_path_to_the_same_answer() -> None:
    class Money(Decimal):
        pass

    assert run("x + 1", {"x": Money(2)}, fast=False) == 3
    with pytest.raises(ExpressionError, match="不能比较"):
        run("x < 1", {"x": Money(2)})


def test_the_callers_decimal_context_is_restored() -> None:
    compiled = compile_expr("x / 3 + y")
    with localcontext(Context(prec=5)) as mine:
        assert compiled(lambda path, index: D(1) if path == ("x",) else D(0)) == D("0." + "3" * 50)
        with pytest.raises(ExpressionError):
            compiled(lambda path, index: "a")
        assert getcontext() is mine and mine.prec == 5


def test_compile_once_call_many() -> None:
    text = "x * 2"
    compiled = compile_expr(text)
    assert isinstance(compiled, Compiled) and compiled.node == parse(text) and compiled.text == text
    assert [compiled(lambda path, index, i=i: i) for i in range(3)] == [0, 2, 4]
    assert compile_expr(parse("x * 2"))._fn is compiled._fn  # cached per node
    # Equal nodes (1.0 == 1) written differently are not confused by the cache.
    one, one_point_o = compile_expr("x + 1"), compile_expr("x + 1.0")
    assert str(one(lambda path, index: 1)) == "2" and str(one_point_o(lambda path, index: 1)) == "2.0"
