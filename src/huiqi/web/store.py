"""Shared calculations, kept under a content id in a SQLite file of the data directory.

The id is a hash of the request, so the same profile always gets the same link; the page recomputes the
result, so a shared link shows what the rules in force say today.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path

from huiqi.errors import NotFoundError
from huiqi.web.schemas import CalcRequest

_SCHEMA = "CREATE TABLE IF NOT EXISTS shares (id TEXT PRIMARY KEY, body TEXT NOT NULL, created TEXT NOT NULL)"


class ShareStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=10)
        db.execute(_SCHEMA)
        return db

    def put(self, request: CalcRequest) -> str:
        body = json.dumps(request.model_dump(mode="json"), ensure_ascii=False, sort_keys=True)
        key = hashlib.sha256(body.encode()).hexdigest()[:16]
        with closing(self._connect()) as db, db:
            db.execute(
                "INSERT OR IGNORE INTO shares VALUES (?, ?, ?)",
                (key, body, dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
            )
        return key

    def get(self, key: str) -> CalcRequest:
        with closing(self._connect()) as db:
            row = db.execute("SELECT body FROM shares WHERE id = ?", (key,)).fetchone()
        if row is None:
            raise NotFoundError(f"没有编号为“{key}”的测算结果（链接可能有误）")
        return CalcRequest.model_validate_json(row[0])
