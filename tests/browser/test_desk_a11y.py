"""Every desk page, as an Editors user sees it in a real Chromium under the
production Content-Security-Policy: no critical or serious axe-core violation,
no console error (a CSP refusal is one), no sideways page scroll at 360 px.

axe-core is vendored, pinned: tests/browser/vendor/axe.min.js (see its README).
"""

from pathlib import Path

import pytest
import reversion
from django.conf import settings
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from articles.models import Article, Batch, Dump, RegionTag, Source, TopicKeyword, TopicTag
from headlines.models import Headline, Story
from newsroom.ingest import dump_ingest, dump_preview
from tests.browser.conftest import sign_in
from tests.browser.test_editor_flow import see
from tests.conftest import SAMPLE, editors_group
from tests.test_admin_desk import HEADLINE_ONLY

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
# Each violation with its first nodes: selector, markup and what axe says to fix.
RUN_AXE = """
const done = arguments[arguments.length - 1];
const node = n => [n.target.join(' '), n.html.slice(0, 120), (n.failureSummary || '').slice(0, 200)]
  .join(' ');
axe.run(document, {resultTypes: ['violations']})
  .then(r => done(r.violations.map(
    v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(node)}))))
  .catch(e => done([{id: 'axe-error', impact: 'critical', nodes: [String(e)]}]));
"""
PHONE, DESKTOP = 360, 1280
PASSWORD = "desk-pass-123"


def desk_data():
    """Some of everything a desk page lists: imported, waiting and failed dumps,
    an article with a revision, headlines grouped in stories, tags, keywords."""
    dump_ingest(data=SAMPLE.read_bytes(), filename="000.txt")
    dump_ingest(data=HEADLINE_ONLY, filename="001.txt")
    dump_preview(data=HEADLINE_ONLY.replace("Gulf carriers", "Oman carriers"), filename="w.txt")
    failed = dump_ingest(data="Not a dump at all.\n", filename="bad.txt").dump
    article = Article.objects.get()
    with reversion.create_revision():
        article.dek = article.dek + " (checked)"
        # A stored image's name: the form then shows its link and the clear box.
        article.lead_image, article.lead_image_alt = "lead-images/map.png", "A map"
        article.save()
    topic, _ = TopicTag.objects.get_or_create(name="Energy", defaults={"slug": "energy"})
    TopicKeyword.objects.create(keyword="desk audit keyword", topic=topic)
    RegionTag.objects.get_or_create(name="Middle East", slug="middle-east")
    return article, failed


def desk_pages(article, failed):
    """(name, path) of every page reached by a GET."""
    headline = Headline.objects.order_by("pk").first()
    imported = Dump.objects.filter(status=Dump.Status.IMPORTED).order_by("pk").first()
    pages = [
        ("index", "/admin/"),
        ("ingest", "/admin/articles/dump/ingest/"),
        ("dump-format", "/admin/articles/dump/format/"),
        ("article-list", "/admin/articles/article/"),
        ("article-change", f"/admin/articles/article/{article.pk}/change/"),
        ("article-add", "/admin/articles/article/add/"),
        ("article-history", f"/admin/articles/article/{article.pk}/history/"),
        ("article-recover", "/admin/articles/article/recover/"),
        ("headline-list", "/admin/headlines/headline/"),
        ("headline-change", f"/admin/headlines/headline/{headline.pk}/change/"),
        ("headline-history", f"/admin/headlines/headline/{headline.pk}/history/"),
        ("source-list", "/admin/articles/source/"),
        ("source-change", f"/admin/articles/source/{Source.objects.first().pk}/change/"),
        ("dump-list", "/admin/articles/dump/"),
        ("dump-change", f"/admin/articles/dump/{imported.pk}/change/"),
        ("dump-failed", f"/admin/articles/dump/{failed.pk}/change/"),
        ("dump-editor", f"/admin/articles/dump/{failed.pk}/edit/"),
        ("story-list", "/admin/headlines/story/"),
        ("story-change", f"/admin/headlines/story/{Story.objects.first().pk}/change/"),
        ("region-list", "/admin/articles/regiontag/"),
        ("topic-list", "/admin/articles/topictag/"),
        ("topic-change", f"/admin/articles/topictag/{TopicTag.objects.first().pk}/change/"),
        ("keyword-list", "/admin/articles/topickeyword/"),
        ("keyword-add", "/admin/articles/topickeyword/add/"),
        ("password-change", "/admin/password_change/"),
        ("batch-list", "/admin/articles/batch/"),
        ("batch-page", f"/admin/articles/batch/{Batch.objects.create(name='nightly').pk}/change/"),
    ]
    version = reversion.models.Version.objects.get_for_object(article).first()
    pages.append(
        (
            "article-compare",
            f"/admin/articles/article/{article.pk}/history/{version.pk}/compare/",
        )
    )
    return pages


