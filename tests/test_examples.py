"""The bundled example firms show what each document does (the README's and the issues' promises)."""

from __future__ import annotations

import datetime as dt

import pytest

from huiqi.corpus import get_corpus
from huiqi.corpus.views import show_passage
from huiqi.engine import calculate
from huiqi.engine.result import CalcResult, Status
from huiqi.rules.load import article_links, get_rulebook
from huiqi.vocab import get_vocabulary, parse_profile, read_profile_file

from .conftest import CORPUS_DIR


def run(name: str, drafts: bool = True, as_of: dt.date | None = None) -> CalcResult:
    profile = parse_profile(read_profile_file(CORPUS_DIR / "examples" / f"{name}.yaml"), get_vocabulary())
    assert profile.as_of is not None
    return calculate(profile, as_of or profile.as_of, include_drafts=drafts, explain=True)


def lines(result: CalcResult, doc: str, article: str | None = None) -> list:  # type: ignore[type-arg]
    return [a for a in result.awards if a.document_id == doc and (article is None or a.article == article)]


def test_2020_art3_tranches_with_their_dates() -> None:
    (line,) = lines(run("draft2020-equipment-maker"), "nb-2020-mfg", "3")
    assert line.draft and line.amount_yuan == 13_000_000
    (start, done) = line.schedule
    assert (start.milestone, start.share, start.amount_yuan, str(start.date), start.due) == (
        "开工",
        "30%",
        3_900_000,
        "2021-07-01",
        True,
    )
    assert (done.milestone, done.share, done.amount_yuan, str(done.date)) == (
        "竣工投产",
        "70%",
        9_100_000,
        "2023-03-31",
    )
    (early,) = lines(run("draft2020-equipment-maker", as_of=dt.date(2022, 12, 31)), "nb-2020-mfg", "3")
    assert early.schedule[0].due is True and early.schedule[1].due is False


def test_2020_art22_cap_holds_across_years_of_prior_awards() -> None:
    (line,) = lines(run("draft2020-equipment-maker"), "nb-2020-mfg", "22")
    assert line.amount_yuan == 100_000 and line.status is Status.paid
    assert any(m.kind == "cap" and "500,000" in m.reason for m in line.modifiers)


def test_2020_art9_excess_to_the_yuan() -> None:
    amounts = sorted(a.amount_yuan for a in lines(run("draft2020-software"), "nb-2020-mfg", "9"))
    assert amounts == [750_000, 900_000]


def test_cixi_duplicate_paid_once_at_the_higher_amount() -> None:
    result = run("cixi-appliance")
    city = lines(result, "nb-2025-35", "8")
    county = lines(result, "cx-2025-plan")
    assert city[0].status is Status.paid and city[0].amount_yuan == 30_000_000
    aside = [a for a in county if a.status is Status.set_aside]
    assert aside and all(
        m.kind == "set_aside" and "nb-2025-35" in m.reason
        for a in aside
        for m in a.modifiers
        if m.kind == "set_aside"
    )
    assert all(a.draft for a in county)


def test_yuyao_firm_gets_no_cixi_support() -> None:
    result = run("yuyao-appliance")
    assert lines(result, "cx-2025-plan") == []
    scope = next(d for d in result.documents if d.id == "cx-2025-plan")
    assert not scope.considered and "余姚市" in (scope.reason or "")


def test_fenghua_retroactive_from_2024() -> None:
    result = run("fenghua-precision")
    dates = {str(a.event.date) for a in lines(result, "fh-2025-2")}
    assert "2024-03-18" in dates and "2023-12-20" not in dates
    assert any(
        str(e.event.date) == "2023-12-20" and e.document_id == "fh-2025-2" for e in result.ignored_events
    )


@pytest.mark.parametrize("name", ["draft2020-equipment-maker", "cixi-appliance"])
def test_without_drafts_nothing_from_drafts(name: str) -> None:
    result = run(name, drafts=False)
    assert not any(a.draft for a in result.awards)
    assert any("征求意见稿未计入" in n for n in result.notes)


def test_reply_letter_links_to_the_legal_basis_both_ways() -> None:
    links = article_links(get_rulebook())
    letter = show_passage(get_corpus(), "nb-kj-2025-51/1.1", links)
    assert any(link.article_id == "nb-2025-35/11" and link.relation == "依据" for link in letter.links)
    article = show_passage(get_corpus(), "nb-2025-35/11", links)
    assert any(link.article_id == "nb-kj-2025-51/1.1" and link.relation == "介绍" for link in article.links)


def test_reply_letter_never_pays() -> None:
    for name in ("demo-manufacturer", "cixi-appliance", "fenghua-precision"):
        assert lines(run(name), "nb-kj-2025-51") == []
