"""A reader on a phone, in a real Chromium: home, article, region, source, search, feeds.

The viewport is a 360 px wide phone (Chrome's device emulation, so the page's
``<meta name=viewport>`` applies). On every page: the sidebar is there with
the 20 latest headlines as a numbered list, and nothing is wider than the
screen (no horizontal scroll). Screenshots of each step go to test-artifacts/.
"""

import pytest
from django.core.cache import cache
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from articles.models import Article
from newsroom.ingest import Status, dump_ingest
from tests.conftest import SAMPLE

PHONE_WIDTH = 360

LAYOUT = """
const root = document.documentElement;
const list = document.querySelector('aside.sidebar ol.sidebar-list');
const items = list ? Array.from(list.querySelectorAll(':scope > li')) : [];
const wide = Array.from(document.querySelectorAll('body *'))
  .filter((el) => el.getBoundingClientRect().right > root.clientWidth + 1)
  .slice(0, 5)
  .map((el) => el.tagName + '.' + el.className);
return {
  clientWidth: root.clientWidth,
  scrollWidth: root.scrollWidth,
  wide: wide,
  sidebar: !!document.querySelector('aside.sidebar'),
  items: items.length,
  listStyle: list ? getComputedStyle(list).listStyleType : null,
  itemDisplay: items.length ? getComputedStyle(items[0]).display : null,
  feeds: Array.from(document.querySelectorAll('link[rel=alternate][type="application/rss+xml"]'))
    .map((link) => link.getAttribute('href')),
};
"""


class Reader:
    def __init__(self, browser):
        self.browser = browser
        self.pages = []
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": PHONE_WIDTH, "height": 760, "deviceScaleFactor": 1, "mobile": True},
        )

    def arrive(self, step, expected_in_url):
        """Check the page a click led to: its layout at phone width and its sidebar."""
        WebDriverWait(self.browser, 15).until(
            lambda driver: (
                expected_in_url in driver.current_url
                and driver.execute_script("return document.readyState") == "complete"
            )
        )
        layout = self.browser.execute_script(LAYOUT)
        self.browser.shots.take(step)
        url = self.browser.current_url
        self.pages.append(url)
        assert layout["clientWidth"] == PHONE_WIDTH, (url, layout)
        assert layout["scrollWidth"] <= layout["clientWidth"], (url, layout["wide"])
        assert layout["sidebar"], f"no sidebar on {url}"
        assert layout["items"] == 20, (url, layout["items"])
        assert layout["listStyle"] == "decimal" and layout["itemDisplay"] == "list-item", layout
        assert "/feeds/articles/" in layout["feeds"] and "/feeds/headlines/" in layout["feeds"]
        return layout

    def click(self, css=None, *, link_text=None):
        finder = (By.LINK_TEXT, link_text) if link_text else (By.CSS_SELECTOR, css)
        element = self.browser.find_element(*finder)
        self.browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
        element.click()


@pytest.mark.django_db(transaction=True)
def test_a_reader_on_a_phone_goes_from_home_to_a_feed(live_server, browser):
    result = dump_ingest(data=SAMPLE.read_bytes(), filename="sample.txt", publish=True)
    assert result.status == Status.IMPORTED
    article = Article.objects.get()
    assert article.region_tags.filter(name="Middle East").exists()
    cache.clear()
    reader = Reader(browser)

    browser.get(f"{live_server.url}/")
    reader.arrive("home", "/")
    reader.click(link_text=article.title)
    reader.arrive("article", article.get_absolute_url())
    assert browser.find_element(By.CSS_SELECTOR, "h1.article-title").text == article.title

    reader.click(".article-tags ul.tags a[href='/regions/middle-east/']")
    reader.arrive("region", "/regions/middle-east/")
    assert browser.find_element(By.CSS_SELECTOR, "h1.page-title").text == "Middle East"
    assert (
        browser.find_element(By.CSS_SELECTOR, "p.feed-link a")
        .get_attribute("href")
        .endswith("/feeds/regions/middle-east/")
    )

    reader.click("main .headline-list a.outlet")
    layout = reader.arrive("source", "/sources/")
    source_name = browser.find_element(By.CSS_SELECTOR, "h1.page-title").text
    assert source_name == "Dar Al Sharq Press, Printing & Distribution"
    assert layout["items"] == 20

    box = browser.find_element(By.ID, "site-search-q")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'});", box)
    box.send_keys("Mosul", Keys.ENTER)
    reader.arrive("search", "/search/?q=Mosul")
    assert article.title in browser.find_element(By.ID, "main").text

    feed = browser.find_element(By.LINK_TEXT, "Headlines feed (RSS)")
    assert feed.get_attribute("href") == f"{live_server.url}/feeds/headlines/"
    browser.get(feed.get_attribute("href"))
    # The feed's XSL shows it as a page: its title, and each item linked.
    assert browser.find_element(By.TAG_NAME, "h1").text == "Newsroom: latest headlines"
    assert "Iranian editor" in browser.find_element(By.TAG_NAME, "main").text
    browser.shots.take("feed")
    assert len(reader.pages) == 5
