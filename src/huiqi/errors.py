"""Every error huiqi raises on purpose, drawn once (httpx's ``_exceptions.py`` habit).

    HuiqiError                      base; ``message`` is Chinese and shown to users as is
    ├── CorpusError                 the bundled documents
    │   ├── CorpusIntegrityError    a text file's sha256 no longer matches its metadata
    │   ├── MetadataError           a metadata file is missing a field or has a wrong value
    │   └── SegmentationError       a document's text does not split as its metadata says
    ├── NotFoundError               an unknown document, article, rule or example id
    ├── QueryError                  a search query that cannot be run (empty, …)
    ├── RuleError                   a rule file: names file, line, rule and field
    │   └── ExpressionError         the rule expression language: names the position in the expression
    ├── CheckError                  ``huiqi check`` found a quote not in its article, an amount uncovered, …
    ├── ProfileError                a firm profile: names the field (``errors`` lists every bad field)
    └── EvaluationError             a rule cannot be evaluated for a firm (names rule and fact)

Front doors (CLI, web) catch ``HuiqiError`` and map it to an exit code / HTTP status with ``exit_code``
and ``http_status``; anything else is a bug and may show a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Source:
    """Where something came from: a file, optionally a line, a rule id, an article id, a field."""

    file: str | None = None
    line: int | None = None
    rule: str | None = None
    article: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        if self.rule:
            parts.append(f"规则 {self.rule}")
        if self.article:
            parts.append(f"条款 {self.article}")
        if self.field:
            parts.append(f"字段 {self.field}")
        return "，".join(parts)


class HuiqiError(Exception):
    """Base of every deliberate huiqi error. ``message`` is for end users (Chinese)."""

    exit_code: ClassVar[int] = 1
    http_status: ClassVar[int] = 400
    code: ClassVar[str] = "error"

    def __init__(self, message: str, source: Source | None = None) -> None:
        self.message = message
        self.source = source or Source()
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = str(self.source)
        return f"{self.message}（{where}）" if where else self.message


class CorpusError(HuiqiError):
    exit_code = 3
    http_status = 500
    code = "corpus"


class CorpusIntegrityError(CorpusError):
    code = "corpus_integrity"


class MetadataError(CorpusError):
    code = "metadata"


class SegmentationError(CorpusError):
    code = "segmentation"


class NotFoundError(HuiqiError):
    exit_code = 4
    http_status = 404
    code = "not_found"


class QueryError(HuiqiError):
    exit_code = 2
    http_status = 422
    code = "query"


class RuleError(HuiqiError):
    exit_code = 3
    http_status = 500
    code = "rule"


class ExpressionError(RuleError):
    code = "expression"


class CheckError(HuiqiError):
    exit_code = 5
    code = "check"


@dataclass(frozen=True)
class FieldProblem:
    """One bad field of an input: a dotted path (``events[2].date``) and a Chinese message."""

    field: str
    message: str
    value: object = None


class ProfileError(HuiqiError):
    exit_code = 2
    http_status = 422
    code = "profile"

    def __init__(
        self, message: str, problems: list[FieldProblem] | None = None, source: Source | None = None
    ) -> None:
        self.problems = problems or []
        super().__init__(message, source)

    def __str__(self) -> str:
        head = super().__str__()
        if not self.problems:
            return head
        return head + "\n" + "\n".join(f"  - {p.field}: {p.message}" for p in self.problems)


class EvaluationError(HuiqiError):
    exit_code = 6
    http_status = 500
    code = "evaluation"
