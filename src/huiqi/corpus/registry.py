"""Corpus packages: where documents (and later rules) come from.

A corpus package registers a ``CorpusSource`` under the ``huiqi.corpora`` entry-point group; huiqi's own
宁波 corpus is registered the same way (pyproject.toml). Nothing scans package names. ``HUIQI_CORPUS`` (a
folder laid out like a corpus package) replaces discovery, for tests and for editing a corpus in place.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from huiqi.errors import CorpusError

ENTRY_POINT_GROUP = "huiqi.corpora"
ENV_VAR = "HUIQI_CORPUS"


@dataclass(frozen=True)
class CorpusSource:
    """A folder with ``documents/`` (text + metadata YAML), ``rules/``, ``examples/`` and ``regions.yaml``."""

    name: str
    label: str
    root: Path

    @property
    def documents_dir(self) -> Path:
        return self.root / "documents"

    @property
    def rules_dir(self) -> Path:
        return self.root / "rules"

    @property
    def examples_dir(self) -> Path:
        return self.root / "examples"


_DISCOVERED: dict[str | None, tuple[CorpusSource, ...]] = {}


def discover() -> tuple[CorpusSource, ...]:
    """Every corpus in effect: ``HUIQI_CORPUS`` if set, else the registered packages (looked up once)."""
    override = os.environ.get(ENV_VAR) or None
    if override not in _DISCOVERED:
        _DISCOVERED[override] = _discover(override)
    return _DISCOVERED[override]


def _discover(override: str | None) -> tuple[CorpusSource, ...]:
    if override:
        root = Path(override)
        if not (root / "documents").is_dir():
            raise CorpusError(f"环境变量 {ENV_VAR} 指向的目录没有 documents/ 子目录：{root}")
        return (CorpusSource(name=root.name, label=root.name, root=root),)
    sources = []
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        source = ep.load()
        if not isinstance(source, CorpusSource):
            raise CorpusError(f"入口点 {ep.name} 没有给出 CorpusSource：{ep.value}")
        sources.append(source)
    if not sources:
        raise CorpusError("没有找到任何政策库（huiqi.corpora 入口点）；请用 pip install -e . 安装 huiqi")
    return tuple(sources)
