"""The ingest service: dumps become rows, atomically, idempotently, keeping editors' edits."""

import threading
from datetime import date

import pytest
from django.db import DatabaseError, connection

from articles.models import Article, Dump, Source
from headlines.models import Headline, HeadlineAppearance
from newsroom.dumps import parse_dump
from newsroom.ingest import Status, dump_edit, dump_ingest, dump_reparse
from tests.conftest import FIXTURES

SAMPLE_SOURCES = {
    "Dar Al Sharq Press, Printing & Distribution",
    "Egypt Independent",
    "Al Nisr Publishing LLC",
    "Qatar News Agency",
    "Tap",
    "Al Bawaba",
}


def headline_list(*titles, year_note="© 2017 Test Wire", start=1, time="03.28 / 21:{:02d}"):
    lines = ["Latest headlines", ""]
    for offset, title in enumerate(titles):
        lines += [
            f"  {start + offset}. {title} - Middle Easte",
            "    " + time.format(50 - offset),
            f"    Summary of {title}. {year_note}",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.django_db
def test_the_shared_sample_becomes_one_article_twenty_headlines_six_sources(sample_bytes):
    result = dump_ingest(data=sample_bytes, filename="000.txt")

    assert result.status == Status.IMPORTED
    article = Article.objects.get()
    assert article.title == "The coming Iran-US confrontation in Iraq"
    assert article.status == Article.Status.DRAFT and article.truncated
    assert list(article.region_tags.names()).count("Middle East") == 1
    assert len(article.paragraphs) == 11
    assert Headline.objects.count() == 20
    assert {h.published_at.year for h in Headline.objects.all()} == {2017}
    first = Headline.objects.get(appearances__position=1)
    assert first.title == "Iranian editor, social media moderator detained"
    assert first.published_at.isoformat() == "2017-03-28T21:10:00+00:00"
    assert set(Source.objects.values_list("name", flat=True)) == SAMPLE_SOURCES
    assert Headline.objects.filter(source__isnull=True).count() == 14
    dump = Dump.objects.get()
    assert dump.status == Dump.Status.IMPORTED and bytes(dump.raw) == sample_bytes
    assert dump.counts["headlines"]["created"] == 20
    assert (result.articles.created, result.headlines.created, result.sources.created) == (1, 20, 6)


@pytest.mark.django_db
def test_re_importing_the_same_dump_creates_nothing_and_says_so(sample_bytes):
    dump_ingest(data=sample_bytes, filename="000.txt")
    again = dump_ingest(data=sample_bytes, filename="copy.txt")
    assert again.status == Status.ALREADY
    assert (Dump.objects.count(), Article.objects.count(), Headline.objects.count()) == (1, 1, 20)
    assert Source.objects.count() == 6


@pytest.mark.django_db
def test_a_copy_with_one_summary_completed_updates_that_headline_only(sample_bytes):
    dump_ingest(data=sample_bytes, filename="000.txt")
    cut = "but China remains mum about his…".encode()
    completed = sample_bytes.replace(cut, b"but China remains mum about his whereabouts.")
    result = dump_ingest(data=completed, filename="001.txt")
    assert (result.headlines.created, result.headlines.updated) == (0, 1)
    assert result.headlines.unchanged == 19
    assert result.articles.unchanged == 1
    headline = Headline.objects.get(title="Missing Taiwan activist allegedly detained in China")
    assert headline.summary.endswith("about his whereabouts.")
    assert headline.summary_truncated is False
    assert headline.appearances.count() == 2


@pytest.mark.django_db
def test_editors_changes_survive_a_re_import_and_are_reported(sample_bytes):
    dump_ingest(data=sample_bytes, filename="000.txt")
    headline = Headline.objects.get(appearances__position=2)
    headline.title = "Taiwanese activist held in China"
    headline.summary = ""
    headline.edited_fields = ["title", "summary"]
    headline.save()
    article = Article.objects.get()
    article.body = "The editor's own body."
    article.edited_fields = ["body"]
    article.save()

    changed = sample_bytes.replace(b"Missing Taiwan activist", b"MISSING Taiwan activist")
    changed = changed.replace(b"Now the\xc2\xa0 caliphate", b"Now the caliphate")
    result = dump_ingest(data=changed, filename="001.txt")

    headline.refresh_from_db()
    article.refresh_from_db()
    assert headline.title == "Taiwanese activist held in China"
    assert headline.summary == ""
    assert article.body == "The editor's own body."
    assert any("title" in conflict for conflict in result.conflicts)
    assert any("body" in conflict for conflict in result.conflicts)
    assert Headline.objects.count() == 20


@pytest.mark.django_db
def test_a_dump_that_fails_to_parse_is_kept_with_its_error_and_retried_on_resend():
    result = dump_ingest(data=b"Just prose.\n\nNothing else here.\n", filename="bad.txt")
    assert result.status == Status.FAILED and result.error_line == 1
    dump = Dump.objects.get()
    assert dump.status == Dump.Status.FAILED
    assert "not a page dump" in dump.error and dump.error_line == 1
    assert bytes(dump.raw) == b"Just prose.\n\nNothing else here.\n"
    again = dump_ingest(data=b"Just prose.\n\nNothing else here.\n", filename="bad.txt")
    assert again.status == Status.FAILED and again.dump.pk == dump.pk
    assert Dump.objects.count() == 1
    assert Headline.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_database_error_mid_import_leaves_no_partial_rows(sample_bytes, monkeypatch):
    def broken(*args, **kwargs):
        raise DatabaseError("disk I/O error (injected)")

    monkeypatch.setattr(HeadlineAppearance.objects, "bulk_create", broken)
    result = dump_ingest(data=sample_bytes, filename="000.txt")

    assert result.status == Status.FAILED and "injected" in result.error
    assert Article.objects.count() == 0
    assert Headline.objects.count() == 0
    assert Source.objects.count() == 0
    dump = Dump.objects.get()
    assert dump.status == Dump.Status.FAILED and bytes(dump.raw) == sample_bytes

    monkeypatch.undo()
    retried = dump_ingest(data=sample_bytes, filename="000.txt")
    assert retried.status == Status.IMPORTED and retried.dump.pk == dump.pk
    assert Headline.objects.count() == 20


@pytest.mark.django_db
def test_dry_run_reports_without_writing(sample_bytes):
    result = dump_ingest(data=sample_bytes, filename="000.txt", dry_run=True)
    assert result.status == Status.DRY_RUN
    assert (result.articles.created, result.headlines.created, result.sources.created) == (1, 20, 6)
    assert (Dump.objects.count(), Headline.objects.count(), Source.objects.count()) == (0, 0, 0)


def snapshot():
    headlines = {
        (h.title, h.published_at, h.summary, h.summary_truncated, h.credit, h.source.name)
        for h in Headline.objects.select_related("source")
    }
    appearances = {
        (a.dump.filename, a.position, a.headline.title)
        for a in HeadlineAppearance.objects.select_related("dump", "headline")
    }
    return headlines, appearances, set(Source.objects.values_list("name", flat=True))


@pytest.mark.django_db
def test_the_result_does_not_depend_on_import_order(django_db_blocker):
    first = headline_list("Alpha", "Beta", "Gamma")
    second = headline_list("Beta", "Gamma", "Delta").replace(
        "Summary of Beta. © 2017 Test Wire", "Summary of Beta, longer. © 2017 Test Wire"
    )
    dumps = [("a.txt", first), ("b.txt", second)]
    for name, text in dumps:
        dump_ingest(data=text, filename=name)
    forwards = snapshot()
    for model in (HeadlineAppearance, Headline, Dump, Source):
        model.objects.all().delete()
    for name, text in reversed(dumps):
        dump_ingest(data=text, filename=name)
    assert snapshot() == forwards


@pytest.mark.django_db
def test_a_two_hundred_headline_dump_takes_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    text = (FIXTURES / "dumps" / "big_200.txt").read_bytes()
    assert len(parse_dump(text).headlines) == 200
    # 30 before story grouping; grouping adds 4 however many headlines: the stories
    # active in the window, their term frequencies, the new stories, the frequencies' upsert.
    with django_assert_max_num_queries(34):
        result = dump_ingest(data=text, filename="big.txt", captured_at=date(2017, 3, 30))
    assert result.headlines.created == 200
    # Seen again in a new dump: still bulk, even with every headline matched.
    again = text.replace(b"Latest", b"Newest", 1) if b"Latest" in text else text + b"\n"
    with django_assert_max_num_queries(30):
        result = dump_ingest(data=again, filename="big2.txt", captured_at=date(2017, 3, 30))
    assert result.headlines.created == 0
    assert HeadlineAppearance.objects.count() == 400


@pytest.mark.django_db
def test_an_edited_dump_keeps_its_raw_bytes_and_corrects_headlines_in_place():
    text = headline_list("Alpha", "Beta", "Gamma")
    dump = dump_ingest(data=text, filename="a.txt").dump
    beta = Headline.objects.get(title="Beta")
    fixed = text.replace("  2. Beta - Middle Easte", "  2. Beta corrected - Middle Easte")
    edited = dump_edit(dump=dump, text=fixed)
    assert edited.status == Status.IMPORTED
    beta.refresh_from_db()
    assert beta.title == "Beta corrected" and beta.visible
    assert Headline.objects.count() == 3
    dump.refresh_from_db()
    assert bytes(dump.raw) == text.encode() and dump.text == fixed

    # A line removed from the dump: its headline, now in no dump, is hidden.
    shorter = "\n".join(line for line in fixed.split("\n") if "Gamma" not in line)
    edited = dump_edit(dump=dump, text=shorter.replace("    03.28 / 21:48\n", ""))
    gamma = Headline.objects.get(title="Gamma")
    assert gamma.visible is False and gamma in edited.orphaned_headlines
    assert [bytes(dump.raw)] == [text.encode()]
    assert dump.edits.count() == 2
    assert "Beta corrected" in dump.edits.order_by("pk").first().diff


@pytest.mark.django_db
def test_an_edit_does_not_overwrite_a_title_an_editor_changed():
    text = headline_list("Alpha", "Beta")
    dump = dump_ingest(data=text, filename="a.txt").dump
    beta = Headline.objects.get(title="Beta")
    beta.title, beta.edited_fields = "Beta (editor)", ["title"]
    beta.save()
    result = dump_edit(dump=dump, text=text.replace("2. Beta -", "2. Beta fixed -"))
    beta.refresh_from_db()
    assert beta.title == "Beta (editor)"
    assert Headline.objects.count() == 2
    assert any("title" in conflict for conflict in result.conflicts)


@pytest.mark.django_db
def test_reparse_imports_a_failed_dump_after_its_text_is_fixed():
    failed = dump_ingest(data="Prose only.\n\nNo list.\n", filename="f.txt")
    fixed = dump_edit(dump=failed.dump, text=headline_list("Alpha"))
    assert fixed.status == Status.IMPORTED
    assert Dump.objects.get().status == Dump.Status.IMPORTED
    assert dump_reparse(dump=Dump.objects.get()).status == Status.IMPORTED
    assert Headline.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_imports_of_overlapping_dumps_make_no_duplicates():
    texts = [
        headline_list("Alpha", "Beta", "Gamma", "Delta", year_note=f"© 2017 Wire {n % 2}")
        + f"\n  9. Extra {n} - Gulf\n    03.28 / 10:00\n    © 2017 Wire {n % 2}\n"
        for n in range(4)
    ]
    barrier = threading.Barrier(len(texts))
    errors = []

    def run(text, n):
        try:
            barrier.wait(timeout=10)
            dump_ingest(data=text, filename=f"{n}.txt")
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t, n)) for n, t in enumerate(texts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Dump.objects.filter(status=Dump.Status.IMPORTED).count() == 4
    assert Headline.objects.count() == 8
    assert Source.objects.count() == 2
    assert HeadlineAppearance.objects.count() == 20


@pytest.mark.django_db
def test_a_general_capture_stores_the_articles_byline():
    from tests.test_captures import PASTE

    result = dump_ingest(data=PASTE.encode(), filename="paste.txt")
    assert result.status != Status.FAILED, result.error
    article = Article.objects.get()
    assert (article.title, article.byline) == (
        "Council closes the old bridge for repairs",
        "Jill Serjeant",
    )
    assert article.body.startswith("<p>The city council voted on Tuesday")
