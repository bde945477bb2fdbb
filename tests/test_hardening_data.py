"""Bad data that used to fail a whole dump or a whole page (issue 14).

Foreign scripts in tags and credits, control characters in stored text,
values longer than their columns, odd lead images and out-of-range filters.
"""

import pytest
from django.urls import reverse

from articles.models import (
    Article,
    RegionTag,
    Source,
    SourceAlias,
    TopicKeyword,
    TopicTag,
    normalize_name,
)
from articles.services import sources_resolve, tags_ensure
from headlines.models import Headline
from newsroom.ingest import Status, dump_ingest
from tests.test_ingest import headline_list


@pytest.fixture
def desk(client, editor):
    client.force_login(editor)
    return client


# 1. Tags fold case the same way in every script and on every database.


@pytest.mark.django_db
def test_a_keyword_of_a_topic_with_an_accented_name_tags_the_headlines():
    topic = TopicTag.objects.create(name="Économie")
    TopicKeyword.objects.create(topic=topic, keyword="phosphate")
    result = dump_ingest(data=headline_list("Phosphate exports rise in Jordan"), filename="p.txt")
    assert result.status == Status.IMPORTED, result.error
    assert "Économie" in Headline.objects.get().topic_tags.names()
    # Matching a keyword whose case folds outside ASCII works as well.
    TopicKeyword.objects.create(topic=topic, keyword="Ürdün")
    result = dump_ingest(data=headline_list("ÜRDÜN: prices up"), filename="u.txt")
    assert result.status == Status.IMPORTED, result.error
    assert "Économie" in Headline.objects.get(title="ÜRDÜN: prices up").topic_tags.names()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "first, second",
    [("Ürdün", "ÜRDÜN"), ("İzmir", "i̇zmir"), ("ΝΗΣΟΣ", "Νησος"), ("Straße", "STRASSE")],
)
def test_tag_names_in_any_script_find_one_tag_whatever_their_case(first, second):
    tags, created = tags_ensure(model=RegionTag, names=[first])
    assert created == 1
    again, created = tags_ensure(model=RegionTag, names=[second, first])
    assert created == 0
    assert again[first] == again[second] == tags[first]
    assert RegionTag.objects.count() == 1


@pytest.mark.django_db
def test_bulk_tagging_with_a_non_ascii_name_tags_the_headlines(desk):
    dump_ingest(data=headline_list("One", "Two"), filename="x.txt")
    RegionTag.objects.create(name="ürdün")
    ids = list(Headline.objects.values_list("pk", flat=True))
    url = reverse("admin:headlines_headline_changelist")
    response = desk.post(
        url,
        {
            "action": "tag_or_set_source",
            "_selected_action": ids,
            "apply": "yes",
            "region_tags": "Ürdün, İzmir",
            "topic_tags": "ΝΗΣΟΣ",
        },
    )
    assert response.status_code == 302
    for headline in Headline.objects.all():
        assert {"ürdün", "İzmir"} <= set(headline.region_tags.names())
        assert "ΝΗΣΟΣ" in headline.topic_tags.names()
    assert RegionTag.objects.filter(key__in=["ürdün", "i̇zmir"]).count() == 2


@pytest.mark.django_db
def test_an_editor_typing_a_tag_in_another_case_gets_the_existing_tag(desk):
    from tests.test_revisions import article_form

    article = Article.objects.create(title="Dams", slug="dams")
    RegionTag.objects.create(name="Ürdün")
    url = reverse("admin:articles_article_change", args=[article.pk])
    response = desk.post(url, article_form(article, region_tags="ürdün"))
    assert response.status_code == 302
    assert list(article.region_tags.names()) == ["Ürdün"]
    assert RegionTag.objects.count() == 1
    # The tag admin refuses a second spelling with a message, not an IntegrityError.
    add = desk.post(reverse("admin:articles_regiontag_add"), {"name": "ÜRDÜN", "slug": "x"})
    assert add.status_code == 200
    assert "already exists" in add.content.decode()


# 2. Outlets credited in any script resolve to a Source with a working page.


