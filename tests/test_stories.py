"""Stories: grouped at ingest with a reason, corrected by editors, kept by re-import and regroup."""

import re
from datetime import date
from html import escape
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from headlines.models import Headline, Story
from newsroom.ingest import dump_ingest

FED = [
    ("Fed's Plosser says weather slowed jobs growth, taper on track", "03.10 / 16:52", "Reuters"),
    ("Plosser: Fed may have to speed up tapering as weather slowed jobs", "03.10 / 16:40", "CNBC"),
    ("Fed's Plosser sees weather behind weak jobs growth", "03.10 / 16:30", "Bloomberg"),
]
GOX = [
    ("Mt. Gox bitcoin exchange files for US bankruptcy protection", "03.10 / 16:50", "Reuters"),
    ("Bitcoin exchange Mt. Gox files for bankruptcy protection in US", "03.10 / 16:20", "BBC"),
]
OTHER = [("Titanfall launch draws long lines at midnight", "03.10 / 16:45", "IGN")]


def dump(items):
    lines = ["Latest headlines", ""]
    for position, (title, moment, outlet) in enumerate(items, 1):
        lines += [f"  {position}. {title} - Business", f"    {moment}", f"    © {outlet}"]
    return "\n".join(lines).encode()


def ingest(items, name):
    return dump_ingest(data=dump(items), filename=name, captured_at=date(2014, 3, 11))


def story_of(title):
    return Headline.objects.get(title=title).story


@pytest.mark.django_db
def test_copies_of_one_story_from_several_outlets_become_one_story_with_reasons():
    ingest(sorted(FED + GOX + OTHER, key=lambda item: item[1], reverse=True), "a.txt")
    fed = story_of(FED[0][0])
    assert {h.title for h in fed.headlines.all()} == {title for title, _, _ in FED}
    assert fed.outlets == 3 and fed.size == 3
    assert fed.title == FED[2][0] and fed.lead is None  # the earliest copy leads
    assert story_of(GOX[0][0]) == story_of(GOX[1][0]) != fed
    assert story_of(OTHER[0][0]).size == 1
    joined = [h for h in fed.headlines.all() if h.story_score is not None]
    assert joined and all(h.story_reason.startswith("title similarity 0.") for h in joined)
    assert all("“" in h.story_reason for h in joined)


@pytest.mark.django_db
def test_a_later_dump_joins_the_story_already_there():
    ingest(FED[1:], "a.txt")
    ingest(FED[:1], "b.txt")
    assert story_of(FED[0][0]) == story_of(FED[2][0])
    assert Story.objects.count() == 1


@pytest.fixture
def grouped():
    ingest(sorted(FED + GOX + OTHER, key=lambda item: item[1], reverse=True), "a.txt")
    ingest(FED[:1] + GOX[:1], "b.txt")
    return story_of(FED[0][0]), story_of(GOX[0][0]), story_of(OTHER[0][0])


@pytest.mark.django_db
def test_an_editor_merges_and_splits_in_the_admin_and_reimport_and_regroup_keep_both(
    client, editor, grouped
):
    fed, gox, other = grouped
    client.force_login(editor)
    changelist = reverse("admin:headlines_story_changelist")
    response = client.post(
        changelist, {"action": "merge", "_selected_action": [gox.pk, other.pk]}, follow=True
    )
    assert "2 stories merged" in response.content.decode()
    merged = story_of(OTHER[0][0])
    assert merged == story_of(GOX[0][0]) and merged.size == 3
    assert Headline.objects.get(title=OTHER[0][0]).story_reason == "editor merge by ed"

    page = client.get(reverse("admin:headlines_story_change", args=[fed.pk])).content.decode()
    assert "Reuters" in page and "title similarity" in page  # outlet and reason shown
    split_out = Headline.objects.get(title=FED[1][0])
    response = client.post(
        reverse("admin:headlines_story_split", args=[fed.pk, split_out.pk]), follow=True
    )
    assert "on its own" in response.content.decode()
    alone = story_of(FED[1][0])
    assert alone != fed and alone.size == 1 and story_of(FED[0][0]).size == 2

    def decisions():
        return (
            story_of(OTHER[0][0]) == story_of(GOX[0][0]) == story_of(GOX[1][0]),
            story_of(FED[1][0]) not in (story_of(FED[0][0]), story_of(FED[2][0])),
            story_of(FED[0][0]) == story_of(FED[2][0]),
        )

    assert decisions() == (True, True, True)
    ingest(sorted(FED + GOX + OTHER, key=lambda item: item[1], reverse=True), "a.txt")
    ingest(FED + GOX + OTHER, "c.txt")
    assert decisions() == (True, True, True)
    out = StringIO()
    call_command("regroup_stories", stdout=out)
    assert "6 headlines regrouped" in out.getvalue()
    assert decisions() == (True, True, True)
    call_command("regroup_stories", "--since", "2014-03-10", stdout=out)
    assert decisions() == (True, True, True)


