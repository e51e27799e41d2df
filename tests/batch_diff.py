"""Run the same firms through the single-firm engine and the batch engine and compare every line:
rule, event, basis, amount to the yuan, status, and the reasons (excluded by, halved by, set aside by, capped
by) — the way sqlglot checks its executor against DuckDB."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from huiqi.batch import BatchResult, run_batch_tables
from huiqi.batch.profiles import tables_from_profiles
from huiqi.engine import calculate
from huiqi.engine.result import AwardLine
from huiqi.vocab import Profile, get_vocabulary

Line = tuple[Any, ...]


def scalar_line(a: AwardLine) -> Line:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for m in a.modifiers:
        by_kind[m.kind].append(m.source_id or "")
    aside = None
    if a.status == "set_aside":
        for m in reversed(a.modifiers):
            if m.kind in ("set_aside", "once", "cap"):
                aside = "once" if m.kind == "once" else m.source_id
                break
    capped = by_kind["cap"][-1] if by_kind["cap"] else None
    return (
        a.rule_id,
        a.event.index,
        a.basis.value,
        a.amount_yuan,
        a.status.value,
        ",".join(sorted(by_kind["exclude"])) or None,
        ",".join(sorted(by_kind["halve"])) or None,
        aside,
        capped,
    )


def batch_lines(result: BatchResult) -> dict[str, list[Line]]:
    rows = result.awards.to_pylist()
    order: dict[str, list[int]] = defaultdict(list)
    for r in rows:
        order[r["firm_id"]].append(r["event_id"])
    index = {f: {e: i for i, e in enumerate(sorted(set(ids)))} for f, ids in order.items()}
    out: dict[str, list[Line]] = defaultdict(list)
    for r in rows:
        out[r["firm_id"]].append(
            (
                r["rule_id"],
                index[r["firm_id"]][r["event_id"]],
                r["basis"],
                r["amount_yuan"],
                r["status"],
                ",".join(sorted((r["excluded_by"] or "").split(","))) or None if r["excluded_by"] else None,
                ",".join(sorted((r["halved_by"] or "").split(","))) if r["halved_by"] else None,
                r["set_aside_by"] if r["status"] == "set_aside" else None,
                r["capped_by"],
            )
        )
    return out


def differences(
    profiles: Sequence[tuple[str, Profile]], as_of: dt.date, include_drafts: bool = True, **batch_options: Any
) -> list[str]:
    """Every firm whose lines differ between the engines, with both sides (empty when they agree)."""
    vocab = get_vocabulary()
    firms, events, prior = tables_from_profiles(profiles, vocab)
    result = run_batch_tables(
        firms, events, as_of=as_of, include_drafts=include_drafts, prior=prior, **batch_options
    )
    assert not result.rejected, result.rejected[:5]
    got = batch_lines(result)
    problems = []
    for firm_id, profile in profiles:
        # the batch has no event index of its own: events without a line do not count in its numbering
        publication = batch_options.get("publication_dates")
        result_s = calculate(profile, as_of, include_drafts=include_drafts, publication_dates=publication)
        scalar = [scalar_line(a) for a in result_s.awards]
        used = sorted({line[1] for line in scalar})
        renumber = {old: new for new, old in enumerate(used)}
        scalar = [(ln[0], renumber[ln[1]], *ln[2:]) for ln in scalar]
        if sorted(scalar, key=repr) != sorted(got.get(firm_id, []), key=repr):
            problems.append(
                f"{firm_id}:\n  scalar {sorted(scalar, key=repr)}\n  batch  {sorted(got.get(firm_id, []), key=repr)}"
            )
    return problems
