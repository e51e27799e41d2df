"""The vocabulary: every fact a rule may read and a profile may give, loaded from the corpus package."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from huiqi import yamlio
from huiqi.corpus.registry import CorpusSource
from huiqi.errors import MetadataError, Source

FactType = Literal["string", "credit_code", "bool", "integer", "decimal", "money", "date", "enum"]

TYPE_LABELS = {
    "string": "文本",
    "credit_code": "统一社会信用代码",
    "bool": "是/否",
    "integer": "整数",
    "decimal": "数值",
    "money": "金额（元）",
    "date": "日期",
    "enum": "选项",
}

_NO_DEFAULT = object()
_KINDS = {"money": "money", "decimal": "number", "integer": "plain"}


class Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    type: FactType
    description: str | None = None
    unit: str | None = None
    required: bool = False
    values: tuple[str, ...] | None = None
    values_from: Literal["regions"] | None = None
    min: int | None = None
    max: int | None = None
    default: Any = Field(default_factory=lambda: _NO_DEFAULT)

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    @property
    def kind(self) -> str | None:
        """How ``render_filled`` formats it."""
        return _KINDS.get(self.type)


class EventType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    verb: str
    levels: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    description: str | None = None


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    firm: tuple[Fact, ...] = ()
    years: tuple[Fact, ...] = ()
    event_fields: tuple[Fact, ...] = ()
    events: tuple[EventType, ...] = ()


# Fields every event has, whatever its type (not listed in the vocabulary file).
EVENT_BASE = (
    Fact(
        name="date",
        label="日期",
        type="date",
        required=True,
        description="入选、认定、获批、立项等发生的日期",
    ),
    Fact(name="level", label="级别/类别", type="string", description="该事项类型允许的级别或类别之一"),
    Fact(
        name="subject",
        label="对象",
        type="string",
        description="所涉产品、项目或场地的名称（从高不重复、累计上限按对象计）",
    ),
    Fact(name="first_time", label="首次", type="bool", description="是否首次入选/取得"),
)


@dataclass(frozen=True)
class Vocabulary:
    firm: tuple[Fact, ...]
    years: tuple[Fact, ...]
    event_fields: tuple[Fact, ...]
    events: tuple[EventType, ...]
    regions: tuple[str, ...]

    @cached_property
    def firm_by_name(self) -> dict[str, Fact]:
        return {f.name: f for f in self.firm}

    @cached_property
    def firm_required(self) -> tuple[Fact, ...]:
        return tuple(f for f in self.firm if f.required)

    @cached_property
    def event_keys(self) -> dict[str, frozenset[str]]:
        """Event type → the keys an event of that type may have."""
        base = ("type", *(f.name for f in EVENT_BASE))
        return {e.name: frozenset((*base, *e.fields)) for e in self.events}

    @cached_property
    def years_by_name(self) -> dict[str, Fact]:
        return {f.name: f for f in self.years}

    @cached_property
    def event_field_by_name(self) -> dict[str, Fact]:
        return {f.name: f for f in (*EVENT_BASE, *self.event_fields)}

    @cached_property
    def event_by_name(self) -> dict[str, EventType]:
        return {e.name: e for e in self.events}

    @cached_property
    def names(self) -> dict[str, Fact]:
        """Every dotted name a rule expression may read, with its fact."""
        out = {f"firm.{f.name}": f for f in self.firm}
        out.update({f"year.{f.name}": f for f in self.years})
        out.update({f"event.{f.name}": f for f in (*EVENT_BASE, *self.event_fields)})
        return out

    @cached_property
    def kinds(self) -> dict[str, str | None]:
        """Every dotted name with its fact's kind (``Fact.kind``)."""
        return {name: fact.kind for name, fact in self.names.items()}

    def kind_of(self, path: tuple[str, ...]) -> str | None:
        fact = self.names.get(".".join(path))
        return fact.kind if fact else None


def _load_file(path: Path) -> tuple[_File, Any]:
    data = yamlio.load(path)
    try:
        return _File.model_validate(data), data
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = first["loc"]
        raise MetadataError(
            f"词汇表有误：{first['msg']}",
            Source(file=str(path), line=yamlio.line_of(data, loc), field=".".join(map(str, loc))),
        ) from None


def load_vocabulary(source: CorpusSource, regions: tuple[str, ...]) -> Vocabulary:
    """``vocabulary.yaml`` plus every ``vocabulary.d/*.yaml`` (facts and event types a document adds)."""
    paths = [source.root / "vocabulary.yaml", *sorted((source.root / "vocabulary.d").glob("*.yaml"))]
    merged: dict[str, list[Any]] = {"firm": [], "years": [], "event_fields": [], "events": []}
    seen: dict[tuple[str, str], Path] = {}
    for path in paths:
        parsed, data = _load_file(path)
        for section, items in merged.items():
            for i, item in enumerate(getattr(parsed, section)):
                if (section, item.name) in seen:
                    raise MetadataError(
                        f"词汇表中 {section}.{item.name} 重复定义（另见 {seen[section, item.name].name}）",
                        Source(
                            file=str(path), line=yamlio.line_of(data, (section, i)), field=f"{section}[{i}]"
                        ),
                    )
                seen[section, item.name] = path
                items.append(item)
    known_fields = {f.name for f in merged["event_fields"]}
    for event in merged["events"]:
        unknown = [f for f in event.fields if f not in known_fields]
        if unknown:
            raise MetadataError(
                f"事项类型 {event.name} 引用了未定义的字段：{'、'.join(unknown)}",
                Source(file=str(seen["events", event.name]), field=f"events.{event.name}.fields"),
            )
    return Vocabulary(
        tuple(merged["firm"]),
        tuple(merged["years"]),
        tuple(merged["event_fields"]),
        tuple(merged["events"]),
        regions,
    )
