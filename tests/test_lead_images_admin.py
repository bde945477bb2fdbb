"""Lead images through the admin form: checked, cleaned, resized, replaced, removed."""

import errno
import random

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from articles.models import Article
from tests.test_images import bomb_png, encoded, jpeg_with_rotation_and_gps
from tests.test_revisions import article_form


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def article(db):
    return Article.objects.create(title="Dams on the Nile", slug="dams", body="One.\n\nTwo.")


def files_in(root):
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def submit(client, article, image, **changes):
    data = article_form(article, **{"lead_image_alt": "Aerial view of a dam", **changes})
    if image is not None:
        data["lead_image"] = image
    return client.post(reverse("admin:articles_article_change", args=[article.pk]), data)


@pytest.mark.django_db
def test_a_jpeg_with_rotation_and_gps_is_stored_upright_clean_and_resized(
    client, editor, media, article, django_capture_on_commit_callbacks
):
    client.force_login(editor)
    photo = SimpleUploadedFile("photo.jpg", jpeg_with_rotation_and_gps(), "image/jpeg")
    assert submit(client, article, photo).status_code == 302
    article.refresh_from_db()
    assert (article.lead_image_width, article.lead_image_height) == (200, 400)
    with default_storage.open(article.lead_image.name) as handle, Image.open(handle) as stored:
        assert not stored.getexif()
    widths = [r for r in article.lead_image_renditions if not r.get("ratio")]
    assert {(r["width"], r["format"]) for r in widths} == {
        (200, "JPEG"),
        (200, "WEBP"),
    }
    assert all(default_storage.exists(r["name"]) for r in article.lead_image_renditions)

    # Replacing it removes the old files; the new set is all that is left.
    png = SimpleUploadedFile(
        "map.png", encoded(Image.new("RGB", (1200, 600), "navy"), "PNG"), "image/png"
    )
    article.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert submit(client, article, png).status_code == 302
    article.refresh_from_db()
    kept = {article.lead_image.name, *(r["name"] for r in article.lead_image_renditions)}
    assert set(files_in(media)) == kept
    # 480, 960, 1200 in PNG and WebP, and the 16x9, 4x3 and 1x1 crops in PNG
    assert len(article.lead_image_renditions) == 6 + 3

    page = client.get(article.get_absolute_url()).content.decode()
    assert 'type="image/webp"' in page and "480w" in page and 'width="1200"' in page

    with django_capture_on_commit_callbacks(execute=True):
        article.delete()
    assert files_in(media) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>x</script></svg>'),
        ("notes.jpg", b"plain text pretending to be a photo"),
        (
            "cut.jpg",
            encoded(Image.frombytes("RGB", (300, 300), random.randbytes(270000)), "JPEG")[:3000],
        ),
        ("bomb.png", bomb_png()),
    ],
    ids=["svg", "text-as-jpg", "truncated-jpeg", "decompression-bomb"],
)
def test_bad_images_get_a_form_error_and_nothing_is_stored(
    client, editor, media, article, name, data
):
    client.force_login(editor)
    response = submit(client, article, SimpleUploadedFile(name, data, "image/jpeg"))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "lead_image" in errors
    article.refresh_from_db()
    assert not article.lead_image and files_in(media) == []


@pytest.mark.django_db
def test_alt_text_is_required_with_an_image(client, editor, media, article):
    client.force_login(editor)
    png = SimpleUploadedFile("a.png", encoded(Image.new("RGB", (50, 50)), "PNG"), "image/png")
    response = submit(client, article, png, lead_image_alt=" ")
    assert "alt text is required" in response.content.decode()


@pytest.mark.django_db
def test_a_full_disk_is_a_form_error_not_a_crash(client, editor, media, article, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(type(default_storage._wrapped), "_save", full)
    client.force_login(editor)
    png = SimpleUploadedFile("a.png", encoded(Image.new("RGB", (50, 50)), "PNG"), "image/png")
    response = submit(client, article, png)
    assert response.status_code == 200
    assert "could not be stored: No space left on device" in response.content.decode()
    article.refresh_from_db()
    assert not article.lead_image and files_in(media) == []


@pytest.mark.django_db
def test_a_webp_is_accepted_with_webp_renditions(client, editor, media, article):
    client.force_login(editor)
    webp = SimpleUploadedFile(
        "wide.webp", encoded(Image.new("RGB", (1000, 400), "olive"), "WEBP"), "image/webp"
    )
    assert submit(client, article, webp).status_code == 302
    article.refresh_from_db()
    assert article.lead_image.name.endswith(".webp")
    widths = [r["width"] for r in article.lead_image_renditions if not r.get("ratio")]
    assert sorted(widths) == [480, 960, 1000]
    assert {r["format"] for r in article.lead_image_renditions} == {"WEBP"}
