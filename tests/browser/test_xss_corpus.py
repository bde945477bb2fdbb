"""Nothing from a dump runs in a reader's or an editor's browser.

A dump whose every text field carries script-injection payloads
(tests/fixtures/xss/corpus.txt) is imported and published; tags, a source, a
file name and links carrying payloads are added; then every public page, feed
and admin page that shows them is opened in a real Chromium with a hook,
installed before any script of the page, that records every write to
``window.__xss`` and every ``alert``/``confirm``/``prompt``. None may fire.

The Content-Security-Policy would block inline scripts by itself; the test
turns it off in the browser (``Page.setBypassCSP``) so that what it checks is
the escaping, the first line of defence: a ``|safe`` on any dump text makes it
fail.
"""

import json
import re
import xml.etree.ElementTree as ET
from html import escape
from urllib.parse import quote, urlencode
from urllib.request import urlopen

import pytest
from django.core.cache import cache
from django.db.models import Q
from django.urls import reverse
from selenium.common.exceptions import NoAlertPresentException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from articles.models import Article, Dump, RegionTag, Source, TopicTag
from headlines.models import Headline, Story
from newsroom.ingest import Status, dump_ingest
from tests.browser.conftest import sign_in
from tests.conftest import FIXTURES, ROOT

CORPUS = FIXTURES / "xss" / "corpus.txt"
ARTIFACTS = ROOT / "test-artifacts"

SCRIPT = "<script>window.__xss=1</script>"
IMG = '<img src=x onerror="window.__xss=1">'
SVG = '"><svg onload="window.__xss=1">'
JS_URL = "javascript:window.__xss=1"
BREAKOUT = "</script><script>window.__xss=1</script>"
ADD = "{{ 7|add:7 }}"
NOW = '{% now "Y" %}'
DETAILS = '<details open ontoggle="window.__xss=1">'
FOCUS = '<input autofocus onfocus="window.__xss=1">'
QUOTE = "' onmouseover='window.__xss=1' x='"
LINK = '<a href="javascript:window.__xss=1">link</a>'
BOLD = "<b onmouseover=alert(1)>x</b>"
PAYLOADS = [SCRIPT, IMG, SVG, JS_URL, BREAKOUT, ADD, NOW, DETAILS, FOCUS, QUOTE, LINK, BOLD]
# A rich body (articles/richtext.py) as markup, not as text: every payload
# plus a style attribute, inside and around the tags the editor allows.
RICH_BODY = (
    f'<p style="background:url(javascript:window.__xss=1)">Rich {SCRIPT} {IMG}</p>'
    f'<h2 onclick="window.__xss=1">Sub {SVG}</h2><blockquote>{DETAILS}x</details></blockquote>'
    f"<ul><li>{FOCUS}</li><li>{LINK}</li></ul><p>{BOLD} {BREAKOUT}"
    f'<a href="{JS_URL}">js</a> <a href=" JAVASCRIPT:window.__xss=1">js2</a></p>'
)

# Set before any script of a page runs (also in XML documents and file:// pages).
HOOK = """
(() => {
  const hits = [];
  Object.defineProperty(window, '__xssHits', {value: hits});
  Object.defineProperty(window, '__xss', {
    get() { return hits.length; },
    set(value) { hits.push('window.__xss=' + value); },
  });
  for (const name of ['alert', 'confirm', 'prompt']) {
    window[name] = function (message) { hits.push(name + '(' + message + ')'); return null; };
  }
  window.__xssHook = true;
})();
"""

# What an escaping bug leaves in the DOM even when nothing fired (a handler
# that needs a hover, a javascript: link that needs a click, broken JSON-LD).
PROBE = """
const marker = /__xss|alert\\(/;
const found = [];
for (const el of document.querySelectorAll('*')) {
  for (const attr of el.attributes) {
    const name = attr.name.toLowerCase();
    if (name.startsWith('on') && marker.test(attr.value)) found.push(el.tagName + ' ' + name);
    if (['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc'].includes(name)
        && /^\\s*javascript:/i.test(attr.value)) found.push(el.tagName + ' ' + name + '=js');
  }
  if (el.tagName === 'SCRIPT' && !el.src && !/json/.test(el.type) && marker.test(el.textContent))
    found.push('inline SCRIPT');
}
for (const ld of document.querySelectorAll('script[type="application/ld+json"]')) {
  try { JSON.parse(ld.textContent); } catch (error) { found.push('JSON-LD broken: ' + error); }
}
return {
  hook: window.__xssHook === true,
  hits: (window.__xssHits || []).slice(),
  found: found,
  html: document.contentType === 'text/html',
  text: document.body ? document.body.innerText : document.documentElement.textContent,
};
"""

