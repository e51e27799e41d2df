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
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".huiqi-installed"
EXTRAS = "dev"


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


def task_run(argv: list[str]) -> int:
    """The main job: the calculator on the bundled demo firm."""
    ensure_venv()
    return _sh(BIN / "huiqi", "demo", *argv, check=False)


def task_lint(argv: list[str]) -> int:
    ensure_venv()
    rc = _sh(BIN / "ruff", "check", ".", check=False)
    rc |= _sh(BIN / "ruff", "format", "--check", "src", "tests", check=False)
    rc |= _sh(BIN / "mypy", check=False)
    return rc


def task_test(argv: list[str]) -> int:
    """Everything CI runs: lint, types, the whole test suite, the rule checker."""
    ensure_venv()
    rc = task_lint([])
    rc |= _sh(BIN / "huiqi", "check", check=False)
    rc |= _sh(PY, "-m", "pytest", *argv, check=False)
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
