from __future__ import annotations

import pytest

from huiqi.corpus import Corpus, Status
from huiqi.corpus.views import search
from huiqi.errors import NotFoundError, QueryError


def ids(corpus: Corpus, query: str, **kw: object) -> list[str]:
    return [h.id for h in search(corpus, query, limit=200, **kw).hits]  # type: ignore[arg-type]


def test_beidou_finds_article_9(corpus: Corpus) -> None:
    assert ids(corpus, "北斗")[0] == "nb-2025-35/9"


@pytest.mark.parametrize(
    ("query", "expected"),
    [("冠军", "nb-2025-35/11"), ("亩均", "nb-2025-35/37"), ("北斗", "nb-2025-35/9"), ("额", "nb-2025-35/16")],
)
def test_short_queries_work(corpus: Corpus, query: str, expected: str) -> None:
    assert expected in ids(corpus, query)


def test_phrase_broken_across_lines_in_the_original(corpus: Corpus) -> None:
    assert "分\n\n别给予" in corpus.passage("nb-2025-35/1").raw
    assert "nb-2025-35/1" in ids(corpus, "分别给予", documents=["nb-2025-35"])


def test_ranking_prefers_denser_and_title_hits(corpus: Corpus) -> None:
    assert ids(corpus, "亩均")[0] == "nb-2025-35/37"


def test_hits_are_highlighted_exactly(corpus: Corpus) -> None:
    hit = search(corpus, "单项冠军").hits[0]
    marked = [text for text, is_hit in hit.snippet if is_hit]
    assert marked and all(m == "单项冠军" for m in marked)


def test_filters(corpus: Corpus) -> None:
    assert {h.split("/")[0] for h in ids(corpus, "冠军", documents=["nb-2020-mfg"])} == {"nb-2020-mfg"}
    drafts = ids(corpus, "冠军", statuses=[Status.draft])
    assert drafts and all(h.split("/")[0] in {"nb-2020-mfg", "cx-2025-plan"} for h in drafts)
    assert ids(corpus, "标准", department="市场监管局")
    assert all(corpus.passage(i).departments for i in ids(corpus, "标准", department="市场监管局"))


def test_every_term_must_match(corpus: Corpus) -> None:
    both = ids(corpus, "单项冠军 奖励")
    assert "nb-2025-35/11" in both and set(both) <= set(ids(corpus, "单项冠军"))


def test_width_and_case_fold(corpus: Corpus) -> None:
    assert "nb-2020-mfg/2" in ids(corpus, "(项目)")  # the text has "(项目)" with half-width parens
    assert ids(corpus, "5g") == ids(corpus, "5G")


@pytest.mark.parametrize("query", ["", "   "])
def test_empty_query_is_refused(corpus: Corpus, query: str) -> None:
    with pytest.raises(QueryError, match="搜索词不能为空"):
        search(corpus, query)


def test_unknown_document_filter(corpus: Corpus) -> None:
    with pytest.raises(NotFoundError, match="nb-1999"):
        search(corpus, "冠军", documents=["nb-1999"])