@pytest.mark.django_db
@pytest.mark.parametrize(
    "outlet",
    ["وكالة الأنباء", "Информационное агентство", "Πρακτορείο Ειδήσεων", "新华社"],
)
def test_an_outlet_credited_in_another_script_becomes_a_source(client, outlet):
    dump = headline_list("A story", "Another story", year_note=f"© {outlet} 2017")
    result = dump_ingest(data=dump, filename="x.txt")
    assert result.status == Status.IMPORTED, result.error
    source = Source.objects.get()
    assert source.name == outlet and source.slug
    assert set(Headline.objects.values_list("source", flat=True)) == {source.pk}
    page = client.get(source.get_absolute_url())
    assert page.status_code == 200
    assert outlet in page.content.decode()


@pytest.mark.django_db
def test_aliases_fold_case_and_marks_the_same_way_in_every_script():
    assert normalize_name("AL-BAWABA.") == normalize_name("Al Bawaba") == "al bawaba"
    assert normalize_name("وَكالة الأنباء") == normalize_name("وكالة الأنباء")
    assert normalize_name("ΑΘΉΝΑ") == normalize_name("Αθηνα")
    assert normalize_name("Østlands-Posten") == "østlands posten"
    by_name, created = sources_resolve(names=["Agence Française", "AGENCE FRANCAISE", "???"])
    assert created == 2
    assert by_name["Agence Française"] == by_name["AGENCE FRANCAISE"]
    assert by_name["???"] != by_name["AGENCE FRANCAISE"]
    # Two new outlets with non-Latin names get two different slugs.
    others, _ = sources_resolve(names=["وكالة الأنباء", "新华社"])
    assert len({source.slug for source in others.values()}) == 2
    assert SourceAlias.objects.count() == 4


# 3. Feeds never fail on stored text, whatever characters old rows hold.

BAD = "\x01\x0b\x1b\ufffe"


@pytest.mark.django_db
def test_feeds_replace_xml_illegal_characters_of_stored_text(client):
    import xml.etree.ElementTree as ET
    from datetime import timedelta

    from django.core.cache import cache
    from django.utils import timezone

    cache.clear()
    source = Source.objects.create(name="Wire", slug="wire")
    region = RegionTag.objects.create(name="Gulf", slug="gulf")
    topic = TopicTag.objects.create(name="Dams", slug="dams")
    then = timezone.now() - timedelta(hours=1)
    article = Article.objects.create(
        title="A", slug="a", source=source, status=Article.Status.PUBLISHED, published_at=then
    )
    headline = Headline.objects.create(title="H", fingerprint="f", source=source, published_at=then)
    for item in (article, headline):
        item.region_tags.add(region)
        item.topic_tags.add(topic)
    # Written straight to the database, as rows stored before any clean-up.
    Article.objects.update(title=f"Article{BAD}title", dek=f"Dek{BAD}text")
    Headline.objects.update(
        title=f"Headline{BAD}title", summary=f"Sum{BAD}mary", credit=f"© Wire{BAD} 2017"
    )
    Source.objects.update(name=f"Wire{BAD}name")
    RegionTag.objects.update(name=f"Gulf{BAD}")
    TopicTag.objects.filter(pk=topic.pk).update(name=f"Dams{BAD}")
    feeds = ("/feeds/headlines/", "/feeds/articles/", "/feeds/regions/gulf/", "/feeds/topics/dams/")
    for url in feeds:
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.content.decode()
        assert not any(char in text for char in BAD), url
        channel = ET.fromstring(response.content).find("channel")
        titles = {item.findtext("title") for item in channel.iter("item")}
        assert titles & {"Article    title", "Headline    title"}, url
        if url != "/feeds/articles/":
            assert "Headline    title" in titles
    articles = ET.fromstring(client.get("/feeds/articles/").content).find("channel/item")
    assert {c.text for c in articles.iter("category")} == {"Gulf    ", "Dams    "}
    assert "Wire    name" in articles.findtext("{http://purl.org/dc/elements/1.1/}creator")


# 4. Lengths are enforced before the database sees them, the same everywhere.


