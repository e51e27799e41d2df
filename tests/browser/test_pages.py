"""The pages in a real browser: search and read an article, use the calculator, screenshots at phone and
desktop widths."""

from __future__ import annotations

import re
from typing import Any

import pytest

from .conftest import DESKTOP, PHONE, shot


def test_search_a_term_and_open_an_article(phone: Any) -> None:
    phone.goto("/")
    phone.get_by_label("按文件筛选").select_option("nb-2025-35")
    phone.get_by_label("检索词").fill("冠军")
    phone.get_by_label("检索词").press("Enter")
    phone.wait_for_url(re.compile(r"q=%E5%86%A0%E5%86%9B|q=冠军"))
    first = phone.locator(".hit").first
    assert first.locator("mark").first.inner_text() == "冠军"
    shot(phone, "search")
    first.locator("a").click()
    phone.wait_for_url(re.compile(r"/docs/[^/]+/[^/?]+"))
    assert phone.locator("h1").inner_text()
    assert phone.locator(".sentence mark").count() >= 1, "the search term is highlighted in the article"
    assert phone.locator(".rule").count() >= 1, "the rules are shown beside their sentences"


def test_article_shows_rules_beside_their_sentence(desktop: Any) -> None:
    desktop.goto("/docs/nb-2025-35/11")
    champion = desktop.locator(".row", has=desktop.locator("#nb-2025-35\\/11\\/champion"))
    assert "单项冠军" in champion.locator(".sentence").inner_text()
    assert "200万" in champion.locator(".rule").first.inner_text()
    assert desktop.locator(".links a").count() >= 1, "the reply letter that describes this article"


def _fill_event(page: Any, index: int, type_name: str, level: str, date: str) -> None:
    row = page.locator(".event").nth(index)
    row.locator("select[data-k=type]").select_option(type_name)
    row.locator("input[data-k=date]").fill(date)
    row.locator("select[data-k=level]").select_option(level)


def test_calculator_with_two_events_reads_the_amounts(phone: Any) -> None:
    phone.goto("/calc")
    phone.locator("[data-path='firm.name']").fill("宁波测试精密机械有限公司")
    phone.locator("[data-path='firm.region']").select_option("鄞州区")
    phone.locator("[data-path='firm.manufacturing']").select_option("true")
    phone.locator("[data-path='firm.in_mu_jun_evaluation']").select_option("false")
    phone.locator("[data-path='firm.green_transformation']").select_option("true")
    phone.locator("[data-path='firm.digital_level']").fill("3")
    phone.locator("#new-year").fill("2025")
    phone.get_by_role("button", name="添加年份").click()
    phone.locator("[data-year='2025'] input[data-k=rd_internal]").fill("1000000")
    assert "100 万元" in phone.locator("[data-year='2025'] .wan").first.inner_text()
    phone.locator("#as_of").fill("2026-06-30")
    _fill_event(phone, 0, "little_giant", "国家级", "2026-03-01")
    phone.get_by_role("button", name="＋ 添加事项").click()
    _fill_event(phone, 1, "first_set", "国内", "2026-04-15")
    phone.locator(".event").nth(1).locator("input[data-k=subject]").fill("五轴机床")
    shot(phone, "calc-form")
    phone.get_by_role("button", name="计算", exact=True).click()
    phone.wait_for_url(re.compile(r"/calc/r/[0-9a-f]+"))
    little_giant = phone.locator("[data-rule='nb-2025-35/11/little_giant']")
    assert little_giant.locator(".money").inner_text() == "50"
    first_set = phone.locator("[data-rule='nb-2025-35/9/first_set_national']")
    assert first_set.locator(".money").inner_text() == "100"
    assert phone.locator("[data-total=up_to]").inner_text() == "50"
    assert phone.locator("[data-total=exact]").inner_text() == "100"
    shot(phone, "calc-result")
    # the link is shareable: a fresh page shows the same result
    url = phone.locator("#share-url").input_value()
    phone.goto(url)
    assert phone.locator("[data-total=exact]").inner_text() == "100"


def test_calculator_shows_field_errors_in_place(phone: Any) -> None:
    phone.goto("/calc")
    phone.locator("[data-path='firm.name']").fill("某公司")
    phone.locator(".event").first.locator("select[data-k=type]").select_option("little_giant")
    phone.get_by_role("button", name="计算", exact=True).click()
    errors = phone.locator("#form-errors")
    errors.wait_for()
    assert "firm.region" in errors.inner_text()
    assert phone.locator("[data-field='firm.region'] .field-error").count() == 1
    assert phone.locator("[data-field='events[0].date'] .field-error").count() == 1


def test_print_shows_only_the_result(desktop: Any) -> None:
    desktop.goto("/calc?demo=demo-manufacturer")
    desktop.get_by_role("button", name="计算", exact=True).click()
    desktop.wait_for_url(re.compile(r"/calc/r/"))
    shot(desktop, "calc-result")
    desktop.emulate_media(media="print")
    assert not desktop.locator("header.top").is_visible()
    assert not desktop.locator(".form-wrap").is_visible()
    assert desktop.locator(".result").is_visible()
    shot(desktop, "calc-print")


PAGES = {
    "library": "/",
    "document": "/docs/nb-2025-35",
    "article": "/docs/nb-2025-35/11?q=冠军",
    "calc-demo": "/calc?demo=demo-manufacturer",
    "batch": "/batch",
    "ledger": "/ledger",
    "not-found": "/docs/nope",
}


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_screenshots_of_every_page(browser: Any, base_url: str, viewport: dict[str, int]) -> None:
    context = browser.new_context(viewport=viewport, base_url=base_url, locale="zh-CN")
    page = context.new_page()
    try:
        for name, url in PAGES.items():
            page.goto(url)
            path = shot(page, name)
            assert path.stat().st_size > 0
            # nothing wider than the screen: no sideways scrolling on a phone
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{name} is {overflow}px wider than the {viewport['width']}px screen"
    finally:
        context.close()
