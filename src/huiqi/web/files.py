"""Uploads: CSV or XLSX only, within ``Settings.upload_limit_bytes``, refused with a Chinese message beyond it.

(Every CSV and XLSX the app offers is written by ``huiqi.batch.write_outputs`` / ``huiqi.tabular``, whose
``safe_cell`` escapes cells that would start a formula; the tests check the downloaded files.)"""

from __future__ import annotations

from pathlib import Path

from fastapi import UploadFile

from huiqi.web.errors import FieldError, WebError

ALLOWED_SUFFIXES = (".csv", ".xlsx")
_CHUNK = 64 * 1024


def megabytes(limit: int) -> str:
    return f"{limit / (1024 * 1024):.3g} MB"


def too_large(limit: int, field: str = "file") -> WebError:
    return WebError(
        f"上传的文件过大：上限为 {megabytes(limit)}，请拆分后分批上传",
        status=413,
        code="too_large",
        fields=[FieldError(field=field, message=f"文件超过 {megabytes(limit)}")],
    )


async def save_upload(upload: UploadFile, target: Path, limit: int, field: str) -> Path:
    """Copy an upload to ``target`` (keeping its suffix), refusing files over ``limit`` bytes or of a
    kind other than CSV/XLSX."""
    name = upload.filename or ""
    suffix = Path(name).suffix.lower()
    if suffix not in ALLOWED_SUFFIXES:
        raise WebError(
            f"不支持的文件类型“{name or '（无文件名）'}”：请上传 CSV 或 Excel（.xlsx）文件",
            status=422,
            code="file_type",
            fields=[FieldError(field=field, message="应为 .csv 或 .xlsx 文件")],
        )
    path = target.with_suffix(suffix)
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with path.open("wb") as out:
        while chunk := await upload.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise too_large(limit, field)
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise WebError(
            f"上传的文件“{name}”是空的",
            status=422,
            code="empty_file",
            fields=[FieldError(field=field, message="文件为空")],
        )
    return path
