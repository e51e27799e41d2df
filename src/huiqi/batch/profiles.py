"""Profiles ↔ batch tables: the same firms for both engines (differential tests, the web's single uploads).

``tables_from_profiles`` lays typed ``Profile`` objects out in the batch schema (firm facts, per-year
figures as ``<name>_<year>``, one events row per event in the profile's order, prior awards)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import pyarrow as pa

from huiqi.batch.compile import DEC_ARROW
from huiqi.vocab.catalogue import EVENT_BASE, Fact, Vocabulary
from huiqi.vocab.profile import Profile

_ARROW = {
    "bool": pa.bool_(),
    "integer": DEC_ARROW,
    "decimal": DEC_ARROW,
    "money": DEC_ARROW,
    "date": pa.date32(),
}


def _arrow_type(fact: Fact) -> pa.DataType:
    return _ARROW.get(fact.type, pa.string())


def _value(fact: Fact, value: object) -> object:
    if value is None:
        return None
    if fact.type in ("integer", "decimal", "money"):
        return Decimal(str(value))
    return value


def tables_from_profiles(
    profiles: Sequence[tuple[str, Profile]], vocab: Vocabulary
) -> tuple[pa.Table, pa.Table, pa.Table]:
    years = sorted({y for _, p in profiles for y in p.years})
    firm_cols: dict[str, tuple[pa.DataType, list[object]]] = {"firm_id": (pa.string(), [])}
    for fact in vocab.firm:
        firm_cols[fact.name] = (_arrow_type(fact), [])
    for fact in vocab.years:
        for y in years:
            firm_cols[f"{fact.name}_{y}"] = (_arrow_type(fact), [])
    fields = {f.name: f for f in (*EVENT_BASE, *vocab.event_fields)}
    event_cols: dict[str, tuple[pa.DataType, list[object]]] = {
        "firm_id": (pa.string(), []),
        "type": (pa.string(), []),
    }
    for name, fact in fields.items():
        event_cols[name] = (_arrow_type(fact), [])
    prior_rows = []
    for firm_id, profile in profiles:
        firm_cols["firm_id"][1].append(firm_id)
        for fact in vocab.firm:
            firm_cols[fact.name][1].append(_value(fact, profile.firm.get(fact.name)))
        for fact in vocab.years:
            for y in years:
                firm_cols[f"{fact.name}_{y}"][1].append(_value(fact, profile.years.get(y, {}).get(fact.name)))
        for event in profile.events:
            event_cols["firm_id"][1].append(firm_id)
            event_cols["type"][1].append(event.type)
            base = {
                "date": event.date,
                "level": event.level,
                "subject": event.subject,
                "first_time": event.first_time,
            }
            for name, fact in fields.items():
                event_cols[name][1].append(
                    _value(fact, base[name] if name in base else event.fields.get(name))
                )
        for p in profile.prior_awards:
            prior_rows.append(
                {
                    "firm_id": firm_id,
                    "document": p.document,
                    "article": p.article,
                    "event": p.event,
                    "subject": p.subject,
                    "date": p.date,
                    "amount": Decimal(p.amount),
                }
            )
    firms = pa.table({k: pa.array(v, type=t) for k, (t, v) in firm_cols.items()})
    events = pa.table({k: pa.array(v, type=t) for k, (t, v) in event_cols.items()})
    prior_schema = pa.schema(
        [
            ("firm_id", pa.string()),
            ("document", pa.string()),
            ("article", pa.string()),
            ("event", pa.string()),
            ("subject", pa.string()),
            ("date", pa.date32()),
            ("amount", DEC_ARROW),
        ]
    )
    return firms, events, pa.Table.from_pylist(prior_rows, schema=prior_schema)
