"""What the handlers call: the library, reached through the shared caches, with the web's defaults."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import os
import weakref

import anyio
from anyio import CapacityLimiter

from huiqi.corpus import Corpus, get_corpus
from huiqi.engine import CalcResult, calculate
from huiqi.errors import HuiqiError
from huiqi.rules.load import get_rulebook
from huiqi.search import index_for
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file, vocabulary_for
from huiqi.web.errors import FieldError, WebError
from huiqi.web.schemas import CalcRequest
from huiqi.web.turns import turns


def warm() -> None:
    """Load the corpus, vocabulary, rules and search index once, before requests arrive in parallel, and
    calculate the bundled example firms once (which compiles the rule expressions they reach)."""
    corpus = get_corpus()
    vocab = get_vocabulary()
    get_rulebook()
    index_for(corpus)
    for path in corpus.example_files():
        with contextlib.suppress(HuiqiError):  # an example is not the place to fail a start
            profile = parse_profile(read_profile_file(path), vocab)
            calculate(profile, profile.as_of or dt.date.today(), include_drafts=True, explain=True)


def settle() -> None:
    """After warming: what is loaded now lives as long as the process, so the garbage collector stops
    scanning it (``gc.freeze``). Without this, a full collection walks the whole corpus and rulebook and
    stalls every request in flight for tens of milliseconds."""
    gc.collect()
    gc.freeze()


def departments(corpus: Corpus) -> list[str]:
    """Every responsible department named in the documents (市 first), for the search filter."""
    names = {d for doc in corpus for p in doc.passages() for d in p.departments}
    return sorted(names, key=lambda n: (not n.startswith("市"), n))


_SERIALISE = CalcResult.__pydantic_serializer__.to_json  # model_dump_json without the str round trip


def calculate_request(request: CalcRequest) -> CalcResult:
    """``huiqi calc --format json`` for a request: explained; as-of from the request, else the profile,
    else today."""
    corpus = get_corpus()  # once: finding it reads the environment
    known = {d.id for d in corpus}
    unknown = [doc for doc in request.publication_dates if doc not in known]
    if unknown:
        raise WebError(
            "发布日期中有未收录的文件编号",
            status=422,
            code="validation",
            fields=[
                FieldError(field=f"publication_dates.{doc}", message=f"没有编号为“{doc}”的文件")
                for doc in unknown
            ],
        )
    profile = parse_profile(request.profile, vocabulary_for(corpus))
    return calculate(
        profile,
        request.as_of or profile.as_of or dt.date.today(),
        include_drafts=request.include_drafts,
        explain=True,
        publication_dates=dict(request.publication_dates),
        corpus=corpus,
    )


# Calculations are CPU-bound Python. A typical profile takes about a millisecond: it runs on the event loop
# (a hop to a worker thread costs about as much again and only fights over the GIL), taking turns with the
# other requests read by the same poll, oldest first (``turns``). A large profile goes to
# a worker thread, a few at a time, first come first served, so it never stalls the loop for long.
# One limiter per event loop (a limiter belongs to the loop it was made in; tests run several loops).
INLINE_EVENTS = 40
_CALC_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def calculate_inline(request: CalcRequest) -> bytes | None:
    """``calculate_json`` for a request small enough to compute on the event loop, without waiting for a
    turn (the caller has one); ``None`` for a larger one."""
    return _json(request) if _inline(request) else None


async def calculate_json(request: CalcRequest, since: float | None = None) -> bytes:
    """``calculate_request`` serialised once, as UTF-8 JSON (the result is already validated, so FastAPI's
    second validation against ``response_model`` is skipped; the bytes are not decoded to text and
    encoded again). ``since``: the request arrived after this ``time.monotonic()`` (``protocol.not_before``)."""
    if _inline(request):
        queue = turns()
        await queue.wait(since)
        try:
            return _json(request)
        finally:
            queue.done()
    loop = asyncio.get_running_loop()
    slots = _CALC_SLOTS.get(loop)
    if slots is None:
        slots = _CALC_SLOTS[loop] = CapacityLimiter(min(4, os.cpu_count() or 1))
    return await anyio.to_thread.run_sync(_json, request, limiter=slots)


def _json(request: CalcRequest) -> bytes:
    return _SERIALISE(calculate_request(request))


def _inline(request: CalcRequest) -> bool:
    events = request.profile.get("events")
    return not isinstance(events, list) or len(events) <= INLINE_EVENTS
