"""The article form loses no edit: preview before saving, and two editors racing."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.conftest import editors_group

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_article(db):
    article = Article.objects.create(
        title="Bridge closes",
        slug="bridge",
        dek="Repairs start",
        body="<p>The council voted.</p>",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )
    article.region_tags.add("Iraq")
    return article


def opened_form(client, article):
    """The change form's fields as the browser would post them back, unchanged."""
    response = client.get(reverse("admin:articles_article_change", args=[article.pk]))
    assert response.status_code == 200
    return form_data(response.context["adminform"].form)


def form_data(form):
    data = {}
    for name in form.fields:
        if name == "lead_image":
            continue
        value = form[name].value()
        if name == "published_at" or name == "expires_at":
            if isinstance(value, list):  # bound: as posted
                data[f"{name}_0"], data[f"{name}_1"] = (part or "" for part in value)
            elif value:
                local = timezone.localtime(value)
                data[f"{name}_0"], data[f"{name}_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
            continue
        if name in ("region_tags", "topic_tags"):
            if not isinstance(value, str):
                value = ", ".join(str(getattr(t, "name", t)) for t in value)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
            continue
        if value is not None:
            data[name] = value
    return data


def other_editor(name):
    user = User.objects.create_user(name, password="pw-12345-x", is_staff=True)
    user.groups.add(editors_group())
    return user


# Preview


def test_preview_shows_the_unsaved_title_with_the_sidebar_and_saves_nothing(
    client, editor, live_article
):
    client.force_login(editor)
    data = opened_form(client, live_article)
    data.update(title="An unsaved title", body="<p>Unsaved <em>words</em>.</p>", topic_tags="Roads")
    before = Article.objects.values().get(pk=live_article.pk)
    response = client.post(reverse("admin:articles_article_preview", args=[live_article.pk]), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<h1 id=\"article-title\"[^>]*>An unsaved title</h1>", html)
    assert "<em>words</em>" in html and 'href="/topics/roads/"' in html
    assert "unsaved changes" in html and 'class="sidebar' in html
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    assert Article.objects.values().get(pk=live_article.pk) == before
    assert list(live_article.topic_tags.names()) == []
    # The public page still shows the saved article.
    client.logout()
    assert "Bridge closes" in client.get("/articles/bridge/").content.decode()


def test_a_new_article_can_be_previewed_before_it_exists(client, editor):
    client.force_login(editor)
    data = {"title": "Not yet", "slug": "not-yet", "status": "draft", "body": "<p>x</p>"}
    response = client.post(reverse("admin:articles_article_preview"), data)
    assert response.status_code == 200 and "Not yet" in response.content.decode()
    assert not Article.objects.exists()


def test_preview_needs_the_change_permission(client, live_article):
    reader = User.objects.create_user("reader", password="pw-12345-x", is_staff=True)
    client.force_login(reader)
    url = reverse("admin:articles_article_preview", args=[live_article.pk])
    assert client.post(url, {"title": "x"}).status_code == 403


# Two editors, one article


def test_the_second_save_of_a_stale_form_is_refused_and_then_loses_nothing(
    client, editor, live_article
):
    anna, ben = other_editor("anna"), editor
    change = reverse("admin:articles_article_change", args=[live_article.pk])
    client.force_login(anna)
    annas = opened_form(client, live_article)
    client.force_login(ben)
    bens = opened_form(client, live_article)

    client.force_login(anna)
    annas["title"] = "Bridge closes for a year"
    assert client.post(change, annas).status_code == 302

    client.force_login(ben)
    bens["dek"] = "Repairs start on Monday"
    refused = client.post(change, bens)
    assert refused.status_code == 200  # the form again, not saved
    html = refused.content.decode()
    assert "Not saved: anna saved this article" in html
    assert "anna changed title, which you had not changed" in html
    live_article.refresh_from_db()
    assert (live_article.title, live_article.dek) == ("Bridge closes for a year", "Repairs start")

    # The form came back on the current version with Anna's title in place.
    again = form_data(refused.context["adminform"].form)
    assert (
        again["title"] == "Bridge closes for a year" and again["dek"] == "Repairs start on Monday"
    )
    again["resolve_title"] = "theirs"
    assert client.post(change, again).status_code == 302
    live_article.refresh_from_db()
    assert live_article.title == "Bridge closes for a year"  # Anna's edit kept
    assert live_article.dek == "Repairs start on Monday"  # and Ben's


@pytest.mark.parametrize("choice", ["theirs", "mine"])
def test_both_changing_a_field_shows_both_versions_and_the_editor_chooses(
    client, editor, live_article, choice
):
    anna, ben = other_editor("anna"), editor
    change = reverse("admin:articles_article_change", args=[live_article.pk])
    client.force_login(anna)
    annas = opened_form(client, live_article)
    client.force_login(ben)
    bens = opened_form(client, live_article)
    client.force_login(anna)
    annas["body"] = "<p>Anna's paragraph.</p>"
    assert client.post(change, annas).status_code == 302

    client.force_login(ben)
    bens["body"] = "<p>Ben's <strong>paragraph</strong>.</p>"
    refused = client.post(change, bens)
    html = refused.content.decode()
    assert "You both changed these" in html
    assert "Anna&#x27;s paragraph." in html and "Ben&#x27;s paragraph." in html  # as text
    assert 'name="resolve_body" value="theirs"' in html
    again = form_data(refused.context["adminform"].form)
    again["resolve_body"] = choice
    assert client.post(change, again).status_code == 302
    live_article.refresh_from_db()
    wanted = "<p>Anna's paragraph.</p>" if choice == "theirs" else bens["body"]
    assert live_article.body == wanted


def test_a_list_action_also_makes_an_open_form_stale(client, editor, live_article):
    client.force_login(editor)
    data = opened_form(client, live_article)
    changelist = reverse("admin:articles_article_changelist")
    client.post(changelist, {"action": "unpublish", "_selected_action": [live_article.pk]})
    live_article.refresh_from_db()
    assert live_article.status == "draft"
    data["dek"] = "A new dek"
    refused = client.post(reverse("admin:articles_article_change", args=[live_article.pk]), data)
    assert refused.status_code == 200 and "status" in refused.content.decode()
    again = form_data(refused.context["adminform"].form)
    assert again["status"] == "draft"  # their change, in place in the form
    assert (
        client.post(
            reverse("admin:articles_article_change", args=[live_article.pk]), again
        ).status_code
        == 302
    )
    live_article.refresh_from_db()
    assert (live_article.status, live_article.dek) == ("draft", "A new dek")


def test_a_change_that_counts_no_version_still_makes_the_form_stale(client, editor, live_article):
    """A bulk update (or a restored revision) keeps the version: the values tell."""
    client.force_login(editor)
    data = opened_form(client, live_article)
    Article.objects.filter(pk=live_article.pk).update(title="Changed behind the form")
    data["dek"] = "Mine"
    change = reverse("admin:articles_article_change", args=[live_article.pk])
    refused = client.post(change, data)
    assert refused.status_code == 200 and "Not saved" in refused.content.decode()
    again = form_data(refused.context["adminform"].form)
    assert client.post(change, again).status_code == 302
    live_article.refresh_from_db()
    assert (live_article.title, live_article.dek) == ("Changed behind the form", "Mine")


# Autosave and presence


def autosave(client, article, data):
    url = reverse("admin:articles_article_autosave", args=[article.pk])
    response = client.post(url, data)
    assert response.status_code == 200 and "saved_at" in response.json()


def test_autosave_keeps_one_working_copy_that_is_no_revision_and_offers_to_restore_it(
    client, editor, live_article
):
    from reversion.models import Version

    from articles.models import WorkingCopy

    client.force_login(editor)
    data = opened_form(client, live_article)
    revisions = Version.objects.get_for_object(live_article).count()
    before = Article.objects.values().get(pk=live_article.pk)
    autosave(client, live_article, {**data, "title": "Half-typed"})
    autosave(client, live_article, {**data, "title": "Half-typed title"})
    assert WorkingCopy.objects.count() == 1  # replaced, not added
    assert Article.objects.values().get(pk=live_article.pk) == before  # nothing public
    assert Version.objects.get_for_object(live_article).count() == revisions

    change = reverse("admin:articles_article_change", args=[live_article.pk])
    page = client.get(change).content.decode()
    assert "You have unsaved changes to this article" in page and 'href="?restore=1"' in page
    restored = client.get(change, {"restore": "1"})
    form = restored.context["adminform"].form
    assert form["title"].value() == "Half-typed title"
    assert "are in the form below, not saved yet" in restored.content.decode()
    assert restored.context["original"].title == "Bridge closes"  # the breadcrumb: saved
    live_article.refresh_from_db()
    assert live_article.title == "Bridge closes"

    # Saving the restored form saves it and the working copy goes.
    assert client.post(change, form_data(form)).status_code == 302
    live_article.refresh_from_db()
    assert live_article.title == "Half-typed title" and not WorkingCopy.objects.exists()


def test_each_editor_has_a_working_copy_of_their_own(client, editor, live_article):
    from articles.models import WorkingCopy

    anna = other_editor("anna")
    client.force_login(editor)
    data = opened_form(client, live_article)
    autosave(client, live_article, {**data, "dek": "Ed's"})
    client.force_login(anna)
    autosave(client, live_article, {**data, "dek": "Anna's"})
    assert WorkingCopy.objects.count() == 2
    page = client.get(reverse("admin:articles_article_change", args=[live_article.pk]))
    assert page.context["adminform"].form["dek"].value() == "Repairs start"  # the row, not a copy


def test_a_restored_copy_typed_before_someone_elses_save_comes_back_as_a_conflict(
    client, editor, live_article
):
    client.force_login(editor)
    data = opened_form(client, live_article)
    autosave(client, live_article, {**data, "title": "My title"})
    Article.objects.get(pk=live_article.pk).save()  # someone saves meanwhile (a new version)
    Article.objects.filter(pk=live_article.pk).update(title="Their title")
    change = reverse("admin:articles_article_change", args=[live_article.pk])
    page = client.get(change, {"restore": "1"}).content.decode()
    assert "after you opened this form" in page and "Their title" in page and "My title" in page


def test_the_form_says_who_else_has_it_open(client, editor, live_article):
    anna = other_editor("anna")
    presence = reverse("admin:articles_article_presence", args=[live_article.pk])
    client.force_login(anna)
    assert client.post(presence).json() == {"others": []}
    client.force_login(editor)
    page = client.get(reverse("admin:articles_article_change", args=[live_article.pk]))
    assert "Also open by anna" in page.content.decode()
    client.force_login(anna)
    assert client.post(presence).json() == {"others": ["ed"]}
    assert client.post(presence, {"leave": "1"}).json() == {"others": []}
    client.force_login(editor)
    assert client.post(presence).json() == {"others": []}
    assert client.get(presence).status_code == 403  # a heartbeat is a POST
