"""Writing tables: CSV (UTF-8 with BOM, for Excel), Parquet, XLSX (one sheet or several).

Text is escaped with ``safe_cell`` in CSV and XLSX; booleans are written 是/否; dates as YYYY-MM-DD (date
cells in XLSX); numbers stay numbers. Parquet is written as given, canonical column names and all.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa  # type: ignore[import-untyped, unused-ignore]
import pyarrow.compute as pc  # type: ignore[import-untyped, unused-ignore]
import pyarrow.csv as pacsv  # type: ignore[import-untyped, unused-ignore]
import pyarrow.parquet as pq  # type: ignore[import-untyped, unused-ignore]

from huiqi.errors import HuiqiError
from huiqi.tabular.cells import escape_array, safe_cell

BOM = b"\xef\xbb\xbf"
EXCEL_MAX_ROWS = 1_048_576
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


def write_table(table: pa.Table, path: Path, *, chinese_headers: Mapping[str, str] | None = None) -> None:
    """``table`` to ``path`` by its suffix (.csv, .parquet, .xlsx); headers renamed by ``chinese_headers``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".pq"):
        pq.write_table(table, path, compression="zstd")
    elif suffix == ".csv":
        out = _for_text(table, chinese_headers)
        with path.open("wb") as f:
            f.write(BOM)
            pacsv.write_csv(out, f)
    elif suffix == ".xlsx":
        write_workbook({_sheet_name(path.stem) or "数据": table}, path, chinese_headers=chinese_headers)
    else:
        raise HuiqiError(f"不支持的输出格式“{path.suffix}”：请用 .csv、.parquet 或 .xlsx")


def _for_text(table: pa.Table, headers: Mapping[str, str] | None) -> pa.Table:
    """Every column as CSV should show it: text escaped, 是/否 for booleans, dictionaries decoded."""
    columns = []
    for column in table.columns:
        if pa.types.is_dictionary(column.type):
            column = column.cast(column.type.value_type)
        if pa.types.is_boolean(column.type):
            column = pc.if_else(column, "是", "否")
        elif pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = escape_array(column)
        columns.append(column)
    names = [(headers or {}).get(n, n) for n in table.column_names]
    return pa.table(columns, names=names)


def _sheet_name(name: str) -> str:
    return _BAD_SHEET_CHARS.sub("_", name)[:31]


def _python_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)
    if isinstance(value, dt.timedelta):
        return str(value)
    if isinstance(value, list | dict):
        return str(value)
    return value


def _rows(table: pa.Table) -> Iterator[list[Any]]:
    text = _for_text(table, None)
    for batch in text.to_batches(max_chunksize=20_000):
        columns = []
        for column in batch.columns:
            values = column.to_pylist()
            if not (pa.types.is_string(column.type) or pa.types.is_integer(column.type)):
                values = [_python_value(v) for v in values]
            columns.append(values)
        yield from (list(row) for row in zip(*columns, strict=True))


def _width(header: str, table: pa.Table, name: str) -> float:
    sample = table.column(name).slice(0, 50).to_pylist()
    longest = max([len(str(v)) for v in sample if v is not None] + [0])
    wide = sum(2 if ord(ch) > 0x2E80 else 1 for ch in header)
    return float(min(60, max(8, wide + 2, longest + 2)))


def write_workbook(
    sheets: Mapping[str, pa.Table], path: Path, *, chinese_headers: Mapping[str, str] | None = None
) -> None:
    """Several tables as the sheets of one XLSX workbook (openpyxl write-only: fast, little memory)."""
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]

    book = Workbook(write_only=True)
    for title, table in sheets.items():
        if table.num_rows + 1 > EXCEL_MAX_ROWS:
            raise HuiqiError(
                f"工作表“{title}”有 {table.num_rows} 行，超过 Excel 的上限，请改用 CSV 或 Parquet"
            )
        sheet = book.create_sheet(_sheet_name(title))
        sheet.freeze_panes = "A2"
        headers = [(chinese_headers or {}).get(n, n) for n in table.column_names]
        for i, (header, name) in enumerate(zip(headers, table.column_names, strict=True), start=1):
            sheet.column_dimensions[get_column_letter(i)].width = _width(header, table, name)
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=str(safe_cell(header)))
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in _rows(table):
            sheet.append(row)
    if not sheets:
        book.create_sheet("数据")
    book.save(path)