EVALUATED = [
    re.compile(r"budget\s+14\s+talks", re.IGNORECASE),  # {{ 7|add:7 }} evaluated
    re.compile(r"census\s+\d{4}\s+results", re.IGNORECASE),  # {% now "Y" %} evaluated
]


class Crawl:
    """Opens pages with the hook in place and records what happened on each."""

    def __init__(self, browser):
        self.browser = browser
        self.pages = []
        self.executions = []
        self.dialogs = []
        self.injections = []
        browser.execute_cdp_cmd("Page.setBypassCSP", {"enabled": True})
        browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})

    def open(self, url, kind, *, literal=()):
        self.browser.get(url)
        return self.check(kind, url, literal=literal)

    def check(self, kind, label, *, literal=()):
        """Read the flags of the page now shown (after a click or a form submit)."""
        WebDriverWait(self.browser, 15).until(
            lambda driver: driver.execute_script("return document.readyState") == "complete"
        )
        # Let queued events fire (ontoggle, autofocus, image errors).
        self.browser.execute_async_script("setTimeout(arguments[arguments.length - 1], 25)")
        self._dialog(label)
        state = self.browser.execute_script(PROBE)
        assert state["hook"], f"the detection hook did not run on {label}"
        self.pages.append((kind, label))
        self.executions += [(label, hit) for hit in state["hits"]]
        self.injections += [(label, where) for where in state["found"]]
        text = state["text"] or ""
        for pattern in EVALUATED:
            match = pattern.search(text)
            assert match is None, f"template syntax evaluated on {label}: {match.group()!r}"
        for expected in literal:
            assert expected in text, f"{expected!r} not shown literally on {label}"
        return text

    def _dialog(self, label):
        try:
            alert = self.browser.switch_to.alert
        except NoAlertPresentException:
            return
        self.dialogs.append((label, alert.text))
        alert.dismiss()


def by_page(what, records):
    """A failure message: what happened, page by page."""
    pages = {}
    for label, event in records:
        pages.setdefault(label, set()).add(event)
    lines = [f"{len(records)} {what} on {len(pages)} pages:"]
    lines += [f"  {label}: {sorted(events)}" for label, events in pages.items()]
    return "\n".join(lines)


def import_corpus():
    """The corpus imported and published, plus payloads in what editors add."""
    result = dump_ingest(
        data=CORPUS.read_bytes(),
        filename=f"corpus {SVG}.txt",
        source=f"{BREAKOUT} Desk",
        publish=True,
    )
    assert result.status == Status.IMPORTED, result.error
    article = Article.objects.get()
    article.region_tags.add(BOLD, f"Region {SVG}")
    article.topic_tags.add(f"Topic {SCRIPT}", f"Topic {ADD} {NOW}")
    Article.objects.filter(pk=article.pk).update(source_url=JS_URL)
    headlines = list(Headline.objects.order_by("pk"))
    for headline in headlines:
        headline.region_tags.add(BOLD)
        headline.topic_tags.add(f"Topic {SCRIPT}")
    Headline.objects.filter(pk=headlines[0].pk).update(url=JS_URL)
    Source.objects.filter(pk=article.source_id).update(homepage_url=JS_URL)
    rich = Article.objects.create(
        title="Rich payloads",
        slug="rich-payloads",
        status=Article.Status.PUBLISHED,
        published_at=article.published_at,
    )
    # Stored raw, around save()'s sanitiser: the page and the editor must still be safe.
    Article.objects.filter(pk=rich.pk).update(body=RICH_BODY)
    failed = dump_ingest(data=f"{SCRIPT}\n\n{IMG} prose only.\n".encode(), filename=f"{IMG}.txt")
    assert failed.status == Status.FAILED
    cache.clear()
    return article, failed.dump


def stored_placements():
    """How many stored text fields carry a payload (the corpus actually in the database)."""
    texts = []
    for article in Article.objects.all():
        texts += [article.title, article.dek, article.body, article.source_url]
    for headline in Headline.objects.all():
        texts += [headline.title, headline.summary, headline.credit, headline.region_label]
        texts.append(headline.url)
    texts += [source.name for source in Source.objects.all()]
    texts += [tag.name for model in (RegionTag, TopicTag) for tag in model.objects.all()]
    texts += [dump.filename for dump in Dump.objects.all()]
    return sum(1 for text in texts for payload in PAYLOADS if payload in (text or ""))


def feed_reader_page(xml_text, path):
    """Render a feed as a reader does (descriptions as HTML, titles as text) into a file."""
    items = []
    for item in ET.fromstring(xml_text).iter("item"):
        title = escape(item.findtext("title") or "")
        description = item.findtext("description") or ""
        items.append(f"<article><h2>{title}</h2><div>{description}</div></article>")
    path.write_text(
        "<!doctype html><html><head><meta charset=utf-8><title>reader</title></head>"
        f"<body>{''.join(items)}</body></html>",
        encoding="utf-8",
    )
    return path.as_uri(), len(items)


