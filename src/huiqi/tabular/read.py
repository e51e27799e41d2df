"""Reading a firms or events table from CSV, Parquet or XLSX, with canonical column names.

CSV and XLSX columns come back as text (an empty cell is null; XLSX cells are trimmed, CSV cells left as
written; a ``'`` that ``safe_cell`` put before ``=``/``+``/``-``/``@`` is removed) for the batch engine to
validate and cast; Parquet columns come back as stored. CSV may be UTF-8 (with or without BOM) or GBK.
Leading rows whose ``firm_id`` starts with ``【填写说明】`` (the template's description row) or ``示例``
(its example rows) are skipped; the schema metadata ``huiqi.first_row`` gives the spreadsheet row
number of the first row returned (2 for a file with only a header row), so row ``i`` of the table is row
``first_row + i`` of the file. Event ``type`` values given as Chinese labels become names.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from huiqi.errors import FieldProblem, ProfileError, Source
from huiqi.tabular.cells import unescape_array
from huiqi.tabular.columns import (
    TABLE_LABELS,
    Column,
    Kind,
    canonical_headers,
    event_columns,
    firm_columns,
    fold,
    years_in,
)
from huiqi.vocab.catalogue import Vocabulary

DESCRIPTION_MARK = "【填写说明】"
EXAMPLE_MARK = "示例"
SHEET_NAMES: dict[str, tuple[str, ...]] = {
    "firms": ("企业", "企业表", "firms"),
    "events": ("事项", "事项表", "events"),
}
KEY_COLUMNS: dict[str, tuple[str, ...]] = {"firms": ("firm_id",), "events": ("firm_id", "type", "date")}
_EMPTY = "__empty_{}"


def columns_for(kind: Kind, vocab: Vocabulary, headers: Sequence[str] = ()) -> list[Column]:
    """The columns a table of ``kind`` may have (firms: with the years its ``headers`` name)."""
    return firm_columns(vocab, years_in(headers, vocab)) if kind == "firms" else event_columns(vocab)


def read_table(path: Path, kind: Kind, vocab: Vocabulary) -> pa.Table:
    """The firms or events table in ``path`` (.csv, .parquet, .xlsx), columns renamed to canonical names."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        headers, table = _read_csv(path)
    elif suffix in (".parquet", ".pq"):
        table = pq.read_table(path)
        headers = list(table.column_names)
    elif suffix in (".xlsx", ".xlsm"):
        headers, table = _read_xlsx(path, kind)
    else:
        raise ProfileError(
            f"不支持的文件格式“{path.suffix}”：请用 CSV、Parquet 或 XLSX", source=Source(str(path))
        )
    textual = suffix not in (".parquet", ".pq")
    if textual:
        table, headers = _drop_empty_columns(table, headers, path)
    columns = columns_for(kind, vocab, headers)
    try:
        names = canonical_headers(headers, columns, table=kind)
    except ProfileError as exc:
        raise ProfileError(exc.message, exc.problems, Source(str(path))) from None
    table = table.rename_columns([names[h] for h in headers])
    _require(table, columns, kind, path)
    first_row = 2
    if textual:
        table = _clean_text(table)
        table, skipped = _skip_leading_notes(table)
        first_row += skipped
    if kind == "events" and "type" in table.column_names:
        table = _type_names(table, columns)
    meta = {**(table.schema.metadata or {}), b"huiqi.first_row": str(first_row).encode()}
    return table.replace_schema_metadata(meta)


def _require(table: pa.Table, columns: Sequence[Column], kind: str, path: Path) -> None:
    """The columns without which no row can be used; other required facts are checked row by row."""
    missing = [c for c in columns if c.name in KEY_COLUMNS[kind] and c.name not in table.column_names]
    if missing:
        problems = [FieldProblem(c.name, f"缺少必填列“{c.label}”（{c.name}）") for c in missing]
        labels = "、".join(c.label for c in missing)
        raise ProfileError(f"{TABLE_LABELS[kind]}缺少必填列：{labels}", problems, Source(str(path)))


# --------------------------------------------------------------------------------------------- CSV
def _header(path: Path) -> tuple[list[str], str]:
    """The header row and the encoding its bytes suggest: UTF-8 (with or without BOM), else GB18030 (GBK)."""
    with path.open("rb") as f:
        head = f.read(1 << 20)
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the end of the sample is still UTF-8
        encoding = "utf-8" if exc.start >= len(head) - 3 else "gb18030"
    text_encoding = "utf-8-sig" if encoding == "utf-8" else encoding
    with path.open(encoding=text_encoding, newline="", errors="replace") as f:
        return next(csv.reader(f), []), encoding


def _read_csv(path: Path) -> tuple[list[str], pa.Table]:
    headers, encoding = _header(path)
    if not headers:
        raise ProfileError("CSV 文件为空（没有表头行）", source=Source(str(path)))
    names = [h if h.strip() else _EMPTY.format(i) for i, h in enumerate(headers)]
    _no_duplicates(names, path)
    for attempt in (encoding, "gb18030"):
        try:
            return names, pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(encoding=attempt, column_names=names, skip_rows=1),
                parse_options=pacsv.ParseOptions(newlines_in_values=True),
                convert_options=pacsv.ConvertOptions(
                    column_types=dict.fromkeys(names, pa.string()),
                    strings_can_be_null=True,
                    quoted_strings_can_be_null=True,
                    null_values=[""],
                ),
            )
        except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
            if attempt == "utf-8" and "utf8" in str(exc).lower():
                continue  # UTF-8 header, GBK data (Excel's 另存为 CSV on a Chinese Windows)
            raise ProfileError(f"无法读取 CSV：{exc}", source=Source(str(path))) from None
    raise AssertionError("unreachable")


