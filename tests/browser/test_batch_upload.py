"""An editor drops a zip of dumps on the ingest page and watches the batch import,
with a real worker process and a real Chromium: the progress bar fills without a
reload (static/admin/batch.js under the CSP), and a failed dump opens in the editor."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from articles.models import Batch, Dump
from tests.browser.test_editor_flow import editor_login, see  # noqa: F401 - a fixture
from tests.test_batch_worker import BAD, Worker, desk_dump, make_zip


@pytest.mark.django_db(transaction=True)
def test_an_editor_uploads_a_zip_and_watches_it_import(live_server, editor_login, tmp_path):  # noqa: F811
    browser = editor_login
    members = [(f"morning/{n:02d}.txt", desk_dump(n)) for n in range(24)]
    members += [("morning/broken.txt", BAD)]
    archive = tmp_path / "morning.zip"
    archive.write_bytes(make_zip(members))

    browser.get(f"{live_server.url}/admin/articles/dump/ingest/")
    browser.find_element(By.ID, "id_files").send_keys(str(archive))
    browser.shots.take("zip-chosen")
    browser.find_element(By.CSS_SELECTOR, "input[value=Preview]").click()
    see(browser, "Remaining")
    bar = browser.find_element(By.ID, "batch-bar")
    assert bar.get_attribute("value") == "0"
    assert browser.find_element(By.CSS_SELECTOR, '[data-count="total"]').text == "25"
    browser.shots.take("batch-queued")
    url = browser.current_url

    worker = Worker()
    worker.start()
    try:
        # No reload: the same page's bar and counts move as the worker imports.
        WebDriverWait(browser, 120, poll_frequency=0.1).until(
            lambda driver: bar.get_attribute("value") != "0"
        )
        browser.shots.take("batch-importing")
        WebDriverWait(browser, 120, poll_frequency=0.2).until(
            lambda driver: bar.get_attribute("value") == "100"
        )
    finally:
        worker.stop()
    assert browser.current_url == url
    see(browser, "Finished.")
    counts = {
        key: browser.find_element(By.CSS_SELECTOR, f'[data-count="{key}"]').text
        for key in ("total", "imported", "failed", "remaining", "percent")
    }
    assert counts == {"total": "25", "imported": "24", "failed": "1", "remaining": "0",
                      "percent": "100"}  # fmt: skip
    batch = Batch.objects.get()
    assert Dump.objects.filter(batch=batch, status="imported").count() == 24
    browser.shots.take("batch-finished")

    # The failed dump, added to the list by the script, opens in the dump editor.
    link = browser.find_element(By.LINK_TEXT, "broken.txt")
    row = link.find_element(By.XPATH, "./ancestor::tr")
    assert "not a page dump" in row.text and row.find_elements(By.TAG_NAME, "td")[1].text == "1"
    link.click()
    see(browser, "Edit the text of broken.txt")
    assert "Plain prose, not a dump." in browser.page_source
    browser.shots.take("failed-dump-in-editor")
    logs = browser.get_log("browser") if hasattr(browser, "get_log") else []
    assert not [entry for entry in logs if "Content Security Policy" in entry["message"]]
