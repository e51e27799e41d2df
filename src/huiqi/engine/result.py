"""What a calculation returns: the stable JSON of ``huiqi calc --format json`` and ``POST /api/calc``.

Documented in docs/reference/calc-json.md. Amounts are whole 元 (``amount_yuan``); a basis says what the
number means (exact / up_to ceiling / at_least floor); unquantified and non-monetary lines carry no number.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, Field, GetCoreSchemaHandler, GetPydanticSchema
from pydantic_core import CoreSchema, core_schema

from huiqi.rules.models import Basis

_M = TypeVar("_M", bound=BaseModel)
_NEW = object.__new__
# BaseModel's own slots, set through their descriptors (``object.__setattr__`` looks each one up first)
_SET_DICT = BaseModel.__dict__["__dict__"].__set__
_SET_FIELDS_SET = BaseModel.__dict__["__pydantic_fields_set__"].__set__
_SET_EXTRA = BaseModel.__dict__["__pydantic_extra__"].__set__
_SET_PRIVATE = BaseModel.__dict__["__pydantic_private__"].__set__
_NAMES: dict[type[BaseModel], frozenset[str]] = {}  # a model class → its fields' names


def assemble(cls: type[_M], values: dict[str, object]) -> _M:
    """``cls.model_construct(**values)`` for ``values`` that give every field, each already of its declared
    type (nothing is validated): a fifth of the cost, for the models built on every calculation."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = frozenset(cls.model_fields)
    model = _NEW(cls)
    _SET_DICT(model, values)
    _SET_FIELDS_SET(model, set(names))  # every field is given: a copy of the class's names, made faster
    _SET_EXTRA(model, None)
    _SET_PRIVATE(model, None)
    return model


def _written_as_text(source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
    """An enum's schema, serialised as the ``str`` its members are: pydantic-core writes the value
    natively instead of calling the Python ``.value`` property per field (same JSON, same JSON schema)."""
    return {**handler(source), "serialization": core_schema.simple_ser_schema("str")}


_AS_TEXT = GetPydanticSchema(_written_as_text)


class Status(StrEnum):
    paid = "paid"
    halved = "halved"
    set_aside = "set_aside"
    excluded = "excluded"
    needs_info = "needs_info"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]

    @property
    def counts(self) -> bool:
        """Whether the line is in the totals."""
        return self in _COUNTING


_COUNTING = frozenset({Status.paid, Status.halved})

STATUS_LABELS = {
    Status.paid: "可享受",
    Status.halved: "减半享受",
    Status.set_aside: "从高不重复，不另计",
    Status.excluded: "不予享受",
    Status.needs_info: "需补充信息",
}


class ModifierKind(StrEnum):
    exclude = "exclude"
    halve = "halve"
    exempt = "exempt"
    set_aside = "set_aside"
    cap = "cap"
    once = "once"


_StatusText = Annotated[Status, _AS_TEXT]
_ModifierKindText = Annotated[ModifierKind, _AS_TEXT]
_BasisText = Annotated[Basis, _AS_TEXT]


class Modifier(BaseModel):
    kind: _ModifierKindText
    reason: str = Field(description="in Chinese, for the user")
    article_id: str | None = Field(None, description="the article that causes it, e.g. nb-2025-35/38")
    source_id: str | None = Field(None, description="the provision, group or rule id behind it")
    quote: str | None = None


class EventRef(BaseModel):
    index: int = Field(description="position of the event in the profile's events list")
    type: str
    label: str
    date: dt.date
    level: str | None = None
    subject: str | None = None


class Tranche(BaseModel):
    share: str
    milestone: str
    amount_yuan: int | None
    date: dt.date | None = Field(
        None, description="when it falls due, where the profile gives the milestone date"
    )
    due: bool | None = Field(None, description="whether the milestone is reached by the as-of date")
    paid: bool | None = Field(None, description="whether the ledger records it paid (with --ledger)")
    paid_on: dt.date | None = Field(None, description="when the ledger records it paid")


class AwardLine(BaseModel):
    rule_id: str
    document_id: str
    document_title: str
    article: str
    article_id: str
    title: str
    event: EventRef
    basis: _BasisText
    basis_label: str
    amount_yuan: int | None = Field(
        description="after every modifier; the ceiling for up_to, floor for at_least"
    )
    status: _StatusText
    status_label: str
    draft: bool
    department: str | None = None
    group: str | None = None
    support: str | None = None
    modifiers: list[Modifier] = []
    missing: list[str] = Field([], description="facts to supply (需补充信息)")
    schedule: list[Tranche] = []
    quote: list[str]
    formula: str | None = None
    formula_filled: str | None = Field(
        None, description="the formula with the firm's numbers (with --explain)"
    )
    facts: dict[str, str] = Field({}, description="facts read and their values (with --explain)")
    ledger_id: int | None = Field(None, description="the ledger's entry for this award (with --ledger)")


class NearMiss(BaseModel):
    rule_id: str
    document_id: str
    article_id: str
    title: str
    basis: _BasisText
    basis_label: str
    amount_yuan: int | None = Field(description="what it would pay, where that is a fixed figure")
    kind: str = Field(description="event (an event the firm lacks) or gap (a threshold not yet reached)")
    message: str


class DocumentScope(BaseModel):
    id: str
    title: str
    status: str
    considered: bool
    reason: str | None = None
    events_from: dt.date | None = None
    events_until: dt.date | None = None


class IgnoredEvent(BaseModel):
    event: EventRef
    document_id: str
    reason: str


class Totals(BaseModel):
    exact_yuan: int = 0
    up_to_yuan: int = 0
    at_least_yuan: int = 0
    unquantified: int = 0
    non_monetary: int = 0


class FirmRef(BaseModel):
    name: str
    credit_code: str | None
    region: str


class CalcResult(BaseModel):
    firm: FirmRef
    as_of: dt.date
    include_drafts: bool
    documents: list[DocumentScope]
    awards: list[AwardLine]
    totals: Totals
    near_misses: list[NearMiss] = []
    ignored_events: list[IgnoredEvent] = []
    notes: list[str] = []
