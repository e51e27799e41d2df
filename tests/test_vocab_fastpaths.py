"""Profile parsing takes quick paths for the values a well-formed profile holds (one coercer chosen per fact,
a table for the credit code's check character, ``Profile``/``Event`` built without their constructors).
Each must give what the careful path gives, and a bad profile must still be reported word for word."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import fields
from decimal import Decimal

import pytest

from huiqi.corpus import get_corpus
from huiqi.errors import ProfileError
from huiqi.vocab import Profile, get_vocabulary, parse_profile, read_profile_file
from huiqi.vocab import credit_code as cc
from huiqi.vocab.catalogue import Fact
from huiqi.vocab.profile import _Collector, _event, coerce
from huiqi.vocab.quick import AS_IS, quick_event, quick_for, tables_for

VALUES: list[object] = [
    *(None, True, False, 0, 1, -1, 2, 5, 6, 10**15, 2**70, 0.0, -0.0, 0.15, -3.5, 1e300),
    *(float("nan"), float("inf"), Decimal("1.5"), Decimal("-1"), Decimal("Infinity")),
    *("", " ", "abc", " abc", "1,000", " 12 ", "-5", "NaN", "5.5", "+5", "1e3", "是", "否", "Yes ", "n"),
    *("2025-06-30", " 2025-06-30", "2025-02-30", "20250630", "2025-W01-1", "A", "E", "国家级"),
    *(
        "慈溪市",
        " 慈溪市",
        "杭州市",
        cc.complete("91330200MA2H12345"),
        "91330200ma2h12345l",
        "91330200MA2H123450",
    ),
    *(dt.date(2025, 1, 2), dt.datetime(2025, 1, 2, 3, 4), [1], {"a": 1}),
]


def _facts() -> list[object]:
    vocab = get_vocabulary()
    return [*vocab.firm, *vocab.years, *vocab.event_field_by_name.values()]


@pytest.mark.parametrize("fact", _facts(), ids=lambda f: f.name)
def test_quick_coercers_give_what_coerce_gives(fact) -> None:  # type: ignore[no-untyped-def]
    regions = get_vocabulary().regions
    quick = quick_for(fact, regions)
    for value in VALUES:
        fast = quick(value)
        if fast is AS_IS:
            continue
        out = _Collector()
        slow = coerce(fact, value, "x", out, regions)
        assert not out.problems, (fact.name, value)
        assert (type(fast), fast) == (type(slow), slow), (fact.name, value)


def test_a_negative_whole_number_is_left_to_coerce_even_without_a_minimum() -> None:
    fact = Fact(name="staff", label="职工人数", type="integer")
    assert quick_for(fact, ())(-1) is AS_IS
    out = _Collector()
    assert coerce(fact, -1, "firm.staff", out, ()) is None
    assert [p.message for p in out.problems] == ["职工人数不能为负数"]


def test_quick_events_are_what_the_careful_path_gives() -> None:
    vocab = get_vocabulary()
    tables = tables_for(vocab)
    rng = random.Random(7)
    absent = object()
    text = [absent, absent, absent, None, "", " x", "x", "x", 5, True]
    choices = {
        "date": [
            absent,
            None,
            *["2025-06-30"] * 6,
            " 2025-06-30",
            "",
            "2025-02-30",
            "20250630",
            dt.date(2025, 1, 2),
            5,
        ],
        "subject": text,
        "first_time": [absent, absent, absent, None, True, False, "是", 1],
        "colour": [absent, absent, absent, 1],
    }
    quick = 0
    for spec in tables.events.values():
        etype = vocab.event_by_name[spec.name]
        levels = [absent, None, "", 5, *etype.levels * 3, *(f" {level}" for level in etype.levels)]
        for _ in range(40):
            data: dict[str, object] = {"type": spec.name}
            for key in rng.sample([*choices, "level", *etype.fields], k=4 + len(etype.fields)):
                value = rng.choice(
                    levels if key == "level" else choices.get(key, [absent, 100, 2.5, "2025-01-01", *VALUES])
                )
                if value is not absent:
                    data[key] = value
            fast = quick_event(3, data, spec)
            out = _Collector()
            slow = _event(3, data, vocab, tables, out)
            if fast is not None:
                quick += 1
                assert not out.problems and slow is not None, data
                assert (repr(fast), vars(fast)) == (repr(slow), vars(slow)), data
    assert quick > 300, quick


def test_check_character_tables() -> None:
    rng = random.Random(5)
    for _ in range(2000):
        first17 = "".join(rng.choice(cc.ALPHABET) for _ in range(17))
        code = cc.complete(first17)
        assert cc._check(code) == cc.check_character(first17)
        assert cc.is_valid(code) and cc.problem(code) is None
        wrong = code[:17] + rng.choice(cc.ALPHABET.replace(code[17], ""))
        assert not cc.is_valid(wrong) and cc.problem(wrong) == f"校验位错误：第18位应为 {code[17]}"
    last = code
    for code in ("", "9133020OMA2H12345X", "91330200MA2H12345", last.lower(), last + "1"):
        assert not cc.is_valid(code) and cc.problem(code)


def test_profile_and_events_built_without_constructors_are_complete() -> None:
    for path in get_corpus().example_files():
        profile = parse_profile(read_profile_file(path), get_vocabulary())
        assert profile == Profile(**{f.name: getattr(profile, f.name) for f in fields(Profile)})
        for event in profile.events:
            assert set(vars(event)) == {f.name for f in fields(event)}


def test_year_keys() -> None:
    vocab = get_vocabulary()
    base = {"firm": {"name": "x", "region": "慈溪市"}}
    keys: dict[object, int] = {
        "2025": 2025,
        2024: 2024,
        "2025.0": 2025,
        " 2026": 2026,
        "1,990": 1990,
        "٢٠٢٥": 2025,
        "02025": 2025,
    }
    for key, year in keys.items():
        assert list(parse_profile({**base, "years": {key: {}}}, vocab).years) == [year]
    for key in ("1989", "2101", "2025.5", "二〇二五", "20 25", "", True):
        with pytest.raises(ProfileError) as err:
            parse_profile({**base, "years": {key: {}}}, vocab)
        assert [(p.field, p.message) for p in err.value.problems] == [
            (f"years.{key}", "年份应为四位数字，如 2025")
        ]


_BAD_FIRM: dict[object, object] = {
    **{"name": " ", "credit_code": "91330200ma2h12345x", "region": "杭州市", "manufacturing": "maybe"},
    **{"above_scale": 2, "digital_level": 7, "sme": None, "colour": "red", 3: "x"},
}
BAD: dict[str, object] = {
    "firm": _BAD_FIRM,
    "years": {
        "2025": {
            "revenue": "1,000",
            "rd_internal": -5,
            "rd_internal_growth": float("nan"),
            "mu_jun_grade": "E",
        },
        "二〇二五": {"revenue": 1},
        "2026": ["revenue"],
        2027: {"revenue": 1.5, "turnover": 1},
    },
    "events": [
        {"type": "little_giant", "level": "省级", "date": "2025-02-30"},
        {"type": "lottery", "date": "2025-01-01"},
        {"date": "2025-01-01"},
        {},
        "x",
        {"type": "little_giant", "date": "2025-01-01"},
        {"type": "dataset", "date": "2025-11-01", "investment": "五", "colour": 1, "first_time": "也许"},
        {"type": "first_set", "level": "省内", "subject": 5, "first_time": "是"},
        {"type": "gazelle_star", "level": "国家级", "date": dt.date(2025, 1, 1)},
    ],
    "prior_awards": [{"document": "nb", "amount": -1, "date": "2025-13-01", "colour": 1}, "x"],
    "as_of": "2026-02-30",
    "colour": 1,
}


def test_a_bad_profile_is_reported_word_for_word() -> None:
    vocab = get_vocabulary()
    firm_facts, year_facts = "、".join(vocab.firm_by_name), "、".join(vocab.years_by_name)
    bad_date = "不是有效日期（应为 YYYY-MM-DD，且日期真实存在）"
    expected = [
        (
            "colour",
            "未知字段“colour”（档案只含：firm、years、events、prior_awards、description、as_of）",
            None,
        ),
        ("firm.credit_code", "统一社会信用代码无效：校验位错误：第18位应为 L", "91330200ma2h12345x"),
        ("firm.region", f"注册地“杭州市”不在可选范围内（可选：{'、'.join(vocab.regions)}）", "杭州市"),
        ("firm.manufacturing", "制造业企业应为“是”或“否”", "maybe"),
        ("firm.above_scale", "规上企业应为“是”或“否”", 2),
        ("firm.digital_level", "数字化等级应在 0 到 5 之间", 7),
        ("firm.colour", f"未知字段“colour”（可用：{firm_facts}）", None),
        ("firm.3", f"未知字段“3”（可用：{firm_facts}）", None),
        ("years.2025.rd_internal", "研发经费内部支出不能为负数", -5),
        ("years.2025.rd_internal_growth", "研发经费内部支出增长率应为数字", "nan"),
        ("years.2025.mu_jun_grade", "亩均评价结果“E”不在可选范围内（可选：A、B、C、D）", "E"),
        ("years.二〇二五", "年份应为四位数字，如 2025", "二〇二五"),
        ("years.2026", "年度数据应为键值对（字段: 值）", ["revenue"]),
        ("years.2027.turnover", f"未知字段“turnover”（可用：{year_facts}）", None),
        ("events[0].date", f"日期{bad_date}", "2025-02-30"),
        ("events[0].level", "级别“省级”不适用于“专精特新“小巨人”企业”（可选：国家级）", "省级"),
        ("events[1].type", "未知的事项类型“lottery”", None),
        ("events[2].type", "缺少事项类型 type", None),
        ("events[3]", "事项不能为空", None),
        ("events[4]", "事项应为键值对（字段: 值）", "x"),
        ("events[5].level", "缺少级别 level（可选：国家级）", None),
        ("events[6].investment", "实际投入应为数字", "五"),
        ("events[6].first_time", "首次应为“是”或“否”", "也许"),
        (
            "events[6].colour",
            "事项“行业高质量数据集（完成建设任务、符合开放要求）”没有字段“colour”"
            "（可用：date、first_time、investment、level、subject、type）",
            None,
        ),
        ("events[7].date", "缺少日期 date", None),
        (
            "events[8].level",
            "级别“国家级”不适用于“宁波市“瞪羚之星”企业名录”（可选：该事项不分级别）",
            "国家级",
        ),
        (
            "prior_awards[0].colour",
            "未知字段“colour”（可用：document、article、event、subject、date、amount）",
            None,
        ),
        ("prior_awards[0].article", "缺少 article", None),
        ("prior_awards[0].amount", "金额应为不小于0的数字", -1),
        ("prior_awards[0].date", f"日期{bad_date}", "2025-13-01"),
        ("prior_awards[1]", "已获奖励应为键值对（字段: 值）", "x"),
        *(
            (f"prior_awards[1].{key}", f"缺少 {key}", None)
            for key in ("document", "article", "date", "amount")
        ),
        ("as_of", f"计算日{bad_date}", "2026-02-30"),
    ]
    with pytest.raises(ProfileError) as err:
        parse_profile(BAD, vocab)
    got = [(p.field, p.message, "nan" if p.value != p.value else p.value) for p in err.value.problems]
    assert got == expected
    assert str(err.value).splitlines() == [
        f"企业档案有 {len(expected)} 处错误",
        *(f"  - {field}: {message}" for field, message, _ in expected),
    ]


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("91330200MA2H12345", "应为18位，实为17位"),
        ("91330200ma2h12345x", "校验位错误：第18位应为 L"),
        (" 91330200MA2H12345X ", "校验位错误：第18位应为 L"),
        ("9133020OMA2H12345X", "含有不允许的字符：O（不使用 I、O、S、V、Z 和小写字母）"),
        ("91330200MA2H1234iX", "含有不允许的字符：I（不使用 I、O、S、V、Z 和小写字母）"),
    ],
)
def test_credit_code_problems(code: str, message: str) -> None:
    with pytest.raises(ProfileError) as err:
        parse_profile({"firm": {"name": "x", "region": "慈溪市", "credit_code": code}}, get_vocabulary())
    assert [(p.field, p.message, p.value) for p in err.value.problems] == [
        ("firm.credit_code", f"统一社会信用代码无效：{message}", code)
    ]


def test_valid_codes_are_stripped_and_upper_cased() -> None:
    code = cc.complete("91330200MA2H12345")
    for given in (code, f" {code} ", code.lower()):
        firm = {"name": "x", "region": "慈溪市", "credit_code": given}
        assert parse_profile({"firm": firm}, get_vocabulary()).firm["credit_code"] == code
