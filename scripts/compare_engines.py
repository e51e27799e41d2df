#!/usr/bin/env python3
"""Run ``huiqi batch`` on one population with DuckDB and with Spark and compare the output files.

    .venv/bin/python scripts/compare_engines.py /tmp/huiqi-bench/pop-10000
Prints, per output file, whether the two are identical (as tables), and exits non-zero when one differs."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq

BIN = Path(sys.executable).parent


def main() -> int:
    pop = Path(sys.argv[1])
    outs = {}
    for engine in ("duckdb", "spark"):
        out = pop.parent / f"{pop.name}-{engine}"
        start = time.perf_counter()
        subprocess.run(
            [
                str(BIN / "huiqi"),
                "batch",
                str(pop / "firms.parquet"),
                "--events",
                str(pop / "events.parquet"),
                "--as-of",
                "2026-12-31",
                "--include-drafts",
                "--engine",
                engine,
                "-o",
                str(out),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        print(f"{engine}: {time.perf_counter() - start:.1f} s")
        outs[engine] = out
    differ = 0
    for path in sorted(outs["duckdb"].glob("*.parquet")):
        same = pq.read_table(path).equals(pq.read_table(outs["spark"] / path.name))
        differ += not same
        print(f"{path.name}: {'identical' if same else 'DIFFERENT'}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
