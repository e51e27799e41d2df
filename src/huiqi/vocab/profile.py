"""A firm profile: validated against the vocabulary into typed, immutable values.

Every problem is collected (not just the first) with the dotted field it concerns, in Chinese, and
reported at once as a ``ProfileError``; nothing half-valid gets through.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from huiqi.errors import FieldProblem, ProfileError, Source
from huiqi.vocab.catalogue import Fact, Vocabulary
from huiqi.vocab.credit_code import problem as credit_code_problem
from huiqi.vocab.quick import (
    AS_IS,
    NUMBERS,
    QuickCoercer,
    Tables,
    options,
    quick_date,
    quick_event,
    tables_for,
)
from huiqi.vocab.records import Event, FactValue, PriorAward, Profile

__all__ = [
    "PRIOR_AWARD_FIELDS",
    "TOP_LEVEL",
    "Event",
    "FactValue",
    "PriorAward",
    "Profile",
    "coerce",
    "loads_profile",
    "parse_profile",
    "read_profile_file",
]

TOP_LEVEL = {
    "firm": "企业信息",
    "years": "年度数据",
    "events": "事项",
    "prior_awards": "已获奖励",
    "description": "说明",
    "as_of": "计算日",
}
PRIOR_AWARD_FIELDS = ("document", "article", "event", "subject", "date", "amount")


class _Collector:
    def __init__(self) -> None:
        self.problems: list[FieldProblem] = []

    def add(self, where: str, message: str, value: object = None) -> None:
        self.problems.append(FieldProblem(where, message, value))


def _decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | Decimal):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str):
        try:
            return Decimal(value.replace(",", "").strip())
        except InvalidOperation:
            return None
    return None


_TRUE = {True, "true", "是", "yes", "y", "1"}
_FALSE = {False, "false", "否", "no", "n", "0"}


def coerce(fact: Fact, value: object, where: str, out: _Collector, regions: tuple[str, ...]) -> FactValue:
    """One value of a fact, or None after recording what is wrong with it."""
    if value is None:
        return None
    t = fact.type
    if t == "bool":
        key = value.strip().lower() if isinstance(value, str) else value
        if isinstance(key, bool | int | str) and key in _TRUE:
            return True
        if isinstance(key, bool | int | str) and key in _FALSE:
            return False
        out.add(where, f"{fact.label}应为“是”或“否”", value)
        return None
    if t in ("money", "decimal", "integer"):
        number = _decimal(value)
        if number is None or not number.is_finite():
            out.add(where, f"{fact.label}应为数字", value)
            return None
        if number < 0:
            out.add(where, f"{fact.label}不能为负数", value)
            return None
        if t == "integer":
            if number != number.to_integral_value():
                out.add(where, f"{fact.label}应为整数", value)
                return None
            if (fact.min is not None and number < fact.min) or (fact.max is not None and number > fact.max):
                out.add(where, f"{fact.label}应在 {fact.min} 到 {fact.max} 之间", value)
                return None
            return int(number)
        return number
    if t == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value).strip())
        except ValueError:
            out.add(where, f"{fact.label}不是有效日期（应为 YYYY-MM-DD，且日期真实存在）", value)
            return None
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else None
    if text is None:
        out.add(where, f"{fact.label}应为文本", value)
        return None
    if t == "credit_code":
        text = text.upper()
        wrong = credit_code_problem(text)
        if wrong:
            out.add(where, f"统一社会信用代码无效：{wrong}", value)
            return None
    if t == "enum":
        allowed = options(fact, regions)
        if text not in allowed:
            out.add(where, f"{fact.label}“{text}”不在可选范围内（可选：{'、'.join(allowed)}）", value)
            return None
    return text


def _mapping(value: object, where: str, label: str, out: _Collector) -> Mapping[Any, Any]:
    if value is None:
        return {}
    if type(value) is dict:  # the usual case, without the ABC check
        return value
    if not isinstance(value, Mapping):
        out.add(where, f"{label}应为键值对（字段: 值）", value)
        return {}
    return value


def _facts(
    data: Mapping[Any, Any],
    quick: Mapping[str, QuickCoercer],
    catalogue: Mapping[str, Fact],
    where: str,
    out: _Collector,
    regions: tuple[str, ...],
) -> dict[str, FactValue]:
    """Each known fact of ``data`` as its fact holds it (unknown fields and bad values: reported)."""
    result: dict[str, FactValue] = {}
    for key, value in data.items():
        coercer = quick.get(key) if type(key) is str else None
        if coercer is None:
            key = str(key)  # the fact's name (YAML may give a number as a key)
            if key not in catalogue:
                out.add(f"{where}.{key}", f"未知字段“{key}”（可用：{'、'.join(catalogue)}）")
                continue
            coercer = quick[key]
        coerced = coercer(value)
        if coerced is AS_IS:
            coerced = coerce(catalogue[key], value, f"{where}.{key}", out, regions)
        if coerced is not None:
            result[key] = coerced
    return result


def _event(i: int, raw: object, vocab: Vocabulary, tables: Tables, out: _Collector) -> Event | None:
    # the field paths (``events[i].key``) are worded only for a problem
    data = raw if type(raw) is dict else _mapping(raw, f"events[{i}]", "事项", out)
    if not data:
        if raw is not None and isinstance(raw, Mapping):
            out.add(f"events[{i}]", "事项不能为空")
        return None
    type_name = data.get("type")
    spec = tables.events.get(str(type_name)) if type_name is not None else None
    if spec is None:
        out.add(f"events[{i}].type", f"未知的事项类型“{type_name}”" if type_name else "缺少事项类型 type")
        return None
    etype, quick, own = vocab.event_by_name[spec.name], spec.quick, spec.own
    # ``_facts`` of the allowed keys but "type", in one pass that also keeps the event's numbers (and dates)
    facts: dict[str, FactValue] = {}
    numbers: dict[str, Decimal | dt.date] = {}
    unknown: list[object] = []
    for key, value in data.items():
        coercer = quick.get(key)
        if coercer is None:  # "type", or a key events of this type do not have
            if key != "type":
                unknown.append(key)
            continue
        coerced = coercer(value)
        if coerced is AS_IS:
            field_fact = vocab.event_field_by_name[key]
            coerced = coerce(field_fact, value, f"events[{i}].{key}", out, vocab.regions)
        if coerced is not None:
            facts[key] = coerced
            if key in own and isinstance(coerced, NUMBERS):
                numbers[key] = coerced
    if unknown:
        allowed = "、".join(sorted(vocab.event_keys[etype.name]))
        for key in unknown:
            out.add(f"events[{i}].{key}", f"事项“{etype.label}”没有字段“{key}”（可用：{allowed}）")
    date = facts.get("date")
    if "date" not in data:
        out.add(f"events[{i}].date", "缺少日期 date")
    level = facts.get("level")
    if etype.levels and level is None and "level" not in data:
        out.add(f"events[{i}].level", f"缺少级别 level（可选：{'、'.join(etype.levels)}）")
    elif level is not None and level not in etype.levels:
        choices = "、".join(etype.levels) if etype.levels else "该事项不分级别"
        out.add(f"events[{i}].level", f"级别“{level}”不适用于“{etype.label}”（可选：{choices}）", level)
    if not isinstance(date, dt.date):
        return None
    subject = facts.get("subject")
    first = facts.get("first_time")
    # ``Event(...)`` without the frozen dataclass's ``__init__`` (which sets each field through
    # ``object.__setattr__``): a profile has many events
    event = _NEW(Event)
    event.__dict__.update(
        index=i,
        type=etype.name,
        date=date,
        level=str(level) if level is not None else None,
        subject=str(subject) if subject is not None else None,
        first_time=first if isinstance(first, bool) else None,
        fields=numbers,
    )
    return event


_NEW = object.__new__


_DATE = Fact(name="date", label="日期", type="date")
_AS_OF = Fact(name="as_of", label="计算日", type="date")


def _prior(i: int, raw: object, out: _Collector) -> PriorAward | None:
    where = f"prior_awards[{i}]"
    data = _mapping(raw, where, "已获奖励", out)
    for key in data:
        if key not in PRIOR_AWARD_FIELDS:
            out.add(f"{where}.{key}", f"未知字段“{key}”（可用：{'、'.join(PRIOR_AWARD_FIELDS)}）")
    for key in ("document", "article", "date", "amount"):
        if key not in data:
            out.add(f"{where}.{key}", f"缺少 {key}")
    amount = _decimal(data.get("amount"))
    if "amount" in data and (amount is None or amount < 0):
        out.add(f"{where}.amount", "金额应为不小于0的数字", data.get("amount"))
    date = coerce(_DATE, data.get("date"), f"{where}.date", out, ())
    if amount is None or not isinstance(date, dt.date) or "document" not in data or "article" not in data:
        return None
    event, subject = data.get("event"), data.get("subject")
    return PriorAward(
        document=str(data["document"]),
        article=str(data["article"]),
        event=str(event) if event is not None else None,
        subject=str(subject) if subject is not None else None,
        date=date,
        amount=amount,
    )


def parse_profile(data: object, vocab: Vocabulary, *, source: str | None = None) -> Profile:
    """A validated ``Profile`` from parsed YAML/JSON data, or ``ProfileError`` listing every bad field."""
    out = _Collector()
    tables = tables_for(vocab)
    regions = vocab.regions
    top = data if type(data) is dict else _mapping(data, "$", "企业档案", out)
    if not _TOP_KEYS.issuperset(top):
        for key in top:
            if key not in TOP_LEVEL:
                out.add(str(key), f"未知字段“{key}”（档案只含：{'、'.join(TOP_LEVEL)}）")
    raw_firm = top.get("firm")
    firm_data = raw_firm if type(raw_firm) is dict else _mapping(raw_firm, "firm", "企业信息", out)
    firm = _facts(firm_data, tables.firm, vocab.firm_by_name, "firm", out, regions)
    if not firm_data.keys() >= tables.firm_required:
        for fact in vocab.firm_required:
            if fact.name not in firm_data:
                out.add(f"firm.{fact.name}", f"缺少必填字段：{fact.label}")
    years: dict[int, dict[str, FactValue]] = {}
    raw_years = top.get("years")
    year_data = raw_years if type(raw_years) is dict else _mapping(raw_years, "years", "年度数据", out)
    for year, figures in year_data.items():
        if type(year) is str and _PLAIN_YEAR.issuperset(year) and len(year) == 4 and "1990" <= year <= "2100":
            number = int(year)  # the usual key ("2025"), without ``_decimal``
        else:
            y = _decimal(year)
            if y is None or y != y.to_integral_value() or not 1990 <= y <= 2100:
                out.add(f"years.{year}", "年份应为四位数字，如 2025", year)
                continue
            number = int(y)
        years[number] = _facts(
            figures if type(figures) is dict else _mapping(figures, f"years.{year}", "年度数据", out),
            tables.years,
            vocab.years_by_name,
            f"years.{year}",
            out,
            regions,
        )
    raw_events = top.get("events") or []
    if not isinstance(raw_events, list):
        out.add("events", "事项应为列表", raw_events)
        raw_events = []
    events: list[Event] = []
    for i, raw in enumerate(raw_events):
        # ``quick_event`` for a plainly well-formed event, else ``_event`` checks it field by field
        kind = raw.get("type") if type(raw) is dict else None
        spec = tables.events.get(kind) if type(kind) is str else None
        event = quick_event(i, raw, spec) if spec is not None else None
        if event is None:
            event = _event(i, raw, vocab, tables, out)
        if event is not None:
            events.append(event)
    raw_prior = top.get("prior_awards") or []
    if not isinstance(raw_prior, list):
        out.add("prior_awards", "已获奖励应为列表", raw_prior)
        raw_prior = []
    prior = [_prior(i, p, out) for i, p in enumerate(raw_prior)]
    raw_as_of = top.get("as_of")
    as_of = quick_date(raw_as_of)
    if as_of is AS_IS:
        as_of = coerce(_AS_OF, raw_as_of, "as_of", out, ())
    description = top.get("description")
    if out.problems:
        count = len(out.problems)
        raise ProfileError(f"企业档案有 {count} 处错误", out.problems, Source(file=source))
    # ``Profile(...)`` without the frozen dataclass's ``__init__``, as for ``Event``
    profile = _NEW(Profile)
    profile.__dict__.update(
        firm=firm,
        years=years,
        events=tuple(events),
        prior_awards=tuple(filter(None, prior)),
        as_of=as_of if isinstance(as_of, dt.date) else None,
        description=str(description) if description is not None else None,
    )
    return profile


_TOP_KEYS = frozenset(TOP_LEVEL)
_PLAIN_YEAR = frozenset("0123456789")


class _Loader(yaml.SafeLoader):
    """YAML without implicit timestamps: dates stay text, so an impossible date is reported by field."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regex) for tag, regex in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def loads_profile(text: str, *, json_format: bool = False) -> Any:
    if json_format:
        return json.loads(text)
    return yaml.load(text, Loader=_Loader)


def read_profile_file(path: Path) -> Any:
    """The raw data of a YAML or JSON profile file (``ProfileError`` if it cannot be read)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"无法读取企业档案文件：{exc}", source=Source(file=str(path))) from None
    try:
        return loads_profile(text, json_format=path.suffix.lower() == ".json")
    except (yaml.YAMLError, json.JSONDecodeError) as exc:
        raise ProfileError(f"企业档案文件格式错误：{exc}", source=Source(file=str(path))) from None
