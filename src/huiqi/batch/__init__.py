"""Batch screening: every firm of a city at once, with exactly the single-firm engine's results.

    run_batch(firms.parquet, events.parquet, as_of=…)       files in (CSV, Parquet, XLSX)
    run_batch_tables(firms_table, events_table, as_of=…)     Arrow tables in

The plan (``plan.py``) runs on embedded DuckDB by default, or on Spark (``engine="spark"``) — the same Ibis
expressions; cumulative caps (``caps.py``) and the summaries (``outputs.py``) are shared."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow as pa

from huiqi.batch import plancache
from huiqi.batch.backend import load, materialize
from huiqi.batch.caps import apply_caps, cap_rules
from huiqi.batch.compile import DEC_ARROW
from huiqi.batch.inputs import Prepared, RowProblem, prepare
from huiqi.batch.outputs import AWARD_COLUMNS, firm_totals, summaries, write_outputs
from huiqi.batch.plan import COUNTING, candidates, load_scope, scope, stacking
from huiqi.corpus import get_corpus
from huiqi.rules.load import get_rulebook
from huiqi.vocab import get_vocabulary

__all__ = ["BatchResult", "RowProblem", "connect", "run_batch", "run_batch_tables", "write_outputs"]

Progress = Callable[[str, float], None]


@dataclass
class BatchResult:
    awards: pa.Table
    firms: pa.Table
    summary: dict[str, pa.Table]
    rejected: list[RowProblem]
    counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)


def connect(engine: str = "duckdb", *, master: str | None = None) -> Any:
    """An Ibis backend: embedded DuckDB, or Spark (local mode, or a cluster by master URL)."""
    if engine == "duckdb":
        return ibis.duckdb.connect()
    if engine == "spark":
        from huiqi.batch.spark import spark_backend

        return spark_backend(master)
    raise ValueError(f"未知的计算引擎：{engine}（可用：duckdb、spark）")


def _prior_table(con: Any, prior: pa.Table | None) -> ir.Table | None:
    if prior is None or prior.num_rows == 0:
        return None
    return load(con, "prior_awards", prior)


def run_batch_tables(
    firms: pa.Table | Path,
    events: pa.Table | Path | None = None,
    *,
    as_of: dt.date,
    include_drafts: bool = False,
    prior: pa.Table | None = None,
    publication_dates: dict[str, dt.date] | None = None,
    engine: str = "duckdb",
    con: Any = None,
    progress: Progress | None = None,
) -> BatchResult:
    note = progress or (lambda _stage, _share: None)
    corpus, vocab, rulebook = get_corpus(), get_vocabulary(), get_rulebook()
    con = con or connect(engine)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    note("校验输入", 0.05)
    prepared: Prepared = prepare(con, firms, events, vocab)
    timings["validate"] = time.perf_counter() - start
    note("匹配规则与计算", 0.25)
    sc = scope(corpus, rulebook, vocab, as_of, include_drafts, publication_dates or {})
    rules, regions = load_scope(con, sc, rulebook, corpus)
    prior_t = _prior_table(con, prior)
    stacked = materialize(con, "stacked", _plan(con, prepared, rules, regions, prior_t, rulebook, vocab))
    timings["plan"] = time.perf_counter() - start - timings["validate"]
    note("累计上限", 0.7)
    stacked = _caps(con, stacked, rulebook, prior)
    note("汇总", 0.85)
    final = stacked.mutate(amount_yuan=stacked.amount.round(0).cast("int64"))
    awards = final.select(**{k: final[v] for k, v in AWARD_COLUMNS.items()})
    awards = awards.order_by(["firm_id", "event_id", "rule_no"]).to_pyarrow()
    timings["caps_and_fetch"] = time.perf_counter() - start - sum(timings.values())
    db = duckdb.connect()  # one connection for every summary
    totals = firm_totals(awards, db)
    summary = summaries(awards, totals, corpus, db)
    db.close()
    timings["summaries"] = time.perf_counter() - start - sum(timings.values())
    counts = {
        "firms": prepared.firm_count,
        "events": prepared.event_count,
        "awards": awards.num_rows,
        "rejected_rows": len({(p.table, p.row) for p in prepared.rejected}),
        "firms_reached": int(totals.filter(pa.compute.greater(totals["lines_counted"], 0)).num_rows),
    }
    note("完成", 1.0)
    return BatchResult(awards, totals, summary, prepared.rejected, counts, timings)


_PLANS: dict[tuple[Any, ...], str] = {}


def _plan(
    con: Any,
    prepared: Prepared,
    rules: ir.Table,
    regions: ir.Table,
    prior: ir.Table | None,
    rulebook: Any,
    vocab: Any,
) -> str:
    """The plan's SQL, compiled once per rulebook, backend, input columns and years (compiling a plan of a
    few hundred rules takes longer than running it on a small population): kept for the process, and on
    disk for the next one (``plancache``)."""
    inputs = (
        tuple(prepared.firms.schema().items()),
        tuple(prepared.events.schema().items()),
        prepared.years,
        prior is not None and tuple(prior.schema().items()),
    )
    key = (id(rulebook), con.name, *inputs)
    if key in _PLANS:
        return _PLANS[key]
    disk_key = plancache.plan_key(tuple(s.root for s in get_corpus().sources), con.name, inputs)
    sql = plancache.load(disk_key)
    if sql is None:
        t = candidates(prepared.firms, prepared.events, rules, regions, rulebook, vocab, prepared.years)
        sql = con.compile(stacking(t, prior))
        plancache.store(disk_key, sql)
    _PLANS[key] = sql
    return sql


def _caps(con: Any, stacked: ir.Table, rulebook: Any, prior: pa.Table | None) -> ir.Table:
    caps = cap_rules(rulebook)
    if not caps:
        return stacked.mutate(capped_by=ibis.null().cast("string"))
    rows = (
        stacked.filter(stacked.rule_id.isin(list(caps)) & stacked.status.isin(COUNTING))
        .select(
            "firm_id",
            "event_id",
            "rule_no",
            "rule_id",
            "doc_id",
            "article",
            "e__type",
            "subject_key",
            "e__date",
            "amount",
            "status",
        )
        .to_pyarrow()
        .to_pylist()
    )
    prior_rows = prior.to_pylist() if prior is not None else []
    updates = load(con, "cap_updates", apply_caps(rows, prior_rows, caps))
    j = stacked.left_join(updates, ["firm_id", "event_id", "rule_no"])
    j = j.mutate(
        amount=ibis.cases((j.capped_by.notnull(), j.cap_amount), else_=j.amount),
        set_aside_by=ibis.cases((j.cap_status == "set_aside", j.capped_by), else_=j.set_aside_by),
        status=j.cap_status.coalesce(j.status),
    )
    return j.drop(*[c for c in j.columns if c.startswith("cap_") or c.endswith("_right")])


def run_batch(
    firms: Path,
    events: Path | None = None,
    *,
    as_of: dt.date,
    include_drafts: bool = False,
    prior: Path | None = None,
    publication_dates: dict[str, dt.date] | None = None,
    engine: str = "duckdb",
    progress: Progress | None = None,
) -> BatchResult:
    """Screen the firms in ``firms`` (and their ``events``) as of a date; files are CSV, Parquet or XLSX with
    the vocabulary's column names or their Chinese labels."""
    from huiqi.tabular import read_table

    vocab = get_vocabulary()
    note = progress or (lambda _stage, _share: None)
    note("读取文件", 0.0)
    scan = engine == "duckdb"  # DuckDB reads Parquet where it lies; everything else goes through Arrow

    def source(path: Path, kind: str) -> Any:
        return path if scan and path.suffix.lower() in (".parquet", ".pq") else read_table(path, kind, vocab)  # type: ignore[arg-type]

    firm_table = source(firms, "firms")
    event_table = source(events, "events") if events is not None else None
    prior_table = read_prior(prior) if prior is not None else None
    return run_batch_tables(
        firm_table,
        event_table,
        as_of=as_of,
        include_drafts=include_drafts,
        prior=prior_table,
        publication_dates=publication_dates,
        engine=engine,
        progress=progress,
    )


def read_prior(path: Path) -> pa.Table:
    """Earlier awards (firm_id, document, article, event, subject, date, amount): Parquet or CSV."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    table = pq.read_table(path) if path.suffix == ".parquet" else pacsv.read_csv(path)
    wanted = {
        "firm_id": pa.string(),
        "document": pa.string(),
        "article": pa.string(),
        "event": pa.string(),
        "subject": pa.string(),
        "date": pa.date32(),
        "amount": DEC_ARROW,
    }
    columns = {
        name: (table[name].cast(kind) if name in table.column_names else pa.nulls(table.num_rows, kind))
        for name, kind in wanted.items()
    }
    return pa.table(columns)
