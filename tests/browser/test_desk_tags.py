"""Multi-word tags in a real Chromium: admin's select2 offers the vocabulary, keeps names whole."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from articles.models import Article, RegionTag
from headlines.models import Headline
from tests.browser.test_editor_flow import (  # noqa: F401 - editor_login is a fixture
    editor_login,
    run_action,
    see,
    type_tags,
)

pytestmark = pytest.mark.usefixtures("editor_login")


@pytest.mark.django_db(transaction=True)
def test_an_editor_picks_middle_east_and_types_north_africa(live_server, browser):
    RegionTag.objects.create(name="Middle East", slug="middle-east")
    RegionTag.objects.create(name="East Africa", slug="east-africa")
    article = Article.objects.create(title="Water talks", slug="water", body="Text.")
    browser.get(f"{live_server.url}/admin/articles/article/{article.pk}/change/")
    box = browser.find_element(By.CSS_SELECTOR, "#id_region_tags + .select2 .select2-search__field")
    box.click()
    box.send_keys("middle e")
    wait = WebDriverWait(browser, 10)
    wait.until(
        lambda driver: next(
            (
                o
                for o in driver.find_elements(By.CSS_SELECTOR, ".select2-results__option")
                if o.text == "Middle East"
            ),
            None,
        )
    )
    browser.shots.take("offered")
    box.send_keys(Keys.ENTER)  # the vocabulary's match comes before the new name typed
    box = browser.find_element(By.CSS_SELECTOR, "#id_region_tags + .select2 .select2-search__field")
    box.send_keys("North Africa,")
    box.send_keys(Keys.ESCAPE)
    chosen = [
        c.get_attribute("title")
        for c in browser.find_elements(
            By.CSS_SELECTOR, "#id_region_tags + .select2 .select2-selection__choice"
        )
    ]
    assert chosen == ["Middle East", "North Africa"]
    browser.shots.take("chosen")
    browser.find_element(By.NAME, "_continue").click()
    see(browser, "was changed successfully")
    browser.shots.take("saved")
    assert sorted(article.region_tags.names()) == ["Middle East", "North Africa"]
    assert RegionTag.objects.count() == 3
    assert [log for log in browser.get_log("browser") if log["source"] == "javascript"] == []


@pytest.mark.django_db(transaction=True)
def test_the_bulk_tag_action_keeps_north_africa_whole(live_server, browser):
    from django.utils import timezone

    titles = ["Tunisian start-ups look north", "Port reopens after storm"]
    for title in titles:
        Headline.objects.create(title=title, fingerprint=title, published_at=timezone.now())
    browser.get(f"{live_server.url}/admin/headlines/headline/")
    run_action(browser, "tag_or_set_source", *titles)
    see(browser, "Tag or set the source of 2 headlines")
    type_tags(browser, "id_region_tags", "North Africa,")
    browser.shots.take("bulk-tag")
    browser.find_element(By.CSS_SELECTOR, "input[value=Apply]").click()
    see(browser, "2 headlines updated")
    for headline in Headline.objects.all():
        assert list(headline.region_tags.names()) == ["North Africa"]
    assert [log for log in browser.get_log("browser") if log["source"] == "javascript"] == []
