"""The same plan on Spark (local mode) gives exactly DuckDB's results: 2,000 generated firms, every document,
compared row by row and as written Parquet files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from huiqi.batch import run_batch_tables, write_outputs
from huiqi.batch.profiles import tables_from_profiles
from huiqi.vocab import get_vocabulary, parse_profile

from .strategies import random_profiles

pytestmark = [
    pytest.mark.slow,
    # PySpark's own noise (its py4j sockets, its use of pandas' deprecated copy=): not ours to fix
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore::pandas.errors.Pandas4Warning"),
]


def _java() -> bool:
    return shutil.which("java") is not None or bool(os.environ.get("JAVA_HOME"))


@pytest.mark.skipif(not _java() and not os.environ.get("CI"), reason="Spark needs Java 17")
def test_spark_and_duckdb_agree_on_2000_firms(tmp_path: Path) -> None:
    vocab = get_vocabulary()
    profiles = [(f"s{i:05d}", parse_profile(p, vocab)) for i, p in enumerate(random_profiles(2000, seed=42))]
    firms, events, prior = tables_from_profiles(profiles, vocab)
    options = {"as_of": dt.date(2027, 6, 30), "include_drafts": True, "prior": prior}
    duck = run_batch_tables(firms, events, **options)  # type: ignore[arg-type]
    spark = run_batch_tables(firms, events, engine="spark", **options)  # type: ignore[arg-type]
    assert duck.awards.num_rows > 500
    assert spark.awards.equals(duck.awards)
    assert spark.firms.equals(duck.firms)
    for name in duck.summary:
        assert spark.summary[name].equals(duck.summary[name]), name
    written_duck = write_outputs(duck, tmp_path / "duckdb", "parquet")
    written_spark = write_outputs(spark, tmp_path / "spark", "parquet")
    for a, b in zip(written_duck, written_spark, strict=True):
        assert pq.read_table(a).equals(pq.read_table(b)), a.name
