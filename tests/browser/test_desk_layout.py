"""The dashboard and the desk's lists fit their column: at 1280 px a list's table
is no wider than the content beside its filters (titles cut short, the full text
on hover), and at 360 px the page itself never scrolls sideways.

Full-page screenshots of each, at both widths, are kept in test-artifacts/.
"""

from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By

from articles.models import Article, Source
from headlines.models import Headline
from tests.browser.conftest import sign_in
from tests.browser.test_desk_a11y import PASSWORD, desk_data
from tests.conftest import editors_group

LONG_TITLE = (
    "Ministers of the Gulf Cooperation Council meet in Riyadh to settle a dispute over "
    "transit fees, fishing rights and the new customs union's rules of origin"
)
LISTS = {
    "headline-list": "/admin/headlines/headline/",
    "article-list": "/admin/articles/article/",
    "source-list": "/admin/articles/source/",
    "dump-list": "/admin/articles/dump/",
}


def more_data():
    """Rows that stretch a list: a long title, a long outlet name, a scheduled piece."""
    source = Source.objects.create(
        name="Dar Al Sharq Press, Printing & Distribution", slug="dar-al-sharq"
    )
    Headline.objects.create(
        title=LONG_TITLE,
        title_key="long",
        fingerprint="long",
        published_at=Headline.objects.order_by("-published_at").first().published_at,
        region_label="North Afric",
        source=source,
        edited_at=timezone.now(),
    )
    Article.objects.create(
        title=LONG_TITLE,
        slug="long",
        status="published",
        source=source,
        published_at=timezone.now() + timedelta(days=3),
        edited_at=timezone.now(),
    )


def show(browser, width):
    """Lay the page out at a width, as tall as it is (for a full-page screenshot)."""
    metrics = {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 800}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    metrics["height"] = min(height, 4000)
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def widths(browser):
    return browser.execute_script(
        """
        const results = document.querySelector('#changelist .results');
        return {page: document.documentElement.scrollWidth, window: innerWidth,
                table: results ? results.scrollWidth : 0, box: results ? results.clientWidth : 0};
        """
    )


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_and_the_lists_fit_at_1280_and_360(live_server, browser, django_user_model):
    desk_data()
    more_data()
    user = django_user_model.objects.create_user("desk", password=PASSWORD, is_staff=True)
    user.groups.add(editors_group())
    sign_in(browser, live_server.url, "desk", PASSWORD)

    problems = []
    for name, path in {"dashboard": "/admin/", **LISTS}.items():
        browser.get(f"{live_server.url}{path}")
        for width in (1280, 360):
            show(browser, width)
            browser.shots.take(f"{name}-{width}")
            seen = widths(browser)
            if seen["page"] > seen["window"]:
                problems.append(f"{name} @{width}: the page is {seen['page']} px wide")
            if width == 1280 and seen["table"] > seen["box"]:
                problems.append(f"{name} @{width}: table {seen['table']} px in {seen['box']} px")
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert not problems, "\n".join(problems)

    # A title cut short keeps its full text on hover.
    browser.get(f"{live_server.url}/admin/headlines/headline/?q=Riyadh")
    title = browser.find_element(By.CSS_SELECTOR, "#result_list tbody th a [title]")
    assert title.get_attribute("title") == LONG_TITLE
    assert title.text.endswith("…") and len(title.text) < len(LONG_TITLE)
