"""The compiled plan kept on disk: the next process reads it instead of compiling, any change to what the
SQL is made from is a new key, and the cache can be moved or turned off."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

import huiqi.batch
from huiqi.batch import plancache, run_batch_tables
from huiqi.batch.profiles import tables_from_profiles
from huiqi.vocab import get_vocabulary, parse_profile

from .strategies import random_profiles


def _tables(n: int = 50) -> tuple[object, object, object]:
    vocab = get_vocabulary()
    profiles = [(f"p{i:03d}", parse_profile(p, vocab)) for i, p in enumerate(random_profiles(n, seed=4))]
    return tables_from_profiles(profiles, vocab)


def test_a_stored_plan_is_read_not_compiled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(huiqi.batch, "_PLANS", {})
    firms, events, prior = _tables()
    options = {"as_of": dt.date(2026, 12, 31), "include_drafts": True, "prior": prior}
    first = run_batch_tables(firms, events, **options)  # type: ignore[arg-type]
    stored = list((tmp_path / "plans").glob("*.sql"))
    assert len(stored) == 1 and "SELECT" in stored[0].read_text(encoding="utf-8")

    def no_compiling(*_args: object) -> None:
        raise AssertionError("the plan was compiled again")

    monkeypatch.setattr(huiqi.batch, "_PLANS", {})  # a new process, as far as the plan is concerned
    monkeypatch.setattr(huiqi.batch, "candidates", no_compiling)
    again = run_batch_tables(firms, events, **options)  # type: ignore[arg-type]
    assert again.awards.equals(first.awards) and again.firms.equals(first.firms)


def test_the_key_changes_with_what_the_sql_is_made_from(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "rules").mkdir(parents=True)
    rule = corpus / "rules" / "a.yaml"
    rule.write_text("rules: []\n", encoding="utf-8")
    base = plancache.plan_key((corpus,), "duckdb", (("firm_id", "string"),))
    assert base == plancache.plan_key((corpus,), "duckdb", (("firm_id", "string"),))
    assert base != plancache.plan_key((corpus,), "pyspark", (("firm_id", "string"),))
    assert base != plancache.plan_key((corpus,), "duckdb", (("firm_id", "int64"),))
    plancache._corpus.cache_clear()
    rule.write_text("rules: [x]\n", encoding="utf-8")
    try:
        assert base != plancache.plan_key((corpus,), "duckdb", (("firm_id", "string"),))
    finally:
        plancache._corpus.cache_clear()


def test_the_cache_can_be_moved_or_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(tmp_path))
    plancache.store("k", "SELECT 1")
    assert plancache.load("k") == "SELECT 1" and (tmp_path / "plans" / "k.sql").exists()
    monkeypatch.setenv("HUIQI_CACHE_DIR", "off")
    assert plancache.cache_dir() is None and plancache.load("k") is None
    plancache.store("other", "SELECT 2")  # nothing written, nothing raised
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(tmp_path / "file"))
    (tmp_path / "file").write_text("not a folder", encoding="utf-8")
    plancache.store("k", "SELECT 3")  # a cache that cannot be written is not used
    assert plancache.load("k") is None


def test_only_the_recently_used_plans_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUIQI_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(plancache, "KEEP", 3)
    for i in range(3):
        plancache.store(f"k{i}", f"SELECT {i}")
        os.utime(tmp_path / "plans" / f"k{i}.sql", (1000 + i, 1000 + i))
    assert plancache.load("k0") == "SELECT 0"  # used again: now the most recent
    plancache.store("k3", "SELECT 3")
    assert sorted(p.stem for p in (tmp_path / "plans").glob("*.sql")) == ["k0", "k2", "k3"]
