"""Rich-text bodies: the allow-list, the migration of plain bodies, and what
ingest, the page, revisions' compare and search make of them."""

import base64
import hashlib
import importlib
import re
from pathlib import Path

import django_prose_editor
import pytest
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from reversion.models import Version

from articles import richtext
from articles.models import Article
from newsroom.ingest import dump_ingest, dump_reparse
from tests.test_revisions import article_form

rich_body = importlib.import_module("articles.migrations.0012_rich_body")

HOSTILE = (
    '<p onclick="steal()" style="color:red">Hello <script>alert(1)</script>'
    '<a href="javascript:alert(2)">click</a> <a href=" JaVaScRiPt:alert(3)">again</a>'
    '<img src=x onerror="alert(4)"><strong style="x">bold</strong>'
    '<iframe src="https://evil.example"></iframe><em onmouseover="alert(5)">it</em></p>'
    '<style>p{display:none}</style><h1>Big</h1><h2 class="x" id="y">Sub</h2>'
    '<a href="https://ok.example/?a=1&b=2" target="_blank" onfocus="x()">fine</a>'
)


def test_the_sanitiser_keeps_the_allowed_markup_and_nothing_that_runs():
    clean = richtext.sanitize(HOSTILE)
    for gone in ("<script", "alert(1)", "javascript:", "onerror", "onclick", "onmouseover",
                 "onfocus", "style=", "<style", "<iframe", "<img", "<h1", "class=", "id=",
                 "target="):  # fmt: skip
        assert gone.lower() not in clean.lower(), gone
    assert "<strong>bold</strong>" in clean and "<em>it</em>" in clean and "<h2>Sub</h2>" in clean
    assert '<a href="https://ok.example/?a=1&amp;b=2" rel="noopener noreferrer">fine</a>' in clean
    assert richtext.sanitize(clean) == clean  # stable: saving twice changes nothing
    kept = "<p>a</p><h3>b</h3><blockquote><p>c</p></blockquote><ul><li><p>d</p></li></ul>"
    kept += "<ol><li><p>e<br>f</p></li></ol>"
    assert richtext.sanitize(kept) == kept
    assert richtext.sanitize("<p></p>") == "" == richtext.sanitize("  ")


def test_plain_text_becomes_escaped_paragraphs_and_reads_back_as_text():
    body = richtext.paragraphs_html(["Tom & Jerry <script>x</script>", "", "Two"])
    assert body == "<p>Tom &amp; Jerry &lt;script&gt;x&lt;/script&gt;</p><p>Two</p>"
    assert richtext.as_text(body) == "Tom & Jerry <script>x</script>\nTwo"
    rich = (
        '<h2>Sub</h2><p>See <a href="https://x.example/">this</a></p><ul><li><p>one</p></li></ul>'
    )
    assert richtext.as_text(rich) == "## Sub\nSee this (https://x.example/)\n- one"
    assert richtext.render("<p>One</p><ul><li><p>Two</p></li></ul>", cut=True) == (
        "<p>One</p><ul><li><p>Two…</p></li></ul>"
    )


def test_the_migration_writes_exactly_what_ingest_writes():
    for text in ["One.\n\nTwo & <b>three</b>\nstill two", "  \n\n", 'It\'s "quoted"\n\n\nx']:
        expected = richtext.paragraphs_html(richtext.plain_paragraphs(text))
        assert rich_body.plain_to_html(text) == expected
        assert rich_body.html_to_plain(expected) == "\n\n".join(richtext.plain_paragraphs(text))


def test_the_csp_allows_the_editors_own_style_by_its_hash():
    """TipTap injects one <style>; the CSP names its hash, so a new version fails here."""
    script = Path(django_prose_editor.__file__).parent / "static/django_prose_editor/editor.js"
    css = re.search(r"a4=`([^`]*)`", script.read_text()).group(1)
    digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
    assert settings.EDITOR_STYLE_HASH == f"'sha256-{digest}'"


