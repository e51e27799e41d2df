"""The ledger's revisions, oldest first."""
