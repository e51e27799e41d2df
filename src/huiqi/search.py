"""Chinese full-text search over every passage, on SQLite FTS5.

Chinese has no spaces, so the index holds character n-grams rather than words: each passage's folded
text (see ``fold_for_search``) becomes a stream of overlapping bigrams, and a query of n ≥ 2 characters
is the FTS5 phrase of its n-1 bigrams — which matches exactly where the query is a substring. One-character
queries use a parallel unigram column. Tokens are hex-encoded so FTS5's tokenizer keeps them whole
(punctuation included). Ranking is FTS5's bm25 with title hits weighted up; highlighting is done on the
passage text itself, so it marks exactly what matched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass

from huiqi.corpus.load import Corpus
from huiqi.corpus.models import Document, Passage, Status
from huiqi.corpus.normalise import fold_for_search
from huiqi.errors import QueryError

_BREAK = "00"  # between paragraphs, so no phrase runs across one


def _hex(chars: str) -> str:
    return "x".join(f"{ord(c):x}" for c in chars)


def _grams(text: str, n: int) -> str:
    tokens: list[str] = []
    for paragraph in fold_for_search(text).split("\n"):
        chunk = "".join(paragraph.split())
        tokens.extend(_hex(chunk[i : i + n]) for i in range(len(chunk) - n + 1))
        tokens.append(_BREAK)
    return " ".join(tokens)


def _term_query(term: str) -> str:
    if len(term) == 1:
        return '{title_uni uni} : "' + _hex(term) + '"'
    phrase = " ".join(_hex(term[i : i + 2]) for i in range(len(term) - 1))
    return '{title_bi bi} : "' + phrase + '"'


@dataclass(frozen=True)
class Hit:
    passage: Passage
    document: Document
    score: float
    matches: tuple[tuple[int, int], ...]  # offsets in passage.text

    def snippet(self, width: int = 48) -> list[tuple[str, bool]]:
        """The text around the first match, as (text, is_match) parts; "…" where it was cut."""
        text = self.passage.text
        if not self.matches:
            return [(text[:width] + ("…" if len(text) > width else ""), False)]
        first = self.matches[0][0]
        lo = max(0, first - width // 3)
        hi = min(len(text), lo + width)
        parts: list[tuple[str, bool]] = [("…", False)] if lo > 0 else []
        pos = lo
        for start, end in self.matches:
            if end <= lo or start >= hi:
                continue
            start, end = max(start, lo), min(end, hi)
            if start > pos:
                parts.append((text[pos:start], False))
            parts.append((text[start:end], True))
            pos = end
        if pos < hi:
            parts.append((text[pos:hi], False))
        if hi < len(text):
            parts.append(("…", False))
        return [(t.replace("\n", " "), m) for t, m in parts]


class SearchIndex:
    """An in-memory FTS5 index of a corpus; build once, query many times."""

    def __init__(self, corpus: Corpus) -> None:
        self.corpus = corpus
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE fts USING fts5(pid UNINDEXED, title_bi, bi, title_uni, uni, "
            "tokenize='unicode61')"
        )
        self.db.execute("CREATE TABLE meta (pid TEXT PRIMARY KEY, doc TEXT, status TEXT, seq INTEGER)")
        self.db.execute("CREATE TABLE dept (pid TEXT, name TEXT)")
        self._passages: dict[str, tuple[Passage, Document]] = {}
        seq = 0
        for doc in corpus:
            for p in doc.passages():
                seq += 1
                self._passages[p.id] = (p, doc)
                self.db.execute(
                    "INSERT INTO fts VALUES (?, ?, ?, ?, ?)",
                    (p.id, _grams(p.title, 2), _grams(p.text, 2), _grams(p.title, 1), _grams(p.text, 1)),
                )
                self.db.execute("INSERT INTO meta VALUES (?, ?, ?, ?)", (p.id, doc.id, doc.meta.status, seq))
                self.db.executemany("INSERT INTO dept VALUES (?, ?)", [(p.id, d) for d in p.departments])

    def search(
        self,
        query: str,
        *,
        documents: Iterable[str] = (),
        statuses: Iterable[Status | str] = (),
        department: str | None = None,
        limit: int = 20,
    ) -> list[Hit]:
        terms = [fold_for_search(t) for t in query.split()]
        if not terms:
            raise QueryError("搜索词不能为空：请输入要查找的文字，例如“冠军”")
        docs, stats = list(documents), [str(s) for s in statuses]
        for doc_id in docs:
            self.corpus.document(doc_id)  # NotFoundError for an unknown id
        sql = [
            "SELECT f.pid, bm25(fts, 0, 4.0, 1.0, 4.0, 1.0) AS rank FROM fts f JOIN meta m ON m.pid = f.pid",
            "WHERE fts MATCH ?",
        ]
        params: list[object] = [" AND ".join(f"({_term_query(t)})" for t in terms)]
        if docs:
            sql.append(f"AND m.doc IN ({','.join('?' * len(docs))})")
            params.extend(docs)
        if stats:
            sql.append(f"AND m.status IN ({','.join('?' * len(stats))})")
            params.extend(stats)
        if department:
            sql.append("AND f.pid IN (SELECT pid FROM dept WHERE name LIKE ?)")
            params.append(f"%{department}%")
        sql.append("ORDER BY rank, m.seq LIMIT ?")
        params.append(limit)
        hits = []
        for pid, rank in self.db.execute(" ".join(sql), params):
            passage, doc = self._passages[pid]
            hits.append(Hit(passage, doc, -float(rank), _matches(passage.text, terms)))
        return hits


def _matches(text: str, terms: list[str]) -> tuple[tuple[int, int], ...]:
    folded = fold_for_search(text)
    spans = []
    for term in terms:
        start = folded.find(term)
        while start >= 0:
            spans.append((start, start + len(term)))
            start = folded.find(term, start + 1)
    spans.sort()
    merged: list[tuple[int, int]] = []
    for s, e in spans:
        if merged and s <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return tuple(merged)


_INDEXES: dict[int, SearchIndex] = {}


def index_for(corpus: Corpus) -> SearchIndex:
    """The index of a corpus, built on first use."""
    key = id(corpus)
    if key not in _INDEXES:
        _INDEXES[key] = SearchIndex(corpus)
    return _INDEXES[key]
