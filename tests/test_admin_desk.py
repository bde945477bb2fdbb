"""The editors' desk, driven as an editor would with the test client."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, Dump, RegionTag, Source, TopicTag
from headlines.models import Headline, HeadlineRegion
from newsroom.ingest import dump_ingest

XSS_DUMP = (
    "Latest headlines\n\n"
    '  1. <script>alert("title")</script> - Gulf\n'
    "    03.28 / 21:10\n"
    '    "><img src=x onerror=alert(1)> summary. © <b onmouseover=alert(2)>Evil Wire</b> 2017\n'
    "  2. Second one - Gulf\n"
    "    03.28 / 21:00\n"
    "    Plain summary. © Calm Wire 2017\n"
)
HEADLINE_ONLY = (
    "Latest headlines\n\n"
    "  1. Gulf carriers add routes to Africa - Gulf\n"
    "    03.29 / 08:00\n"
    "    Airlines expand. © Gulf Wire 2017. All rights reserved.\n"
    "  3. Tunisian start-ups look to Europe - North Afric\n"
    "    03.29 / 07:30\n"
    "    Founders head north… © GULF WIRE 2017\n"
)


def upload(name, content):
    data = content if isinstance(content, bytes) else content.encode()
    return SimpleUploadedFile(name, data, content_type="text/plain")


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


@pytest.mark.django_db
def test_an_editor_ingests_three_dumps_with_a_preview_then_curates(desk, sample_bytes):
    ingest_url = reverse("admin:articles_dump_ingest")
    assert desk.get(ingest_url).status_code == 200

    preview = desk.post(
        ingest_url,
        {
            "step": "preview",
            "files": [
                upload("000.txt", sample_bytes),
                upload("001.txt", HEADLINE_ONLY),
                upload("002.txt", XSS_DUMP),
            ],
            "text": "",
        },
    )
    page = preview.content.decode()
    assert preview.status_code == 200
    assert "The coming Iran-US confrontation in Iraq" in page
    assert "numbering skips from 1 to 3" in page  # a warning, with its line
    assert "Importing would" in page
    # Stored once, as parsed; nothing imported yet.
    assert Dump.objects.filter(status=Dump.Status.PARSED).count() == 3
    assert Headline.objects.count() == 0

    ids = re.findall(r'name="dump" value="([^"]+)"', page)
    done = desk.post(
        ingest_url,
        {"step": "confirm", "dump": ids, "captured_at": "", "source": ""},
    )
    assert done.status_code == 200
    assert Dump.objects.filter(status=Dump.Status.IMPORTED).count() == 3
    article = Article.objects.get()
    assert reverse("admin:articles_article_change", args=[article.pk]) in done.content.decode()

    # Tag and publish the article.
    change = reverse("admin:articles_article_change", args=[article.pk])
    form = desk.get(change)
    assert form.status_code == 200
    response = desk.post(
        change,
        {
            "title": article.title,
            "slug": article.slug,
            "dek": article.dek,
            "body": article.body,
            "truncated": "on",
            "status": "published",
            "published_at_0": "2017-03-29",
            "published_at_1": "10:00:00",
            "region_tags": "Middle East, Iraq",
            "topic_tags": "Security, Diplomacy",
            "dek_truncated": "on",
            "lead_image_alt": "",
            "lead_image_credit": "",
            "source_url": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    article.refresh_from_db()
    assert article.is_live
    assert set(article.topic_tags.names()) == {"Security", "Diplomacy"}
    assert "topic_tags" in article.edited_fields

    # Hide one headline, pin another.
    changelist = reverse("admin:headlines_headline_changelist")
    first, second = Headline.objects.order_by("-published_at", "pk")[:2]
    desk.post(changelist, {"action": "hide", "_selected_action": [first.pk]})
    desk.post(changelist, {"action": "pin", "_selected_action": [second.pk]})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.visible is False and second.pinned is True
    assert {"visible"} <= set(first.edited_fields)

    # Merge two spellings of one outlet (they already resolve to one: add another).
    extra = Source.objects.create(name="Gulf Wire Ltd", slug="gulf-wire-ltd")
    gulf_wire = Source.objects.get(name="Gulf Wire")
    sources_url = reverse("admin:articles_source_changelist")
    confirm_page = desk.post(
        sources_url, {"action": "merge_sources", "_selected_action": [gulf_wire.pk, extra.pk]}
    )
    assert "Choose the source to keep" in confirm_page.content.decode()
    desk.post(
        sources_url,
        {
            "action": "merge_sources",
            "_selected_action": [gulf_wire.pk, extra.pk],
            "confirm": "yes",
            "keep": gulf_wire.pk,
        },
    )
    assert not Source.objects.filter(pk=extra.pk).exists()

    # The dashboard with its chart.
    index = desk.get(reverse("admin:index")).content.decode()
    assert "<svg" in index and "Headlines per day" in index


@pytest.mark.django_db
def test_a_failed_dump_shows_its_error_line_and_text_and_is_stored(desk):
    ingest_url = reverse("admin:articles_dump_ingest")
    prose = "Plain prose.\n\nNo list at all.\n"
    preview = desk.post(ingest_url, {"step": "preview", "text": prose, "text_name": "bad.txt"})
    assert "not a page dump" in preview.content.decode()
    assert "Plain prose." in preview.content.decode()
    ids = re.findall(r'name="dump" value="([^"]+)"', preview.content.decode())
    desk.post(ingest_url, {"step": "confirm", "dump": ids})
    dump = Dump.objects.get()
    assert dump.status == Dump.Status.FAILED and dump.error_line == 1
    detail = desk.get(reverse("admin:articles_dump_change", args=[dump.pk])).content.decode()
    assert "not a page dump" in detail and 'id="L1"' in detail


@pytest.mark.django_db
def test_uploads_over_the_size_limit_get_a_clear_message(desk, settings):
    settings.DUMP_MAX_BYTES = 100
    response = desk.post(
        reverse("admin:articles_dump_ingest"),
        {"step": "preview", "files": [upload("big.txt", "x" * 500)]},
    )
    assert "a dump may be at most 100 bytes" in response.content.decode()
    assert Dump.objects.count() == 0


@pytest.mark.django_db
def test_dump_text_from_a_dump_is_escaped_on_every_admin_page(desk):
    result = dump_ingest(data=XSS_DUMP, filename="xss.txt")
    headline = Headline.objects.get(title__startswith="<script>")
    source = Source.objects.get(name__contains="Evil")
    pages = [
        reverse("admin:headlines_headline_changelist"),
        reverse("admin:headlines_headline_change", args=[headline.pk]),
        reverse("admin:articles_source_changelist"),
        reverse("admin:articles_source_change", args=[source.pk]),
        reverse("admin:articles_dump_change", args=[result.dump.pk]),
        reverse("admin:articles_dump_edit", args=[result.dump.pk]),
        reverse("admin:articles_dump_changelist"),
    ]
    for url in pages:
        page = desk.get(url).content.decode()
        assert "<script>alert(" not in page, url
        assert "<img src=x onerror" not in page, url
        assert "<b onmouseover" not in page, url
    preview = desk.post(
        reverse("admin:articles_dump_ingest"), {"step": "preview", "text": XSS_DUMP + "\n"}
    ).content.decode()
    assert "<script>alert(" not in preview and "&lt;script&gt;" in preview


@pytest.mark.django_db
def test_staff_without_editor_permissions_get_403(client, django_user_model, sample_bytes):
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_source"))
    client.force_login(staff)
    assert client.get(reverse("admin:articles_dump_ingest")).status_code == 403
    dump_ingest(data=sample_bytes, filename="000.txt")
    dump = Dump.objects.get()
    assert client.get(reverse("admin:articles_dump_edit", args=[dump.pk])).status_code == 403
    sources = list(Source.objects.values_list("pk", flat=True)[:2])
    response = client.post(
        reverse("admin:articles_source_changelist"),
        {
            "action": "merge_sources",
            "_selected_action": sources,
            "confirm": "yes",
            "keep": sources[0],
        },
    )
    assert Source.objects.count() == 6  # nothing merged
    assert response.status_code == 403


@pytest.mark.django_db
def test_editors_can_change_articles_but_not_delete_sources_or_reach_users(desk, editor):
    dump_ingest(data=XSS_DUMP, filename="x.txt")
    source = Source.objects.first()
    assert editor.has_perm("articles.change_article")
    assert not editor.has_perm("articles.delete_source")
    assert desk.get(reverse("admin:articles_source_delete", args=[source.pk])).status_code == 403
    assert desk.get(reverse("admin:auth_user_changelist")).status_code == 403


@pytest.mark.django_db
def test_editing_a_failed_dump_fixes_it(desk):
    result = dump_ingest(data="Prose only.\n\nNothing else.\n", filename="f.txt")
    edit_url = reverse("admin:articles_dump_edit", args=[result.dump.pk])
    fixed = HEADLINE_ONLY
    preview = desk.post(edit_url, {"step": "preview", "text": fixed})
    assert "Importing would" in preview.content.decode()
    assert Headline.objects.count() == 0
    saved = desk.post(edit_url, {"step": "save", "text": fixed})
    assert saved.status_code == 302
    dump = Dump.objects.get()
    assert dump.status == Dump.Status.IMPORTED and Headline.objects.count() == 2
    assert bytes(dump.raw) == b"Prose only.\n\nNothing else.\n"
    raw = desk.get(reverse("admin:articles_dump_raw", args=[dump.pk]))
    assert raw.content == b"Prose only.\n\nNothing else.\n"


@pytest.mark.django_db
def test_changelists_take_a_fixed_number_of_queries(desk, django_assert_max_num_queries):
    for n in range(3):
        dump_ingest(data=XSS_DUMP.replace("Second one", f"Second {n}"), filename=f"{n}.txt")
    for url in (
        reverse("admin:headlines_headline_changelist"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:articles_dump_changelist"),
        reverse("admin:articles_source_changelist"),
        reverse("admin:headlines_story_changelist"),
        reverse("admin:articles_regiontag_changelist"),
    ):
        with django_assert_max_num_queries(14):
            assert desk.get(url).status_code == 200


@pytest.mark.django_db
def test_big_changelists_never_count_the_whole_table(desk, settings, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles import admin as articles_admin
    from bench.corpus import corpus_generate

    monkeypatch.setattr(articles_admin, "COUNT_BOUND", 500)
    corpus_generate(articles=20, headlines=1500, sources=5, seed=1)
    for url in (
        reverse("admin:headlines_headline_changelist"),
        reverse("admin:articles_article_changelist"),
        reverse("admin:headlines_story_changelist"),
    ):
        with CaptureQueriesContext(connection) as queries:
            page = desk.get(url)
        assert page.status_code == 200
        counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
        assert counts, "the page counts its rows, bounded"
        for sql in counts:
            assert "LIMIT" in sql.upper(), sql
    # No date links made by a DISTINCT over every story (the corpus has ~1,000).
    with CaptureQueriesContext(connection) as queries:
        page = desk.get(reverse("admin:headlines_story_changelist"))
    assert page.status_code == 200 and "Last seen" in page.content.decode()
    assert not [q["sql"] for q in queries if "DISTINCT" in q["sql"].upper()]


@pytest.mark.django_db
def test_two_edits_keep_the_raw_bytes_and_show_both_diffs(desk):
    original = HEADLINE_ONLY.encode()
    result = dump_ingest(data=original, filename="two.txt")
    edit_url = reverse("admin:articles_dump_edit", args=[result.dump.pk])
    first = HEADLINE_ONLY.replace("Airlines expand.", "Airlines expand fast.")
    second = first.replace("Founders head north…", "Founders head north to Paris.")
    assert desk.post(edit_url, {"step": "save", "text": first}).status_code == 302
    assert desk.post(edit_url, {"step": "save", "text": second}).status_code == 302

    dump = Dump.objects.get()
    assert dump.text == second and dump.edits.count() == 2
    raw = desk.get(reverse("admin:articles_dump_raw", args=[dump.pk]))
    assert raw.content == original
    detail = desk.get(reverse("admin:articles_dump_change", args=[dump.pk])).content.decode()
    assert "+    Airlines expand fast." in detail
    assert "+    Founders head north to Paris." in detail
    summary = Headline.objects.get(title="Tunisian start-ups look to Europe")
    assert summary.summary == "Founders head north to Paris." and not summary.summary_truncated
    listing = desk.get(reverse("admin:articles_dump_changelist") + "?edited=yes").content.decode()
    assert "two.txt" in listing
    assert (
        "two.txt"
        not in desk.get(reverse("admin:articles_dump_changelist") + "?edited=no").content.decode()
    )


@pytest.mark.django_db
def test_merging_two_region_tags_moves_every_use(desk):
    from articles.models import RegionTag

    dump_ingest(data=XSS_DUMP, filename="x.txt")
    article = Article.objects.create(title="A", slug="a")
    article.region_tags.add("Gulf States", "Gulf")
    headline = Headline.objects.get(title="Second one")
    headline.region_tags.add("Gulf States")
    keep, merge = RegionTag.objects.get(name="Gulf"), RegionTag.objects.get(name="Gulf States")
    url = reverse("admin:articles_regiontag_changelist")
    desk.post(
        url,
        {
            "action": "merge_tags",
            "_selected_action": [keep.pk, merge.pk],
            "confirm": "yes",
            "keep": keep.pk,
        },
    )
    assert not RegionTag.objects.filter(pk=merge.pk).exists()
    assert list(article.region_tags.names()) == ["Gulf"]
    assert "Gulf" in headline.region_tags.names()


@pytest.mark.django_db
def test_headlines_can_be_tagged_and_given_a_source_in_bulk(desk):
    dump_ingest(data=XSS_DUMP, filename="x.txt")
    source = Source.objects.get(name="Calm Wire")
    ids = list(Headline.objects.values_list("pk", flat=True))
    url = reverse("admin:headlines_headline_changelist")
    form = desk.post(url, {"action": "tag_or_set_source", "_selected_action": ids})
    assert "Tag or set the source of 2 headlines" in form.content.decode()
    desk.post(
        url,
        {
            "action": "tag_or_set_source",
            "_selected_action": ids,
            "apply": "yes",
            "region_tags": "Levant, Iraq",
            "topic_tags": "Media",
            "source": source.pk,
        },
    )
    for headline in Headline.objects.all():
        assert {"Levant", "Iraq"} <= set(headline.region_tags.names())
        assert "Media" in headline.topic_tags.names()
        assert headline.source_id == source.pk and "source" in headline.edited_fields


@pytest.mark.django_db
def test_the_preview_of_a_general_capture_shows_how_it_was_read_and_its_body(desk):
    from tests.test_captures import BODY, PASTE

    ingest_url = reverse("admin:articles_dump_ingest")
    capture = PASTE.replace(BODY[2], BODY[2] + " <script>alert(1)</script>")
    preview = desk.post(ingest_url, {"step": "preview", "text": capture, "text_name": "p.txt"})
    page = preview.content.decode()
    assert "a general capture" in page
    assert "Council closes the old bridge for repairs" in page and "Jill Serjeant" in page
    assert "2017-03-28 21:10" in page
    assert BODY[1] in page
    assert "<script>alert(1)</script>" not in page  # dump text is escaped, never marked safe
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


@pytest.mark.django_db
def test_the_preview_shows_the_lines_dropped_as_furniture_escaped_and_capped(desk):
    from tests.test_captures import BODY, PASTE

    menu = [f"Menu item <b>{n}</b>" for n in range(1, 251)]
    capture = PASTE.replace("Skip to content", "\n".join(menu))
    ingest_url = reverse("admin:articles_dump_ingest")
    preview = desk.post(ingest_url, {"step": "preview", "text": capture, "text_name": "p.txt"})
    page = preview.content.decode()
    dropped = page[page.index('<details class="parsed-dropped">') :]
    dropped = dropped[: dropped.index("</details>")]
    assert "Dropped as furniture: " in dropped
    # Line 3 is the first menu line; every row links to the dump's text at that line.
    dump = Dump.objects.get()
    assert f'href="{reverse("admin:articles_dump_change", args=[dump.pk])}#L3">3</a>' in dropped
    assert "Menu item &lt;b&gt;1&lt;/b&gt;" in dropped and "<b>1</b>" not in dropped
    assert dropped.count("<tr>") == 1 + 200  # the header and the first 200 lines
    # The menu and the rest of PASTE's furniture: 3 navigation lines,
    # "Subscribe", the cookie notice, the "News" kicker, 2 share lines, "Related", 2 related
    # headlines and the copyright line.
    total = len(menu) + 12
    assert f"…and {total - 200} more lines." in dropped
    assert BODY[0] not in dropped


@pytest.mark.django_db
def test_a_refused_dump_links_to_the_format_section_on_every_page_that_shows_it(desk):
    ingest_url = reverse("admin:articles_dump_ingest")
    preview = desk.post(ingest_url, {"step": "preview", "text": "Plain prose.\n", "text_name": "b"})
    link = f'href="{reverse("admin:articles_dump_format")}#captures-of-other-pages"'
    assert link in preview.content.decode()
    dump = Dump.objects.get()
    for url in (
        reverse("admin:articles_dump_change", args=[dump.pk]),
        reverse("admin:articles_dump_edit", args=[dump.pk]),
    ):
        assert link in desk.get(url).content.decode(), url
    doc = desk.get(reverse("admin:articles_dump_format")).content.decode()
    assert '<h2 id="captures-of-other-pages">Captures of other pages</h2>' in doc
    assert "`lynx -dump` (body indented by three spaces" in doc  # the contract's own text
    assert "&lt;html" in doc and "<html`" not in doc  # shown escaped, as written


@pytest.mark.django_db
def test_the_format_page_is_for_the_desk_only(client, django_user_model):
    url = reverse("admin:articles_dump_format")
    assert client.get(url).status_code == 302  # to the login page
    staff = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    client.force_login(staff)
    assert client.get(url).status_code == 403


def test_the_format_page_shows_the_shared_contract():
    from newsroom.admin import FORMAT_DOC

    # ../shared beside the checkout (or beside the folder of worktrees holding it).
    beside = [parent / "shared" / "docs" / "dump-format.md" for parent in FORMAT_DOC.parents]
    shared = next((path for path in beside if path.exists()), None)
    if shared is None:
        pytest.skip("the shared docs are not beside this checkout")
    assert FORMAT_DOC.read_bytes() == shared.read_bytes(), "copy ../shared/docs/dump-format.md"


@pytest.mark.django_db
def test_the_preview_shows_an_article_date_without_a_time(desk):
    from tests.test_captures import PASTE

    capture = PASTE.replace("28.03.2017 21:10", "28 March 2017")
    ingest_url = reverse("admin:articles_dump_ingest")
    preview = desk.post(ingest_url, {"step": "preview", "text": capture, "text_name": "p.txt"})
    assert preview.status_code == 200
    assert "<dt>Date</dt><dd>2017-03-28</dd>" in preview.content.decode()


@pytest.mark.django_db
def test_the_headline_list_at_scale_sorts_filters_and_counts_within_bounds(
    desk, monkeypatch, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from articles import admin as articles_admin
    from articles.models import RegionTag
    from bench.corpus import corpus_generate
    from headlines import admin as headlines_admin

    monkeypatch.setattr(articles_admin, "COUNT_BOUND", 50)
    monkeypatch.setattr(headlines_admin, "COUNT_BOUND", 50)
    corpus_generate(articles=5, headlines=300, sources=3, seed=1)
    url = reverse("admin:headlines_headline_changelist")
    tag = RegionTag.objects.get(name="Gulf")
    tagged = set(Headline.objects.filter(region_tags=tag).values_list("pk", flat=True))
    for query in ("", "?o=1", "?o=8", "?o=4", f"?region_tags__id__exact={tag.pk}"):
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(13):
                page = desk.get(url + query)
        assert page.status_code == 200
        shown = page.context["cl"].result_list
        selects = [q["sql"] for q in queries if "headlines_headline" in q["sql"]]
        assert not any("DISTINCT" in sql for sql in selects), query
        if "region" in query:
            assert {h.pk for h in shown} <= tagged
        else:
            # Only the publish time sorts (an index serves it); ?o=1 (title) is ignored.
            times = [h.published_at for h in shown]
            assert times == sorted(times, reverse=query != "?o=4"), query
    assert "more than 50" in desk.get(url).content.decode()  # not counted past the bound
    # A tag used less than the bound is read by its own index; the filter still applies.
    few = Headline.objects.filter(region_tags=tag)[:3]
    rare = RegionTag.objects.create(name="Rare place", slug="rare-place")
    for headline in few:
        headline.region_tags.add(rare)
    page = desk.get(url + f"?region_tags__id__exact={rare.pk}")
    assert {h.pk for h in page.context["cl"].result_list} == {h.pk for h in few}
    assert "3 headlines" in page.content.decode()


@pytest.mark.django_db
def test_the_tag_list_counts_uses_up_to_its_bound(client, editor):
    wide, rare = RegionTag.objects.create(name="Gulf"), RegionTag.objects.create(name="Levant")
    now = timezone.now()
    rows = Headline.objects.bulk_create(
        [Headline(title=f"H {n}", fingerprint=f"h{n}", published_at=now) for n in range(1_003)]
    )
    HeadlineRegion.objects.bulk_create(
        [HeadlineRegion(content_object=row, tag=wide) for row in rows[:1_001]]
        + [HeadlineRegion(content_object=row, tag=rare) for row in rows[1_001:]]
    )
    client.force_login(editor)
    page = client.get(reverse("admin:articles_regiontag_changelist")).content.decode()
    # Past the bound a tag is in wide use: its links are not all counted on each view.
    assert ">1,000+<" in page
    assert ">2<" in page


def test_the_quick_action_checkbox_writes_django_s_own_html():
    from django.contrib import admin

    from articles.admin_columns import QuickActionCheckbox

    quick = [ma for ma in admin.site._registry.values() if isinstance(ma, QuickActionCheckbox)]
    assert {type(ma).__name__ for ma in quick} >= {"HeadlineAdmin", "ArticleAdmin", "SourceAdmin"}
    for model_admin in quick:
        row = model_admin.model(pk=7)
        for name in ("title", "name", "filename", "keyword"):
            if hasattr(row, name):
                setattr(row, name, '<b>"Gulf" & \'Levant\'</b>')
        if hasattr(row, "topic_id"):  # a keyword is named with its topic
            row.topic = TopicTag(pk=1, name="<i>Energy</i>")
        assert model_admin.action_checkbox(row) == admin.ModelAdmin.action_checkbox(
            model_admin, row
        ), type(model_admin).__name__
