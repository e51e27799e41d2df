#!/usr/bin/env python3
"""Benchmark: ``huiqi batch`` end to end, Parquet in → Parquet out, at 10 k, 100 k and 1 M firms.

Not a test (the machine is noisy): run it, copy the table into docs/benchmarks.md.
    .venv/bin/python scripts/bench_batch.py [--sizes 10000 100000 1000000] [--engine duckdb] [--dir /tmp/hb]
Each run is a fresh process (so imports, plan compilation and everything else count), measured with wait4:
wall time and peak resident memory of that process.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def child(cmd: list[str]) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out}\n{err}")
    return wall, usage.ru_maxrss / 1024, len(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/huiqi-bench"))
    parser.add_argument("--as-of", default="2026-12-31")
    args = parser.parse_args()
    print("| firms | events | engine | wall (s) | peak memory (MB) | award rows |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        pop = args.dir / f"pop-{n}"
        if not (pop / "events.parquet").exists():
            child([str(BIN / "huiqi"), "synth", "--firms", str(n), "-o", str(pop)])
        out = args.dir / f"out-{n}-{args.engine}"
        wall, peak, _ = child(
            [
                str(BIN / "huiqi"),
                "batch",
                str(pop / "firms.parquet"),
                "--events",
                str(pop / "events.parquet"),
                "--as-of",
                args.as_of,
                "--include-drafts",
                "--engine",
                args.engine,
                "-o",
                str(out),
                "-f",
                "parquet",
            ]
        )
        import pyarrow.parquet as pq

        events = pq.ParquetFile(pop / "events.parquet").metadata.num_rows
        awards = pq.ParquetFile(out / "awards.parquet").metadata.num_rows
        print(f"| {n:,} | {events:,} | {args.engine} | {wall:.2f} | {peak:,.0f} | {awards:,} |", flush=True)


if __name__ == "__main__":
    main()
