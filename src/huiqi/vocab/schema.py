"""The JSON Schema of a firm profile, generated from the vocabulary (``huiqi schema``, the web form)."""

from __future__ import annotations

from typing import Any

from huiqi.vocab.catalogue import EVENT_BASE, Fact, Vocabulary
from huiqi.vocab.credit_code import ALPHABET


def fact_schema(fact: Fact, regions: tuple[str, ...]) -> dict[str, Any]:
    base: dict[str, Any] = {"title": fact.label}
    if fact.description:
        base["description"] = fact.description
    if fact.unit:
        base["x-unit"] = fact.unit
    t = fact.type
    if t == "bool":
        base["type"] = "boolean"
    elif t == "integer":
        base["type"] = "integer"
        base.update({k: v for k, v in (("minimum", fact.min), ("maximum", fact.max)) if v is not None})
    elif t in ("money", "decimal"):
        base.update({"type": "number", "minimum": 0})
    elif t == "date":
        base.update({"type": "string", "format": "date"})
    elif t == "enum":
        base["enum"] = list(regions if fact.values_from == "regions" else fact.values or ())
    elif t == "credit_code":
        base.update({"type": "string", "pattern": f"^[{ALPHABET}]{{18}}$"})
    else:
        base["type"] = "string"
    return base


def _object(facts: tuple[Fact, ...], regions: tuple[str, ...], title: str) -> dict[str, Any]:
    return {
        "type": "object",
        "title": title,
        "additionalProperties": False,
        "properties": {f.name: fact_schema(f, regions) for f in facts},
        "required": [f.name for f in facts if f.required],
    }


def profile_schema(vocab: Vocabulary) -> dict[str, Any]:
    fields = vocab.event_field_by_name
    events = []
    for e in vocab.events:
        props: dict[str, Any] = {"type": {"const": e.name, "title": e.label}}
        for f in EVENT_BASE:
            props[f.name] = fact_schema(f, vocab.regions)
        if e.levels:
            props["level"] = {"title": "级别/类别", "enum": list(e.levels)}
        else:
            del props["level"]
        for name in e.fields:
            props[name] = fact_schema(fields[name], vocab.regions)
        events.append(
            {
                "type": "object",
                "title": f"{e.verb}{e.label}",
                "additionalProperties": False,
                "properties": props,
                "required": ["type", "date", *(["level"] if e.levels else [])],
            }
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "企业档案",
        "type": "object",
        "additionalProperties": False,
        "required": ["firm"],
        "properties": {
            "description": {"type": "string", "title": "说明"},
            "as_of": {"type": "string", "format": "date", "title": "计算日"},
            "firm": _object(vocab.firm, vocab.regions, "企业信息"),
            "years": {
                "type": "object",
                "title": "年度数据",
                "additionalProperties": False,
                "patternProperties": {
                    "^(19|20|21)[0-9]{2}$": _object(vocab.years, vocab.regions, "某年数据")
                },
            },
            "events": {"type": "array", "title": "事项", "items": {"oneOf": events}},
            "prior_awards": {
                "type": "array",
                "title": "已获奖励",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["document", "article", "date", "amount"],
                    "properties": {
                        "document": {"type": "string"},
                        "article": {"type": "string"},
                        "event": {"type": "string"},
                        "subject": {"type": "string"},
                        "date": {"type": "string", "format": "date"},
                        "amount": {"type": "number", "minimum": 0, "x-unit": "元"},
                    },
                },
            },
        },
    }