@pytest.mark.django_db
def test_an_editor_chooses_the_lead_copy_and_regroup_keeps_it(client, editor, grouped):
    fed, _, _ = grouped
    client.force_login(editor)
    chosen = Headline.objects.get(title=FED[0][0])
    client.post(reverse("admin:headlines_story_lead", args=[fed.pk, chosen.pk]))
    fed.refresh_from_db()
    assert fed.lead == chosen and fed.title == chosen.title
    call_command("regroup_stories", stdout=StringIO())
    fed.refresh_from_db()
    assert fed.lead == chosen and fed.title == chosen.title
    assert escape(chosen.title) in client.get(f"/stories/{fed.pk}/").content.decode()


@pytest.mark.django_db
def test_regroup_puts_ungrouped_headlines_in_stories_and_a_dry_run_changes_nothing(grouped):
    fed, _, _ = grouped
    # As if imported before grouping: every headline alone.
    for headline in Headline.objects.all():
        headline.story = Story.objects.create()
        headline.save()
    Story.objects.filter(headlines=None).delete()
    before = dict(Headline.objects.values_list("pk", "story"))
    out = StringIO()
    call_command("regroup_stories", "--dry-run", stdout=out)
    assert "would move" in out.getvalue()
    assert dict(Headline.objects.values_list("pk", "story")) == before
    call_command("regroup_stories", stdout=out)
    assert story_of(FED[0][0]) == story_of(FED[1][0]) == story_of(FED[2][0])
    assert story_of(GOX[0][0]) == story_of(GOX[1][0]) != story_of(FED[0][0])
    assert story_of(FED[0][0]).pk in before.values()  # the story kept an address


@pytest.mark.django_db
def test_regroup_since_rejects_a_bad_date():
    with pytest.raises(Exception, match="not a date"):
        call_command("regroup_stories", "--since", "yesterday")


@pytest.fixture
def told(db, sidebar_size):
    """The Fed story told by three outlets (plus filler), imported as a real dump."""
    items = sorted(FED + GOX + OTHER, key=lambda item: item[1], reverse=True)
    ingest(items, "a.txt")
    return story_of(FED[0][0])


@pytest.fixture
def sidebar_size(settings):
    settings.SIDEBAR_HEADLINES = 20


def test_the_sidebar_shows_a_story_once_with_its_outlets_linking_to_the_story_page(
    client, told, django_assert_max_num_queries
):
    client.get("/robots.txt")  # warm the site state, as the page-count tests do
    with django_assert_max_num_queries(5):
        html = client.get("/").content.decode()
    sidebar = html.partition('class="sidebar"')[2]
    assert sum(sidebar.count(escape(title)) for title, _, _ in FED) == 1  # one copy of the story
    assert f'href="/stories/{told.pk}/">3 outlets</a>' in sidebar
    assert escape(OTHER[0][0]) in sidebar and "1 outlets" not in sidebar


