"""Batch inputs as the database reads them: a Parquet file scanned where it lies, or an Arrow table (from
CSV, XLSX or the caller) cleaned in Arrow and loaded. Either way: canonical column names, text trimmed
(empty → NULL), 统一社会信用代码 upper-cased, event-type labels mapped to names, rows numbered as the user
sees them (``_row``), and the rows whose code fails its check character.

A Parquet file is looked at once before the database reads it: the text columns that checks or rules read
(not free text such as names) are read in Arrow — dictionary-encoded ones by their dictionaries — to find
the columns already clean (read as they are, not trimmed at every reference), to compute the check
character (numpy), and, with the integer columns' statistics, to rule out checks no value can fail."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from huiqi.batch.backend import load
from huiqi.batch.checks import Evidence, Number, allowed, firm_fact
from huiqi.batch.clean import DB_WHITESPACE, bad_code_rows, clean
from huiqi.batch.compile import null
from huiqi.vocab.catalogue import Vocabulary


@dataclass(frozen=True)
class Raw:
    """An input table as the database sees it, the rows whose 统一社会信用代码 is given and invalid (None
    when there are none), and what the file showed about its columns."""

    table: ir.Table
    bad_codes: ir.Table | None = None
    evidence: Evidence = field(default_factory=Evidence)


@dataclass(frozen=True)
class _Text:
    """A text column as read in Arrow: whether cleaning changes any value, whether any value is empty as
    given, whether any is missing once cleaned, and whether every value is among ``options``."""

    changes: bool
    empty: bool
    missing: bool
    within: bool


def _text_state(column: pa.ChunkedArray, upper: bool, options: list[str] | None) -> _Text:
    """Decided by each chunk's dictionary where it has one (a value it lists but no row uses can only make
    the answer more cautious)."""
    changes = empty = missing = False
    within = options is not None
    wanted = pa.array(options or [], pa.string())
    for chunk in column.chunks:
        values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
        cleaned = pc.utf8_trim(values, DB_WHITESPACE)
        if upper:
            cleaned = pc.utf8_upper(cleaned)
        blank = pc.equal(cleaned, "")
        changes = changes or bool(pc.any(pc.not_equal(cleaned, values)).as_py())
        empty = empty or bool(pc.any(pc.equal(values, "")).as_py())
        missing = missing or chunk.null_count > 0 or bool(pc.any(blank).as_py())
        if within:
            outside = pc.and_(pc.invert(blank), pc.invert(pc.is_in(cleaned, value_set=wanted)))
            within = not pc.any(outside).as_py()
    return _Text(changes, empty, missing, within)


def _statistics(file: pq.ParquetFile, index: int) -> tuple[tuple[Number, Number] | None, bool] | None:
    """(smallest and largest value, whether any is null) of an integer-stored column by the statistics of
    every row group; None when some row group has none to go by."""
    low: Number | None = None
    high: Number | None = None
    nulls = False
    for g in range(file.metadata.num_row_groups):
        chunk = file.metadata.row_group(g).column(index)
        stats = chunk.statistics
        if chunk.physical_type not in ("INT32", "INT64") or stats is None or not stats.has_null_count:
            return None
        nulls = nulls or stats.null_count > 0
        if stats.num_values == 0:
            continue  # every value null
        if not stats.has_min_max:
            return None
        low = stats.min if low is None else min(low, stats.min)
        high = stats.max if high is None else max(high, stats.max)
    return (None if low is None or high is None else (low, high)), nulls


def _options(name: str, kind: str, vocab: Vocabulary) -> list[str] | None:
    """The values a text column must be one of (event types by name or label), if any."""
    if kind == "events":
        if name == "type":
            return [*vocab.event_by_name, *(e.label for e in vocab.events)]
        return None
    fact, _ = firm_fact(name, vocab)
    return allowed(fact, vocab.regions) if fact is not None and fact.type == "enum" else None


def _free_text(name: str, kind: str, vocab: Vocabulary) -> bool:
    """A firm's free text (name, address): no check reads it, so it is not looked at in advance."""
    fact, _ = firm_fact(name, vocab) if kind == "firms" else (None, None)
    return fact is not None and fact.type == "string"


