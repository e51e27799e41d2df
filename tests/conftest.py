from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from huiqi.corpus import Corpus, get_corpus

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS_DIR = ROOT / "src" / "huiqi" / "corpora" / "ningbo"

# Tests never depend on the user's environment: the bundled corpus, not whatever HUIQI_CORPUS says; and they
# leave nothing behind in it: compiled batch plans go to a directory of this session (subprocesses inherit it).
os.environ.pop("HUIQI_CORPUS", None)
os.environ["HUIQI_CACHE_DIR"] = tempfile.mkdtemp(prefix="huiqi-test-cache-")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from current output")


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    return get_corpus()


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
