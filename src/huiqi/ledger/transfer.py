"""Import and export of the ledger as CSV or XLSX (the same columns both ways, so an export imports back).

An import is one transaction: every row is checked first (a bad file names each bad row and column and
writes nothing), then all rows are written and committed together — a process killed half-way leaves the
ledger as it was, and running the import again completes it. It is idempotent: a file already imported
(by sha256) changes nothing, and a row already in the ledger (natural key: firm, rule, subject, event
date) is left as it is or moved forward (拟兑现 → 已公示 → 已拨付, or 已撤销), never duplicated.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import importlib
import io
from collections.abc import Callable, Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from huiqi.errors import FieldProblem, HuiqiError, Source
from huiqi.ledger.access import Actor, record
from huiqi.ledger.budgets import parse_amount
from huiqi.ledger.errors import ImportFileError
from huiqi.ledger.limits import find_rule
from huiqi.ledger.models import Budget, Firm, ImportRecord, State
from huiqi.ledger.schemas import GrantIn, ImportReport
from huiqi.ledger.service import (
    advance,
    candidate,
    find_existing,
    list_awards,
    lock_firms,
    valid_code,
    write_award,
)
from huiqi.money import yuan

COLUMNS = {
    "credit_code": "统一社会信用代码",
    "firm_name": "企业名称",
    "rule_id": "规则",
    "document": "文件",
    "article": "条款",
    "event": "事项",
    "subject": "对象",
    "event_date": "事项日期",
    "year": "年度",
    "amount_yuan": "金额（元）",
    "basis": "依据",
    "state": "状态",
    "paid_tranches": "已拨付期数",
    "paid_on": "拨付日期",
    "note": "说明",
}
REQUIRED = ("credit_code", "rule_id", "event_date", "amount_yuan")
_HEADER = {
    **{v: k for k, v in COLUMNS.items()},
    **{k: k for k in COLUMNS},
    "金额(元)": "amount_yuan",
    "金额": "amount_yuan",
}

Cell = str | int | float | dt.date | dt.datetime | None
T = TypeVar("T")


@dataclass(frozen=True)
class Row:
    line: int
    grant: GrantIn
    state: State
    paid: int
    paid_on: dt.date | None


@dataclass(frozen=True)
class ParsedFile:
    filename: str
    sha256: str
    rows: tuple[Row, ...]


def _records(data: bytes, suffix: str) -> Generator[list[Cell], None, None]:
    if suffix == ".xlsx":
        book = importlib.import_module("openpyxl").load_workbook(
            io.BytesIO(data), read_only=True, data_only=True
        )
        try:
            for values in book.worksheets[0].iter_rows(values_only=True):
                yield [
                    v if isinstance(v, str | int | float | dt.date) or v is None else str(v) for v in values
                ]
        finally:
            book.close()
        return
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ImportFileError("无法识别文件编码（应为 UTF-8 或 GB18030 的 CSV）")
    for values in csv.reader(io.StringIO(text)):
        yield list[Cell](values)


def _text(value: Cell) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return str(value).strip()


def _date(value: Cell) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(_text(value))


def _parse(
    where: str, key: str, cells: dict[str, Cell], parse: Callable[[Cell], T], out: list[FieldProblem]
) -> T | None:
    raw = cells.get(key)
    if not _text(raw):
        return None
    try:
        return parse(raw)
    except ValueError:
        out.append(FieldProblem(f"{where}.{COLUMNS[key]}", "不是有效日期（YYYY-MM-DD）", raw))
    except HuiqiError as exc:
        out.append(FieldProblem(f"{where}.{COLUMNS[key]}", exc.message, raw))
    return None


def _number(value: Cell) -> int:
    return parse_amount(_text(value))


def _row(line: int, cells: dict[str, Cell], out: list[FieldProblem]) -> Row | None:
    where = f"第{line}行"
    before = len(out)
    for key in REQUIRED:
        if not _text(cells.get(key)):
            out.append(FieldProblem(f"{where}.{COLUMNS[key]}", "不能为空"))
    if len(out) > before:
        return None
    event_date = _parse(where, "event_date", cells, _date, out)
    paid_on = _parse(where, "paid_on", cells, _date, out)
    amount = _parse(where, "amount_yuan", cells, _number, out)
    year = _parse(where, "year", cells, _number, out)
    paid_given = _parse(where, "paid_tranches", cells, _number, out)
    state_text = _text(cells.get("state")) or State.paid.value
    if state_text not in tuple(State):
        out.append(FieldProblem(f"{where}.状态", f"应为 {'、'.join(State)} 之一", state_text))
    try:
        code = valid_code(_text(cells.get("credit_code")))
        rule = find_rule(_text(cells.get("rule_id")))
    except HuiqiError as exc:
        out.append(FieldProblem(where, exc.message))
        return None
    derived = {
        "document": rule.id.split("/", 1)[0],
        "article": rule.rule.article,
        "event": rule.rule.trigger.event,
        "basis": rule.rule.amount.basis.value,
    }
    for key, expected in derived.items():
        given = _text(cells.get(key))
        if given and given != expected:
            out.append(
                FieldProblem(f"{where}.{COLUMNS[key]}", f"与规则 {rule.id} 不符（应为 {expected}）", given)
            )
    if len(out) > before or event_date is None or amount is None:
        return None
    state = State(state_text)
    count = len(rule.rule.schedule) or 1
    paid = paid_given if paid_given is not None else (count if state == State.paid else 0)
    if paid > count or (state == State.paid and paid != count) or (state == State.proposed and paid):
        out.append(FieldProblem(f"{where}.已拨付期数", f"与状态“{state}”不符（该奖励共 {count} 期）", paid))
        return None
    grant = GrantIn(
        credit_code=code,
        firm_name=_text(cells.get("firm_name")) or None,
        rule_id=rule.id,
        subject=_text(cells.get("subject")) or None,
        event_date=event_date,
        year=year,
        amount_yuan=amount,
        note=_text(cells.get("note")) or None,
    )
    return Row(line, grant, state, paid, paid_on)


def parse_file(data: bytes, filename: str) -> ParsedFile:
    """Every row of a CSV / XLSX file, validated; ``ImportFileError`` lists every bad row and column."""
    suffix = Path(filename).suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportFileError(f"只能导入 CSV 或 XLSX 文件：{filename}")
    records = _records(data, suffix)
    problems: list[FieldProblem] = []
    rows = []
    try:
        header = [_text(h) for h in next(records, [])]
        keys = [_HEADER.get(h) for h in header]
        missing = [COLUMNS[k] for k in REQUIRED if k not in keys]
        if missing:
            raise ImportFileError(
                f"缺少列：{'、'.join(missing)}（第1行应为列名）", source=Source(file=filename)
            )
        for line, record_ in enumerate(records, start=2):
            if not any(_text(v) for v in record_):
                continue
            cells = {k: v for k, v in zip(keys, record_, strict=False) if k}
            row = _row(line, cells, problems)
            if row:
                rows.append(row)
    except HuiqiError:
        raise
    except Exception as exc:  # a damaged XLSX fails inside openpyxl in many ways
        raise ImportFileError(f"无法读取文件 {filename}：{exc}") from None
    finally:
        records.close()
    if problems:
        raise ImportFileError(
            f"导入文件有 {len(problems)} 处错误，未导入任何数据", problems, Source(file=filename)
        )
    return ParsedFile(filename=Path(filename).name, sha256=hashlib.sha256(data).hexdigest(), rows=tuple(rows))


def import_rows(
    session: Session, actor: Actor, parsed: ParsedFile, *, on_row: Callable[[int], None] | None = None
) -> ImportReport:
    """Write ``parsed`` in the caller's transaction (all or nothing). ``on_row(n)`` after each row."""
    report = ImportReport(filename=parsed.filename, sha256=parsed.sha256, rows=len(parsed.rows))
    names: dict[str, str | None] = {}
    for r in parsed.rows:
        names[r.grant.credit_code] = names.get(r.grant.credit_code) or r.grant.firm_name
    if names:
        lock_firms(session, names)  # firms first, in order, then budgets: as every grant does
    years = sorted({r.grant.year or r.grant.event_date.year for r in parsed.rows})
    list(session.scalars(select(Budget).where(Budget.year.in_(years)).order_by(Budget.id).with_for_update()))
    done = session.scalar(select(ImportRecord).where(ImportRecord.sha256 == parsed.sha256))
    if done is not None:
        return report.model_copy(update={"already_imported": True})
    problems: list[FieldProblem] = []
    for n, row in enumerate(parsed.rows, start=1):
        try:
            c = candidate(row.grant)
            existing = find_existing(session, c)
            if existing is not None and existing.amount_yuan != c.amount_yuan:
                raise ImportFileError(
                    f"金额 {yuan(c.amount_yuan)} 元与台账 #{existing.id} 的 {yuan(existing.amount_yuan)} 元不一致"
                )
            if existing is None:
                write_award(
                    session,
                    actor,
                    c,
                    action="import",
                    note=row.grant.note,
                    firm_name=row.grant.firm_name,
                    state=row.state,
                    paid=row.paid,
                    paid_on=row.paid_on,
                    bulk=True,
                )
                report.created += 1
            elif advance(session, actor, existing, row.state, row.paid, row.paid_on):
                report.updated += 1
            else:
                report.unchanged += 1
        except HuiqiError as exc:
            problems.append(FieldProblem(f"第{row.line}行", exc.message))
        if on_row is not None:
            on_row(n)
    if problems:
        raise ImportFileError(f"导入文件有 {len(problems)} 行不能记入台账，未导入任何数据", problems)
    session.add(
        ImportRecord(
            sha256=parsed.sha256,
            filename=parsed.filename[:255],
            rows=report.rows,
            created=report.created,
            updated=report.updated,
            by=actor.name,
        )
    )
    record(session, actor, "import", detail=report.model_dump())
    return report


