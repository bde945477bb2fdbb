"""The editors' desk, trustworthy: every change through a service, public at once, recorded."""

import ast
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles.models import Article, RegionTag, Source
from headlines.models import Headline, Story

ROOT = Path(__file__).resolve().parent.parent
HEADLINES = reverse("admin:headlines_headline_changelist")
ARTICLES = reverse("admin:articles_article_changelist")


@pytest.fixture(autouse=True)
def empty_page_cache():
    cache.clear()


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def reader():
    return Client()


@pytest.fixture
def headlines(db):
    source = Source.objects.create(name="Gulf Wire", slug="gulf-wire")
    now = timezone.now()
    return [
        Headline.objects.create(
            title=title, fingerprint=title, published_at=now - timedelta(minutes=i), source=source
        )
        for i, title in enumerate(["Port reopens after storm", "Airlines add routes"])
    ]


def history(obj):
    return list(
        LogEntry.objects.filter(object_id=str(obj.pk), content_type__model=obj._meta.model_name)
    )


def act(desk, url, action, objects, **extra):
    data = {"action": action, "_selected_action": [o.pk for o in objects], **extra}
    response = desk.post(url, data)
    assert response.status_code in (200, 302), response.content[:500]
    return response


def bulk_tag(desk, headlines, **fields):
    return act(desk, HEADLINES, "tag_or_set_source", headlines, apply="yes", **fields)


@pytest.mark.django_db
def test_a_list_action_hides_a_headline_from_the_cached_page_at_once(desk, reader, headlines):
    hidden, kept = headlines
    page = reader.get("/").content.decode()
    assert hidden.title in page
    assert reader.get("/").content.decode() == page  # served from the page cache
    act(desk, HEADLINES, "hide", [hidden])
    page = reader.get("/").content.decode()
    assert hidden.title not in page and kept.title in page
    act(desk, HEADLINES, "show", [hidden])
    assert hidden.title in reader.get("/").content.decode()


@pytest.mark.django_db
def test_a_pin_from_the_list_reorders_the_cached_sidebar(desk, reader, headlines):
    first, second = headlines
    page = reader.get("/").content.decode()
    assert page.index(first.title) < page.index(second.title)
    act(desk, HEADLINES, "pin", [second])
    page = reader.get("/").content.decode()
    assert page.index(second.title) < page.index(first.title)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("action", "message", "field"),
    [
        ("hide", "Hidden from the sidebar.", "visible"),
        ("show", "Shown in the sidebar.", "visible"),
        ("pin", "Pinned to the top of the sidebar.", "pinned"),
        ("unpin", "Unpinned.", "pinned"),
    ],
)
def test_each_headline_action_is_in_each_headlines_history(desk, headlines, action, message, field):
    act(desk, HEADLINES, action, headlines)
    for headline in headlines:
        (entry,) = history(headline)
        assert entry.user.username == "ed" and entry.action_flag == CHANGE
        assert entry.get_change_message() == message
        headline.refresh_from_db()
        assert field in headline.edited_fields  # an editor's decision: ingest keeps it
        page = desk.get(reverse("admin:headlines_headline_history", args=[headline.pk]))
        assert message in page.content.decode()


@pytest.mark.django_db
def test_bulk_tagging_and_a_source_are_recorded(desk, headlines):
    other = Source.objects.create(name="Calm Wire", slug="calm-wire")
    bulk_tag(desk, headlines, region_tags="Levant", topic_tags="Media", source=other.pk)
    for headline in headlines:
        messages = {e.get_change_message() for e in history(headline)}
        assert messages == {"Tagged: regions Levant; topics Media.", "Source set to “Calm Wire”."}


@pytest.mark.django_db
def test_publishing_and_unpublishing_in_bulk_are_recorded(desk, reader):
    later = timezone.now() + timedelta(days=1)
    now_piece = Article.objects.create(title="Now piece", slug="now", body="Text.")
    later_piece = Article.objects.create(title="Later piece", slug="later", published_at=later)
    assert "Now piece" not in reader.get("/").content.decode()
    act(desk, ARTICLES, "publish_now", [now_piece, later_piece])
    assert "Now piece" in reader.get("/").content.decode()
    (entry,) = history(now_piece)
    assert entry.get_change_message().startswith("Published ")
    (entry,) = history(later_piece)
    assert entry.get_change_message().startswith("Scheduled for ")
    act(desk, ARTICLES, "unpublish", [now_piece])
    assert "Now piece" not in reader.get("/").content.decode()
    assert history(now_piece)[0].get_change_message() == "Unpublished: back to draft."
    now_piece.refresh_from_db()
    assert {"status", "published_at"} <= set(now_piece.edited_fields)