def assert_every_char_column_fits():
    """SQLite stores anything in a varchar: check the lengths PostgreSQL would enforce."""
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        if model._meta.app_label not in {"articles", "headlines"}:
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.CharField) and field.max_length:
                for value in model.objects.values_list(field.attname, flat=True):
                    assert len(value or "") <= field.max_length, (model, field.name)


@pytest.mark.django_db
def test_a_credit_longer_than_the_source_columns_imports_cut_to_them():
    outlet = "Agence " + "tres longue " * 33  # 403 characters
    result = dump_ingest(data=headline_list("A story", year_note=f"© {outlet} 2017"), filename="x")
    assert result.status == Status.IMPORTED, result.error
    source = Source.objects.get()
    assert source.name == outlet.strip()[:200]
    assert len(source.slug) <= 200
    assert SourceAlias.objects.get().name == outlet.strip()[:300]
    assert Headline.objects.get().source == source
    # The same outlet credited again finds the same source.
    again = dump_ingest(data=headline_list("Another", year_note=f"© {outlet} 2017"), filename="y")
    assert again.status == Status.IMPORTED and Source.objects.count() == 1
    assert_every_char_column_fits()


@pytest.mark.django_db
def test_every_parsed_text_is_cut_to_its_column(monkeypatch):
    from datetime import datetime

    from newsroom import ingest
    from newsroom.dumps import ParsedArticle, ParsedDump, ParsedHeadline

    long = "Ω" * 1200
    parsed = ParsedDump(
        article=ParsedArticle(
            title="T" + long,
            dek="D" + long,
            dek_truncated=False,
            region_label="R" + long,
            region="Region " + long,
            paragraphs=["P"],
            truncated=False,
        ),
        headlines=[
            ParsedHeadline(
                position=1,
                title="H" + long,
                region_label="L" + long,
                region="Region " + long,
                time_label="9" + long,
                published_at=datetime(2017, 3, 28, 21, 50),
                summary="S",
                summary_truncated=False,
                credit="© " + long,
                source="Source " + long,
            )
        ],
        warnings=[],
    )
    monkeypatch.setattr(ingest, "parse_dump", lambda *args, **kwargs: parsed)
    result = dump_ingest(data="anything", filename="f" * 400, source="Desk " + long)
    assert result.status == Status.IMPORTED, result.error
    headline = Headline.objects.get()
    assert (len(headline.title), len(headline.time_label), len(headline.region_label)) == (
        500,
        40,
        40,
    )
    assert len(Article.objects.get().title) == 300
    assert headline.region_tags.get().name == ("Region " + long)[:100]
    assert len(result.dump.filename) <= 255  # cleaned to FILENAME_MAX, within the column
    assert Source.objects.count() == 2
    assert_every_char_column_fits()
    # Importing it again (another file name) matches the cut values: nothing new.
    again = dump_ingest(data="other bytes", filename="g")
    assert again.status == Status.IMPORTED, again.error
    assert (again.headlines.created, again.articles.created, again.sources.created) == (0, 0, 0)


# 6. Out-of-range and malformed filters answer with a page, never a 500.


@pytest.mark.django_db
@pytest.mark.parametrize(
    "zone, day, out_of_range",
    [
        ("Asia/Tokyo", "9999-12-31", True),
        ("Asia/Tokyo", "0001-01-01", True),
        ("Asia/Dubai", "0001-01-01", True),
        ("UTC", "9999-12-31", True),
        ("America/Los_Angeles", "9999-12-31", True),
        ("UTC", "0001-01-01", False),  # a day these bounds can hold: just an empty list
        ("Asia/Tokyo", "9999-12-30", False),
    ],
)
def test_an_archive_day_at_the_end_of_the_calendar_is_a_notice(
    client, settings, zone, day, out_of_range
):
    from django.core.cache import cache

    cache.clear()
    settings.TIME_ZONE = zone
    response = client.get("/headlines/", {"date": day})
    assert response.status_code == 200
    assert ("outside the dates the archive can show" in response.content.decode()) is out_of_range


