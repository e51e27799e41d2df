"""The single-firm engine: a profile and a date in, every award with its reasons out.

The calculation is this tuple of small pure passes, read top to bottom::

    select_documents → match_events → compute_amounts → apply_provisions → one_time_awards
    → stack_groups (从高不重复) → stack_across_documents → cumulative_caps → round_amounts → explain
"""

from __future__ import annotations

import datetime as dt

from huiqi.corpus import Corpus, get_corpus
from huiqi.engine.context import Context
from huiqi.engine.explain import explain, round_amounts
from huiqi.engine.modifiers import (
    cumulative_caps,
    one_time_awards,
    stack_across_documents,
    stack_groups,
)
from huiqi.engine.passes import compute_amounts, match_events, select_documents
from huiqi.engine.provisions import apply_provisions
from huiqi.engine.result import AwardLine, CalcResult, NearMiss, Status
from huiqi.rules.load import rulebook_for
from huiqi.vocab import Profile, get_vocabulary, parse_profile, vocabulary_for

__all__ = [
    "PASSES",
    "AwardLine",
    "CalcResult",
    "Context",
    "NearMiss",
    "Status",
    "calculate",
    "calculate_data",
]

# The passes between matching and explaining: each maps candidates to candidates.
PASSES = (
    compute_amounts,
    apply_provisions,
    one_time_awards,
    stack_groups,
    stack_across_documents,
    cumulative_caps,
    round_amounts,
)


def run(ctx: Context) -> CalcResult:
    scopes = select_documents(ctx)
    candidates, ignored = match_events(ctx, scopes)
    for step in PASSES:
        candidates = step(ctx, candidates)
    return explain(ctx, scopes, candidates, ignored)


def calculate(
    profile: Profile,
    as_of: dt.date,
    *,
    include_drafts: bool = False,
    explain: bool = False,
    publication_dates: dict[str, dt.date] | None = None,
    corpus: Corpus | None = None,
) -> CalcResult:
    """Every award ``profile`` is entitled to on ``as_of`` under ``corpus``, by default the corpus in
    effect (a caller that has it already passes it: finding it reads the environment)."""
    corpus = corpus or get_corpus()
    ctx = Context(
        corpus=corpus,
        vocab=vocabulary_for(corpus),
        rulebook=rulebook_for(corpus),
        profile=profile,
        as_of=as_of,
        include_drafts=include_drafts,
        explain=explain,
        publication_dates=publication_dates or {},
    )
    return run(ctx)


def calculate_data(data: object, as_of: dt.date, **options: object) -> CalcResult:
    """``calculate`` for raw profile data (parsed YAML/JSON): validates it first (``ProfileError``)."""
    return calculate(parse_profile(data, get_vocabulary()), as_of, **options)  # type: ignore[arg-type]