@pytest.mark.django_db
def test_merges_are_recorded_on_both_sides(desk, headlines):
    keep, gone = (RegionTag.objects.create(name=n, slug=n.lower()) for n in ("Gulf", "Gulf States"))
    act(
        desk,
        reverse("admin:articles_regiontag_changelist"),
        "merge_tags",
        [keep, gone],
        confirm="yes",
        keep=keep.pk,
    )
    assert history(keep)[0].get_change_message() == "Merged “Gulf States” into this one."
    assert history(gone)[0].action_flag == DELETION

    stories = [Story.objects.create(title=h.title) for h in headlines]
    for story, headline in zip(stories, headlines, strict=True):
        Headline.objects.filter(pk=headline.pk).update(story=story)
    act(desk, reverse("admin:headlines_story_changelist"), "merge", stories)
    assert {len(history(story)) for story in stories} == {1}


@pytest.mark.django_db
def test_deleting_from_the_list_is_recorded_once_and_leaves_the_page(desk, reader, headlines):
    gone, _ = headlines
    assert gone.title in reader.get("/").content.decode()
    act(desk, HEADLINES, "delete_selected", [gone], post="yes")
    assert not Headline.objects.filter(pk=gone.pk).exists()
    (entry,) = history(gone)
    assert entry.action_flag == DELETION and entry.object_repr == gone.title
    assert gone.title not in reader.get("/").content.decode()


@pytest.mark.django_db
def test_a_list_edit_of_visible_goes_through_the_service(desk, reader, headlines):
    hidden, kept = headlines
    assert hidden.title in reader.get("/").content.decode()
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "_save": "Save",
        "form-0-id": str(hidden.pk),
        "form-1-id": str(kept.pk),
        "form-1-visible": "on",
    }
    assert desk.post(HEADLINES, data).status_code == 302
    hidden.refresh_from_db()
    assert not hidden.visible and "visible" in hidden.edited_fields
    assert hidden.title not in reader.get("/").content.decode()


# Nothing in an admin module writes rows: its hooks hand the change to a service.
WRITES = {"save", "update", "bulk_update", "delete"}
HOOKS = {"save_model", "delete_model", "delete_queryset"}


def admin_modules():
    return sorted(p for p in ROOT.glob("*/admin.py") if ".venv" not in p.parts)


def test_admin_modules_write_no_rows_themselves():
    assert {p.parent.name for p in admin_modules()} >= {"articles", "headlines", "newsroom"}
    problems = []
    for path in admin_modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        services = {
            alias.asname or alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("services")
            for alias in node.names
        }
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in WRITES
            ):
                problems.append(f"{path.parent.name}/admin.py:{node.lineno} .{node.func.attr}()")
            if isinstance(node, ast.FunctionDef) and node.name in HOOKS:
                called = {
                    call.func.id
                    for call in ast.walk(node)
                    if isinstance(call, ast.Call) and isinstance(call.func, ast.Name)
                }
                if not called & services:
                    problems.append(f"{path.parent.name}/admin.py:{node.lineno} {node.name}")
    assert problems == []


def test_the_admin_check_finds_a_write(tmp_path):
    # The walk above would see a write hidden in an action.
    tree = ast.parse("def hide(self, request, queryset):\n    queryset.update(visible=False)\n")
    found = [
        n.func.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    ]
    assert set(found) & WRITES == {"update"}


# Tags typed the way editors type them.


def test_tag_names_split_on_commas_only():
    from articles.tags import tags_join, tags_parse

    assert tags_parse("Middle East") == ["Middle East"]
    assert tags_parse(" North  Africa , Iraq,, middle east,Middle East ") == [
        "Iraq",
        "middle east",
        "North Africa",
    ]
    assert tags_parse('"Middle East", "Gaza, Rafah"') == ["Gaza, Rafah", "Middle East"]
    assert tags_parse("Middle East Iraq") == ["Middle East Iraq"]  # no comma, one name
    assert tags_join(["Middle East", "Iraq", "Gaza, Rafah"]) == '"Gaza, Rafah", Iraq, Middle East'


