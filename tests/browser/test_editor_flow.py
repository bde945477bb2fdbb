"""An editor at the desk, in a real Chromium: ingest, curate, publish."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from articles.models import Article, Source
from headlines.models import Headline
from tests.browser.conftest import sign_in
from tests.conftest import SAMPLE, editors_group

OTHER_DUMPS = {
    "001.txt": (
        "Latest headlines\n\n"
        "  1. Gulf carriers add routes to Africa - Gulf\n    03.29 / 08:00\n"
        "    Airlines expand. © Gulf Wire 2017. All rights reserved.\n"
        "  3. Tunisian start-ups look north - North Afric\n    03.29 / 07:30\n"
        "    Founders move… © Gulf Wire Ltd 2017\n"
    ),
    "002.txt": (
        "Latest headlines\n\n"
        "  1. Port reopens after storm - Levant\n    03.29 / 06:00\n"
        "    Ships dock again. © Levant Daily 2017\n"
    ),
}


@pytest.fixture
def editor_login(live_server, browser, django_user_model):
    user = django_user_model.objects.create_user("desk", password="desk-pass-123", is_staff=True)
    user.groups.add(editors_group())
    sign_in(browser, live_server.url, "desk", "desk-pass-123")
    return browser


def see(browser, text):
    """Wait for the page to show a text (a click's navigation may still be running)."""
    WebDriverWait(browser, 15).until(lambda driver: text in driver.page_source)


def type_tags(browser, field_id, text):
    """Type into a tag input (admin's select2): a comma ends each name."""
    box = browser.find_element(By.CSS_SELECTOR, f"#{field_id} + .select2 .select2-search__field")
    box.click()
    box.send_keys(text)


def run_action(browser, action, *labels):
    for label in labels:
        row = browser.find_element(By.XPATH, f"//tr[.//a[normalize-space()={label!r}]]")
        row.find_element(By.CSS_SELECTOR, "input.action-select").click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    browser.find_element(By.NAME, "index").click()


@pytest.mark.django_db(transaction=True)
def test_an_editor_ingests_three_dumps_and_curates_them(live_server, editor_login, tmp_path):
    browser = editor_login
    browser.shots.take("logged-in")
    paths = [str(SAMPLE)]
    for name, text in OTHER_DUMPS.items():
        (tmp_path / name).write_text(text)
        paths.append(str(tmp_path / name))

    browser.get(f"{live_server.url}/admin/articles/dump/ingest/")
    browser.find_element(By.ID, "id_files").send_keys("\n".join(paths))
    browser.find_element(By.CSS_SELECTOR, "input[value=Preview]").click()
    see(browser, "Importing would")
    assert "numbering skips from 1 to 3" in browser.page_source
    browser.shots.take("preview")
    browser.find_element(By.CSS_SELECTOR, "input[value^='Confirm']").click()
    see(browser, "Import finished")
    browser.shots.take("imported")
    assert Headline.objects.count() == 23

    article = Article.objects.get()
    browser.get(f"{live_server.url}/admin/articles/article/")
    browser.find_element(By.LINK_TEXT, article.title).click()
    type_tags(browser, "id_topic_tags", "Security,Diplomacy,")
    Select(browser.find_element(By.ID, "id_status")).select_by_value("published")
    browser.find_element(By.ID, "id_published_at_0").send_keys("2017-03-29")
    browser.find_element(By.ID, "id_published_at_1").send_keys("10:00:00")
    browser.shots.take("article-form")
    browser.find_element(By.NAME, "_save").click()
    see(browser, "was changed successfully")
    article.refresh_from_db()
    assert article.is_live and set(article.topic_tags.names()) == {"Security", "Diplomacy"}

    browser.get(f"{live_server.url}/admin/headlines/headline/")
    run_action(browser, "hide", "Port reopens after storm")
    see(browser, "1 headlines hidden")
    run_action(browser, "pin", "Gulf carriers add routes to Africa")
    see(browser, "1 headlines pinned")
    browser.shots.take("headlines")
    assert not Headline.objects.get(title="Port reopens after storm").visible
    assert Headline.objects.get(title="Gulf carriers add routes to Africa").pinned

    browser.get(f"{live_server.url}/admin/articles/source/")
    run_action(browser, "merge_sources", "Gulf Wire", "Gulf Wire Ltd")
    see(browser, "Choose the source to keep")
    browser.shots.take("merge-confirm")
    browser.find_element(By.CSS_SELECTOR, "input[value^='Merge']").click()
    see(browser, "Merged 1 into")
    assert not Source.objects.filter(name="Gulf Wire Ltd").exists()

    browser.get(f"{live_server.url}/admin/")
    assert browser.find_element(By.CSS_SELECTOR, "svg.dashboard-chart")
    browser.shots.take("dashboard")


@pytest.mark.django_db(transaction=True)
def test_an_editor_saves_a_49_mb_arabic_dump_from_the_browser(live_server, editor_login):
    from articles.models import Dump
    from newsroom.ingest import dump_ingest
    from tests.test_ingest_flow import arabic_dump

    browser = editor_login
    data = arabic_dump(4.9)  # under DUMP_MAX_BYTES (5 MiB)
    dump = dump_ingest(data=data, filename="arabic.txt").dump
    browser.get(f"{live_server.url}/admin/articles/dump/{dump.pk}/edit/")
    # Form-encoded, this text would be ~14 MB on the wire and refused with a 400.
    browser.execute_script(
        "const area = document.getElementById('dump-text');"
        "area.value = area.value.replace('عاجل 1:', 'عاجل واحد:');"
    )
    browser.find_element(By.CSS_SELECTOR, "button[value=save]").click()
    WebDriverWait(browser, 60).until(lambda driver: "/edit/" not in driver.current_url)
    assert "Bad Request" not in browser.page_source
    dump.refresh_from_db()
    assert dump.status == Dump.Status.IMPORTED and "عاجل واحد:" in dump.text
    assert Headline.objects.filter(title__startswith="عاجل واحد:").exists()