@pytest.mark.django_db(transaction=True)
def test_no_payload_from_a_dump_runs_on_any_page(live_server, browser, django_user_model, tmp_path):
    article, failed_dump = import_corpus()
    placements = stored_placements()
    corpus_text = CORPUS.read_text(encoding="utf-8")
    for payload in PAYLOADS:
        assert payload in corpus_text, payload
    base = live_server.url
    crawl = Crawl(browser)

    # -- the public site, as an anonymous reader --------------------------------
    article_url = f"{base}{article.get_absolute_url()}"
    text = crawl.open(
        article_url,
        "public",
        literal=[f"budget {ADD} talks", f"census {NOW} results", SCRIPT, IMG, SVG, BREAKOUT],
    )
    ld = browser.find_element(By.CSS_SELECTOR, 'script[type="application/ld+json"]')
    data = json.loads(ld.get_attribute("textContent"))
    assert data["headline"] == article.title and BREAKOUT in data["sourceOrganization"]["name"]
    assert QUOTE in text and BOLD in text  # the tag, as text
    browser.shots.take("article")
    rich = Article.objects.get(slug="rich-payloads")
    crawl.open(f"{base}{rich.get_absolute_url()}", "public", literal=["Rich", "Sub"])
    browser.shots.take("rich-article")
    # The sidebar shows one copy a story: payload headlines alike enough to be
    # one story show their lead here, every copy on the archive and story pages.
    crawl.open(f"{base}/", "public", literal=[f"budget {ADD} talks", DETAILS])
    browser.shots.take("home")
    tags = [
        tag
        for model in (RegionTag, TopicTag)
        for tag in model.objects.filter(
            Q(article_items__isnull=False) | Q(headline_items__isnull=False)
        ).distinct()
    ]
    for tag in tags:
        crawl.open(f"{base}{tag.get_absolute_url()}", "public", literal=[tag.name])
        kind = "regions" if isinstance(tag, RegionTag) else "topics"
        feed = f"{base}/feeds/{kind}/{tag.slug}/"
        crawl.open(feed, "feed")
    for source in Source.objects.all():
        crawl.open(f"{base}{source.get_absolute_url()}", "public", literal=[source.name])
    payload_source = Source.objects.get(name__startswith="{{")
    payload_region = RegionTag.objects.get(name=BOLD)
    crawl.open(f"{base}/headlines/", "public", literal=[DETAILS, FOCUS])
    for story in Story.objects.all():
        crawl.open(f"{base}{reverse('story-detail', args=[story.pk])}", "public")
    for query in (
        {},
        {"stories": "1"},
        {"source": payload_source.slug},
        {"region": payload_region.slug},
        {"date": SCRIPT},
        {"date": SVG},
    ):
        crawl.open(f"{base}/headlines/?{urlencode(query)}", "public")
    for words in ("zebra", "zebra budget", SCRIPT, SVG, f"{QUOTE} {IMG}", BREAKOUT):
        crawl.open(f"{base}/search/?q={quote(words)}", "public")
    assert "Zebra" in crawl.open(f"{base}/search/?q=zebra", "public")
    for feed in ("/feeds/articles/", "/feeds/headlines/", "/sitemap.xml", "/robots.txt"):
        xml_text = crawl.open(f"{base}{feed}", "feed")
        if feed.startswith("/feeds/"):
            # The browser showed the feed through its XSL (checked above); a reader gets the XML.
            with urlopen(f"{base}{feed}") as response:  # noqa: S310 - the live server
                xml_text = response.read().decode()
            # A feed reader shows the descriptions as HTML.
            page, count = feed_reader_page(xml_text, tmp_path / f"reader-{feed.split('/')[2]}.html")
            assert count >= 1
            crawl.open(page, "feed reader")

    # -- the admin, as a superuser ------------------------------------------------
    django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
    sign_in(browser, base, "root", "root-pass-123")
    crawl.check("admin", "admin index")
    dump = article.dump
    admin_pages = [
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_article_changelist") + "?q=zebra",
        reverse("admin:articles_article_change", args=[article.pk]),
        reverse("admin:articles_article_change", args=[rich.pk]),  # in the rich-text editor
        reverse("admin:articles_article_history", args=[article.pk]),
        reverse("admin:headlines_headline_changelist"),
        reverse("admin:headlines_headline_changelist") + f"?appearances__dump={dump.pk}",
        reverse("admin:headlines_headline_changelist") + "?q=zebra",
        reverse("admin:articles_source_changelist"),
        reverse("admin:articles_dump_changelist"),
        reverse("admin:articles_dump_change", args=[dump.pk]),
        reverse("admin:articles_dump_change", args=[failed_dump.pk]),
        reverse("admin:articles_dump_edit", args=[failed_dump.pk]),
        reverse("admin:articles_regiontag_changelist"),
        reverse("admin:articles_topictag_changelist"),
    ]
    admin_pages += [
        reverse("admin:headlines_headline_change", args=[pk])
        for pk in Headline.objects.values_list("pk", flat=True)
    ]
    admin_pages += [
        reverse("admin:articles_source_change", args=[pk])
        for pk in Source.objects.values_list("pk", flat=True)
    ]
    admin_pages += [
        reverse(f"admin:articles_{tag._meta.model_name}_change", args=[tag.pk]) for tag in tags
    ]
    for path in admin_pages:
        crawl.open(f"{base}{path}", "admin")
    browser.shots.take("admin-headline")

    # The dump text editor, with its preview of the edited text.
    crawl.open(f"{base}{reverse('admin:articles_dump_edit', args=[dump.pk])}", "admin")
    browser.find_element(By.CSS_SELECTOR, "button[value=preview]").click()
    WebDriverWait(browser, 15).until(lambda driver: "dump-editor-form" in driver.page_source)
    crawl.check("admin", "dump editor preview", literal=[f"budget {ADD} talks"])
    browser.shots.take("dump-editor")

    # The ingest page: paste a variant of the corpus, preview, confirm.
    variant = corpus_text + (
        f"  9. Zebra headline {SCRIPT} nine {IMG} - {BOLD[:12]}\n"
        f"    03.28 / 20:30\n    Summary {SVG} nine. © {BREAKOUT} Daily 2017\n"
    )
    crawl.open(f"{base}{reverse('admin:articles_dump_ingest')}", "admin")
    textarea = browser.find_element(By.ID, "id_text")
    browser.execute_script("arguments[0].value = arguments[1];", textarea, variant)
    browser.find_element(By.ID, "id_source").send_keys(SVG)
    browser.find_element(By.CSS_SELECTOR, "input[value=Preview]").click()
    WebDriverWait(browser, 15).until(lambda driver: "Importing would" in driver.page_source)
    crawl.check("admin", "ingest preview", literal=[SCRIPT, IMG])
    browser.shots.take("ingest-preview")
    browser.find_element(By.CSS_SELECTOR, "input[value^='Confirm']").click()
    WebDriverWait(browser, 15).until(lambda driver: "Import finished" in driver.page_source)
    crawl.check("admin", "ingest done")
    assert Headline.objects.filter(title__contains=" nine ").exists()

    # The merge confirmation lists sources by name.
    crawl.open(f"{base}{reverse('admin:articles_source_changelist')}", "admin")
    for checkbox in browser.find_elements(By.CSS_SELECTOR, "input.action-select")[:3]:
        checkbox.click()
    Select(browser.find_element(By.NAME, "action")).select_by_value("merge_sources")
    browser.find_element(By.NAME, "index").click()
    WebDriverWait(browser, 15).until(lambda driver: "the source to keep" in driver.page_source)
    crawl.check("admin", "merge sources")

    # The dashboard after all that.
    crawl.open(f"{base}{reverse('admin:index')}", "admin")

    kinds = {}
    for kind, _ in crawl.pages:
        kinds[kind] = kinds.get(kind, 0) + 1
    figures = (
        f"XSS corpus: {len(PAYLOADS)} payloads in {placements} stored fields; "
        f"{len(crawl.pages)} pages opened ({', '.join(f'{n} {k}' for k, n in kinds.items())}); "
        f"{len(crawl.executions)} executed, {len(crawl.dialogs)} dialogs, "
        f"{len(crawl.injections)} injected handlers or links"
    )
    print(figures)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "xss-corpus.txt").write_text(figures + "\n", encoding="utf-8")
    assert not crawl.executions, by_page("scripts ran", crawl.executions)
    assert not crawl.dialogs, by_page("dialogs opened", crawl.dialogs)
    assert not crawl.injections, by_page("payloads reached the DOM", crawl.injections)
    assert placements >= 40 and len(crawl.pages) >= 50


def test_the_hook_sees_a_payload_that_runs(browser, tmp_path):
    """The detector itself works: an unescaped payload in a page is caught."""
    page = tmp_path / "unescaped.html"
    page.write_text(f"<!doctype html><p>{SCRIPT}{IMG}{DETAILS}x</details>{BOLD}</p>")
    crawl = Crawl(browser)
    crawl.open(page.as_uri(), "control")
    assert len(crawl.executions) == 3, crawl.executions
    assert any("onmouseover" in where for _, where in crawl.injections)
