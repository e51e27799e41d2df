"""Property tests of the expression language: render round-trips, exactness, robustness, Kleene logic."""

from __future__ import annotations

from datetime import date
from decimal import Context, Decimal, localcontext

from hypothesis import given, settings
from hypothesis import strategies as st

from huiqi.errors import ExpressionError
from huiqi.expr import (
    FUNCTIONS,
    MISSING,
    Binary,
    Bool,
    BoolOp,
    Call,
    Compare,
    DateLit,
    FunctionSpec,
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
    evaluate,
    evaluate_traced,
    names,
    parse,
    render,
    render_filled,
    walk,
)
from huiqi.expr.ast import KEYWORDS, UNIT_EXPONENT
from huiqi.expr.evaluate import as_lookup
from huiqi.expr.filled import _FilledRenderer
from huiqi.expr.formatting import shift

FAST = settings(max_examples=120, deadline=None, database=None)

identifiers = st.from_regex(r"[a-z_][a-z0-9_]{0,5}", fullmatch=True).filter(lambda s: s not in KEYWORDS)
paths = st.lists(identifiers, min_size=1, max_size=3).map(tuple)
mantissas = st.decimals(min_value=0, max_value=10**9, places=3, allow_nan=False, allow_infinity=False)
numbers = st.builds(
    lambda m, unit: Num(shift(m, UNIT_EXPONENT[unit]), unit), mantissas, st.sampled_from(list(UNIT_EXPONENT))
)
leaves = st.one_of(
    numbers,
    st.text(max_size=6).map(Str),
    st.dates().map(DateLit),
    st.booleans().map(Bool),
    st.just(Null()),
    paths.map(Name),
)


def calls(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    def arguments(spec: FunctionSpec) -> st.SearchStrategy[Node]:
        if spec.name == "tier":
            pair = st.builds(lambda t, a: ListLit((t, a)), children, children)
            tiers = st.lists(pair, min_size=1, max_size=3)
            return st.builds(lambda x, ps: Call("tier", (x, *ps)), children, tiers)
        high = spec.max_args if spec.max_args is not None else spec.min_args + 2
        args = st.integers(spec.min_args, high).flatmap(lambda n: st.lists(children, min_size=n, max_size=n))
        return args.map(lambda xs: Call(spec.name, tuple(xs)))

    return st.sampled_from(sorted(FUNCTIONS.values(), key=lambda s: s.name)).flatmap(arguments)


def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    some = st.lists(children, max_size=3).map(tuple)
    return st.one_of(
        children.map(lambda c: Unary("-", c)),
        st.builds(Binary, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(Compare, st.sampled_from(["<", "<=", ">", ">=", "==", "!="]), children, children),
        st.builds(
            BoolOp, st.sampled_from(["and", "or"]), st.lists(children, min_size=2, max_size=3).map(tuple)
        ),
        children.map(Not),
        st.builds(In, children, some, st.booleans()),
        st.builds(ListLit, some),
        st.builds(Index, paths.map(Name), children),
        calls(children),
    )


trees = st.recursive(leaves, extend, max_leaves=12)


@FAST
@given(trees)
def test_render_round_trips(tree: Node) -> None:
    text = render(tree)
    again = parse(text)
    assert again == tree
    assert render(again) == text
    assert names(again) == names(tree)
    assert all(0 <= node.pos < len(text) for node in walk(again))


TOKENS = [
    "a", "b.c", "x[1]", "1", "2.5", "15%", "200万元", "5亿", "'s'", '"t"', "2025-10-08", "true", "null",
    "+", "-", "*", "/", "(", ")", "[", "]", ",", ".", "<", "<=", "==", "!=", "and", "or", "not", "in",
    "min", "if", "tier", "coalesce", "foo", "=", "!", "%", "万", "（", "'", "\\", "\n", "#", "金额",
]  # fmt: skip


@FAST
@given(st.one_of(st.text(max_size=30), st.lists(st.sampled_from(TOKENS), max_size=14).map(" ".join)))
def test_parse_fails_only_with_expression_errors(text: str) -> None:
    try:
        tree = parse(text)
    except ExpressionError as error:
        assert error.message.startswith("表达式第 ")
    else:
        assert parse(render(tree)) == tree


fact_values = st.one_of(
    st.decimals(min_value=-(10**6), max_value=10**6, places=2, allow_nan=False, allow_infinity=False),
    st.integers(-1000, 1000),
    st.sampled_from(["国家级", "省级", ""]),
    st.dates(min_value=date(2000, 1, 1), max_value=date(2030, 12, 31)),
    st.booleans(),
    st.none(),
    st.just(MISSING),
)


def stable_env(values: list[object]) -> object:
    def lookup(path: tuple[str, ...], index: object) -> object:
        return values[sum(ord(c) for c in ".".join(path)) % len(values)]

    return lookup


def assert_value(value: object) -> None:
    assert not isinstance(value, float)
    if isinstance(value, tuple):
        for item in value:
            assert_value(item)
    else:
        assert value is MISSING or value is None or isinstance(value, Decimal | str | date | bool)


@FAST
@given(trees, st.lists(fact_values, min_size=1, max_size=4))
def test_evaluation_gives_a_value_or_an_expression_error(tree: Node, values: list[object]) -> None:
    env = stable_env(values)
    try:
        result = evaluate_traced(tree, env)  # type: ignore[arg-type]
    except ExpressionError as error:
        assert error.message.startswith("表达式第 ")
    else:
        assert_value(result.value)
        assert (result.value is MISSING) == bool(result.missing)
        assert result.missing <= names(tree)
        for value in result.read.values():
            assert_value(value)
    filled = render_filled(tree, env)  # type: ignore[arg-type]
    # the per-formula template gives what rendering the whole tree gives
    assert filled == _FilledRenderer(as_lookup(env), None).render(tree)  # type: ignore[arg-type]


exact = st.decimals(min_value=-(10**15), max_value=10**15, places=6, allow_nan=False, allow_infinity=False)


@FAST
@given(exact, exact)
def test_arithmetic_is_exact(x: Decimal, y: Decimal) -> None:
    facts = {"x": x, "y": y}
    with localcontext(Context(prec=100)):  # the true results: at most 32 significant digits
        total, difference, product = x + y, x - y, x * y
    assert evaluate("x + y", facts) == total
    assert evaluate("x - y", facts) == difference
    assert evaluate("x * y", facts) == product
    assert evaluate("x + y == y + x", facts) is True
    assert evaluate("(x + y) - y == x", facts) is True


truth = st.sampled_from([True, False, MISSING])


@FAST
@given(st.lists(truth, min_size=2, max_size=5), st.sampled_from(["and", "or"]))
def test_kleene_logic(values: list[object], op: str) -> None:
    facts = {f"v{i}": v for i, v in enumerate(values)}
    result = evaluate_traced(f" {op} ".join(facts), facts)
    decisive = op == "or"
    if decisive in values:
        expected: object = decisive
    elif MISSING in values:
        expected = MISSING
    else:
        expected = not decisive
    assert result.value is expected
    missing = {(k,) for k, v in facts.items() if v is MISSING}
    assert result.missing == (missing if expected is MISSING else set())