@pytest.mark.django_db
def test_an_archive_day_in_range_still_filters(client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.TIME_ZONE = "Asia/Tokyo"
    dump_ingest(data=headline_list("Tokyo story"), filename="t.txt")  # 2017-03-28 21:50 Tokyo
    assert "Tokyo story" in client.get("/headlines/", {"date": "2017-03-28"}).content.decode()
    assert "Tokyo story" not in client.get("/headlines/", {"date": "2017-03-29"}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["headlines_headline", "articles_article"])
def test_a_csv_export_with_an_invalid_filter_value_goes_back_to_the_list(desk, model):
    url = reverse(f"admin:{model}_export")
    response = desk.get(url, {"id__exact": "abc"})
    assert response.status_code == 302
    assert response["Location"] == reverse(f"admin:{model}_changelist") + "?e=1"
    assert desk.get(response["Location"]).status_code == 200
    assert desk.get(url, {"published_at__gte": "not a date"}).status_code == 302


# 5. Lead images: odd sizes are a form error; a refused or failed upload leaves no file.


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def png_of(width, height, mode="1"):
    from PIL import Image

    from tests.test_images import encoded

    return encoded(Image.new(mode, (width, height)), "PNG")


def post_image(client, article, data, **changes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.test_revisions import article_form

    form = article_form(article, **{"lead_image_alt": "A strip", **changes})
    form["lead_image"] = SimpleUploadedFile("odd.png", data, "image/png")
    return client.post(reverse("admin:articles_article_change", args=[article.pk]), form)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "width, height, message",
    [
        (2000, 1, "at most 10 times its short side"),
        (1, 2000, "at most 10 times its short side"),
        (17000, 10, "each side may be at most 10,000 pixels"),
        (600, 65000, "each side may be at most 10,000 pixels"),
    ],
)
def test_odd_image_sizes_get_a_form_error_and_leave_no_file(
    desk, media, width, height, message
):
    from tests.test_lead_images_admin import files_in

    article = Article.objects.create(title="Dams", slug="dams")
    response = post_image(desk, article, png_of(width, height))
    assert response.status_code == 200
    assert message in " ".join(response.context["adminform"].form.errors["lead_image"])
    article.refresh_from_db()
    assert not article.lead_image and files_in(media) == []


@pytest.mark.django_db
@pytest.mark.parametrize("width, height", [(1, 1), (10_000, 1000), (1000, 10_000), (4801, 481)])
def test_sizes_at_the_limits_import_with_renditions_of_no_empty_side(desk, media, width, height):
    article = Article.objects.create(title="Dams", slug="dams")
    assert post_image(desk, article, png_of(width, height)).status_code == 302
    article.refresh_from_db()
    assert (article.lead_image_width, article.lead_image_height) == (width, height)
    assert article.lead_image_renditions
    assert all(r["width"] >= 1 and r["height"] >= 1 for r in article.lead_image_renditions)


@pytest.mark.django_db
def test_an_upload_refused_for_its_alt_text_leaves_no_file(desk, media):
    from tests.test_lead_images_admin import files_in

    article = Article.objects.create(title="Dams", slug="dams")
    response = post_image(desk, article, png_of(800, 400, "RGB"), lead_image_alt=" ")
    assert "alt text is required" in response.content.decode()
    assert files_in(media) == []
    # Refused for another field (an empty title) likewise.
    response = post_image(desk, article, png_of(800, 400, "RGB"), title=" ")
    assert response.status_code == 200 and files_in(media) == []


@pytest.mark.django_db
def test_an_encoder_failure_or_a_failed_save_leaves_no_file(desk, media, monkeypatch):
    from django.db import DatabaseError
    from PIL import Image

    from tests.test_lead_images_admin import files_in

    article = Article.objects.create(title="Dams", slug="dams")
    real_save = Image.Image.save

    def fails_on_the_second_webp(image, fp, format=None, **options):  # noqa: A002
        if format == "WEBP" and image.width == 960:
            raise ValueError("encoder error -2")
        return real_save(image, fp, format=format, **options)

    monkeypatch.setattr(Image.Image, "save", fails_on_the_second_webp)
    response = post_image(desk, article, png_of(1200, 600, "RGB"))
    assert response.status_code == 200
    assert "could not be resized: encoder error -2" in response.content.decode()
    assert files_in(media) == []
    monkeypatch.setattr(Image.Image, "save", real_save)

    def database_down(*args, **kwargs):
        raise DatabaseError("connection lost")

    monkeypatch.setattr(Article, "save", database_down)
    with pytest.raises(DatabaseError):
        post_image(desk, article, png_of(1200, 600, "RGB"))
    assert files_in(media) == []
    monkeypatch.undo()
    # A failure after the row was written rolls it back: its files go as well.
    from articles.admin import ArticleAdmin

    monkeypatch.setattr(ArticleAdmin, "log_change", database_down)
    with pytest.raises(DatabaseError):
        post_image(desk, article, png_of(1200, 600, "RGB"))
    assert files_in(media) == []
    article.refresh_from_db()
    assert not article.lead_image
    monkeypatch.undo()
    assert post_image(desk, article, png_of(1200, 600, "RGB")).status_code == 302
    # the original, 480/960/1200 in PNG and WebP, the 16x9, 4x3 and 1x1 crops in PNG
    assert len(files_in(media)) == 1 + 2 * 3 + 3


@pytest.mark.django_db
def test_tags_in_other_scripts_have_ascii_slugs_and_working_pages(desk, client):
    tags, _ = tags_ensure(model=RegionTag, names=["ΝΗΣΟΣ", "وكالة"])
    assert len({tag.slug for tag in tags.values()}) == 2
    for tag in tags.values():
        assert tag.slug.isascii() and client.get(tag.get_absolute_url()).status_code == 200
    # A unicode slug typed in the admin is refused: it could never be a public URL.
    add = desk.post(reverse("admin:articles_regiontag_add"), {"name": "Ürdün", "slug": "ürdün"})
    assert add.status_code == 200 and not RegionTag.objects.filter(name="Ürdün").exists()


@pytest.mark.django_db
def test_a_keyword_listed_twice_in_two_cases_is_a_form_error(desk):
    topic = TopicTag.objects.create(name="Mining", slug="mining")
    keyword = TopicKeyword.objects.create(topic=topic, keyword="Phosphate")
    url = reverse("admin:articles_topictag_change", args=[topic.pk])
    form = {
        "name": "Mining",
        "slug": "mining",
        "keywords-TOTAL_FORMS": "3",
        "keywords-INITIAL_FORMS": "1",
        "keywords-0-id": keyword.pk,
        "keywords-0-topic": topic.pk,
        "keywords-0-keyword": "Phosphate",
        "keywords-1-keyword": "ÜRDÜN",
        "keywords-2-keyword": "ürdün",
    }
    response = desk.post(url, form)
    assert response.status_code == 200 and "listed twice" in response.content.decode()
    form["keywords-2-keyword"] = "PHOSPHATE"  # the stored one in another case
    assert "has this keyword already" in desk.post(url, form).content.decode()
    del form["keywords-2-keyword"]
    assert desk.post(url, form).status_code == 302
    assert sorted(topic.keywords.values_list("key", flat=True)) == ["phosphate", "ürdün"]


@pytest.mark.django_db
def test_a_dump_of_a_hundred_outlets_in_other_scripts_takes_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    scripts = ["وكالة", "Агентство", "Πρακτορείο", "新华社"]
    lines = ["Latest headlines", ""]
    for n in range(1, 101):
        outlet = f"{scripts[n % 4]} {chr(0x0627 + n % 20)}{n}"
        lines += [
            f"  {n}. Story {n} from İzmir - Middle Easte",
            f"    03.28 / {n // 60 + 10:02d}:{n % 60:02d}",
            f"    Summary {n}. © {outlet} 2017",
        ]
    text = "\n".join(lines) + "\n"
    with django_assert_max_num_queries(30):
        result = dump_ingest(data=text, filename="many.txt")
    assert result.status == Status.IMPORTED, result.error
    assert (result.headlines.created, result.sources.created) == (100, 100)
    assert Headline.objects.filter(source__isnull=True).count() == 0