@pytest.mark.django_db(transaction=True)
def test_existing_plain_bodies_are_migrated_to_escaped_paragraphs():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    before = [("articles", "0011_batches")]
    executor.migrate(before)
    OldArticle = executor.loader.project_state(before).apps.get_model("articles", "Article")
    OldArticle.objects.create(title="Old", slug="old", body="First <script>x</script>\n\nSecond")
    OldArticle.objects.create(title="Empty", slug="empty", body="")
    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    assert Article.objects.get(slug="old").body == (
        "<p>First &lt;script&gt;x&lt;/script&gt;</p><p>Second</p>"
    )
    assert Article.objects.get(slug="empty").body == ""


@pytest.mark.django_db
def test_a_hostile_body_posted_in_the_admin_is_stored_and_shown_clean(client, editor):
    article = Article.objects.create(
        title="Posted", slug="posted", status="published", published_at=timezone.now()
    )
    client.force_login(editor)
    change = reverse("admin:articles_article_change", args=[article.pk])
    when = {"published_at_0": "2020-01-01", "published_at_1": "00:00:00"}
    response = client.post(change, article_form(article, body=HOSTILE, **when))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.body == richtext.sanitize(HOSTILE) and "alert" not in article.body
    # A row written around the form (a bulk update) is cleaned again on the page.
    Article.objects.filter(pk=article.pk).update(body=HOSTILE)
    client.logout()
    page = client.get(article.get_absolute_url()).content.decode()
    prose = page.split('<div class="prose" dir="auto">')[1].split("</div>")[0]
    assert "<strong>bold</strong>" in prose
    for gone in ("<script", "javascript:", "onerror", "onclick", "style=", "<iframe"):
        assert gone not in prose.lower()


@pytest.mark.django_db
def test_ingest_keeps_an_editors_rich_edit_and_compare_shows_text(client, editor, sample_bytes):
    first = dump_ingest(data=sample_bytes, filename="000.txt")
    article = Article.objects.get()
    assert article.body.startswith("<p>") and first.articles.created == 1
    again = dump_reparse(dump=first.dump)
    assert again.articles.unchanged == 1  # the same dump: the same body, nothing to update

    client.force_login(editor)
    change = reverse("admin:articles_article_change", args=[article.pk])
    edited = '<h2>New part</h2><p>Read <a href="https://x.example/">the report</a>.</p>'
    assert client.post(change, article_form(article, body=edited)).status_code == 302
    result = dump_reparse(dump=first.dump)
    article.refresh_from_db()
    assert article.body == richtext.sanitize(edited) and any("body" in c for c in result.conflicts)

    imported = Version.objects.get_for_object(article).order_by("pk").first()
    compare = client.get(reverse("admin:articles_article_compare", args=[article.pk, imported.pk]))
    text = compare.content.decode()
    assert "+ ## New part" in text and "+ Read the report (https://x.example/)." in text
    assert "&lt;h2&gt;" not in text and "&lt;p&gt;" not in text  # a diff of text, not markup


@pytest.mark.django_db
def test_search_finds_words_of_a_rich_body_but_not_its_markup(client):
    Article.objects.create(
        title="Plain title",
        slug="plain",
        body="<p>The <strong>pipeline</strong> reopened.</p>",
        status="published",
        published_at=timezone.now(),
    )
    found = client.get("/search/", {"q": "pipeline"}).content.decode()
    assert "Plain title" in found


PIECES = st.sampled_from(
    ["<p>", "</p>", "<a href='javascript:x()'>", '<a href="https://x.example/">', "</a>",
     "<script>", "</script>", '<img src=x onerror="x()">', '<b style="color:red">', "</b>",
     "<h2 onclick=x()>", "</h2>", "<ul><li>", "</li></ul>", "&amp;", "&", "<", ">", '"',
     "<!-- c -->", "<style>", "</style>", "<blockquote>", "</blockquote>", "text ", "ب "]
)  # fmt: skip


@given(st.lists(PIECES, max_size=30).map("".join))
def test_sanitising_is_stable_and_nothing_that_runs_survives(value):
    clean = richtext.sanitize(value)
    assert richtext.sanitize(clean) == clean
    lowered = clean.lower()
    for gone in ("<script", "javascript:", "onerror", "onclick", "style=", "<style", "<img"):
        assert gone not in lowered
