"""The five documents as data: unchanged bytes, metadata that agrees with semantics.md, segmentation."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest

from huiqi.corpus import Corpus, Status
from huiqi.corpus.load import load_document

from .conftest import CORPUS_DIR, SHARED

IDS = {
    "000_ef88f7c86d05775e.txt": "nb-2025-35",
    "001_42068948e9eddce1.txt": "cx-2025-plan",
    "002_0054fb7fcd370a83.txt": "nb-kj-2025-51",
    "003_fffb776362f22079.txt": "fh-2025-2",
    "004_5e294a405c904157.txt": "nb-2020-mfg",
}
COUNTS = {"nb-2025-35": (7, 39), "nb-2020-mfg": (6, 41), "fh-2025-2": (7, 27), "cx-2025-plan": (7, 30)}


def test_the_five_documents_with_their_ids(corpus: Corpus) -> None:
    assert {d.meta.file: d.id for d in corpus} == IDS


@pytest.mark.parametrize("file", sorted(IDS))
def test_texts_are_byte_identical_and_hashed(corpus: Corpus, file: str) -> None:
    doc = corpus.document(IDS[file])
    data = (CORPUS_DIR / "documents" / file).read_bytes()
    assert hashlib.sha256(data).hexdigest() == doc.meta.sha256
    assert data.decode("utf-8") == doc.original
    shared = SHARED / "policies" / file
    if shared.exists():
        assert shared.read_bytes() == data
        listed = (SHARED / "policies" / "README.md").read_text(encoding="utf-8")
        assert f"{doc.meta.sha256}  {file}" in listed


@pytest.mark.parametrize(("doc_id", "counts"), sorted(COUNTS.items()))
def test_article_and_section_counts(corpus: Corpus, doc_id: str, counts: tuple[int, int]) -> None:
    doc = corpus.document(doc_id)
    assert (len(doc.sections), len(doc.articles)) == counts
    assert [a.number for a in doc.articles] == [str(n) for n in range(1, counts[1] + 1)]


def test_fenghua_has_its_closing_section(corpus: Corpus) -> None:
    closing = corpus.document("fh-2025-2").closing
    assert closing is not None and closing.text.startswith("八、附则")


def test_reply_letter_paragraphs_under_their_sections(corpus: Corpus) -> None:
    doc = corpus.document("nb-kj-2025-51")
    assert [a.number for a in doc.articles] == [
        "1.1",
        "1.2",
        "1.3",
        "1.4",
        "2.1",
        "2.2",
        "2.3",
        "2.4",
        "2.5",
        "2.6",
    ]
    assert [a.label for a in doc.articles[:4]] == ["一是", "二是", "三是", "四是"]
    assert doc.sections[0].intro is not None and doc.sections[0].intro.text.startswith("近年来")


def test_cixi_missing_numbers_are_inferred(corpus: Corpus) -> None:
    doc = corpus.document("cx-2025-plan")
    assert [s.numbered_in_text for s in doc.sections] == [True, False, True, True, True, True, False]
    assert doc.sections[1].heading == "构建创新平台体系，着力提升基础研发策源能力"
    assert doc.sections[6].heading == "工作保障机制"
    assert doc.passage("cx-2025-plan/9").title == "支持“大优强”企业壮大"  # type: ignore[union-attr]
    assert doc.passage("cx-2025-plan/12").title == "大力培育高新技术企业"  # type: ignore[union-attr]
    assert doc.passage("cx-2025-plan/13").label == "（十三）"  # type: ignore[union-attr]


def test_every_span_is_the_original_text(corpus: Corpus) -> None:
    for doc in corpus:
        for p in doc.passages():
            start, end = p.span
            assert doc.original[start:end] == p.raw
            assert p.raw and p.raw in doc.original
            assert p.raw == p.raw.strip()


def test_normalisation_joins_breaks_and_fixes_variants(corpus: Corpus) -> None:
    art1 = corpus.passage("nb-2025-35/1")
    assert "分\n\n别给予" in art1.raw and "分别给予不低于5亿元的补助" in art1.text
    art38 = corpus.passage("nb-2025-35/38")
    assert "等級" in art38.raw and "減半" in art38.raw
    assert "数字化等级二级" in art38.text and "减半享受政策" in art38.text
    assert "“科创甬江2035”" in corpus.passage("nb-2025-35/6").text
    for doc in corpus:
        for p in doc.passages():
            assert not re.search(r"\s\s|^\s|\s$| (?![A-Za-z0-9])|(?<![A-Za-z0-9]) ", p.text), p.id


def test_footnote_follows_its_article(corpus: Corpus) -> None:
    assert "注¹" in corpus.passage("nb-2020-mfg/1").text
    assert "前沿产业主要包括" not in corpus.passage("nb-2020-mfg/2").text


def test_departments_are_read_from_notes(corpus: Corpus) -> None:
    assert corpus.passage("nb-2020-mfg/21").departments == ("市经信局", "市政务办", "市财政局")
    assert corpus.passage("fh-2025-2/3").departments == ("区经信局", "区自然资源和规划分局")
    assert corpus.passage("nb-2025-35/11").departments == ()


def test_metadata_agrees_with_semantics(corpus: Corpus) -> None:
    d = dt.date
    expect = {
        "nb-2025-35": (Status.official, "宁波市", d(2025, 10, 8), d(2027, 12, 31), d(2025, 10, 8)),
        "cx-2025-plan": (Status.draft, "慈溪市", d(2025, 1, 1), d(2027, 12, 31), d(2025, 1, 1)),
        "fh-2025-2": (Status.official, "奉化区", d(2025, 1, 22), d(2026, 12, 31), d(2024, 1, 1)),
        "nb-2020-mfg": (Status.draft, "宁波市", d(2020, 1, 1), d(2022, 12, 31), d(2020, 1, 1)),
    }
    for doc_id, (status, where, start, end, events_from) in expect.items():
        meta = corpus.document(doc_id).meta
        assert meta.validity is not None
        assert (meta.status, meta.jurisdiction, *meta.validity.window()) == (status, where, start, end)
        assert meta.validity.events_window()[0] == events_from
    cixi = corpus.document("cx-2025-plan").meta.validity
    assert cixi is not None and cixi.window(d(2025, 6, 1))[0] == d(2025, 7, 1)
    letter = corpus.document("nb-kj-2025-51").meta
    assert letter.status is Status.reply_letter and not letter.is_legal_basis and letter.validity is None
    assert corpus.document("nb-2025-35").meta.dates.issued == d(2025, 9, 8)


def test_metadata_quotes_are_in_the_text(corpus: Corpus) -> None:
    from huiqi.corpus.normalise import fold_for_quote

    for doc in corpus:
        meta = doc.meta
        quotes = [meta.dates.issued_quote, meta.dates.published_quote]
        quotes += [
            meta.validity.quote if meta.validity else None,
            meta.stacking.quote if meta.stacking else None,
        ]
        for quote in filter(None, quotes):
            assert fold_for_quote(quote) in fold_for_quote(doc.original), (doc.id, quote)


def test_jurisdiction_coverage(corpus: Corpus) -> None:
    assert corpus.covers("宁波市", "慈溪市") and corpus.covers("宁波市", "宁波国家高新区")
    assert corpus.covers("慈溪市", "慈溪市") and not corpus.covers("慈溪市", "余姚市")
    assert not corpus.covers("宁波市", "宁波以外") and not corpus.covers("宁波市", "杭州市")


def test_metadata_errors_name_file_line_and_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from huiqi.errors import MetadataError

    src = (CORPUS_DIR / "documents" / "nb-2025-35.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "nb-2025-35.yaml"
    bad.write_text(src.replace("status: official", "status: final"), encoding="utf-8")
    (tmp_path / "000_ef88f7c86d05775e.txt").write_bytes(
        (CORPUS_DIR / "documents" / "000_ef88f7c86d05775e.txt").read_bytes()
    )
    with pytest.raises(MetadataError) as info:
        load_document(bad)
    line = src.splitlines().index("status: official") + 1
    assert info.value.source.line == line and info.value.source.field == "status"
    assert "status" in str(info.value)
