"""Alembic migrations of the ledger (``huiqi ledger migrate``; version table ``ledger_alembic_version``)."""
