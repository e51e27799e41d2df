"""One place for run-time settings, read from the environment (the web app, the ledger and the CLI share it).

| variable | meaning | default |
|---|---|---|
| HUIQI_DATABASE_URL | the ledger's database (SQLAlchemy URL) | SQLite file in the data directory |
| HUIQI_DATA_DIR | where huiqi keeps its files (ledger, uploads, batch results) | $XDG_DATA_HOME/huiqi or ~/.local/share/huiqi |
| HUIQI_UPLOAD_LIMIT_MB | the largest upload the web app accepts | 20 |
| HUIQI_CORPUS | a corpus folder replacing the installed corpus packages | (entry points) |
| HUIQI_CACHE_DIR | compiled batch plans (safe to delete); `off` to keep none | $XDG_CACHE_HOME/huiqi or ~/.cache/huiqi |
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def data_dir() -> Path:
    explicit = os.environ.get("HUIQI_DATA_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "huiqi"


@dataclass(frozen=True)
class Settings:
    database_url: str
    data_dir: Path
    upload_limit_bytes: int

    @classmethod
    def from_env(cls) -> Settings:
        directory = data_dir()
        url = os.environ.get("HUIQI_DATABASE_URL") or f"sqlite:///{directory / 'huiqi.sqlite3'}"
        limit_mb = float(os.environ.get("HUIQI_UPLOAD_LIMIT_MB", "20"))
        return cls(database_url=url, data_dir=directory, upload_limit_bytes=int(limit_mb * 1024 * 1024))
