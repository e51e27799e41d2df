"""Tables in and out (huiqi.tabular): headers, CSV / GBK / Parquet / XLSX, the template, formula escaping."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from huiqi.errors import ProfileError
from huiqi.tabular import (
    canonical_headers,
    event_columns,
    firm_columns,
    read_table,
    safe_cell,
    template_xlsx,
    write_table,
    write_workbook,
)
from huiqi.vocab import Vocabulary, get_vocabulary
from huiqi.vocab.credit_code import complete

CODE = complete("91330212MA2H12345")


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return get_vocabulary()


def _csv(path: Path, rows: list[list[str]], encoding: str = "utf-8-sig") -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def test_columns_follow_the_vocabulary(vocab: Vocabulary) -> None:
    firms = firm_columns(vocab, [2025, 2024])
    names = [c.name for c in firms]
    assert names[0] == "firm_id" and firms[0].label == "企业编号"
    assert names[1 : 1 + len(vocab.firm)] == [f.name for f in vocab.firm]
    assert names.index("rd_internal_2024") < names.index("rd_internal_2025")
    by_name = {c.name: c for c in firms}
    assert by_name["rd_internal_2025"].label == "2025年研发经费内部支出"
    assert by_name["region"].values == vocab.regions
    assert by_name["mu_jun_grade_2025"].values == ("A", "B", "C", "D")
    events = {c.name: c for c in event_columns(vocab)}
    assert list(events)[:6] == ["firm_id", "type", "date", "level", "subject", "first_time"]
    assert events["investment"].label == "实际投入"
    assert "manufacturing_champion" in events["type"].values
    assert "制造业单项冠军企业" in events["type"].value_labels
    assert "国家级" in events["level"].values


def test_headers_by_name_label_and_variants(vocab: Vocabulary) -> None:
    columns = firm_columns(vocab, [2025])
    given = [
        "企业编号",
        " 企业 名称 ",
        "ＣＲＥＤＩＴ_ＣＯＤＥ",  # full-width
        "region",
        "2025年研发经费内部支出",
        "营业收入_2025",
        "sales_2025",
        "2025年亩均评价结果",
        "工业销售收入（2025年）",
        '服务"361"产业的检验检测机构',  # straight quotes for the label's “”
    ]
    mapped = canonical_headers(given, columns)
    assert mapped == {
        "企业编号": "firm_id",
        " 企业 名称 ": "name",
        "ＣＲＥＤＩＴ_ＣＯＤＥ": "credit_code",
        "region": "region",
        "2025年研发经费内部支出": "rd_internal_2025",
        "营业收入_2025": "revenue_2025",
        "sales_2025": "sales_2025",
        "2025年亩均评价结果": "mu_jun_grade_2025",
        "工业销售收入（2025年）": "industrial_sales_2025",
        '服务"361"产业的检验检测机构': "testing_institution",
    }
    events = event_columns(vocab)
    assert canonical_headers(["实际投入（元）", "事项类型"], events) == {
        "实际投入（元）": "investment",
        "事项类型": "type",
    }


def test_unknown_and_duplicate_headers_are_named(vocab: Vocabulary) -> None:
    with pytest.raises(ProfileError) as caught:
        canonical_headers(
            ["企业编号", "企业名称", "营收总额", "注册资本"], firm_columns(vocab, []), table="firms"
        )
    error = caught.value
    assert [p.field for p in error.problems] == ["营收总额", "注册资本"]
    assert "营收总额" in str(error) and "注册资本" in str(error) and "企业表" in error.message
    with pytest.raises(ProfileError) as caught:
        canonical_headers(["企业名称", "name"], firm_columns(vocab, []))
    assert "重复" in caught.value.problems[0].message
    with pytest.raises(ProfileError, match="万元"):  # a unit other than the column's own is not dropped
        canonical_headers(["实际投入（万元）"], event_columns(vocab))


def test_csv_with_chinese_and_canonical_headers(tmp_path: Path, vocab: Vocabulary) -> None:
    chinese = _csv(
        tmp_path / "zh.csv",
        [
            [
                "企业编号",
                "企业名称",
                "统一社会信用代码",
                "注册地",
                "制造业企业",
                "2025年研发经费内部支出",
                "2024年营业收入",
            ],
            ["F1", "宁波甬兴", CODE, "鄞州区", "是", "3200000", ""],
            ["F2", "宁波甬盛", "", "慈溪市", "否", "0", "1,000"],
        ],
    )
    canonical = _csv(
        tmp_path / "en.csv",
        [
            ["firm_id", "name", "credit_code", "region", "manufacturing", "rd_internal_2025", "revenue_2024"],
            ["F1", "宁波甬兴", CODE, "鄞州区", "是", "3200000", ""],
            ["F2", "宁波甬盛", "", "慈溪市", "否", "0", "1,000"],
        ],
        encoding="utf-8",
    )
    a, b = read_table(chinese, "firms", vocab), read_table(canonical, "firms", vocab)
    assert a.equals(b)
    assert a.column_names == [
        "firm_id",
        "name",
        "credit_code",
        "region",
        "manufacturing",
        "rd_internal_2025",
        "revenue_2024",
    ]
    assert all(pa.types.is_string(t) for t in a.schema.types)
    assert a.column("rd_internal_2025").to_pylist() == ["3200000", "0"]
    assert a.column("revenue_2024").to_pylist() == [None, "1,000"]
    assert a.column("credit_code").to_pylist() == [CODE, None]
    assert a.schema.metadata[b"huiqi.first_row"] == b"2"


def test_gbk_csv(tmp_path: Path, vocab: Vocabulary) -> None:
    path = _csv(
        tmp_path / "gbk.csv",
        [
            ["企业编号", "事项类型", "日期", "级别/类别", "对象", "首次", "实际投入"],
            ["F1", "制造业单项冠军企业", "2025-11-20", "国家级", "", "是", ""],
            ["F1", "sme_digital_pilot", "2025-03-01", "", "数字化改造", "否", "1200000"],
        ],
        encoding="gbk",
    )
    table = read_table(path, "events", vocab)
    assert table.column("type").to_pylist() == ["manufacturing_champion", "sme_digital_pilot"]
    assert table.column("subject").to_pylist() == [None, "数字化改造"]
    assert table.column("first_time").to_pylist() == ["是", "否"]
    # ASCII-only header, GBK data: still read
    ascii_head = _csv(
        tmp_path / "gbk2.csv",
        [["firm_id", "type", "date"], ["F1", "制造业单项冠军企业", "2025-11-20"]],
        encoding="gbk",
    )
    assert read_table(ascii_head, "events", vocab).column("type").to_pylist() == ["manufacturing_champion"]


def test_parquet_keeps_types_and_renames(tmp_path: Path, vocab: Vocabulary) -> None:
    table = pa.table(
        {
            "企业编号": ["F1"],
            "type": ["制造业单项冠军企业"],
            "date": [dt.date(2025, 1, 2)],
            "实际投入": pa.array([5], pa.int64()),
        }
    )
    pq.write_table(table, tmp_path / "e.parquet")
    read = read_table(tmp_path / "e.parquet", "events", vocab)
    assert read.column_names == ["firm_id", "type", "date", "investment"]
    assert read.schema.field("date").type == pa.date32()
    assert read.column("type").to_pylist() == ["manufacturing_champion"]


def test_missing_required_column_and_unknown_header_through_read(tmp_path: Path, vocab: Vocabulary) -> None:
    with pytest.raises(ProfileError, match="企业编号"):
        read_table(_csv(tmp_path / "a.csv", [["企业名称", "注册地"], ["x", "鄞州区"]]), "firms", vocab)
    with pytest.raises(ProfileError) as caught:
        read_table(
            _csv(
                tmp_path / "b.csv",
                [["企业编号", "企业名称", "注册地", "法人代表"], ["F1", "x", "鄞州区", "y"]],
            ),
            "firms",
            vocab,
        )
    assert caught.value.problems[0].field == "法人代表" and "法人代表" in str(caught.value)
    assert caught.value.source.file == str(tmp_path / "b.csv")


def test_xlsx_round_trip(tmp_path: Path, vocab: Vocabulary) -> None:
    table = pa.table(
        {
            "firm_id": ["F1", "F2"],
            "name": ["宁波甬兴", '=HYPERLINK("x")'],
            "manufacturing": [True, False],
            "digital_level": pa.array([3, None], pa.int64()),
            "major_accident_date": [dt.date(2024, 5, 6), None],
            "rd_internal_2025": pa.array([Decimal("3200000.50"), Decimal("0")], pa.decimal128(18, 2)),
        }
    )
    path = tmp_path / "firms.xlsx"
    write_table(
        table, path, chinese_headers={"firm_id": "企业编号", "rd_internal_2025": "2025年研发经费内部支出"}
    )
    sheet = openpyxl.load_workbook(path).worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["企业编号", "name"]
    assert sheet["E2"].is_date and sheet["E2"].value.date() == dt.date(2024, 5, 6)
    assert sheet["C2"].value == "是" and sheet["D2"].value == 3
    assert sheet["B3"].value == '\'=HYPERLINK("x")' and sheet["B3"].data_type == "s"
    read = read_table(path, "firms", vocab)
    assert read.column_names == table.column_names
    assert read.to_pylist() == [
        {
            "firm_id": "F1",
            "name": "宁波甬兴",
            "manufacturing": "是",
            "digital_level": "3",
            "major_accident_date": "2024-05-06",
            "rd_internal_2025": "3200000.5",
        },
        {
            "firm_id": "F2",
            "name": '=HYPERLINK("x")',
            "manufacturing": "否",
            "digital_level": None,
            "major_accident_date": None,
            "rd_internal_2025": "0",
        },
    ]


def test_workbook_has_every_sheet(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    write_workbook({"汇总": pa.table({"a": [1]}), "明细": pa.table({"b": ["x", "y"]})}, path)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "明细"]
    assert book["明细"].max_row == 3


def test_safe_cell() -> None:
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("+cmd") == "'+cmd"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-2+3") == "'-2+3"
    assert safe_cell("\t=1") == "'\t=1"
    assert safe_cell("\r=1") == "'\r=1"
    assert safe_cell("-5") == "-5" and safe_cell("+3.2") == "+3.2" and safe_cell("-1e3") == "-1e3"
    assert safe_cell(-5) == -5 and safe_cell(None) is None and safe_cell("宁波") == "宁波"


def test_formula_escaping_in_csv_and_xlsx(tmp_path: Path, vocab: Vocabulary) -> None:
    table = pa.table({"firm_id": ["=1+1", "-5", "@x"], "n": pa.array([-5, 2, 3], pa.int64())})
    write_table(table, tmp_path / "t.csv")
    raw = (tmp_path / "t.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[1].startswith('"\'=1+1"') and lines[1].endswith(",-5")
    assert lines[2].startswith('"-5"') and lines[3].startswith('"\'@x"')
    write_table(table, tmp_path / "t.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "t.xlsx").worksheets[0]
    assert sheet["A2"].value == "'=1+1" and sheet["A2"].data_type == "s"
    assert sheet["B2"].value == -5 and sheet["B2"].data_type == "n"
    assert sheet["A3"].value == "-5" and sheet["A3"].data_type == "s"


def _headers(sheet: Any) -> list[str]:
    return [c.value for c in sheet[1]]


def _rules(sheet: Any) -> dict[str, str]:
    """Header → the formula of the data validation on its column."""
    letters = {c.column_letter: c.value for c in sheet[1]}
    return {
        letters[str(rule.sqref).split(":")[0].rstrip("0123456789")]: rule.formula1
        for rule in sheet.data_validations.dataValidation
    }


def test_template_has_sheets_validations_and_reads_back(tmp_path: Path, vocab: Vocabulary) -> None:
    data = template_xlsx(vocab, years=(2024, 2025))
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["企业", "事项", "说明", "选项"]
    assert book["选项"].sheet_state == "hidden"
    firms, events = book["企业"], book["事项"]
    headers = [c.value for c in firms[1]]
    assert headers[:4] == ["企业编号", "企业名称", "统一社会信用代码", "注册地"]
    assert "2025年研发经费内部支出" in headers and "2026年研发经费内部支出" not in headers
    assert str(firms["A2"].value).startswith("【填写说明】")
    assert str(firms["A3"].value).startswith("示例")

    firm_rules, event_rules = _rules(firms), _rules(events)
    assert firm_rules["注册地"].startswith("'选项'!$A$2")
    assert firm_rules["制造业企业"] == '"是,否"'
    assert firm_rules["2025年亩均评价结果"] == '"A,B,C,D"'
    assert event_rules["事项类型"].startswith("'选项'!$B$2") and event_rules["级别/类别"].startswith(
        "'选项'!$C$2"
    )
    assert event_rules["首次"] == '"是,否"'
    options = book["选项"]
    column = {letter: [c.value for c in options[letter] if c.value is not None][1:] for letter in "ABC"}
    assert column["A"] == list(vocab.regions)
    assert column["B"] == [e.label for e in vocab.events]
    assert set(column["C"]) == {level for e in vocab.events for level in e.levels}
    assert book["说明"]["A1"].value == "填写说明"

    # as downloaded: only the description and example rows, so nothing to read
    blank = tmp_path / "blank.xlsx"
    blank.write_bytes(data)
    assert read_table(blank, "firms", vocab).num_rows == 0
    assert read_table(blank, "events", vocab).num_rows == 0

    # filled in, example rows kept
    firm_row = {
        "企业编号": "F001",
        "企业名称": "宁波甬盛电器有限公司",
        "统一社会信用代码": CODE,
        "注册地": "慈溪市",
        "制造业企业": "是",
        "数字化等级": 2,
        "2025年研发经费内部支出": 1500000,
        "2025年亩均评价结果": "A",
    }
    firms.append([firm_row.get(h) for h in _headers(firms)])
    event_row = {
        "企业编号": "F001",
        "事项类型": "专精特新“小巨人”企业",
        "日期": dt.datetime(2025, 7, 1),
        "级别/类别": "国家级",
        "首次": "是",
    }
    events.append([event_row.get(h) for h in _headers(events)])
    kept = tmp_path / "kept.xlsx"
    book.save(kept)
    firm_table = read_table(kept, "firms", vocab)
    assert firm_table.num_rows == 1 and firm_table.schema.metadata[b"huiqi.first_row"] == b"4"
    row = firm_table.to_pylist()[0]
    assert row["firm_id"] == "F001" and row["region"] == "慈溪市" and row["digital_level"] == "2"
    assert row["rd_internal_2025"] == "1500000" and row["mu_jun_grade_2025"] == "A"
    event = read_table(kept, "events", vocab).to_pylist()[0]
    assert event["type"] == "little_giant" and event["date"] == "2025-07-01" and event["level"] == "国家级"

    # filled in, description and example rows deleted
    firms.delete_rows(2, 2)
    events.delete_rows(2, 2)
    book.save(kept)
    assert read_table(kept, "firms", vocab).schema.metadata[b"huiqi.first_row"] == b"2"
    assert read_table(kept, "events", vocab).column("type").to_pylist() == ["little_giant"]


def test_xlsx_sheet_choice(tmp_path: Path, vocab: Vocabulary) -> None:
    path = tmp_path / "only_firms.xlsx"
    write_workbook({"企业": pa.table({"firm_id": ["F1"], "name": ["x"], "region": ["鄞州区"]})}, path)
    assert read_table(path, "firms", vocab).num_rows == 1
    with pytest.raises(ProfileError, match="事项"):
        read_table(path, "events", vocab)


@pytest.mark.slow
def test_large_csv_reads_quickly(tmp_path: Path, vocab: Vocabulary) -> None:
    n = 200_000
    table = pa.table(
        {
            "firm_id": [f"F{i}" for i in range(n)],
            "name": ["宁波甬兴"] * n,
            "region": ["鄞州区"] * n,
            "rd_internal_2025": pa.array(range(n), pa.int64()),
        }
    )
    write_table(table, tmp_path / "big.csv")
    start = time.process_time()  # CPU time (all threads): not slowed by whatever else the machine runs
    read = read_table(tmp_path / "big.csv", "firms", vocab)
    assert read.num_rows == n and time.process_time() - start < 10
