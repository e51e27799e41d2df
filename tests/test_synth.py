"""The synthetic 宁波 population (huiqi.batch.synth): reproducible, valid for the vocabulary, calibrated."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from huiqi.batch.synth import RATES, synthesize
from huiqi.vocab import Vocabulary, get_vocabulary, parse_profile
from huiqi.vocab.credit_code import problem

N = 20_000


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return get_vocabulary()


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, pa.Table]:
    firms, events = synthesize(N, tmp_path_factory.mktemp("synth"), seed=7)
    return pq.read_table(firms), pq.read_table(events)


def _share(table: pa.Table, column: str) -> float:
    return float(pc.mean(table.column(column).cast(pa.float64())).as_py())


def test_same_seed_same_files(tmp_path: Path) -> None:
    a = synthesize(3000, tmp_path / "a", seed=11)
    b = synthesize(3000, tmp_path / "b", seed=11)
    c = synthesize(3000, tmp_path / "c", seed=12)
    assert [p.name for p in a] == ["firms.parquet", "events.parquet"]
    assert [p.read_bytes() for p in a] == [p.read_bytes() for p in b]
    assert a[0].read_bytes() != c[0].read_bytes()


def test_schema_types(population: tuple[pa.Table, pa.Table], vocab: Vocabulary) -> None:
    firms, events = population
    kinds = {
        "bool": pa.bool_(),
        "money": pa.int64(),
        "integer": pa.int64(),
        "date": pa.date32(),
        "string": pa.string(),
        "enum": pa.string(),
        "credit_code": pa.string(),
    }
    assert firms.column_names[: 1 + len(vocab.firm)] == ["firm_id", *(f.name for f in vocab.firm)]
    for fact in vocab.firm:
        assert firms.schema.field(fact.name).type == kinds.get(fact.type, firms.schema.field(fact.name).type)
    for year in (2024, 2025, 2026, 2027):
        for fact in vocab.years:
            field = firms.schema.field(f"{fact.name}_{year}")
            if fact.type == "decimal":
                assert pa.types.is_decimal(field.type), field
            else:
                assert field.type == kinds[fact.type], field
    assert events.column_names[:6] == ["firm_id", "type", "date", "level", "subject", "first_time"]
    assert events.column_names[6:] == [f.name for f in vocab.event_fields]
    assert events.schema.field("quantity").type == pa.decimal128(18, 2)


def test_firms_pass_the_vocabulary(population: tuple[pa.Table, pa.Table], vocab: Vocabulary) -> None:
    firms, _ = population
    ids = firms.column("firm_id")
    assert pc.count_distinct(ids).as_py() == N and ids.null_count == 0
    codes = firms.column("credit_code").to_pylist()
    assert len(set(codes)) == N
    assert [c for c in codes if problem(c)] == []
    assert set(firms.column("region").to_pylist()) <= set(vocab.regions)
    assert firms.column("name").null_count == 0 and firms.column("region").null_count == 0
    levels = firms.column("digital_level")
    assert pc.min(levels).as_py() >= 0 and pc.max(levels).as_py() <= 5
    for column in firms.column_names:
        if column.split("_")[-1].isdigit() and pa.types.is_integer(firms.schema.field(column).type):
            assert (pc.min(firms.column(column)).as_py() or 0) >= 0, column
        if column.startswith("mu_jun_grade_"):
            assert set(firms.column(column).drop_null().to_pylist()) <= {"A", "B", "C", "D"}


def _profiles(firms: pa.Table, events: pa.Table, vocab: Vocabulary, count: int) -> list[dict[str, Any]]:
    """The first ``count`` firms (and their events) as profiles for ``parse_profile``."""
    rows = firms.slice(0, count).to_pylist()
    wanted = {r["firm_id"] for r in rows}
    by_firm: dict[str, list[dict[str, Any]]] = defaultdict(list)
    picked = events.filter(pc.is_in(events.column("firm_id"), pa.array(sorted(wanted))))
    for event in picked.to_pylist():
        by_firm[event.pop("firm_id")].append({k: v for k, v in event.items() if v is not None})
    profiles = []
    for row in rows:
        firm = {f.name: row[f.name] for f in vocab.firm if row[f.name] is not None}
        years: dict[int, dict[str, Any]] = defaultdict(dict)
        for key, value in row.items():
            name, _, year = key.rpartition("_")
            if year.isdigit() and name in vocab.years_by_name and value is not None:
                years[int(year)][name] = value
        profiles.append({"firm": firm, "years": dict(years), "events": by_firm[row["firm_id"]]})
    return profiles


def test_rows_parse_as_profiles(population: tuple[pa.Table, pa.Table], vocab: Vocabulary) -> None:
    firms, events = population
    for profile in _profiles(firms, events, vocab, 400):
        parse_profile(profile, vocab)  # raises ProfileError naming the bad field


def test_events_pass_the_vocabulary(population: tuple[pa.Table, pa.Table], vocab: Vocabulary) -> None:
    firms, events = population
    assert set(pc.unique(events.column("firm_id")).to_pylist()) <= set(firms.column("firm_id").to_pylist())
    pairs = Counter(zip(events.column("type").to_pylist(), events.column("level").to_pylist(), strict=True))
    for (name, level), _ in pairs.items():
        etype = vocab.event_by_name[name]
        assert (level in etype.levels) if etype.levels else level is None, (name, level)
    types = events.column("type")
    for fact in vocab.event_fields:
        given = pc.unique(types.filter(pc.is_valid(events.column(fact.name)))).to_pylist()
        assert all(fact.name in vocab.event_by_name[t].fields for t in given), fact.name
        if fact.type == "money":
            assert (pc.min(events.column(fact.name)).as_py() or 0) >= 0
    dates = pc.min_max(events.column("date")).as_py()
    assert str(dates["min"]) >= "2020-01-01" and str(dates["max"]) <= "2027-12-31"


def test_every_event_type_appears(population: tuple[pa.Table, pa.Table], vocab: Vocabulary) -> None:
    _, events = population
    assert set(events.column("type").to_pylist()) == {e.name for e in vocab.events}
    assert 0.5 <= events.num_rows / N <= 2.0


def test_population_shape(population: tuple[pa.Table, pa.Table]) -> None:
    firms, _ = population
    assert 0.32 < _share(firms, "manufacturing") < 0.38
    assert 0.01 <= _share(firms, "above_scale") <= 0.02
    assert 0.08 < _share(firms, "startup") < 0.12
    regions = Counter(firms.column("region").to_pylist())
    top = {r for r, _ in regions.most_common(5)}
    assert top == {"鄞州区", "慈溪市", "余姚市", "北仑区", "海曙区"}
    assert 0.002 < regions["宁波以外"] / N < 0.01
    grades = Counter(firms.column("mu_jun_grade_2025").drop_null().to_pylist())
    total = sum(grades.values())
    assert abs(grades["B"] / total - 0.50) < 0.05 and abs(grades["D"] / total - 0.10) < 0.03
    rd = firms.column("rd_internal_2025")
    assert pc.mean(pc.equal(rd, 0).cast(pa.float64())).as_py() > 0.5  # most firms report none


def test_groups_are_exercised(population: tuple[pa.Table, pa.Table]) -> None:
    _, events = population
    rows = events.select(["firm_id", "type", "level", "subject"]).to_pylist()
    levels: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    for r in rows:
        if r["subject"] and r["level"]:
            levels[r["firm_id"], r["type"], r["subject"]].add(r["level"])
    assert sum(len(v) > 1 for v in levels.values()) > 10  # one subject, two levels: 从高不重复 per subject
    first = Counter(events.column("first_time").to_pylist())
    assert first[True] and first[False] and first[None]


@pytest.mark.slow
def test_champions_scale_and_speed(tmp_path: Path) -> None:
    start = time.process_time()  # CPU time: not slowed by whatever else the machine runs
    firms_path, events_path = synthesize(100_000, tmp_path)
    elapsed = time.process_time() - start
    events = pq.read_table(events_path)
    types = events.column("type")
    champions = events.filter(pc.equal(types, "manufacturing_champion"))
    assert champions.num_rows == round(RATES["manufacturing_champion"][0] / 10) == 10  # 104 per million
    assert set(champions.column("level").to_pylist()) == {"国家级"}
    giants = set(events.filter(pc.equal(types, "little_giant")).column("firm_id").to_pylist())
    assert giants & set(champions.column("firm_id").to_pylist())  # 从高不重复: champion and 小巨人 together
    kechuang = events.filter(pc.equal(types, "kechuang_2035"))
    in_2024 = pc.sum(pc.equal(pc.year(kechuang.column("date")), 2024).cast(pa.int64())).as_py()
    assert 27 <= in_2024 <= 33  # 301 a year per million
    assert pq.read_metadata(firms_path).num_rows == 100_000
    assert elapsed < 15, f"100,000 firms took {elapsed:.1f} s of CPU"
