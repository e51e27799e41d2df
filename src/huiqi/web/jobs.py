"""Batch jobs: an upload becomes a job that runs ``huiqi.batch.run_batch`` on a background thread,
reports progress, and leaves its result files in ``<data dir>/jobs/<id>/`` (with ``job.json``, so a
finished job outlives a restart)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import threading
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from huiqi.errors import HuiqiError, NotFoundError
from huiqi.web.charts import charts_of
from huiqi.web.schemas import JobFile, JobView, RejectedRow

log = logging.getLogger("huiqi.web.jobs")
JOB_ID = re.compile(r"^[0-9a-f]{12}$")
EVENT_SHEETS = ("事项", "事项表", "events")


def events_sheet_of(path: Path) -> Path | None:
    """``path`` itself when it is a workbook with an events sheet (the template's 事项), else None."""
    if path.suffix.lower() != ".xlsx":
        return None
    from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]

    try:
        book = load_workbook(path, read_only=True)
    except Exception:  # not a readable workbook: reading the firms sheet will say so
        return None
    try:
        return path if any(name in EVENT_SHEETS for name in book.sheetnames) else None
    finally:
        book.close()


def write_results(result: Any, out: Path) -> list[Path]:
    """The workbook (汇总 first) and every table as CSV, zipped."""
    from huiqi.batch import write_outputs

    paths = write_outputs(result, out, "xlsx")
    csvs = write_outputs(result, out / "csv", "csv")
    bundle = out / "huiqi-batch-csv.zip"
    with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as z:
        for p in csvs:
            z.write(p, p.name)
    return [*paths, bundle]


class JobRunner:
    def __init__(self, root: Path, workers: int = 1, engine: str = "duckdb") -> None:
        self.root = root
        self.engine = engine
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="huiqi-batch")
        self._jobs: dict[str, JobView] = {}
        self._lock = threading.Lock()

    def new(self, *, as_of: dt.date, include_drafts: bool) -> tuple[JobView, Path]:
        key = uuid.uuid4().hex[:12]
        job = JobView(
            id=key,
            status="queued",
            stage="排队中",
            created=dt.datetime.now(dt.UTC).replace(microsecond=0),
            as_of=as_of,
            include_drafts=include_drafts,
            url=f"/batch/{key}",
        )
        folder = self.root / key
        (folder / "input").mkdir(parents=True, exist_ok=True)
        return job, folder

    def discard(self, job: JobView) -> None:
        """Forget a job whose upload was refused (it was never started)."""
        shutil.rmtree(self.root / job.id, ignore_errors=True)

    def start(self, job: JobView, firms: Path, events: Path | None) -> None:
        self._set(job)
        self._save(job)
        self._pool.submit(self._run, job.id, firms, events)

    def get(self, key: str) -> JobView:
        """A job of this process from memory; another server process's job from its ``job.json``."""
        if JOB_ID.match(key):
            with self._lock:
                found = self._jobs.get(key)
            if found is not None:
                return found
            saved = self.root / key / "job.json"
            if saved.is_file():
                return JobView.model_validate_json(saved.read_text(encoding="utf-8"))
        raise NotFoundError(f"没有编号为“{key}”的批量测算任务")

    def recent(self, n: int = 5) -> list[JobView]:
        with self._lock:
            jobs = sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)
        return jobs[:n]

    def file(self, key: str, name: str) -> Path:
        job = self.get(key)
        if name not in {f.name for f in job.files}:
            raise NotFoundError(f"任务 {key} 没有文件“{name}”")
        return self.root / key / "output" / name

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    # ---- inside the worker thread ----

    def _set(self, job: JobView) -> None:
        with self._lock:
            self._jobs[job.id] = job

    def _update(self, key: str, **changes: Any) -> JobView:
        with self._lock:
            job = self._jobs[key].model_copy(update=changes)
            self._jobs[key] = job
        self._save(job)
        return job

    def _save(self, job: JobView) -> None:
        """``job.json`` after every change, so any server process (``--workers``) can report progress."""
        path = self.root / job.id / "job.json"
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(job.model_dump(mode="json"), ensure_ascii=False), encoding="utf-8")
        partial.replace(path)

    def _run(self, key: str, firms: Path, events: Path | None) -> None:
        from huiqi.batch import run_batch

        job = self._update(key, status="running", stage="读取文件", progress=0.01)

        def progress(stage: str, fraction: float) -> None:
            self._update(key, stage=stage, progress=min(0.95, max(0.0, fraction) * 0.9))

        out = self.root / key / "output"
        try:
            result = run_batch(
                firms,
                events or events_sheet_of(firms),
                as_of=job.as_of,
                include_drafts=job.include_drafts,
                engine=self.engine,
                progress=progress,
            )
            self._update(key, stage="写出结果", progress=0.92)
            paths = write_results(result, out)
            rejected = [
                RejectedRow(
                    table=str(getattr(r, "table", "")),
                    row=getattr(r, "row", None),
                    column=getattr(r, "column", None),
                    value=str(getattr(r, "value", "") or ""),
                    message=str(r.message),
                )
                for r in result.rejected
            ]
            self._update(
                key,
                status="done",
                stage="完成",
                progress=1.0,
                counts={str(k): int(v) for k, v in dict(result.counts).items()},
                rejected=rejected[:500],
                files=[
                    JobFile(name=p.name, url=f"/api/batch/{key}/files/{p.name}", size=p.stat().st_size)
                    for p in paths
                ],
                charts=charts_of(result.summary),
            )
        except HuiqiError as exc:
            self._update(key, status="failed", stage="失败", message=str(exc))
        except Exception as exc:  # a bug in a batch must not take the server down; the page says so
            log.exception("batch job %s failed", key)
            self._update(key, status="failed", stage="失败", message=f"测算失败：{type(exc).__name__}")
