#!/usr/bin/env python3
"""One task file for humans and CI (datasette's habit): ``python3 tasks.py run|test|lint|bench``.

It needs nothing but Python 3.11+: it makes ``.venv`` beside this file on first use, installs huiqi
into it (editable, with the extras the task needs) and reinstalls only when ``pyproject.toml`` changes.
Machine-level needs (Debian's chromium for browser tests, a PostgreSQL role) are prepared by
``prepare_system`` where the machine allows it, and reported plainly where it does not.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".huiqi-installed"
EXTRAS = "dev,spark,pg"


def _sh(*args: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check, env=env).returncode


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this file runs before anything is installed
        sys.exit(f"huiqi needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PY.exists():
        print(f"creating {VENV.relative_to(ROOT)} …", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + EXTRAS.encode()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == want:
        return
    _sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip")
    _sh(PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-e", f".[{EXTRAS}]")
    STAMP.write_text(want)


PG_URL = "postgresql+psycopg://huiqi@127.0.0.1:5432/huiqi_test"
CHROMIUM = "/usr/bin/chromium"


def _have(cmd: str) -> bool:
    return shutil.which(cmd) is not None


def prepare_system() -> dict[str, str]:
    """What the test suite needs beyond Python packages: Debian's chromium (browser tests; never a
    downloaded browser) and a PostgreSQL role and database (ledger tests). Returns environment additions."""
    env: dict[str, str] = {}
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    fonts = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    if (not Path(CHROMIUM).exists() or not fonts.exists()) and is_root and _have("apt-get"):
        print("installing Debian's chromium and a Chinese font for the browser tests …", flush=True)
        quiet = {"DEBIAN_FRONTEND": "noninteractive", **os.environ}
        log = ROOT / ".venv" / "apt.log"
        with log.open("w") as out:
            subprocess.run(["apt-get", "update", "-qq"], check=False, env=quiet, stdout=out, stderr=out)
            done = subprocess.run(
                ["apt-get", "install", "-y", "-qq", "chromium"],
                check=False,
                env=quiet,
                stdout=out,
                stderr=out,
            )
        print(
            f"chromium: {'installed' if done.returncode == 0 else 'NOT installed, see ' + str(log)}",
            flush=True,
        )
    if Path(CHROMIUM).exists():
        env["HUIQI_CHROMIUM"] = CHROMIUM
    if "HUIQI_TEST_DATABASE_URL" in os.environ:
        return env
    if _have("psql"):

        def psql(sql: str, db: str = "postgres") -> int:
            return subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-d",
                    db,
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-qtAc",
                    sql,
                ],
                check=False,
                capture_output=True,
            ).returncode

        if psql("select 1") != 0 and _have("pg_ctlcluster") and is_root:
            versions = sorted(p.name for p in Path("/etc/postgresql").glob("*"))
            if versions:
                subprocess.run(
                    ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False
                )
        psql(
            "DO $$ BEGIN CREATE ROLE huiqi LOGIN CREATEDB; EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )
        if psql("select 1 from pg_database where datname = 'huiqi_test'") == 0:
            subprocess.run(
                [
                    "psql",
                    "-h",
                    "127.0.0.1",
                    "-U",
                    "postgres",
                    "-qc",
                    "CREATE DATABASE huiqi_test OWNER huiqi",
                ],
                check=False,
                capture_output=True,
            )
        if psql("select 1", db="huiqi_test") == 0:
            env["HUIQI_TEST_DATABASE_URL"] = PG_URL
    if "HUIQI_TEST_DATABASE_URL" not in env:
        print("note: no PostgreSQL reachable; ledger tests run on SQLite only", flush=True)
    return env


def task_run(argv: list[str]) -> int:
    """The main job: the web app (政策库, 政策计算器, 批量测算, 兑现台账) on http://127.0.0.1:8000/."""
    ensure_venv()
    print("惠企网页版：在浏览器中打开 http://127.0.0.1:8000/ （按 Ctrl+C 停止）", flush=True)
    try:
        return _sh(BIN / "huiqi", "serve", "--host", "127.0.0.1", "--port", "8000", *argv, check=False)
    except KeyboardInterrupt:
        return 0


def task_lint(argv: list[str]) -> int:
    ensure_venv()
    rc = _sh(BIN / "ruff", "check", ".", check=False)
    rc |= _sh(BIN / "ruff", "format", "--check", "src", "tests", check=False)
    rc |= _sh(BIN / "mypy", check=False)
    return rc


def task_test(argv: list[str]) -> int:
    """Everything CI runs: lint, types, the rule checker, the whole test suite."""
    ensure_venv()
    env = {**os.environ, **prepare_system()}
    if os.environ.get("CI"):
        env["HUIQI_REQUIRE_BROWSER"] = "1"  # in CI a missing chromium fails the browser tests
    rc = task_lint([])
    rc |= _sh(BIN / "huiqi", "check", check=False)
    rc |= _sh(PY, "-m", "pytest", *argv, check=False, env=env)
    return rc


def task_bench(argv: list[str]) -> int:
    ensure_venv()
    return _sh(PY, *(argv or ["scripts/bench_engine.py"]), check=False)


TASKS = {"run": task_run, "test": task_test, "lint": task_lint, "bench": task_bench}


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        print("usage: python3 tasks.py {" + "|".join(TASKS) + "} [args…]", file=sys.stderr)
        return 2
    return TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
