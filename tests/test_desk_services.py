"""The editors' desk, trustworthy: every change through a service, public at once, recorded."""

import ast
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
    act(
        desk,
        HEADLINES,
        "tag_or_set_source",
        headlines,
        apply="yes",
        region_tags="Levant",
        topic_tags="Media",
        source=other.pk,
    )
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
