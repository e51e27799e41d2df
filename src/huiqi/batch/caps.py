"""Cumulative caps in the batch: exactly the engine's ``cumulative_caps``, over the few rows that have one.

A cap runs through a firm's awards in date order and each award uses up what the ones before it left (and a
rolling window like 三年内 makes that sequential), so it is computed here, in Python, on the rows of capped
rules only — a small share of all rows — and joined back to the plan's result in the database."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa

from huiqi.batch.compile import DEC_ARROW, BatchCompileError
from huiqi.batch.plan import COUNTING
from huiqi.engine.modifiers import cap_window_start
from huiqi.errors import Source
from huiqi.expr import evaluate, names
from huiqi.money import round_yuan
from huiqi.rules.load import DocumentRules, Rulebook


@dataclass(frozen=True)
class CapRule:
    key: str
    amount: Decimal | None
    years: int | None
    per_subject: bool
    max_items: int | None
    members: frozenset[tuple[str, str]]  # (article, event type) of the rules sharing the cap


def cap_rules(rulebook: Rulebook) -> dict[str, CapRule]:
    """Rule id → its cap, for every rule with a cumulative cap."""
    out: dict[str, CapRule] = {}
    for doc in rulebook.documents.values():
        for r in doc.rules:
            cap = r.rule.cumulative_cap
            if cap is None:
                continue
            if r.cap is not None and names(r.cap):
                raise BatchCompileError(
                    "批量引擎只支持常数累计上限", Source(rule=r.id, field="cumulative_cap")
                )
            value = evaluate(r.cap, {}) if r.cap is not None else None
            key = cap.key or r.id
            out[r.id] = CapRule(
                key,
                value if isinstance(value, Decimal) else None,
                cap.years,
                cap.per == "subject",
                cap.max_items,
                _members(doc, key),
            )
    return out


def _members(doc: DocumentRules, key: str) -> frozenset[tuple[str, str]]:
    return frozenset(
        (r.rule.article, r.rule.trigger.event)
        for r in doc.rules
        if r.rule.cumulative_cap and (r.rule.cumulative_cap.key or r.id) == key
    )


def apply_caps(rows: list[dict[str, Any]], prior: list[dict[str, Any]], caps: dict[str, CapRule]) -> pa.Table:
    """``rows``: one firm's … all firms' counting rows of capped rules (firm_id, event_id, rule_no, rule_id,
    doc_id, article, e__type, subject_key, e__date, amount, status). Returns the changed rows."""
    prior_by_firm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for p in prior:
        prior_by_firm[p["firm_id"]].append(p)
    by_firm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_firm[row["firm_id"]].append(row)
    changed: list[dict[str, Any]] = []
    for firm, firm_rows in by_firm.items():
        used: list[tuple[dict[str, Any], str, Decimal]] = []
        for row in sorted(firm_rows, key=lambda r: (r["e__date"], r["event_id"], r["rule_no"])):
            cap = caps[row["rule_id"]]
            day, subject = row["e__date"], row["subject_key"]
            since = cap_window_start(day, cap.years)
            spent_prior = [
                Decimal(p["amount"])
                for p in prior_by_firm.get(firm, [])
                if p["document"] == row["doc_id"]
                and any(p["article"] == a and p.get("event") in (None, e) for a, e in cap.members)
                and since <= p["date"] <= day
                and (not cap.per_subject or (p.get("subject") or "") == subject)
            ]
            earlier = [
                amt
                for other, key, amt in used
                if other["doc_id"] == row["doc_id"]
                and key == cap.key
                and since <= other["e__date"]
                and (not cap.per_subject or other["subject_key"] == subject)
            ]
            status, amount, reason = row["status"], row["amount"], None
            if cap.max_items is not None and len(spent_prior) + len(earlier) >= cap.max_items:
                status, reason = "set_aside", cap.key
            elif cap.amount is not None and amount is not None:
                remaining = max(
                    cap.amount - sum(spent_prior, Decimal(0)) - sum(earlier, Decimal(0)), Decimal(0)
                )
                if amount > remaining:
                    reason = cap.key
                    if remaining > 0:
                        amount = remaining
                    else:
                        status = "set_aside"
            if status in COUNTING:
                used.append((row, cap.key, amount if amount is not None else Decimal(0)))
            if reason is not None:
                changed.append(
                    {
                        "firm_id": firm,
                        "event_id": row["event_id"],
                        "rule_no": row["rule_no"],
                        "cap_amount": amount,
                        "cap_status": status,
                        "capped_by": reason,
                        "cap_yuan": round_yuan(amount) if amount is not None else None,
                    }
                )
    schema = pa.schema(
        [
            ("firm_id", pa.string()),
            ("event_id", pa.int64()),
            ("rule_no", pa.int64()),
            ("cap_amount", DEC_ARROW),
            ("cap_status", pa.string()),
            ("capped_by", pa.string()),
            ("cap_yuan", pa.int64()),
        ]
    )
    return pa.Table.from_pylist(changed, schema=schema)