def audit(browser, name, problems):
    """axe at the desktop width, then the page's width and axe again on a phone.

    The page's console is read before axe runs: axe's own probes add <style>
    elements, which the policy refuses (and should)."""
    settle(browser)
    for entry in browser.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"{name}: console error {entry['message'][:300]}")
    for width in (DESKTOP, PHONE):
        browser.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width == PHONE},
        )
        browser.execute_script("window.scrollTo(0, 0)")
        result = browser.execute_async_script(AXE + RUN_AXE)
        for violation in result:
            if violation["impact"] in ("critical", "serious"):
                problems.append(
                    f"{name} @{width}: {violation['impact']} {violation['id']} {violation['nodes']}"
                )
        if width == PHONE:
            scroll, inner = browser.execute_script(
                "return [document.documentElement.scrollWidth, window.innerWidth]"
            )
            if scroll > inner:
                problems.append(f"{name} @{width}: page is {scroll} px wide in {inner} px")
        browser.shots.take(f"{name}-{width}")
    browser.get_log("browser")  # axe's
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def settle(browser):
    """Let the page's late requests (the favicon, images) and ready handlers finish."""
    browser.execute_async_script("setTimeout(arguments[0], 200)")


def choose_action(browser, action, count):
    boxes = browser.find_elements(By.CSS_SELECTOR, "input.action-select")
    for box in boxes[:count]:
        box.click()
    Select(browser.find_element(By.NAME, "action")).select_by_value(action)
    browser.find_element(By.NAME, "index").click()


def test_the_policy_is_productions():
    # The live server runs these very settings; the desk gets no looser policy.
    # Scripts and styles of our origin, or allowed one by one (a nonce, a hash).
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in directives[directive]
        assert "'unsafe-eval'" not in directives.get(directive, [])
        assert "*" not in directives[directive]
    # The rich-text editor's import map runs by the request's nonce and its one
    # <style> by its hash (tests/test_richtext.py): still no 'unsafe-inline'.
    from csp.constants import NONCE

    assert directives["script-src"] == ["'self'", NONCE]
    assert directives["style-src"] == ["'self'", settings.EDITOR_STYLE_HASH]


@pytest.mark.django_db(transaction=True)
def test_every_desk_page_is_accessible_under_the_csp(live_server, browser, django_user_model):
    article, failed = desk_data()
    user = django_user_model.objects.create_user("desk", password=PASSWORD, is_staff=True)
    user.groups.add(editors_group())
    problems = []

    browser.get(f"{live_server.url}/admin/login/")
    audit(browser, "login", problems)
    sign_in(browser, live_server.url, "desk", PASSWORD)
    policy = browser.execute_script(
        "return fetch(location.href).then(r => r.headers.get('content-security-policy'))"
    )
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy

    for name, path in desk_pages(article, failed):
        browser.get(f"{live_server.url}{path}")
        assert "Page not found" not in browser.title, path
        audit(browser, name, problems)

    # Pages reached by a form: the merge and bulk-tag forms, the ingest preview and result.
    browser.get(f"{live_server.url}/admin/articles/source/")
    choose_action(browser, "merge_sources", 2)
    see(browser, "to keep")
    audit(browser, "source-merge", problems)
    browser.get(f"{live_server.url}/admin/headlines/headline/")
    choose_action(browser, "tag_or_set_source", 2)
    # Not the action's label ("Tag or set the source of selected headlines…"), which the
    # list itself shows: the form's own title, once the POST has answered.
    see(browser, "Tag or set the source of 2 headlines")
    audit(browser, "headline-bulk-tag", problems)
    browser.get(f"{live_server.url}/admin/articles/dump/ingest/")
    browser.find_element(By.ID, "id_text").send_keys(HEADLINE_ONLY.replace("Gulf", "Qatar"))
    browser.find_element(By.CSS_SELECTOR, "input[value=Preview]").click()
    see(browser, "Importing would")
    audit(browser, "ingest-preview", problems)
    browser.find_element(By.CSS_SELECTOR, "input[value^='Confirm']").click()
    see(browser, "Import finished")
    audit(browser, "ingest-done", problems)

    assert not problems, "\n".join(problems)
