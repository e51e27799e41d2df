#!/usr/bin/env python3
"""Benchmark: one full evaluation of a firm, in-process, with and without the explanation.

Not a test (the machine is noisy): run it, read the figures, write them into docs/benchmarks.md.
    python3 tasks.py bench            # or: .venv/bin/python scripts/bench_engine.py [--repeat N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import time

from huiqi.corpus import get_corpus
from huiqi.engine import calculate
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file


def profiles() -> list[tuple[str, object]]:
    corpus = get_corpus()
    vocab = get_vocabulary()
    return [(path.stem, parse_profile(read_profile_file(path), vocab)) for path in corpus.example_files()]


def measure(profile: object, explain: bool, repeat: int) -> list[float]:
    as_of = dt.date(2026, 6, 30)
    calculate(profile, as_of, explain=explain)  # type: ignore[arg-type]  # warm-up: caches, imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        calculate(profile, as_of, explain=explain)  # type: ignore[arg-type]
        times.append(time.perf_counter() - start)
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2000)
    args = parser.parse_args()
    print(
        f"# engine benchmark — {platform.python_implementation()} {platform.python_version()}, "
        f"{platform.machine()}, repeat={args.repeat}"
    )
    print("| profile | events | median, no explanation | median, with explanation |")
    print("|---|---|---|---|")
    for name, profile in profiles():
        plain = statistics.median(measure(profile, False, args.repeat)) * 1000
        full = statistics.median(measure(profile, True, max(args.repeat // 4, 50))) * 1000
        print(f"| {name} | {len(profile.events)} | {plain:.3f} ms | {full:.3f} ms |")  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
