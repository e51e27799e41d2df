"""What a validated firm profile is: typed, immutable values (``profile.parse_profile`` makes them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

FactValue = str | bool | int | Decimal | dt.date | None


@dataclass(frozen=True)
class Event:
    index: int
    type: str
    date: dt.date
    level: str | None = None
    subject: str | None = None
    first_time: bool | None = None
    fields: Mapping[str, Decimal | dt.date] = field(default_factory=dict)


@dataclass(frozen=True)
class PriorAward:
    document: str
    article: str
    event: str | None
    subject: str | None
    date: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Profile:
    firm: Mapping[str, FactValue]
    years: Mapping[int, Mapping[str, FactValue]]
    events: tuple[Event, ...]
    prior_awards: tuple[PriorAward, ...] = ()
    as_of: dt.date | None = None
    description: str | None = None

    @property
    def name(self) -> str:
        return str(self.firm.get("name", ""))

    @property
    def region(self) -> str:
        return str(self.firm.get("region", ""))
