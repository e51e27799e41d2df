"""What a document is: its metadata (validated from YAML) and its text split into passages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Status(StrEnum):
    official = "official"
    draft = "draft"
    reply_letter = "reply_letter"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {Status.official: "正式文件", Status.draft: "征求意见稿", Status.reply_letter: "答复函"}


class Level(StrEnum):
    city = "市"
    county_city = "县级市"
    district = "区"
    county = "县"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dates(_Strict):
    issued: dt.date | None = None
    issued_quote: str | None = None
    published: dt.date | None = None
    published_quote: str | None = None


class Validity(_Strict):
    """The window in which a document is in force, and from when its award-triggering events count."""

    start: dt.date | None
    end: dt.date
    events_from: dt.date | None = None
    start_days_after_publication: int | None = None
    default_start: dt.date | None = None
    quote: str

    @model_validator(mode="after")
    def _start_known_or_derivable(self) -> Validity:
        if self.start is None and (self.start_days_after_publication is None or self.default_start is None):
            raise ValueError("start 为空时须给出 start_days_after_publication 和 default_start")
        start = self.start or self.default_start
        if start is not None and start > self.end:
            raise ValueError("start 晚于 end")
        return self

    def window(self, publication: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """(first day in force, last day in force); a publication date resolves a relative start."""
        if self.start is not None:
            return self.start, self.end
        assert self.default_start is not None and self.start_days_after_publication is not None
        if publication is None:
            return self.default_start, self.end
        return publication + dt.timedelta(days=self.start_days_after_publication), self.end

    def events_window(self, publication: dt.date | None = None) -> tuple[dt.date, dt.date]:
        """Dates of award-triggering events the document covers (retroactive start where stated)."""
        start, end = self.window(publication)
        return (self.events_from or start), end


class Stacking(_Strict):
    principle: str
    scope: Literal["within_document", "across_documents"]
    applies_to: str
    quote: str


class Expected(_Strict):
    sections: int
    articles: int


class Segmentation(_Strict):
    body_start: str
    section_pattern: str
    article_pattern: str
    article_ids: Literal["number", "section_dot_number"] = "number"
    infer_unnumbered_headings: bool = False
    closing_start: tuple[str, ...] = ()
    trailer_start: tuple[str, ...] = ()
    expected: Expected


class DocumentMeta(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    file: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    wenhao: str | None
    title: str
    short_title: str
    issuer: str
    issuer_note: str | None = None
    level: Level
    jurisdiction: str
    status: Status
    status_note: str | None = None
    source_note: str | None = None
    public_note: str | None = None
    dates: Dates
    validity: Validity | None
    stacking: Stacking | None
    segmentation: Segmentation

    @property
    def is_legal_basis(self) -> bool:
        return self.status is not Status.reply_letter


PassageKind = Literal["article", "preamble", "closing", "section_intro"]


@dataclass(frozen=True)
class Passage:
    """A piece of a document with a stable id: an article, or the preamble / closing / a section's intro."""

    id: str
    doc_id: str
    kind: PassageKind
    label: str  # how the document numbers it: "11." / "（二十七）" / "一是" / "附则"
    number: str | None  # "11", "27", "1.1"; None for non-articles
    title: str
    section: str | None  # the heading of the section it stands in
    span: tuple[int, int]  # offsets in the original text
    raw: str  # original[span[0]:span[1]], for quoting
    text: str  # normalised: lines joined, whitespace folded, variants fixed; paragraphs split by "\n"
    departments: tuple[str, ...] = ()


@dataclass(frozen=True)
class Section:
    number: int
    heading: str
    numbered_in_text: bool
    article_ids: tuple[str, ...]
    intro: Passage | None = None


@dataclass(frozen=True)
class Document:
    meta: DocumentMeta
    original: str
    preamble: Passage
    sections: tuple[Section, ...]
    articles: tuple[Passage, ...]
    closing: Passage | None
    _index: dict[str, Passage] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for p in self.passages():
            self._index[p.id] = p

    @property
    def id(self) -> str:
        return self.meta.id

    def passages(self) -> tuple[Passage, ...]:
        intros = tuple(s.intro for s in self.sections if s.intro is not None)
        tail = (self.closing,) if self.closing else ()
        return (self.preamble, *intros, *self.articles, *tail)

    def passage(self, passage_id: str) -> Passage | None:
        return self._index.get(passage_id)
