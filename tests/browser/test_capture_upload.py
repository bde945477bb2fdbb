"""An editor uploads real page captures (w3m, lynx, a browser paste and a saved HTML page)
through the ingest page, checks the preview and imports them, in a real Chromium."""

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from articles.models import Article, Dump
from tests.browser.test_editor_flow import editor_login, see  # noqa: F401 - a fixture

CAPTURES = Path(__file__).resolve().parents[1] / "fixtures" / "captures"
# file -> (the page's headline, how the preview says it was read); titles as the dev set's
# truth.json gives them (tests/fixtures/captures/README.md).
EXPECTED = {
    "aeb.reuters.oil.w3m.txt": (
        "Oversupply angst drags oil lower, stocks drift near highs",
        "a general capture",
    ),
    "dw-fr.elephants.lynx.txt": (
        "La perte des terres fertiles et les éléphants en Guinée-Conakry",
        "a general capture",
    ),
    "aeb.nbcnews.omar.paste.txt": (
        "New York man pleads guilty to threatening to kill Rep. Ilhan Omar",
        "a general capture",
    ),
    "orf-wien.tobisch.html": ("Lotte Tobisch ist tot", "an HTML page"),
}


def shoot_each_section(browser, step):
    """A screenshot per dump's section (the window shows about one at a time)."""
    sections = browser.find_elements(By.CSS_SELECTOR, "section.dump-result")
    for index, section in enumerate(sections, start=1):
        browser.execute_script("arguments[0].scrollIntoView();", section)
        browser.shots.take(f"{step}-{index}")


@pytest.mark.django_db(transaction=True)
def test_an_editor_uploads_three_captures_and_a_saved_page_and_imports_them(
    live_server,
    editor_login,  # noqa: F811 - the fixture imported above
):
    browser = editor_login
    browser.get(f"{live_server.url}/admin/articles/dump/ingest/")
    files = browser.find_element(By.ID, "id_files")
    files.send_keys("\n".join(str(CAPTURES / name) for name in EXPECTED))
    browser.find_element(By.CSS_SELECTOR, "input[value=Preview]").click()
    see(browser, "Importing would")

    read = {}
    for section in browser.find_elements(By.CSS_SELECTOR, "section.dump-result"):
        name = section.find_element(By.TAG_NAME, "h2").text.split(" — ")[0]
        terms = section.find_elements(By.CSS_SELECTOR, "dl.parsed-article dt")
        details = section.find_elements(By.CSS_SELECTOR, "dl.parsed-article dd")
        fields = {term.text: detail.text for term, detail in zip(terms, details, strict=True)}
        read[name] = (fields["Title"], fields["Read as"])
        # The body is there to read, and so is what was dropped (folded until asked for).
        body = section.find_element(By.CSS_SELECTOR, "details.parsed-body")
        assert body.get_attribute("open") is not None
        assert body.find_elements(By.CSS_SELECTOR, ".parsed-body-text p")
        dropped = section.find_element(By.CSS_SELECTOR, "details.parsed-dropped")
        assert dropped.get_attribute("open") is None
        assert not dropped.find_element(By.CSS_SELECTOR, "table").is_displayed()
    assert {name: (title, how.split(" (")[0]) for name, (title, how) in read.items()} == EXPECTED
    browser.shots.take("preview")
    shoot_each_section(browser, "preview")

    # An editor opens one list of dropped lines: numbered, as the dump's text numbers them.
    paste = next(
        section
        for section in browser.find_elements(By.CSS_SELECTOR, "section.dump-result")
        if "aeb.nbcnews.omar.paste.txt" in section.find_element(By.TAG_NAME, "h2").text
    )
    summary = paste.find_element(By.CSS_SELECTOR, "details.parsed-dropped summary")
    browser.execute_script("arguments[0].scrollIntoView();", summary)
    summary.click()
    rows = paste.find_elements(By.CSS_SELECTOR, "table.dropped-lines tbody tr")
    lines = (CAPTURES / "aeb.nbcnews.omar.paste.txt").read_text().splitlines()
    assert rows
    for row in rows:
        number, _, text = (cell.text for cell in row.find_elements(By.TAG_NAME, "td"))
        assert text.rstrip("…")[:40] in " ".join(lines[int(number) - 1].split())
    browser.shots.take("dropped-open")

    assert Dump.objects.filter(status=Dump.Status.PARSED).count() == 4
    assert not Article.objects.exists()  # nothing imported before the confirmation
    browser.find_element(By.CSS_SELECTOR, "input[value^='Confirm']").click()
    see(browser, "Import finished")
    browser.shots.take("imported")
    titles = sorted(Article.objects.values_list("title", flat=True))
    assert titles == sorted(title for title, _ in EXPECTED.values())
    assert Dump.objects.filter(status=Dump.Status.IMPORTED).count() == 4
    for title, _ in EXPECTED.values():
        assert browser.find_element(By.LINK_TEXT, title)  # the "Created" links


@pytest.mark.django_db(transaction=True)
def test_a_refused_dump_leads_the_editor_to_the_format_section(
    live_server,
    editor_login,  # noqa: F811 - the fixture imported above
):
    browser = editor_login
    browser.get(f"{live_server.url}/admin/articles/dump/ingest/")
    minutes = (
        "The meeting opened at nine and the minutes of the last meeting were read and approved "
        "by all the members present, after a short discussion of the budget for next year.\n"
    )
    browser.find_element(By.ID, "id_text").send_keys(minutes)
    browser.find_element(By.CSS_SELECTOR, "input[value=Preview]").click()
    see(browser, "not a page dump")
    browser.shots.take("refused")
    browser.find_element(By.CSS_SELECTOR, "a.format-link").click()
    see(browser, "The dump format")
    assert browser.current_url.endswith("/admin/articles/dump/format/#captures-of-other-pages")
    heading = browser.find_element(By.ID, "captures-of-other-pages")
    assert heading.text == "Captures of other pages" and heading.is_displayed()
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top;", heading)
    assert 0 <= top < 200  # scrolled to the section
    browser.shots.take("format-section")
