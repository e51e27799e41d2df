"""Bar charts of a batch summary (by document, department, region) for the page's inline SVG: one bar per
row, stacked 定额 / 最高 / 不低于 (summing bases that mean different things would mislead)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from huiqi.money import wan
from huiqi.web.schemas import Chart, ChartBar

# summary table → (chart title, the column that labels a bar)
CHARTS = {
    "by_document": ("按文件", "document_title"),
    "by_department": ("按责任部门", "department"),
    "by_region": ("按地区", "region"),
}
SEGMENTS = (("exact_yuan", "定额"), ("up_to_yuan", "最高"), ("at_least_yuan", "不低于"))


def records(table: Any) -> list[dict[str, Any]]:
    """Rows of a summary table: a pyarrow Table (or anything with ``to_pylist``) or a list of dicts."""
    if hasattr(table, "to_pylist"):
        return list(table.to_pylist())
    return [dict(r) for r in table]


def _bar(row: dict[str, Any], label: str) -> ChartBar:
    parts = [int(row.get(column) or 0) for column, _ in SEGMENTS]
    text = " · ".join(f"{name} {wan(v)}" for (_, name), v in zip(SEGMENTS, parts, strict=True) if v)
    firms = row.get("firms_reached")
    if firms is not None:
        text = (text + f"（{firms} 家）") if text else f"{firms} 家"
    return ChartBar(
        label=str(row.get(label) or row.get("document_id") or "—"),
        value=sum(parts),
        segments=[float(p) for p in parts],
        text=text or "0",
    )


def charts_of(summary: Mapping[str, Any], limit: int = 12) -> list[Chart]:
    out = []
    for name, (title, label) in CHARTS.items():
        if name not in summary:
            continue
        bars = sorted((_bar(r, label) for r in records(summary[name])), key=lambda b: -b.value)
        if bars:
            out.append(Chart(title=title, unit="万元", bars=bars[:limit]))
    return out
