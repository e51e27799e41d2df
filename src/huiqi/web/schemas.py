"""The API's own request and response models (the library's models are used as they are elsewhere)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from huiqi.corpus.views import PassageView


class CalcRequest(BaseModel):
    """``POST /api/calc``: what ``huiqi calc`` takes on its command line."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "profile": {
                        "firm": {"name": "宁波某精密机械有限公司", "region": "鄞州区", "manufacturing": True},
                        "events": [{"type": "little_giant", "level": "国家级", "date": "2026-03-01"}],
                    },
                    "as_of": "2026-06-30",
                }
            ]
        },
    )
    profile: dict[str, Any] = Field(description="企业档案，与 YAML/JSON 档案文件相同（见 /api/schema）")
    as_of: dt.date | None = Field(None, description="计算日；默认取档案中的 as_of，否则为今天")
    include_drafts: bool = Field(False, description="计入征求意见稿（结果会标明）")
    publication_dates: dict[str, dt.date] = Field(
        default_factory=dict, description="发布日期未知的文件：文件编号 → 发布日期"
    )  # a factory: a literal {} default is deep-copied on every request


class ShareView(BaseModel):
    """A calculation kept under an id: its page shows the result (recomputed) and the filled form."""

    id: str
    url: str = Field(description="the page of the result, to share or print")
    request: CalcRequest


class Example(BaseModel):
    name: str
    description: str
    profile: dict[str, Any]


class FactView(BaseModel):
    name: str
    label: str
    type: str
    type_label: str
    description: str | None = None
    unit: str | None = None
    required: bool = False
    values: list[str] | None = Field(None, description="the allowed values of an enum (regions resolved)")
    min: int | None = None
    max: int | None = None


class EventTypeView(BaseModel):
    name: str
    label: str
    verb: str
    levels: list[str]
    fields: list[str] = Field(description="event fields (see event_fields) this type takes")
    description: str | None = None


class VocabView(BaseModel):
    firm: list[FactView]
    years: list[FactView]
    event_base: list[FactView] = Field(description="fields every event has: date, level, subject, first_time")
    event_fields: list[FactView]
    events: list[EventTypeView]
    regions: list[str]


class RuleView(BaseModel):
    """One rule of an article, as the 政策库 shows it beside its sentence."""

    id: str
    kind: Literal["rule", "provision", "group"]
    title: str
    basis: str | None = None
    basis_label: str | None = None
    formula: str | None = None
    event: str | None = Field(None, description="the event type's label that triggers it")
    condition: str | None = None
    group: str | None = Field(None, description="the 从高不重复 group's label")
    department: str | None = None
    quote: list[str]
    note: str | None = None


class AnnotationView(BaseModel):
    amount: str
    kind: str
    note: str
    basis_of: str | None = None


class ArticleView(PassageView):
    """An article with its reply-letter links and the rules that encode it."""

    rules: list[RuleView] = Field(default_factory=list)
    annotations: list[AnnotationView] = Field(default_factory=list)
    article_note: str | None = None


JobStatus = Literal["queued", "running", "done", "failed"]


class JobFile(BaseModel):
    name: str
    url: str
    size: int


class RejectedRow(BaseModel):
    table: str = Field("", description="企业 or 事项")
    row: int | None = Field(description="the row number in the spreadsheet")
    column: str | None
    value: str = ""
    message: str


class ChartBar(BaseModel):
    label: str
    value: float = Field(description="the bar's length: the sum of its segments (元)")
    segments: list[float] = Field([], description="定额, 最高, 不低于 (元)")
    text: str


class Chart(BaseModel):
    title: str
    unit: str
    bars: list[ChartBar]


class JobView(BaseModel):
    id: str
    status: JobStatus
    stage: str = Field("", description="what the job is doing, in Chinese")
    progress: float = Field(0.0, ge=0, le=1)
    message: str | None = None
    created: dt.datetime
    as_of: dt.date
    include_drafts: bool
    counts: dict[str, int] = {}
    files: list[JobFile] = []
    rejected: list[RejectedRow] = []
    charts: list[Chart] = []
    url: str = Field(description="the page of the job")
