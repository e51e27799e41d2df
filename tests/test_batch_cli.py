"""``huiqi batch`` and ``huiqi synth`` through the CLI: Chinese headers, bad rows reported and skipped,
outputs in every format with formula cells escaped."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow.parquet as pq
from typer.testing import CliRunner

from huiqi.cli import app
from huiqi.vocab.credit_code import complete

runner = CliRunner()
GOOD = complete("91330200MA2H77001")


def write_inputs(tmp: Path) -> tuple[Path, Path]:
    firms = tmp / "企业.csv"
    firms.write_text(
        "企业编号,企业名称,统一社会信用代码,注册地,制造业企业,数字化等级,已完成绿色化改造,纳入亩均评价,2025年研发经费内部支出\n"
        f'A1,=HYPERLINK("x"),{GOOD},鄞州区,是,3,是,否,1000000\n'
        f"A2,坏代码企业,91330200MA2H770010,鄞州区,是,3,是,否,1000000\n"
        f"A3,外地企业,{complete('91330200MA2H77003')},杭州市,是,3,是,否,1000000\n"
        f"A4,负数企业,{complete('91330200MA2H77004')},海曙区,是,3,是,否,-5\n",
        encoding="utf-8-sig",
    )
    events = tmp / "事项.csv"
    events.write_text(
        "企业编号,事项类型,日期,级别/类别\n"
        "A1,制造业单项冠军企业,2025-11-20,国家级\n"
        "A1,little_giant,2025-12-01,国家级\n"
        "A1,彩票中奖,2025-12-01,\n"
        "A9,little_giant,2025-12-01,国家级\n",
        encoding="utf-8",
    )
    return firms, events


def test_batch_reports_bad_rows_and_goes_on(tmp_path: Path) -> None:
    firms, events = write_inputs(tmp_path)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        ["batch", str(firms), "--events", str(events), "--as-of", "2026-06-30", "-o", str(out), "--summary"],
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    text = result.stdout
    assert "企业 1 家" in text and "未通过校验的行：5 行" in text
    assert "统一社会信用代码无效" in text and "注册地不在可选范围内" in text and "未知的事项类型" in text
    assert "第 3 行" in text  # the spreadsheet row of the first rejected firm (A2)
    assert "按文件" in text and "按责任部门" in text
    awards = pq.read_table(out / "awards.parquet").to_pylist()
    assert [(a["rule_id"], a["amount_yuan"], a["status"]) for a in awards] == [
        ("nb-2025-35/11/champion", 2_000_000, "paid"),
        ("nb-2025-35/11/little_giant", 500_000, "set_aside"),
    ]
    rejected = pq.read_table(out / "rejected.parquet").to_pylist()
    assert {(r["table"], r["row"]) for r in rejected} >= {
        ("企业", 3),
        ("企业", 4),
        ("企业", 5),
        ("事项", 4),
        ("事项", 5),
    }


def test_batch_writes_an_excel_workbook_with_escaped_cells(tmp_path: Path) -> None:
    firms, events = write_inputs(tmp_path)
    result = runner.invoke(
        app,
        [
            "batch",
            str(firms),
            "--events",
            str(events),
            "--as-of",
            "2026-06-30",
            "-o",
            str(tmp_path / "x"),
            "-f",
            "xlsx",
        ],
    )
    assert result.exit_code == 0, result.stderr
    book = openpyxl.load_workbook(tmp_path / "x" / "huiqi-batch.xlsx")
    assert book.sheetnames[0] == "汇总" and "奖补明细" in book.sheetnames and "未通过校验" in book.sheetnames
    cells = [c.value for row in book["未通过校验"].iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)
    assert any(isinstance(v, str) and v.startswith("'=") for v in cells) or "=HYPERLINK" not in str(cells)


def test_batch_bad_options(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["batch", str(tmp_path / "none.csv")])
    assert missing.exit_code != 0 and "找不到文件" in missing.stderr
    firms, _ = write_inputs(tmp_path)
    wrong = runner.invoke(app, ["batch", str(firms), "-f", "pdf"])
    assert wrong.exit_code != 0 and "--format" in wrong.stderr


def test_synth_then_batch(tmp_path: Path) -> None:
    made = runner.invoke(app, ["synth", "--firms", "2000", "-o", str(tmp_path / "pop"), "--seed", "7"])
    assert made.exit_code == 0, made.stderr
    ran = runner.invoke(
        app,
        [
            "batch",
            str(tmp_path / "pop" / "firms.parquet"),
            "--events",
            str(tmp_path / "pop" / "events.parquet"),
            "--as-of",
            "2026-12-31",
            "--include-drafts",
            "-o",
            str(tmp_path / "res"),
            "-f",
            "csv",
        ],
    )
    assert ran.exit_code == 0, ran.stderr
    assert (tmp_path / "res" / "awards.csv").exists() and (tmp_path / "res" / "by_document.csv").exists()
    assert "企业 2,000 家" in ran.stdout