def scan_parquet(con: Any, path: Path, kind: str, vocab: Vocabulary, labels: dict[str, str]) -> Raw:
    """A Parquet file read where it lies (no copy through Python), numbered by its own row numbers."""
    from huiqi.tabular.columns import canonical_headers
    from huiqi.tabular.read import columns_for

    file = pq.ParquetFile(path)
    schema = file.schema_arrow
    headers = schema.names
    names = canonical_headers(headers, columns_for(kind, vocab, headers), table=kind)  # type: ignore[arg-type]
    index = {file.metadata.schema.column(i).path: i for i in range(file.metadata.num_columns)}
    text = [h for h in headers if pa.types.is_string(schema.field(h).type)]
    first = file.metadata.row_group(0) if file.metadata.num_row_groups else None
    encoded = [h for h in text if first is not None and first.column(index[h]).has_dictionary_page]
    code = next((h for h in headers if names[h] == "credit_code"), None)
    wanted = [h for h in headers if (h in text and not _free_text(names[h], kind, vocab)) or h == code]
    given = pq.ParquetFile(path, read_dictionary=[h for h in wanted if h in encoded]).read(columns=wanted)
    states = {
        h: _text_state(given[h], names[h] == "credit_code", _options(names[h], kind, vocab))
        for h in wanted
        if h in text
    }
    t = con.read_parquet(str(path), file_row_number=True)
    columns: dict[str, ir.Value] = {"_row": t.file_row_number + 2}  # row 1 of a sheet is its header
    for header in headers:
        columns[names[header]] = _cleaned(t[header], states.get(header), names[header] == "credit_code")
    table = t.select(**columns)
    kind_of = next((h for h in headers if names[h] == "type"), None)
    if kind == "events" and kind_of in given.column_names and labels and _any_in(given[kind_of], labels):
        table = table.mutate(
            type=ibis.cases(*((table.type == k, v) for k, v in labels.items()), else_=table.type)
        )
    bad_codes = _bad_codes(con, kind, given[code].cast(pa.string()), 2) if code is not None else None
    stored = {names[h]: (schema.field(h).type, index.get(h)) for h in headers if h not in text}
    return Raw(
        table, bad_codes, _evidence(file, stored, {names[h]: s for h, s in states.items()}, given, names)
    )


def _cleaned(col: ir.Value, state: _Text | None, upper: bool) -> ir.Value:
    """A column as the checks and the plan read it: text trimmed, empty → NULL — unless Arrow found it clean."""
    state = state or _Text(True, True, True, False)
    if not col.type().is_string() or not (state.changes or state.empty):
        return col
    if not state.changes:
        return col.nullif("")
    trimmed = col.strip()
    col = ibis.cases((trimmed == "", null("string")), else_=trimmed)
    return col.upper() if upper else col


def _evidence(
    file: pq.ParquetFile,
    stored: dict[str, tuple[pa.DataType, int | None]],
    states: dict[str, _Text],
    given: pa.Table,
    names: dict[str, str],
) -> Evidence:
    """What the file shows by column (canonical names): ``stored`` gives each non-text column's type and
    Parquet column index, ``states`` each text column read in Arrow."""
    ranges: dict[str, tuple[Number, Number] | None] = {}
    no_nulls = {name for name, s in states.items() if not s.missing}
    for name, (kind, index) in stored.items():
        stats = _statistics(file, index) if index is not None else None
        if stats is not None and (pa.types.is_integer(kind) or pa.types.is_decimal(kind)):
            ranges[name] = stats[0]
        if stats is not None and not stats[1]:
            no_nulls.add(name)
    within = frozenset(name for name, s in states.items() if s.within)
    ids = next((h for h, n in names.items() if n == "firm_id" and h in given.column_names), None)
    clean_ids = "firm_id" in states and not (states["firm_id"].changes or states["firm_id"].missing)
    distinct = {"firm_id"} if ids is not None and clean_ids and _increasing(given[ids]) else set()
    return Evidence(ranges, within, frozenset(no_nulls), frozenset(distinct))


def _increasing(column: pa.ChunkedArray) -> bool:
    """Whether a text column without nulls is in strictly increasing order, so no value repeats (ids are
    usually written sorted; when they are not, duplicates are looked for in the database)."""
    if pa.types.is_dictionary(column.type) or len(column) < 2:
        return len(column) < 2
    values = column.combine_chunks()
    return bool(pc.all(pc.greater(values.slice(1), values.slice(0, len(values) - 1))).as_py())


def _any_in(column: pa.ChunkedArray, labels: dict[str, str]) -> bool:
    """Whether any (trimmed) value is an event type's label rather than its name."""
    options = pa.array(list(labels), pa.string())
    for chunk in column.chunks:
        values = chunk.dictionary if pa.types.is_dictionary(chunk.type) else chunk
        if pc.any(pc.is_in(pc.utf8_trim(values.cast(pa.string()), DB_WHITESPACE), value_set=options)).as_py():
            return True
    return False


def _bad_codes(con: Any, kind: str, codes: pa.ChunkedArray, first_row: int) -> ir.Table | None:
    """Only the rows whose code fails reach the database: the check is a lookup in a small table."""
    rows = bad_code_rows(codes, first_row)
    return load(con, f"{kind}_bad_codes", pa.table({"_row": rows})) if len(rows) else None


def with_rows(data: pa.Table) -> pa.Table:
    """Number the rows as the user sees them: the spreadsheet row (``huiqi.first_row`` from the reader: 2 below
    a header row, later when a template's description rows were skipped), else 1, 2, 3 …"""
    meta = data.schema.metadata or {}
    first = int(meta.get(b"huiqi.first_row", b"1"))
    return data.append_column("_row", pa.array(range(first, first + data.num_rows), type=pa.int64()))


def load_arrow(con: Any, data: pa.Table, kind: str, labels: dict[str, str]) -> Raw:
    """An Arrow table cleaned in Arrow and loaded (every check is then made row by row)."""
    cleaned = with_rows(clean(data, upper=("credit_code",), labels=labels))
    bad_codes = None
    if "credit_code" in cleaned.column_names:
        first = int(cleaned["_row"][0].as_py()) if cleaned.num_rows else 1
        bad_codes = _bad_codes(con, kind, cleaned["credit_code"].cast(pa.string()), first)
    return Raw(load(con, f"{kind}_raw", cleaned), bad_codes)
