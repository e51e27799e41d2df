"""Import and export: idempotent (a file twice, an export back in), all or nothing (bad rows, a cap broken,
a process killed half-way), CSV in UTF-8 or GB18030, and XLSX."""

from __future__ import annotations

import csv
import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from huiqi.ledger import service, transfer
from huiqi.ledger.db import Ledger
from huiqi.ledger.errors import ImportFileError
from huiqi.ledger.models import Award, ImportRecord, Role, State, Tranche
from huiqi.ledger.schemas import ImportReport

from .test_ledger_support import BACKENDS, FIRM, audit_count, count, firm_code, make_tokens, open_ledger

HEADER = [
    "统一社会信用代码",
    "企业名称",
    "规则",
    "对象",
    "事项日期",
    "年度",
    "金额（元）",
    "状态",
    "已拨付期数",
    "拨付日期",
]
ROWS = [
    [
        FIRM,
        "宁波甬联精工装备股份有限公司",
        "nb-2020-mfg/22/pinzibiao_certified",
        "",
        "2020-10-01",
        "2020",
        "300000",
        "已拨付",
        "",
        "2020-12-20",
    ],
    [
        FIRM,
        "",
        "nb-2020-mfg/22/pinzibiao_certified_product",
        "伺服压力机",
        "2021-09-15",
        "",
        "10万",
        "已公示",
        "",
        "",
    ],
    [
        FIRM,
        "",
        "nb-2020-mfg/3/industrial_investment",
        "智能冲压装备扩产技改项目",
        "2021-04-20",
        "2021",
        "13000000",
        "已公示",
        "1",
        "2021-07-15",
    ],
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER, encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([header, *rows])
    return buffer.getvalue().encode(encoding)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def ledger(backend: str, tmp_path: Path) -> Iterator[Ledger]:
    with open_ledger(backend, tmp_path) as opened:
        yield opened


@pytest.fixture
def reviewer(ledger: Ledger) -> str:
    return make_tokens(ledger)[Role.reviewer]


def run_import(ledger: Ledger, token: str, data: bytes, name: str = "台账.csv") -> ImportReport:
    parsed = transfer.parse_file(data, name)
    return service.perform(ledger, token, "import", lambda s, a: transfer.import_rows(s, a, parsed))


def snapshot(ledger: Ledger) -> list[tuple[object, ...]]:
    def work(s: object) -> list[tuple[object, ...]]:
        from sqlalchemy import select
        from sqlalchemy.orm import Session

        assert isinstance(s, Session)
        awards = [
            (a.id, a.rule_id, a.subject, a.state, a.amount_yuan)
            for a in s.scalars(select(Award).order_by(Award.id))
        ]
        tranches = [
            (t.award_id, t.seq, t.paid, t.paid_on) for t in s.scalars(select(Tranche).order_by(Tranche.id))
        ]
        return [*awards, *tranches]

    return ledger.run(work)


def test_importing_the_same_file_twice_changes_nothing(ledger: Ledger, reviewer: str) -> None:
    data = csv_bytes(ROWS)
    first = run_import(ledger, reviewer, data)
    assert (first.created, first.updated, first.unchanged, first.already_imported) == (3, 0, 0, False)
    state, audits = snapshot(ledger), audit_count(ledger)
    again = run_import(ledger, reviewer, data)
    assert again.already_imported and again.summary.endswith("台账未作任何更改")
    assert snapshot(ledger) == state and audit_count(ledger) == audits
    view = ledger.run(lambda s: service.firm_view(s, FIRM))
    assert [a.state for a in view.awards] == [State.paid, State.published, State.published]
    assert view.totals["paid_yuan"] == 300_000 + 3_900_000
    assert view.name == "宁波甬联精工装备股份有限公司"


def test_an_export_imports_back_unchanged_and_a_later_file_moves_states_forward(
    ledger: Ledger, reviewer: str
) -> None:
    run_import(ledger, reviewer, csv_bytes(ROWS))
    rows = ledger.run(lambda s: transfer.export_rows(s))
    for data, name in ((transfer.to_csv(rows), "export.csv"), (transfer.to_xlsx(rows), "export.xlsx")):
        report = run_import(ledger, reviewer, data, name)
        assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    later = [r.copy() for r in ROWS]
    later[1][7] = "已拨付"
    later[2][7:10] = ["已拨付", "2", "2023-04-30"]
    report = run_import(ledger, reviewer, csv_bytes(later), "later.csv")
    assert (report.created, report.updated, report.unchanged) == (0, 2, 1)
    view = ledger.run(lambda s: service.firm_view(s, FIRM))
    assert [a.state for a in view.awards] == [State.paid] * 3
    assert view.totals["paid_yuan"] == 13_400_000
    back = [
        r.copy() for r in ROWS
    ]  # moving an award backwards is refused, and nothing of the file is written
    back.append(
        [
            firm_code(5),
            "",
            "nb-2020-mfg/13/green_design_product",
            "产品",
            "2021-05-01",
            "",
            "100000",
            "",
            "",
            "",
        ]
    )
    with pytest.raises(ImportFileError) as refused:
        run_import(ledger, reviewer, csv_bytes(back), "back.csv")
    assert [p.field for p in refused.value.problems] == ["第3行", "第4行"]
    assert "不能改回已公示" in refused.value.problems[0].message
    assert count(ledger, Award) == 3


def test_a_bad_file_names_every_bad_row_and_column_and_writes_nothing(ledger: Ledger, reviewer: str) -> None:
    bad = [
        [
            "91330200MA2K21001A",
            "",
            "nb-2020-mfg/22/pinzibiao_certified",
            "",
            "2020-10-01",
            "",
            "1",
            "",
            "",
            "",
        ],
        [FIRM, "", "nb-2020-mfg/22/nothing", "", "2020-10-01", "", "1", "", "", ""],
        [FIRM, "", "nb-2020-mfg/22/pinzibiao_certified", "", "2020-02-30", "", "1.5", "已发放", "", ""],
        [FIRM, "", "", "", "", "", "", "", "", ""],
        [FIRM, "", "nb-2020-mfg/3/industrial_investment", "", "2021-04-20", "", "100", "已拨付", "1", ""],
    ]
    with pytest.raises(ImportFileError) as refused:
        transfer.parse_file(csv_bytes(bad), "坏.csv")
    problems = [(p.field, p.message) for p in refused.value.problems]
    assert problems == [
        ("第2行", "统一社会信用代码“91330200MA2K21001A”无效：校验位错误：第18位应为 Q"),
        ("第3行", "没有编号为“nb-2020-mfg/22/nothing”的规则（用 huiqi show 文件/条 查看条款的规则）"),
        ("第4行.事项日期", "不是有效日期（YYYY-MM-DD）"),
        ("第4行.金额（元）", "金额“1.5”应为不小于 0 的整数元"),
        ("第4行.状态", "应为 拟兑现、已公示、已拨付、已撤销 之一"),
        ("第5行.规则", "不能为空"),
        ("第5行.事项日期", "不能为空"),
        ("第5行.金额（元）", "不能为空"),
        ("第6行.已拨付期数", "与状态“已拨付”不符（该奖励共 2 期）"),
    ]
    assert str(refused.value).startswith("导入文件有 9 处错误，未导入任何数据")
    with pytest.raises(ImportFileError, match="缺少列：规则"):
        transfer.parse_file(csv_bytes([], header=["统一社会信用代码", "事项日期", "金额（元）"]), "a.csv")
    with pytest.raises(ImportFileError, match="只能导入 CSV 或 XLSX"):
        transfer.parse_file(b"", "a.txt")
    with pytest.raises(ImportFileError, match=r"无法读取文件 坏\.xlsx"):
        transfer.parse_file(b"PK\x03\x04 not really a workbook", "坏.xlsx")
    with pytest.raises(ImportFileError, match="缺少列"):
        transfer.parse_file(b"", "empty.csv")
    assert count(ledger, Award) == 0


def test_a_file_that_breaks_a_cap_is_refused_whole(ledger: Ledger, reviewer: str) -> None:
    rows = [
        [FIRM, "", "nb-2020-mfg/22/pinzibiao_certified", "", "2020-10-01", "", "300000", "", "", ""],
        [
            FIRM,
            "",
            "nb-2020-mfg/22/pinzibiao_certified_product",
            "甲",
            "2021-09-15",
            "",
            "150000",
            "",
            "",
            "",
        ],
        [
            FIRM,
            "",
            "nb-2020-mfg/22/pinzibiao_certified_product",
            "乙",
            "2022-09-15",
            "",
            "150000",
            "",
            "",
            "",
        ],
    ]
    with pytest.raises(ImportFileError) as refused:
        run_import(ledger, reviewer, csv_bytes(rows))
    assert [p.field for p in refused.value.problems] == ["第4行"]
    assert "累计上限" in refused.value.problems[0].message
    assert count(ledger, Award) == 0 and count(ledger, ImportRecord) == 0
    assert audit_count(ledger, action="import", outcome="refused") == 1


def test_gb18030_csv_and_english_headers_are_read(ledger: Ledger, reviewer: str) -> None:
    header = ["credit_code", "rule_id", "subject", "event_date", "amount_yuan", "state"]
    rows = [[FIRM, "nb-2020-mfg/13/green_design_product", "伺服压力机", "2021-11-01", "100000", "拟兑现"]]
    report = run_import(ledger, reviewer, csv_bytes(rows, header=header, encoding="gb18030"))
    assert report.created == 1
    assert ledger.run(lambda s: service.firm_view(s, FIRM)).awards[0].subject == "伺服压力机"


KILLED_IMPORT = """
import pathlib, sys, time
from huiqi.ledger import service, transfer
from huiqi.ledger.db import Ledger

url, token, path, progress = sys.argv[1:5]
ledger = Ledger(url)
parsed = transfer.parse_file(pathlib.Path(path).read_bytes(), pathlib.Path(path).name)

def on_row(n):
    if n == 20:  # rows 1-20 are written (flushed) in the open transaction
        pathlib.Path(progress).write_text("writing")
    if n >= 20:
        time.sleep(0.05)

service.perform(ledger, token, "import", lambda s, a: transfer.import_rows(s, a, parsed, on_row=on_row))
pathlib.Path(progress).write_text("finished")
"""


def test_an_import_killed_half_way_leaves_nothing_and_a_rerun_completes_it(
    ledger: Ledger, reviewer: str, tmp_path: Path
) -> None:
    rows = [
        [
            firm_code(i),
            f"企业{i}",
            "nb-2020-mfg/13/green_design_product",
            f"产品{i}",
            "2021-05-01",
            "",
            "100000",
            "",
            "",
            "",
        ]
        for i in range(120)
    ]
    path = tmp_path / "大文件.csv"
    path.write_bytes(csv_bytes(rows))
    progress = tmp_path / "progress"
    before = audit_count(ledger)
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_IMPORT, ledger.url, reviewer, str(path), str(progress)],
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    try:
        deadline = time.monotonic() + 60
        while not progress.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert progress.exists() and progress.read_text() == "writing", "the import never started writing"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert count(ledger, Award) == 0 and count(ledger, Tranche) == 0 and count(ledger, ImportRecord) == 0
    assert audit_count(ledger) == before  # nothing half-written, not even the audit of the first rows
    report = run_import(ledger, reviewer, path.read_bytes(), path.name)
    assert (report.created, report.rows) == (120, 120)
    assert count(ledger, Award) == 120 and count(ledger, ImportRecord) == 1
    assert run_import(ledger, reviewer, path.read_bytes(), path.name).already_imported
