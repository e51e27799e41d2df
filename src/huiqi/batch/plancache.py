"""The compiled plan's SQL kept on disk between runs: compiling a plan of a few hundred rules to SQL takes
longer than running it on a small population, and it depends only on what is hashed into its key.

The key covers everything the SQL is made from: huiqi's own code (every module, byte for byte), the versions
of Python, Ibis, sqlglot and the backend, every rule, vocabulary and metadata file of the corpora in effect,
and the run's input columns, years, prior-awards columns and backend. A changed file is a new key, never a
stale plan. The files are safe to delete (the least recently used beyond ``KEEP`` are removed as new ones are
written); ``HUIQI_CACHE_DIR`` moves them, ``HUIQI_CACHE_DIR=off`` turns the cache off. A cache that cannot be
read or written is simply not used."""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from functools import cache
from importlib import metadata
from pathlib import Path

import huiqi

_CORPUS_FILES = ("*.yaml", "*.yml")
KEEP = 64  # plans kept; the least recently used beyond these are removed when a new one is stored


def cache_dir() -> Path | None:
    explicit = os.environ.get("HUIQI_CACHE_DIR")
    if explicit == "off":
        return None
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "huiqi"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "-"


@cache
def _code() -> str:
    """huiqi's modules and the versions of what turns them into SQL."""
    digest = hashlib.sha256()
    for part in (
        huiqi.__version__,
        sys.version,
        *(_version(p) for p in ("ibis-framework", "sqlglot", "duckdb")),
    ):
        digest.update(part.encode() + b"\0")
    package = Path(huiqi.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


@cache
def _corpus(roots: tuple[Path, ...]) -> str:
    """Every rule, vocabulary and metadata file under the corpora's folders."""
    digest = hashlib.sha256()
    for root in roots:
        digest.update(str(root).encode() + b"\0")
        for path in sorted(p for pattern in _CORPUS_FILES for p in root.rglob(pattern)):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def plan_key(roots: tuple[Path, ...], backend: str, inputs: tuple[object, ...]) -> str:
    """The key of one plan: code, corpora, backend (and its version), and the run's inputs (columns, years)."""
    backend_version = _version("pyspark") if backend == "pyspark" else ""
    parts = (_code(), _corpus(roots), backend, backend_version, repr(inputs))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _path(key: str) -> Path | None:
    folder = cache_dir()
    return folder / "plans" / f"{key}.sql" if folder is not None else None


def load(key: str) -> str | None:
    path = _path(key)
    if path is None:
        return None
    try:
        sql = path.read_text(encoding="utf-8")
        os.utime(path)  # recently used: kept when older plans are removed
    except OSError:
        return None
    return sql


def store(key: str, sql: str) -> None:
    """Written to a temporary file and renamed, so a reader never sees half a plan."""
    path = _path(key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as f:
            f.write(sql)
        Path(f.name).replace(path)
        _prune(path.parent)
    except OSError:
        return


def _prune(folder: Path) -> None:
    plans = sorted(folder.glob("*.sql"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in plans[KEEP:]:
        old.unlink(missing_ok=True)