def _no_duplicates(headers: Sequence[str], path: Path) -> None:
    dup = [h for h, count in Counter(headers).items() if count > 1]
    if dup:
        problems = [FieldProblem(h, f"表头“{h}”出现了不止一次", h) for h in dup]
        raise ProfileError(f"表头重复：{'、'.join(dup)}", problems, Source(str(path)))


# -------------------------------------------------------------------------------------------- XLSX
def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def _read_xlsx(path: Path, kind: str) -> tuple[list[str], pa.Table]:
    import openpyxl  # type: ignore[import-untyped, unused-ignore]

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise ProfileError(f"无法打开 Excel 文件：{exc}", source=Source(str(path))) from None
    try:
        wanted = [s for s in book.worksheets if fold(s.title) in {fold(n) for n in SHEET_NAMES[kind]}]
        other = next(k for k in SHEET_NAMES if k != kind)
        sheet = wanted[0] if wanted else book.worksheets[0]
        if not wanted and fold(sheet.title) in {fold(n) for n in SHEET_NAMES[other]}:
            titles = "或".join(f"“{n}”" for n in SHEET_NAMES[kind][:2])
            raise ProfileError(f"工作簿中没有名为{titles}的工作表", source=Source(str(path)))
        rows: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)
        header_row = next(rows, ())
        headers = [_cell_text(v) or "" for v in header_row]
        while headers and not headers[-1].strip():
            headers.pop()
        if not headers:
            raise ProfileError(f"工作表“{sheet.title}”的第一行没有表头", source=Source(str(path)))
        names = [h if h.strip() else _EMPTY.format(i) for i, h in enumerate(headers)]
        _no_duplicates(names, path)
        width = len(names)
        data: list[list[str | None]] = [[] for _ in names]
        for row in rows:
            cells = [_cell_text(v) for v in row[:width]]
            if not any(c is not None and c.strip() for c in cells):
                continue
            if len(row) > width and any(v is not None for v in row[width:]):
                raise ProfileError(f"第 {len(data[0]) + 2} 行有数据超出表头范围", source=Source(str(path)))
            cells += [None] * (width - len(cells))
            for column, cell in zip(data, cells, strict=True):
                column.append(cell)
    finally:
        book.close()
    table = pa.table({n: pa.array(col, type=pa.string()) for n, col in zip(names, data, strict=True)})
    return names, table


# ------------------------------------------------------------------------------------ shared steps
def _drop_empty_columns(table: pa.Table, headers: list[str], path: Path) -> tuple[pa.Table, list[str]]:
    """Columns without a header: dropped when empty, an error when they hold data."""
    keep = []
    for i, name in enumerate(headers):
        if not name.startswith("__empty_"):
            keep.append(name)
            continue
        column = pc.utf8_trim_whitespace(table.column(name))
        if pc.any(pc.not_equal(column, "")).as_py():
            raise ProfileError(f"第 {i + 1} 列有数据但没有表头", source=Source(str(path)))
    return table.select(keep), keep


def _clean_text(table: pa.Table) -> pa.Table:
    """Undo ``safe_cell``'s ``'`` where a column has one (cells are otherwise left as written: the batch
    engine trims them)."""
    columns = []
    for column in table.columns:
        if pc.any(pc.starts_with(column, "'")).as_py():
            column = unescape_array(column)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def _skip_leading_notes(table: pa.Table) -> tuple[pa.Table, int]:
    if "firm_id" not in table.column_names or table.num_rows == 0:
        return table, 0
    ids = table.column("firm_id")
    marked = pc.or_(pc.starts_with(ids, DESCRIPTION_MARK), pc.starts_with(ids, EXAMPLE_MARK))
    note = pc.fill_null(marked, False)
    flags = np.asarray(note.to_numpy(zero_copy_only=False), dtype=bool)
    skipped = int(flags.argmin()) if not flags.all() else len(flags)
    return table.slice(skipped), skipped


def _type_names(table: pa.Table, columns: Sequence[Column]) -> pa.Table:
    """Event ``type`` given as a Chinese label (or a name in any case/width) → the name."""
    column = table.column("type")
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return table
    spec = next(c for c in columns if c.name == "type")
    lookup = {fold(n): n for n in spec.values}
    lookup.update({fold(label): n for label, n in zip(spec.value_labels, spec.values, strict=True)})
    encoded = column.combine_chunks().dictionary_encode() if table.num_rows else None
    if encoded is None:
        return table
    given = encoded.dictionary.to_pylist()
    mapped = pa.array([lookup.get(fold(v), v) if v is not None else None for v in given], type=column.type)
    names = pc.take(mapped, encoded.indices)
    return table.set_column(table.column_names.index("type"), "type", names)
