"""The Excel template officials fill in: sheets 企业 and 事项 (Chinese headers, a description row, drop-down
lists, one example row each), 说明 (how to fill it in, every event type) and a hidden 选项 (the lists)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

from huiqi.tabular.columns import Column, event_columns, firm_columns
from huiqi.tabular.read import DESCRIPTION_MARK, EXAMPLE_MARK
from huiqi.vocab.catalogue import TYPE_LABELS, Vocabulary
from huiqi.vocab.credit_code import complete

LAST_ROW = 1_048_576
EXAMPLE_ID = f"{EXAMPLE_MARK}001"
HEADER_FILL, NOTE_FILL, EXAMPLE_FILL = "DDEBF7", "F2F2F2", "FFF2CC"

# The example firm (the README's 宁波甬兴精密机械有限公司) and its example event; other columns by type.
EXAMPLE_FIRM: dict[str, Any] = {
    "firm_id": EXAMPLE_ID,
    "name": "宁波甬兴精密机械有限公司（示例）",
    "credit_code": complete("91330212MA2H12345"),
    "region": "鄞州区",
    "industry": "通用设备制造业",
    "manufacturing": "是",
    "above_scale": "是",
    "sme": "是",
    "in_mu_jun_evaluation": "是",
    "digital_level": 3,
    "green_transformation": "是",
    "revenue": 86_000_000,
    "sales": 84_500_000,
    "industrial_sales": 84_500_000,
    "rd_internal": 3_200_000,
    "rd_internal_growth": 0.12,
    "mu_jun_grade": "B",
}
EXAMPLE_EVENT: dict[str, Any] = {
    "firm_id": EXAMPLE_ID,
    "type": "制造业单项冠军企业",
    "date": dt.date(2025, 11, 20),
    "level": "国家级",
    "subject": "五轴数控机床",
    "first_time": "是",
}

INSTRUCTIONS = (
    "填写说明",
    "1. “企业”表每行一家企业，“事项”表每行一个事项（入选、认定、获批、立项等）；两表用“企业编号”关联。",
    "2. 第2行（灰色，以“【填写说明】”开头）是各列的说明，第3行（黄色，企业编号以“示例”开头）是示例；"
    "读取时这两行会被跳过，可以保留，也可以删除。",
    "3. 是/否 类字段填“是”或“否”（也接受 true/false、1/0）；日期填 YYYY-MM-DD，如 2025-11-20，或直接用日期单元格。",
    "4. 金额一律以“元”为单位（不是万元），只填数字（可带千分位逗号）。",
    "5. 年度数据的列名为“年份+年+名称”，如“2025年营业收入”；需要其他年份时照此增加列即可（如“2023年营业收入”）。",
    "6. 不知道的内容留空：视为缺失，结果会提示“需补充信息”，不会当作“否”或 0"
    "（说明中注明“留空视为否”的几项除外，如初创型企业、列入严重失信主体名单）。",
    "7. 事项类型、级别/类别、注册地等可从下拉列表中选择；事项类型也可填下表中的英文名称。",
    "8. 列的顺序可以调整，列名也可以用英文名称（如 credit_code、rd_internal_2025）；不认识的列名会报错并指出。",
    "9. 也可另存为 CSV（UTF-8 或 GBK 编码均可）后提交，列名和填法相同。",
)


def _description(column: Column) -> str:
    kind = TYPE_LABELS.get(column.type, column.type)
    if column.unit and column.type != "money":
        kind += f"，单位：{column.unit}"
    if column.values and column.name != "type" and len(column.values) <= 6:
        kind += "：" + "、".join(column.values)
    elif column.values:
        kind += "，从下拉列表选择"
    text = f"{column.description}（{kind}）" if column.description else kind
    text = f"必填；{text}" if column.required else text
    text = f"{text}；留空视为“否”" if column.blank_means_no else text
    return f"{DESCRIPTION_MARK}{text}" if column.name == "firm_id" else text


def _example(column: Column, given: dict[str, Any]) -> Any:
    if column.name in given:
        return given[column.name]
    if column.year is not None and column.fact in given:
        return given[column.fact]
    return "否" if column.type == "bool" else None


def _sheet(
    book: Any, title: str, columns: Sequence[Column], example: dict[str, Any], lists: dict[str, str]
) -> None:
    from openpyxl.comments import Comment  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.worksheet import datavalidation  # type: ignore[import-untyped, unused-ignore]

    sheet = book.create_sheet(title)
    sheet.freeze_panes = "B3"
    sheet.row_dimensions[2].height = 60
    for i, column in enumerate(columns, start=1):
        letter = get_column_letter(i)
        head = sheet.cell(row=1, column=i, value=column.label)
        head.font = Font(bold=True, color="C00000" if column.required else "000000")
        head.fill = PatternFill("solid", fgColor=HEADER_FILL)
        head.comment = Comment(f"字段名：{column.name}", "huiqi")
        note = sheet.cell(row=2, column=i, value=_description(column))
        note.font = Font(size=9, color="595959")
        note.fill = PatternFill("solid", fgColor=NOTE_FILL)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        value = _example(column, example)
        cell = sheet.cell(row=3, column=i, value=value)
        cell.fill = PatternFill("solid", fgColor=EXAMPLE_FILL)
        if column.type == "date":
            cell.number_format = "yyyy-mm-dd"
            sheet.column_dimensions[letter].number_format = "yyyy-mm-dd"
        elif column.type in ("string", "credit_code"):
            sheet.column_dimensions[letter].number_format = "@"
        sheet.column_dimensions[letter].width = min(28, max(10, len(column.label) * 2 + 2))
        cells = f"{letter}3:{letter}{LAST_ROW}"
        validation = _validation(column, lists, datavalidation.DataValidation)
        if validation is not None:
            sheet.add_data_validation(validation)
            validation.add(cells)


def _validation(column: Column, lists: dict[str, str], make: Any) -> Any:
    """A drop-down list (or a number rule) for the column's cells, or None."""
    if column.type == "bool":
        rule = make(type="list", formula1='"是,否"', allow_blank=True)
    elif column.name in lists:
        rule = make(type="list", formula1=lists[column.name], allow_blank=True)
    elif column.values and sum(len(v) + 1 for v in column.values) < 250:
        rule = make(type="list", formula1='"' + ",".join(column.values) + '"', allow_blank=True)
    elif column.type == "integer":
        low = 0 if column.minimum is None else column.minimum
        high = 2**31 - 1 if column.maximum is None else column.maximum
        rule = make(type="whole", operator="between", formula1=str(low), formula2=str(high), allow_blank=True)
    elif column.type in ("money", "decimal"):
        rule = make(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    else:
        return None
    rule.error = f"“{column.label}”的值不在允许范围内"
    rule.errorTitle = "输入有误"
    rule.showErrorMessage = True
    return rule


def _lists(vocab: Vocabulary, events: Sequence[Column]) -> dict[str, tuple[str, list[str]]]:
    """The long drop-down lists, kept on the hidden 选项 sheet: column name → (title, values)."""
    by_name = {c.name: c for c in events}
    return {
        "region": ("注册地", list(vocab.regions)),
        "type": ("事项类型", list(by_name["type"].value_labels)),
        "level": ("级别/类别", list(by_name["level"].values)),
    }


def _list_refs(lists: dict[str, tuple[str, list[str]]]) -> dict[str, str]:
    return {
        name: f"'选项'!${chr(65 + i)}$2:${chr(65 + i)}${len(values) + 1}"
        for i, (name, (_, values)) in enumerate(lists.items())
    }


def _options(book: Any, lists: dict[str, tuple[str, list[str]]]) -> None:
    sheet = book.create_sheet("选项")
    sheet.sheet_state = "hidden"
    for c, (title, values) in enumerate(lists.values(), start=1):
        sheet.cell(row=1, column=c, value=title)
        for r, value in enumerate(values, start=2):
            sheet.cell(row=r, column=c, value=value)


def _guide(book: Any, vocab: Vocabulary) -> None:
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped, unused-ignore]

    sheet = book.create_sheet("说明")
    sheet.column_dimensions["A"].width = 44
    for letter, width in zip("BCDE", (30, 50, 36, 60), strict=True):
        sheet.column_dimensions[letter].width = width
    for r, line in enumerate(INSTRUCTIONS, start=1):
        sheet.cell(row=r, column=1, value=line).font = Font(bold=r == 1, size=14 if r == 1 else 11)
    top = len(INSTRUCTIONS) + 2
    sheet.cell(row=top, column=1, value="事项类型一览").font = Font(bold=True)
    heads = ("中文名称（事项类型）", "英文名称", "级别/类别（可选值）", "需填写的字段", "说明")
    for c, head in enumerate(heads, start=1):
        sheet.cell(row=top + 1, column=c, value=head).font = Font(bold=True)
    fields = vocab.event_field_by_name
    for r, event in enumerate(vocab.events, start=top + 2):
        row = (
            event.label,
            event.name,
            "、".join(event.levels),
            "、".join(fields[f].label for f in event.fields),
            event.description or "",
        )
        for c, value in enumerate(row, start=1):
            sheet.cell(row=r, column=c, value=value).alignment = Alignment(wrap_text=True, vertical="top")


def template_xlsx(vocab: Vocabulary | None = None, years: Sequence[int] = (2024, 2025, 2026)) -> bytes:
    """The XLSX template as bytes (``huiqi.tabular.read_table`` reads it back once filled in); ``vocab``
    defaults to the vocabulary of the corpus in effect."""
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]

    from huiqi.vocab import get_vocabulary

    vocab = vocab or get_vocabulary()
    book = Workbook()
    book.remove(book.active)
    events = event_columns(vocab)
    lists = _lists(vocab, events)
    refs = _list_refs(lists)
    _sheet(book, "企业", firm_columns(vocab, years), EXAMPLE_FIRM, refs)
    _sheet(book, "事项", events, EXAMPLE_EVENT, refs)
    _guide(book, vocab)
    _options(book, lists)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
