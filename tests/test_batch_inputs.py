"""Batch input validation on typed Parquet: values planted wrong in a synthetic population are each reported
by row and column and set aside, the rest is calculated — the same whether the file is scanned where it lies
(where the file's statistics and dictionaries rule out checks no value can fail) or read into Arrow first."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from huiqi.batch import BatchResult, run_batch, run_batch_tables
from huiqi.batch.clean import bad_code_rows, credit_codes_ok
from huiqi.batch.synth import synthesize
from huiqi.vocab import get_vocabulary
from huiqi.vocab.credit_code import complete, problem

N = 3000
AS_OF = dt.date(2026, 12, 31)


def _set(table: pa.Table, column: str, values: dict[int, Any]) -> pa.Table:
    """``table`` with ``column``'s values at the given row indexes replaced."""
    cells = table[column].to_pylist()
    for i, v in values.items():
        cells[i] = v
    index = table.column_names.index(column)
    return table.set_column(index, column, pa.array(cells, table.schema.field(column).type))


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A population with wrong values planted at known rows (row = index + 2: the header is row 1)."""
    folder = tmp_path_factory.mktemp("planted")
    firms_path, events_path = synthesize(N, folder / "clean", seed=5)
    firms, events = pq.read_table(firms_path), pq.read_table(events_path)
    ids = firms["firm_id"].to_pylist()
    firms = _set(firms, "firm_id", {3: f"  {ids[3]} ", 4: ids[2], 5: None, 6: "  "})
    firms = _set(firms, "region", {10: "杭州市", 11: " 鄞州区 "})
    firms = _set(firms, "digital_level", {12: 7})
    firms = _set(firms, "revenue_2025", {13: -5})
    firms = _set(firms, "mu_jun_grade_2025", {14: "E"})
    code = firms["credit_code"][15].as_py()
    firms = _set(
        firms, "credit_code", {15: code[:17] + ("0" if code[17] != "0" else "1"), 16: " " + code.lower()}
    )
    label = get_vocabulary().event_by_name[events["type"][0].as_py()].label
    events = _set(events, "type", {0: label, 1: "彩票中奖", 2: f" {events['type'][2].as_py()} "})
    events = _set(events, "date", {3: None})
    events = _set(events, "level", {4: "宇宙级"})
    events = _set(events, "firm_id", {5: "NOBODY", 6: ids[10]})
    events = _set(events, "investment", {7: -1})
    paths = folder / "firms.parquet", folder / "events.parquet"
    pq.write_table(firms, paths[0], row_group_size=1000)
    pq.write_table(events, paths[1])
    return paths


def _run(paths: tuple[Path, Path], scan: bool) -> BatchResult:
    if scan:
        return run_batch(paths[0], paths[1], as_of=AS_OF, include_drafts=True)
    first_row = {b"huiqi.first_row": b"2"}
    firms, events = (pq.read_table(p).replace_schema_metadata(first_row) for p in paths)
    return run_batch_tables(firms, events, as_of=AS_OF, include_drafts=True)


def _problems(result: BatchResult) -> list[tuple[str, int, str, str]]:
    return [(p.table, p.row, p.column, p.message) for p in result.rejected]


def test_planted_values_are_reported_by_row_and_column(population: tuple[Path, Path]) -> None:
    result = _run(population, scan=True)
    found = {(t, row, column) for t, row, column, _ in _problems(result)}
    firm_rows = {
        ("企业", 6, "firm_id"),  # repeats row 4's id (row 5's, padded with spaces, is its own once trimmed)
        ("企业", 7, "firm_id"),  # none
        ("企业", 8, "firm_id"),  # only spaces
        ("企业", 12, "region"),
        ("企业", 14, "digital_level"),
        ("企业", 15, "revenue_2025"),
        ("企业", 16, "mu_jun_grade_2025"),
        ("企业", 17, "credit_code"),  # row 18's, lower-case and padded, is valid
    }
    assert {f for f in found if f[0] == "企业"} == firm_rows
    planted = {("事项", 3, "type"), ("事项", 3, "level"), ("事项", 5, "date"), ("事项", 6, "level")}
    planted |= {("事项", 9, "investment")}
    orphans = {("事项", r, "firm_id") for r in _orphan_events(population, {r for _, r, _ in firm_rows})}
    assert ("事项", 7, "firm_id") in orphans and ("事项", 8, "firm_id") in orphans
    assert {f for f in found if f[0] == "事项"} == planted | orphans
    assert result.counts["firms"] == N - len(firm_rows)
    value = {(p.table, p.row, p.column): p.value for p in result.rejected}
    assert value[("企业", 12, "region")] == "杭州市" and value[("企业", 15, "revenue_2025")] == "-5"
    assert value[("事项", 3, "type")] == "彩票中奖" and value[("企业", 6, "firm_id")]


def _orphan_events(paths: tuple[Path, Path], rejected_rows: set[int]) -> set[int]:
    """Rows of the events whose firm id names no firm row that passed."""
    ids = pq.read_table(paths[0])["firm_id"].to_pylist()
    passed = {(f or "").strip() for i, f in enumerate(ids) if i + 2 not in rejected_rows}
    events = pq.read_table(paths[1])["firm_id"].to_pylist()
    return {i + 2 for i, f in enumerate(events) if (f or "").strip() not in passed}


def test_scanned_and_loaded_inputs_agree(population: tuple[Path, Path]) -> None:
    scanned, loaded = _run(population, scan=True), _run(population, scan=False)
    assert _problems(scanned) == _problems(loaded)
    assert scanned.awards.equals(loaded.awards)
    assert scanned.counts == loaded.counts


def test_a_clean_population_needs_no_row_checks(tmp_path: Path) -> None:
    firms, events = synthesize(2000, tmp_path, seed=9)
    result = run_batch(firms, events, as_of=AS_OF, include_drafts=True)
    assert result.rejected == [] and result.counts["firms"] == 2000 and result.awards.num_rows > 0


def test_credit_code_check_matches_the_rule() -> None:
    good = complete("91330200MA2H77001")
    codes = [
        good,
        good.lower(),
        f" {good} ",
        good[:17] + "0",
        "91330200MA2H7700I1",
        good[:10],
        "",
        "   ",
        None,
    ]
    codes += [good[:17] + "中", "9133０200MA2H77001"]
    expected = [None if c is None or not c.strip() else problem(c.strip().upper()) is None for c in codes]
    assert credit_codes_ok(pa.array(codes)).to_pylist() == expected
    chunked = pa.chunked_array([pa.array(codes[:4]), pa.array(codes[4:])])
    assert credit_codes_ok(chunked).to_pylist() == expected
    assert bad_code_rows(pa.array(codes), 2).to_pylist() == [
        i + 2 for i, e in enumerate(expected) if e is False
    ]
    many = pa.array([complete(f"9133020{i:010d}") for i in range(5000)])
    assert pc.all(credit_codes_ok(many)).as_py()


def test_text_is_trimmed_of_what_the_database_trims() -> None:
    """A column found clean in Arrow is read as it is: Arrow must trim exactly what the database would."""
    import ibis

    from huiqi.batch.clean import DB_WHITESPACE

    t = ibis.table({"a": "string"}, name="t")
    sql = str(ibis.to_sql(t.select(b=t.a.strip()), dialect="duckdb"))
    assert f'TRIM("t0"."a", \'{DB_WHITESPACE}\')' in sql