@pytest.mark.django_db
def test_middle_east_stays_one_tag_through_the_article_form(desk, reader):
    from tests.test_revisions import article_form

    article = Article.objects.create(title="Water talks", slug="water", body="Text.")
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = article_form(article, region_tags="Middle East", topic_tags="Water policy")
    assert desk.post(change, data).status_code == 302
    assert list(article.region_tags.names()) == ["Middle East"]
    assert list(article.topic_tags.names()) == ["Water policy"]
    assert not RegionTag.objects.filter(name__in=["Middle", "East"]).exists()
    # The form shows the names back as they were typed, no quotes.
    form = desk.get(change).content.decode()
    assert '<option value="Middle East" selected>Middle East</option>' in form
    assert "&quot;Middle East&quot;" not in form
    # Several names from the autocomplete arrive as several values.
    data = article_form(article, topic_tags="Water policy", region_tags="")
    data["region_tags"] = ["Middle East", "North Africa"]
    assert desk.post(change, data).status_code == 302
    assert sorted(article.region_tags.names()) == ["Middle East", "North Africa"]
    # Readers see one region, not "EAST · MIDDLE".
    article.status, article.published_at = Article.Status.PUBLISHED, timezone.now()
    article.save()
    assert reader.get("/regions/middle-east/").status_code == 200
    assert reader.get("/regions/middle/").status_code == 404


@pytest.mark.django_db
def test_north_africa_stays_one_tag_through_the_bulk_tag_action(desk, headlines):
    page = act(desk, HEADLINES, "tag_or_set_source", headlines).content.decode()
    assert "admin/js/autocomplete.js" in page and "data-tags" in page  # admin's select2
    bulk_tag(desk, headlines, region_tags="North Africa, Middle East", topic_tags="")
    for headline in headlines:
        assert sorted(headline.region_tags.names()) == ["Middle East", "North Africa"]
    assert set(RegionTag.objects.values_list("name", flat=True)) == {"Middle East", "North Africa"}


@pytest.mark.django_db
def test_the_tag_autocomplete_offers_whole_names_from_the_vocabulary(desk):
    for name in ("Middle East", "North Africa", "East Africa", "Iraq"):
        RegionTag.objects.create(name=name, slug=name.lower().replace(" ", "-"))
    url = reverse("admin:articles_regiontag_names")
    found = desk.get(url, {"term": "east"}).json()
    assert found["results"] == [
        {"id": "East Africa", "text": "East Africa"},
        {"id": "Middle East", "text": "Middle East"},
    ]
    assert [r["id"] for r in desk.get(url, {"term": "NORTH af"}).json()["results"]] == [
        "North Africa"
    ]
    assert desk.get(reverse("admin:articles_topictag_names"), {"term": "east"}).json() == {
        "results": [],
        "pagination": {"more": False},
    }


# Media that works.


@pytest.mark.django_db
def test_an_uploaded_lead_image_is_served_under_development_settings(
    desk, reader, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    from tests.test_images import encoded
    from tests.test_revisions import article_form

    settings.MEDIA_ROOT = tmp_path
    assert settings.SERVE_MEDIA  # the default under DJANGO_DEBUG=1, as in `make run`
    article = Article.objects.create(
        title="Dams", slug="dams", body="Text.", status="published", published_at=timezone.now()
    )
    png = encoded(Image.new("RGB", (640, 320), "navy"), "PNG")
    data = article_form(article, lead_image_alt="A dam from the air")
    data["lead_image"] = SimpleUploadedFile("dam.png", png, "image/png")
    with django_capture_on_commit_callbacks(execute=True):
        change = reverse("admin:articles_article_change", args=[article.pk])
        assert desk.post(change, data).status_code == 302
    article.refresh_from_db()
    page = reader.get("/articles/dams/").content.decode()
    assert article.lead_image.url in page
    image = reader.get(article.lead_image.url)
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    with Image.open(io.BytesIO(b"".join(image.streaming_content))) as served:
        assert served.size == (640, 320)
    for rendition in article.lead_image_renditions:
        assert reader.get(f"/media/{rendition['name']}").status_code == 200
    # Nothing outside MEDIA_ROOT; and off (behind nginx or object storage), no media at all.
    outside = Client(raise_request_exception=False).get("/media/../newsroom/settings.py")
    assert outside.status_code == 400
    settings.SERVE_MEDIA = False
    assert reader.get(article.lead_image.url).status_code == 404


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DJANGO_DEBUG": None}, "True"),
        ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 50}, "False"),
        ({"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": "k" * 50, "SERVE_MEDIA": "1"}, "True"),
    ],
    ids=["make-run", "production", "make-serve"],
)
def test_media_are_served_in_development_and_by_make_serve(tmp_path, env, expected):
    from tests.test_settings_env import manage

    code = "from django.conf import settings; print(settings.SERVE_MEDIA)"
    env = {"DJANGO_ALLOWED_HOSTS": "localhost", "SERVE_MEDIA": None, **env}
    result = manage(tmp_path, "shell", "-c", code, **env)
    assert result.stdout.strip().splitlines()[-1] == expected, result.stderr
    makefile = (ROOT / "Makefile").read_text()
    assert "serve: export SERVE_MEDIA ?= 1" in makefile


