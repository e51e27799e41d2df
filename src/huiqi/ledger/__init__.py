"""The award ledger (兑现台账): what each firm was awarded under which rule, its tranches and their
payment, budgets and what is left of them, and an append-only audit trail of who did what.

    ledger = Ledger.from_env()                      # HUIQI_DATABASE_URL, else the web app's SQLite file
    ledger.upgrade()                                # alembic upgrade head (``huiqi ledger migrate``)
    ledger.run(lambda s: prior_awards(s, codes))    # earlier awards per firm, for the engines
    service.perform(ledger, token, "grant", lambda s, actor: service.grant(s, actor, GrantIn(...)))

Modules: ``models`` (tables), ``db`` (engines, transactions, migrations), ``access`` (tokens, roles,
audit), ``limits`` (ceilings, cumulative caps, budgets), ``service`` (grant → publish → pay / revoke),
``budgets``, ``transfer`` (CSV / XLSX import and export), ``bridge`` (the engine reads the ledger),
``web`` (HTTP API and page).
"""

from __future__ import annotations

from huiqi.ledger.bridge import annotate, merge_prior_awards, prior_awards
from huiqi.ledger.db import Ledger
from huiqi.ledger.models import Role, State
from huiqi.ledger.schemas import GrantIn

__all__ = ["GrantIn", "Ledger", "Role", "State", "annotate", "merge_prior_awards", "prior_awards"]
