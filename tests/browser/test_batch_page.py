"""批量测算 in a real browser: upload a small spreadsheet, watch it finish, download the result."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from .conftest import shot

FIRMS = (
    "企业编号,企业名称,注册地,制造业企业,纳入亩均评价,已完成绿色化改造,数字化等级,2025年研发经费内部支出\n"
    "F1,宁波甲公司,鄞州区,是,否,是,3,1000000\n"
    "F2,宁波乙公司,火星,是,否,是,3,1000000\n"
    "F3,慈溪丙公司,慈溪市,是,否,是,3,2000000\n"
)
EVENTS = (
    "企业编号,事项类型,日期,级别/类别,对象\n"
    "F1,制造业单项冠军企业,2026-02-01,国家级,\n"
    "F1,first_set,2026-03-01,国内,五轴机床\n"
    "F3,little_giant,2026-02-01,国家级,\n"
)


def test_upload_a_spreadsheet_and_download_the_result(phone: Any, tmp_path: Path) -> None:
    firms, events = tmp_path / "企业.csv", tmp_path / "事项.csv"
    firms.write_text(FIRMS, encoding="utf-8")
    events.write_text(EVENTS, encoding="utf-8")
    phone.goto("/batch")
    with phone.expect_download() as template:
        phone.get_by_role("link", name="下载 Excel 模板").click()
    assert template.value.suggested_filename.endswith(".xlsx")
    phone.locator("input[name=firms]").set_input_files(str(firms))
    phone.locator("input[name=events]").set_input_files(str(events))
    phone.locator("input[name=as_of]").fill("2026-06-30")
    phone.get_by_role("button", name="上传并测算").click()
    phone.wait_for_url(re.compile(r"/batch/[0-9a-f]{12}$"))
    phone.locator(".downloads a").first.wait_for(timeout=60_000)
    assert phone.locator("#job-bar").get_attribute("style") == "width: 100.0%"
    assert phone.locator(".chart svg").count() == 3
    assert "火星" in phone.locator("table.rejected").inner_text()
    shot(phone, "batch-result")
    with phone.expect_download() as download:
        phone.locator(".downloads a", has_text="xlsx").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    book = load_workbook(saved)
    assert book.sheetnames[0] == "汇总"
    titles = [row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True)]
    assert any("若干意见" in str(t) for t in titles)


def test_an_oversized_upload_says_so_in_chinese(phone: Any, tmp_path: Path) -> None:
    big = tmp_path / "big.csv"
    big.write_text(FIRMS + "F9,x,鄞州区,是,否,是,3,1\n" * 150_000, encoding="utf-8")  # > 2 MB limit
    phone.goto("/batch")
    phone.locator("input[name=firms]").set_input_files(str(big))
    phone.get_by_role("button", name="上传并测算").click()
    errors = phone.locator("#form-errors")
    errors.wait_for()
    assert "文件过大" in errors.inner_text()
    shot(phone, "batch-too-large")
