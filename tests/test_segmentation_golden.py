"""Each document's segmentation pinned in a readable golden file (ids, headings, first characters).

Rewrite them after a deliberate change with ``pytest tests/test_segmentation_golden.py --update-golden``
and read the diff."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from huiqi.corpus import Corpus, Document

GOLDEN = Path(__file__).parent / "golden" / "segmentation"
DOCS = ["nb-2025-35", "cx-2025-plan", "nb-kj-2025-51", "fh-2025-2", "nb-2020-mfg"]


def outline(doc: Document) -> dict[str, object]:
    return {
        "document": doc.id,
        "sections": [
            {
                "number": s.number,
                "heading": s.heading,
                "numbered_in_text": s.numbered_in_text,
                "articles": [
                    f"{a.id} {a.label} " + a.text[:16].replace("\n", " / ")
                    for a in doc.articles
                    if a.id in s.article_ids
                ],
            }
            for s in doc.sections
        ],
        "preamble_starts": doc.preamble.text[:20],
        "closing_starts": doc.closing.text[:20] if doc.closing else None,
    }


@pytest.mark.parametrize("doc_id", DOCS)
def test_segmentation_matches_golden(corpus: Corpus, doc_id: str, update_golden: bool) -> None:
    path = GOLDEN / f"{doc_id}.yaml"
    got = outline(corpus.document(doc_id))
    if update_golden:
        path.write_text(yaml.safe_dump(got, allow_unicode=True, sort_keys=False, width=200), encoding="utf-8")
    assert path.exists(), f"golden file {path.name} is missing: run with --update-golden and read it"
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == got
