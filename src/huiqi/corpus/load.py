"""Load the corpus: read each document's metadata and text, prove the text unchanged, segment it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from huiqi import yamlio
from huiqi.corpus.models import Document, DocumentMeta, Passage
from huiqi.corpus.registry import CorpusSource, discover
from huiqi.corpus.segment import segment
from huiqi.errors import CorpusIntegrityError, MetadataError, NotFoundError, Source


class Region(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    kind: str
    parent: str | None = None


@dataclass(frozen=True)
class Corpus:
    sources: tuple[CorpusSource, ...]
    documents: tuple[Document, ...]
    regions: tuple[Region, ...]

    def __iter__(self) -> Iterator[Document]:
        return iter(self.documents)

    def document(self, doc_id: str) -> Document:
        for doc in self.documents:
            if doc.id == doc_id:
                return doc
        known = "、".join(d.id for d in self.documents)
        raise NotFoundError(f"没有编号为“{doc_id}”的文件（已收录：{known}）")

    def passage(self, passage_id: str) -> Passage:
        """An article (``nb-2025-35/11``), or a document's ``preamble`` / ``closing`` / ``section-N``."""
        doc_id, _, local = passage_id.partition("/")
        doc = self.document(doc_id)
        found = doc.passage(passage_id)
        if found is None:
            numbers = [a.number for a in doc.articles]
            span = f"{numbers[0]}–{numbers[-1]}" if numbers else "无"
            raise NotFoundError(f"{doc_id} 没有条款“{local}”（条款编号 {span}，另有 preamble、closing）")
        return found

    def example_files(self) -> list[Path]:
        """The bundled example firms' profile files, corpus by corpus, each in name order."""
        return [path for source in self.sources for path in sorted(Path(source.examples_dir).glob("*.yaml"))]

    def region(self, name: str) -> Region | None:
        return self._regions.get(name)

    @cached_property
    def _regions(self) -> dict[str, Region]:
        index: dict[str, Region] = {}
        for r in self.regions:
            index.setdefault(r.name, r)  # the first of a name, as a scan would find
        return index

    def covers(self, jurisdiction: str, region: str) -> bool:
        """Whether a document for ``jurisdiction`` covers a firm registered in ``region``."""
        seen: set[str] = set()
        current: str | None = region
        while current is not None and current not in seen:
            if current == jurisdiction:
                return True
            seen.add(current)
            found = self.region(current)
            current = found.parent if found else None
        return False


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _validate(model: type[BaseModel], data: Any, path: Path) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        line = yamlio.line_of(data, err["loc"])
        raise MetadataError(
            f"元数据字段 {loc} 有误：{err['msg']}", Source(file=str(path), line=line, field=loc)
        ) from None


def load_document(meta_path: Path) -> Document:
    data = yamlio.load(meta_path)
    meta: DocumentMeta = _validate(DocumentMeta, data, meta_path)
    text_path = meta_path.parent / meta.file
    if not text_path.is_file():
        raise MetadataError(f"找不到原文文件 {meta.file}", Source(file=str(meta_path), field="file"))
    actual = sha256_of(text_path)
    if actual != meta.sha256:
        raise CorpusIntegrityError(
            f"原文文件 {meta.file} 已被改动：sha256 应为 {meta.sha256[:12]}…，实为 {actual[:12]}…",
            Source(file=str(text_path)),
        )
    original = text_path.read_bytes().decode("utf-8")
    return segment(meta, original)


def load_regions(source: CorpusSource) -> tuple[Region, ...]:
    path = source.root / "regions.yaml"
    if not path.is_file():
        return ()
    data = yamlio.load(path)
    return tuple(_validate(Region, item, path) for item in data.get("regions", []))


def load_corpus(sources: tuple[CorpusSource, ...] | None = None) -> Corpus:
    sources = sources if sources is not None else discover()
    documents: list[Document] = []
    regions: list[Region] = []
    for source in sources:
        metas = sorted(source.documents_dir.glob("*.yaml"))
        loaded = [load_document(p) for p in metas]
        documents.extend(sorted(loaded, key=lambda d: d.meta.file))
        regions.extend(load_regions(source))
    ids = [d.id for d in documents]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise MetadataError(f"文件编号重复：{'、'.join(sorted(duplicates))}")
    return Corpus(sources=sources, documents=tuple(documents), regions=tuple(regions))


_CACHE: dict[tuple[str, ...], Corpus] = {}
_LAST: list[tuple[tuple[CorpusSource, ...], Corpus]] = []  # the sources last asked for and their corpus


def get_corpus() -> Corpus:
    """The corpus in effect, loaded once per process for the same set of sources (every calculation asks:
    the sources ``discover`` gives are the same object while the environment does not change)."""
    sources = discover()
    if _LAST and _LAST[0][0] is sources:
        return _LAST[0][1]
    key = tuple(str(s.root) for s in sources)
    if key not in _CACHE:
        _CACHE[key] = load_corpus(sources)
    _LAST[:] = [(sources, _CACHE[key])]
    return _CACHE[key]
