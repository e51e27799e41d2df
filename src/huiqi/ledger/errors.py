"""The ledger's errors (all ``HuiqiError``, so the CLI and the web map them to exit codes and statuses).

LedgerError                  base: the ledger cannot do what was asked (400)
├── LedgerSchemaError        the database is not migrated to the ledger's current version (503)
├── LedgerRefused            a grant or a change refused: cap, budget, duplicate, wrong state (409)
├── ImportFileError          an import file with bad rows: ``problems`` names row and column (422)
├── AuthenticationRequired   no token, or a token that is unknown or revoked (401)
└── Forbidden                a valid token whose role may not do this (403)
"""

from __future__ import annotations

from huiqi.errors import FieldProblem, HuiqiError, Source


class LedgerError(HuiqiError):
    exit_code = 7
    http_status = 400
    code = "ledger"


class LedgerSchemaError(LedgerError):
    http_status = 503
    code = "ledger_schema"


class LedgerBusy(LedgerError):
    http_status = 503
    code = "ledger_busy"


class LedgerRefused(LedgerError):
    exit_code = 9
    http_status = 409
    code = "refused"


class ImportFileError(LedgerError):
    http_status = 422
    code = "import_file"

    def __init__(
        self, message: str, problems: list[FieldProblem] | None = None, source: Source | None = None
    ):
        self.problems = problems or []
        super().__init__(message, source)

    def __str__(self) -> str:
        head = super().__str__()
        shown = self.problems[:50]
        more = f"\n  …… 另有 {len(self.problems) - 50} 处" if len(self.problems) > 50 else ""
        return head + "".join(f"\n  - {p.field}: {p.message}" for p in shown) + more


class AuthenticationRequired(LedgerError):
    exit_code = 8
    http_status = 401
    code = "unauthenticated"


class Forbidden(LedgerError):
    exit_code = 8
    http_status = 403
    code = "forbidden"
