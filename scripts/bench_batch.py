#!/usr/bin/env python3
"""Benchmark: ``huiqi batch`` end to end, Parquet in → Parquet out, at 10 k, 100 k and 1 M firms.

Not a test (the machine is noisy): run it, copy the table into docs/benchmarks.md.
    .venv/bin/python scripts/bench_batch.py [--sizes 10000 100000 1000000] [--engine duckdb] [--dir /tmp/hb]
                                            [--repeat 3] [--cold] [--fresh]
Each run is a fresh process (so imports and everything else count), measured with wait4: wall time and peak
resident memory of that process. The compiled plan is cached on disk between processes (huiqi.batch.plancache):
the first run of a rulebook and input schema compiles it, later ones read it; ``--cold`` gives every run an
empty cache. With ``--repeat`` the table shows the median run (all runs go to stderr). Populations are made once
with ``huiqi synth`` and re-used; ``--fresh`` makes them again (e.g. after a change to the generator).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def child(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
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
    parser.add_argument("--repeat", type=int, default=1, help="runs per size; the table shows the median")
    parser.add_argument("--cold", action="store_true", help="every run with an empty plan cache")
    parser.add_argument("--fresh", action="store_true", help="make the populations again")
    args = parser.parse_args()
    print("| firms | events | engine | wall (s) | peak memory (MB) | award rows |")
    print("|---|---|---|---|---|---|")
    for n in args.sizes:
        pop = args.dir / f"pop-{n}"
        if args.fresh and pop.exists():
            shutil.rmtree(pop)
        if not (pop / "events.parquet").exists():
            child([str(BIN / "huiqi"), "synth", "--firms", str(n), "-o", str(pop)])
        out = args.dir / f"out-{n}-{args.engine}"
        cmd = [
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
        runs = []
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as cache:
                env = {**os.environ, "HUIQI_CACHE_DIR": cache} if args.cold else None
                wall, peak, _ = child(cmd, env)
            runs.append((wall, peak))
            print(f"  {n:,}: {wall:.2f} s, {peak:,.0f} MB", file=sys.stderr, flush=True)
        wall = statistics.median(w for w, _ in runs)
        peak = max(p for _, p in runs)
        import pyarrow.parquet as pq

        events = pq.ParquetFile(pop / "events.parquet").metadata.num_rows
        awards = pq.ParquetFile(out / "awards.parquet").metadata.num_rows
        print(f"| {n:,} | {events:,} | {args.engine} | {wall:.2f} | {peak:,.0f} | {awards:,} |", flush=True)


if __name__ == "__main__":
    main()
