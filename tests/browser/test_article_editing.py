"""The article form in a real Chromium under the CSP: the rich-text editor,
preview before saving, saving, and the prompt before leaving unsaved changes."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from articles.models import Article, WorkingCopy
from tests.browser.test_editor_flow import editor_login, see  # noqa: F401 - a fixture


@pytest.fixture
def article(db):
    return Article.objects.create(
        title="Council closes the bridge",
        slug="bridge",
        body="<p>The council voted on Tuesday.</p>",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def console_errors(browser):
    return [
        entry["message"]
        for entry in browser.get_log("browser")
        if entry["level"] == "SEVERE" and "favicon.ico" not in entry["message"]
    ]


def open_form(browser, base, article):
    browser.get(f"{base}/admin/articles/article/{article.pk}/change/")
    WebDriverWait(browser, 15).until(
        lambda driver: driver.find_elements(By.CSS_SELECTOR, ".ProseMirror[contenteditable]")
    )
    return browser.find_element(By.CSS_SELECTOR, ".ProseMirror[contenteditable]")


def menu(browser, name):
    browser.find_element(By.CSS_SELECTOR, f".prose-menubar [data-name={name}]").click()


@pytest.mark.django_db(transaction=True)
def test_an_editor_writes_rich_text_previews_it_saves_and_sees_the_public_page(
    live_server,
    editor_login,  # noqa: F811
    article,
):
    browser, base = editor_login, live_server.url
    editor = open_form(browser, base, article)
    assert console_errors(browser) == []  # the editor runs under the CSP (nonce and hash)
    editor.click()
    editor.send_keys(Keys.CONTROL, Keys.END)
    editor.send_keys(Keys.ENTER, "Background")
    # The block type menu: the new paragraph becomes a subheading.
    browser.find_element(By.CSS_SELECTOR, ".prose-menubar__selected").click()
    WebDriverWait(browser, 5).until(
        EC.element_to_be_clickable((By.CSS_SELECTOR, ".prose-menubar__option[data-name=heading2]"))
    ).click()
    editor.send_keys(Keys.END, Keys.ENTER, "Read the engineers' report")
    for _ in range(len("report")):
        editor.send_keys(Keys.SHIFT, Keys.ARROW_LEFT)
    menu(browser, "link")
    dialog = WebDriverWait(browser, 5).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, "dialog[open]"))
    )
    browser.shots.take("link-dialog")
    url_input = dialog.find_element(By.CSS_SELECTOR, "input[type=url], input[name=href], input")
    url_input.clear()
    url_input.send_keys("https://example.org/report")
    dialog.find_element(By.CSS_SELECTOR, "button[type=submit], button[value=default]").click()
    title = browser.find_element(By.ID, "id_title")
    title.clear()
    title.send_keys("Council closes the bridge for a year")
    browser.shots.take("typed")
    body = browser.find_element(By.ID, "id_body").get_attribute("value")
    assert "<h2>Background</h2>" in body and 'href="https://example.org/report"' in body

    # Preview: a new tab with the unsaved form; nothing saved.
    form_tab = browser.current_window_handle
    browser.find_element(By.ID, "preview-button").click()
    WebDriverWait(browser, 10).until(lambda driver: len(driver.window_handles) == 2)
    browser.switch_to.window([h for h in browser.window_handles if h != form_tab][0])
    see(browser, "unsaved changes")
    preview = browser.find_element(By.CSS_SELECTOR, ".prose")
    assert preview.find_element(By.TAG_NAME, "h2").text == "Background"
    link = preview.find_element(By.CSS_SELECTOR, "a[href='https://example.org/report']")
    assert link.text == "report"
    assert "for a year" in browser.find_element(By.ID, "article-title").text
    browser.shots.take("preview")
    assert console_errors(browser) == []
    article.refresh_from_db()
    assert article.title == "Council closes the bridge" and "Background" not in article.body
    browser.close()
    browser.switch_to.window(form_tab)

    # Save (no "leave the page?" prompt for a save), then the public page.
    browser.find_element(By.NAME, "_save").click()
    see(browser, "was changed successfully")
    article.refresh_from_db()
    assert article.title == "Council closes the bridge for a year"
    assert "<h2>Background</h2>" in article.body
    browser.get(f"{base}/articles/bridge/")
    public = browser.find_element(By.CSS_SELECTOR, ".prose")
    assert public.find_element(By.TAG_NAME, "h2").text == "Background"
    assert public.find_element(By.CSS_SELECTOR, "a[href='https://example.org/report']")
    browser.shots.take("public")
    assert console_errors(browser) == []


def at_index(browser):
    WebDriverWait(browser, 15).until(lambda driver: driver.current_url.endswith("/admin/"))


def prompts_to_leave(browser):
    """The "leave this page?" prompts the browser opened since the last call.

    ChromeDriver accepts them by itself; DevTools still logs each one opening.
    """
    events = (json.loads(entry["message"])["message"] for entry in browser.get_log("performance"))
    return [
        event["params"]["url"]
        for event in events
        if event["method"] == "Page.javascriptDialogOpening"
        and event["params"]["type"] == "beforeunload"
    ]


@pytest.mark.dialogs
@pytest.mark.django_db(transaction=True)
def test_leaving_a_changed_form_asks_first(live_server, editor_login, article):  # noqa: F811
    browser, base = editor_login, live_server.url
    open_form(browser, base, article)
    prompts_to_leave(browser)
    browser.find_element(By.CSS_SELECTOR, ".breadcrumbs a").click()  # unchanged: no question
    at_index(browser)
    assert prompts_to_leave(browser) == []

    open_form(browser, base, article)
    browser.find_element(By.ID, "id_title").send_keys(" (changed)")
    # The autosave (every 3 s while typing) keeps a working copy, not the article.
    WebDriverWait(browser, 10).until(
        lambda driver: "Autosaved at" in driver.find_element(By.ID, "autosave-status").text
    )
    copy = WorkingCopy.objects.get(article=article)
    assert copy.data["title"] == ["Council closes the bridge (changed)"]
    browser.shots.take("changed")
    browser.find_element(By.CSS_SELECTOR, ".breadcrumbs a").click()
    at_index(browser)
    assert prompts_to_leave(browser) == [f"{base}/admin/articles/article/{article.pk}/change/"]
    article.refresh_from_db()
    assert article.title == "Council closes the bridge"

    # Back on the form: the offer to restore the autosaved copy.
    open_form(browser, base, article)
    browser.find_element(By.ID, "restore-working-copy").click()
    see(browser, "are in the form below, not saved yet")
    title = browser.find_element(By.ID, "id_title").get_attribute("value")
    assert title == "Council closes the bridge (changed)"
    browser.shots.take("restored")
    assert console_errors(browser) == []

    # Typing in the rich-text editor counts too; saving leaves without a question.
    editor = open_form(browser, base, article)
    editor.click()
    editor.send_keys(Keys.CONTROL, Keys.END)
    editor.send_keys(" More.")
    browser.find_element(By.NAME, "_save").click()
    see(browser, "was changed successfully")
    assert prompts_to_leave(browser) == []
    article.refresh_from_db()
    assert "More." in article.body and article.title == "Council closes the bridge"
    assert not WorkingCopy.objects.filter(article=article).exists()  # saved: the copy goes
