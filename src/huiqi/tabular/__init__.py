"""Tables in and out: the batch input schema (firms, events), CSV / Parquet / XLSX, the Excel template.

Firms: ``firm_id`` (企业编号), every firm fact by name (header = its label), per-year figures as
``<name>_<year>`` (header ``<year>年<label>``). Events: ``firm_id``, ``type`` (事项类型), ``date``, ``level``,
``subject``, ``first_time`` and every event field. See ``columns``, ``read``, ``write`` and ``template``.
"""

from huiqi.tabular.cells import safe_cell
from huiqi.tabular.columns import Column, canonical_headers, event_columns, firm_columns
from huiqi.tabular.read import read_table
from huiqi.tabular.template import template_xlsx
from huiqi.tabular.write import write_table, write_workbook

__all__ = [
    "Column",
    "canonical_headers",
    "event_columns",
    "firm_columns",
    "read_table",
    "safe_cell",
    "template_xlsx",
    "write_table",
    "write_workbook",
]
