"""Review before publishing: Reporters write and submit, Editors approve or send back."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from articles import review
from articles.models import Article, PendingChange, ReviewEvent
from tests.test_editing import opened_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(db):
    return Article.objects.create(title="Port reopens", slug="port", body="<p>Ships dock.</p>")


@pytest.fixture
def live(db):
    return Article.objects.create(
        title="Bridge closes",
        slug="bridge",
        body="<p>The council voted.</p>",
        status=Article.Status.PUBLISHED,
        published_at=timezone.now() - timedelta(hours=1),
    )


def change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def test_a_reporters_publish_attempts_change_nothing(client, reporter, draft, live):
    client.force_login(reporter)
    before = {a.pk: Article.objects.values().get(pk=a.pk) for a in (draft, live)}

    # The form: the publishing fields are not fields for a reporter; forged ones are ignored.
    data = opened_form(client, draft)
    assert "status" not in data and "published_at_0" not in data
    data.update(
        status="published",
        published_at_0="2020-01-01",
        published_at_1="00:00:00",
        expires_at_0="2020-01-02",
        expires_at_1="00:00:00",
        front_lead="on",
    )
    assert client.post(change_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.published_at, draft.expires_at) == ("draft", None, None)
    assert draft.front_lead is False

    # The list actions: not offered, and a forged one does nothing.
    changelist = reverse("admin:articles_article_changelist")
    page = client.get(changelist).content.decode()
    assert 'value="publish_now"' not in page and 'value="unpublish"' not in page
    for action in ("publish_now", "unpublish", "pin_front_lead"):
        client.post(changelist, {"action": action, "_selected_action": [draft.pk, live.pk]})
    draft.refresh_from_db()
    live.refresh_from_db()
    assert (draft.status, live.status) == ("draft", "published")

    # The review steps that publish: refused in the form and in the service.
    client.post(change_url(draft), {**form_data_of(client, draft), "_review": "approve"})
    draft.refresh_from_db()
    assert draft.status == "draft" and not ReviewEvent.objects.filter(action="approve").exists()
    draft.review_state = review.SUBMITTED
    draft.save()
    with pytest.raises(PermissionDenied):
        review.review_transition(article=draft, user=reporter, action="approve")
    draft.refresh_from_db()
    assert draft.status == "draft"
    assert Article.objects.values().get(pk=live.pk) == before[live.pk]


def form_data_of(client, article):
    return opened_form(client, article)


def test_submit_then_approval_publishes_and_every_step_is_recorded(client, reporter, editor, draft):
    client.force_login(reporter)
    data = opened_form(client, draft)
    data.update(title="Port reopens after the storm", _review="submit")
    assert client.post(change_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.review_state, draft.status) == (
        "Port reopens after the storm",
        "submitted",
        "draft",
    )

    client.force_login(editor)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Awaiting review (1)" in index and "Port reopens after the storm" in index
    data = opened_form(client, draft)
    data.update(_review="approve", review_note="Good to go.")
    assert client.post(change_url(draft), data).status_code == 302
    draft.refresh_from_db()
    assert draft.status == "published" and draft.is_live and draft.review_state == ""
    events = list(ReviewEvent.objects.filter(article=draft).values_list("action", "user__username"))
    assert events == [("submit", "rep"), ("approve", "ed")]
    assert ReviewEvent.objects.get(action="approve").note == "Good to go."
    client.logout()
    assert client.get("/articles/port/").status_code == 200


def test_approving_a_future_publish_time_schedules(reporter, editor, draft):
    draft.published_at = timezone.now() + timedelta(days=1)
    draft.save()
    review.review_transition(article=draft, user=reporter, action="submit")
    review.review_transition(article=draft, user=editor, action="approve")
    draft.refresh_from_db()
    assert draft.status == "published" and not draft.is_live  # scheduled


def test_sent_back_with_a_note_shows_on_the_reporters_dashboard(client, reporter, editor, draft):
    review.review_transition(article=draft, user=reporter, action="submit")
    client.force_login(editor)
    data = opened_form(client, draft)
    data.update(_review="send_back", review_note="Needs a second source.")
    client.post(change_url(draft), data)
    draft.refresh_from_db()
    assert draft.review_state == "sent_back" and draft.status == "draft"
    client.force_login(reporter)
    index = client.get(reverse("admin:index")).content.decode()
    assert "Sent back to you (1)" in index and "Awaiting review" not in index
    form = client.get(change_url(draft)).content.decode()
    assert "Needs a second source." in form and "Save and submit for review" in form
    with pytest.raises(PermissionDenied):  # not from sent back straight to approved
        review.review_transition(article=draft, user=editor, action="approve")


def test_a_reporter_editing_a_live_article_changes_a_draft_of_it_until_approved(
    client, reporter, editor, live
):
    client.force_login(reporter)
    data = opened_form(client, live)
    data.update(title="Bridge closes for a year", region_tags="Iraq", _review="submit")
    assert client.post(change_url(live), data).status_code == 302
    live.refresh_from_db()
    assert live.title == "Bridge closes" and list(live.region_tags.names()) == []
    pending = PendingChange.objects.get(article=live)
    assert pending.values["title"] == "Bridge closes for a year"
    client.logout()
    assert "Bridge closes for a year" not in client.get("/articles/bridge/").content.decode()

    client.force_login(editor)
    assert "Changes waiting for approval" in client.get(change_url(live)).content.decode()
    data = opened_form(client, live)
    data["_review"] = "approve"
    assert client.post(change_url(live), data).status_code == 302
    live.refresh_from_db()
    assert live.title == "Bridge closes for a year" and list(live.region_tags.names()) == ["Iraq"]
    assert not PendingChange.objects.exists()
    client.logout()
    assert "Bridge closes for a year" in client.get("/articles/bridge/").content.decode()


def test_a_reporter_creates_a_draft_and_submits_it(client, reporter):
    client.force_login(reporter)
    add = reverse("admin:articles_article_add")
    response = client.post(
        add,
        {
            "title": "New piece",
            "slug": "new-piece",
            "body": "<p>Text.</p>",
            "status": "published",  # forged: not a reporter's field
            "_review": "submit",
            **form_data_tail(),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    article = Article.objects.get(slug="new-piece")
    assert (article.status, article.review_state) == ("draft", "submitted")


def form_data_tail():
    """The inline corrections formset's management form, empty."""
    return {
        "corrections-TOTAL_FORMS": "0",
        "corrections-INITIAL_FORMS": "0",
        "corrections-MIN_NUM_FORMS": "0",
        "corrections-MAX_NUM_FORMS": "1000",
    }