def test_the_story_page_lists_every_outlets_copy_newest_first_with_time_and_credit(
    client, told, django_assert_max_num_queries
):
    client.get("/robots.txt")
    with django_assert_max_num_queries(6):
        response = client.get(f"/stories/{told.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    main = html.partition("<main")[2].partition("</main>")[0]
    titles = [escape(title) for title, _, _ in FED]  # newest first already
    assert f'<h1 class="page-title" dir="auto">{titles[2]}</h1>' in main  # led by the earliest copy
    listing = main.partition('class="headline-list"')[2]
    places = [listing.index(title) for title in titles]
    assert places == sorted(places)
    for outlet in ("© Reuters", "© CNBC", "© Bloomberg"):
        assert outlet in main
    assert '<time datetime="2014-03-10T16:30:00' in main
    assert "Told by 3 outlets" in main
    assert client.get("/stories/999999/").status_code == 404


def test_the_archive_links_a_headline_to_its_story(client, told, django_assert_max_num_queries):
    client.get("/robots.txt")
    with django_assert_max_num_queries(10):
        html = client.get("/headlines/").content.decode()
    assert html.count(f'href="/stories/{told.pk}/">3 outlets</a>') >= 3


@pytest.mark.django_db
def test_story_pages_cost_the_same_for_a_story_of_many_copies(
    client, django_assert_max_num_queries
):
    many = [
        (
            f"Fed's Plosser says weather slowed jobs growth, copy {n}",
            f"03.10 / 10:{n:02d}",
            f"Outlet {n}",
        )
        for n in range(60)
    ]
    many.sort(key=lambda item: item[1], reverse=True)
    ingest(many, "many.txt")
    story = story_of(many[0][0])
    assert story.size == 60 and story.outlets == 60
    client.get("/robots.txt")
    with django_assert_max_num_queries(6):
        html = client.get(f"/stories/{story.pk}/").content.decode()
    assert html.count('class="headline-item"') == 50  # a page; the next is a link away
    # The next page, through the page cache (it keys on the cursor, so serves page 2).
    after = re.search(r'rel="next" href="(\?[^"]+)"', html)
    assert after, "a link to the next page of copies"
    rest = client.get(f"/stories/{story.pk}/" + after[1].replace("&amp;", "&")).content.decode()
    assert rest.count('class="headline-item"') == 10


@pytest.mark.django_db
def test_grouping_takes_the_same_queries_however_many_stories_exist(
    django_assert_max_num_queries,
):
    from tests.conftest import FIXTURES

    text = (FIXTURES / "dumps" / "big_200.txt").read_bytes()
    for k in range(4):
        ingest_bytes = text.replace(b"Headline number", f"Headline {k} number".encode())
        dump_ingest(data=ingest_bytes, filename=f"big{k}.txt", captured_at=date(2017, 3, 30))
    assert Story.objects.count() >= 2
    # One more than the first import: the stories already there are updated in bulk.
    with django_assert_max_num_queries(35):
        dump_ingest(
            data=text.replace(b"Headline number", b"Headline 9 number"),
            filename="big9.txt",
            captured_at=date(2017, 3, 30),
        )


def test_the_archive_can_show_one_row_per_story(client, told, django_assert_max_num_queries):
    client.get("/robots.txt")
    with django_assert_max_num_queries(10):
        html = client.get("/headlines/?stories=1").content.decode()
    rows = html.partition('class="headline-list"')[2]
    assert sum(rows.count(escape(title)) for title, _, _ in FED) == 1
    assert escape(FED[0][0]) in rows  # the newest copy stands for the story
    assert rows.count('class="headline-item"') == 3  # Fed, Mt. Gox, Titanfall


@pytest.mark.django_db
def test_the_story_admin_pages_take_a_fixed_number_of_queries(
    client, editor, django_assert_max_num_queries
):
    many = [
        (f"Fed's Plosser says weather slowed jobs growth, copy {n}", f"03.10 / 10:{n:02d}", f"O{n}")
        for n in range(40)
    ]
    ingest(sorted(many, key=lambda item: item[1], reverse=True), "many.txt")
    story = story_of(many[0][0])
    client.force_login(editor)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:headlines_story_change", args=[story.pk]))
    html = page.content.decode()
    assert html.count("Split out</button>") == 40 and "© O7" not in html  # outlets by name
    assert "O7" in html and "title similarity 0." in html
    with django_assert_max_num_queries(10):
        assert client.get(reverse("admin:headlines_story_changelist")).status_code == 200


def test_an_editors_merge_shows_on_cached_pages_at_once(client, told):
    from headlines.services import story_merge

    client.get("/robots.txt")
    before = client.get("/").content.decode().partition('class="sidebar"')[2]
    assert escape(OTHER[0][0]) in before and escape(GOX[0][0]) in before
    story_merge(stories=[story_of(GOX[0][0]), story_of(OTHER[0][0])], editor="ed")
    after = client.get("/").content.decode().partition('class="sidebar"')[2]
    assert (escape(OTHER[0][0]) in after) != (escape(GOX[0][0]) in after)  # one copy left


@pytest.mark.django_db
def test_a_story_stores_a_bounded_set_of_terms_however_many_copies_join_it(monkeypatch):
    from headlines import grouping
    from headlines.services import story_merge

    monkeypatch.setattr(grouping, "TERMS_KEPT", 8)
    words = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima".split()
    copies = [
        (f"Mt. Gox bitcoin exchange files for bankruptcy {word}", f"03.10 / 16:{n:02}", f"Wire {n}")
        for n, word in enumerate(words)
    ]
    for n, item in enumerate(reversed(copies)):  # one dump each, oldest first
        ingest([item], f"{n}.txt")
    story = story_of(copies[0][0])
    assert story.size == len(words)
    assert len(story.term_counts) <= 16  # of 6 shared words and 12 words of one copy each
    shared = grouping.title_terms("Mt. Gox bitcoin exchange files for bankruptcy")
    assert set(shared) <= story.term_counts.keys()
    # An editor's merge counts the story again from its headlines: bounded the same way.
    ingest(OTHER, "other.txt")
    merged = story_merge(stories=[story, story_of(OTHER[0][0])], editor="ed")
    merged.refresh_from_db()
    assert merged.size == len(words) + 1 and len(merged.term_counts) <= 16