# Publish means publish.


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_published_without_a_time_is_published_now_and_says_so(desk, reader):
    from tests.test_revisions import article_form

    article = Article.objects.create(title="Water talks", slug="water", body="Text.")
    assert reader.get("/articles/water/").status_code == 404
    change = reverse("admin:articles_article_change", args=[article.pk])
    data = article_form(article, status="published", _continue="1")
    response = desk.post(change, data, follow=True)
    article.refresh_from_db()
    assert article.is_live and article.published_at <= timezone.now()
    assert any("published now" in m for m in messages_of(response))
    assert reader.get("/articles/water/").status_code == 200
    assert "Published " in response.content.decode()  # the form says what readers see


@pytest.mark.django_db
def test_a_new_article_published_without_a_time_is_never_a_silent_draft(desk, reader):
    data = {
        "title": "Fresh piece",
        "slug": "fresh",
        "body": "Text.",
        "status": "published",
        "lead_image_alt": "",
    }
    response = desk.post(reverse("admin:articles_article_add"), data, follow=True)
    assert response.status_code == 200
    article = Article.objects.get(slug="fresh")
    assert article.is_live
    assert any("published now" in m for m in messages_of(response))
    assert "Fresh piece" in reader.get("/").content.decode()


@pytest.mark.django_db
def test_a_future_time_shows_scheduled_for_in_the_list_and_on_the_form(desk, reader):
    from tests.test_revisions import article_form

    article = Article.objects.create(title="Later piece", slug="later", body="Text.")
    when = timezone.localtime(timezone.now() + timedelta(days=2)).replace(second=0, microsecond=0)
    data = article_form(
        article,
        status="published",
        published_at_0=when.strftime("%Y-%m-%d"),
        published_at_1=when.strftime("%H:%M:%S"),
        _continue="1",
    )
    change = reverse("admin:articles_article_change", args=[article.pk])
    response = desk.post(change, data, follow=True)
    label = f"Scheduled for {when:%Y-%m-%d %H:%M}"
    assert any(m.startswith(label) for m in messages_of(response))
    assert label in response.content.decode()
    assert label in desk.get(ARTICLES).content.decode()
    assert reader.get("/articles/later/").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["hide", "pin", "tag_or_set_source", "publish_now"])
def test_a_bulk_action_takes_a_fixed_number_of_queries(desk, action, django_assert_max_num_queries):
    # 40 rows, and about as many queries as 3 take (23-26): nothing is written row by row.
    now = timezone.now()
    if action == "publish_now":
        url, objects = (
            ARTICLES,
            [Article.objects.create(title=f"A{i}", slug=f"a{i}") for i in range(40)],
        )
    else:
        url, objects = (
            HEADLINES,
            [
                Headline.objects.create(title=f"H{i}", fingerprint=f"h{i}", published_at=now)
                for i in range(40)
            ],
        )
    extra = {"apply": "yes", "region_tags": "Middle East, Gulf"} if "tag" in action else {}
    with django_assert_max_num_queries(30):
        act(desk, url, action, objects, **extra)
    assert LogEntry.objects.count() == 40