def export_rows(session: Session, **filters: object) -> list[dict[str, Cell]]:
    rows: list[dict[str, Cell]] = []
    firms: dict[str, str] = {}
    for a in list_awards(session, **filters):  # type: ignore[arg-type]
        if a.credit_code not in firms:
            firm = session.get(Firm, a.credit_code)
            firms[a.credit_code] = firm.name if firm else ""
        paid = [t for t in a.tranches if t.paid]
        last = max((t.paid_on for t in paid if t.paid_on), default=None)
        rows.append(
            {
                "credit_code": a.credit_code,
                "firm_name": firms[a.credit_code],
                "rule_id": a.rule_id,
                "document": a.document,
                "article": a.article,
                "event": a.event,
                "subject": a.subject,
                "event_date": a.event_date,
                "year": a.year,
                "amount_yuan": a.amount_yuan,
                "basis": a.basis,
                "state": a.state,
                "paid_tranches": len(paid),
                "paid_on": last,
                "note": a.note or "",
            }
        )
    return rows


def to_csv(rows: list[dict[str, Cell]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS.values())
    for row in rows:
        writer.writerow(["" if row[k] is None else _text(row[k]) for k in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(rows: list[dict[str, Cell]]) -> bytes:
    book = importlib.import_module("openpyxl").Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "兑现台账"
    sheet.append(list(COLUMNS.values()))
    for row in rows:
        sheet.append([row[k] if row[k] is not None else None for k in COLUMNS])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
