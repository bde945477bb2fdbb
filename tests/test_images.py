"""Lead image checks: what is accepted, what is refused, what is stored."""

import io
import random
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from articles.images import image_check, image_clean, renditions_delete, renditions_make


def encoded(image, kind, **options):
    buffer = io.BytesIO()
    image.save(buffer, format=kind, **options)
    return buffer.getvalue()


def upload(data, name="photo.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def noisy(width, height):
    """A photo-like image that does not compress away."""
    return Image.frombytes("RGB", (width, height), random.Random(7).randbytes(width * height * 3))


def jpeg_with_rotation_and_gps():
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to view
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (33.0, 18.0, 0.0)  # latitude
    return encoded(noisy(400, 200), "JPEG", exif=exif.tobytes())


def bomb_png(width=20000, height=20000):
    """A valid PNG header claiming 400 megapixels, a few bytes long."""

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def test_a_large_png_and_a_webp_are_accepted(settings):
    png = encoded(noisy(700, 500), "PNG")
    assert len(png) > 1_000_000
    assert image_check(upload(png, "big.png")).format == "PNG"
    webp = encoded(noisy(300, 200), "WEBP")
    assert (image_check(upload(webp, "a.webp")).width, image_check(upload(webp)).height) == (
        300,
        200,
    )


def test_exif_rotation_is_applied_and_gps_is_stripped():
    data = jpeg_with_rotation_and_gps()
    with Image.open(io.BytesIO(data)) as original:
        assert original.getexif().get_ifd(0x8825)
    checked = image_check(upload(data))
    cleaned, width, height = image_clean(upload(data), checked)
    assert (width, height) == (200, 400)
    with Image.open(io.BytesIO(cleaned.read())) as stored:
        assert stored.size == (200, 400)
        assert not stored.getexif()
        assert "exif" not in stored.info


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "x.svg",
            "not an image",
        ),
        (b"just some text, not a picture", "fake.jpg", "not an image"),
        (encoded(noisy(300, 300), "JPEG")[:2000], "cut.jpg", "damaged"),
        (bomb_png(), "bomb.png", "megapixels"),
        (encoded(noisy(20, 20), "BMP"), "old.bmp", "not accepted"),
    ],
    ids=["svg", "text-as-jpg", "truncated-jpeg", "decompression-bomb", "bmp"],
)
def test_unsafe_or_broken_files_are_refused_with_a_reason(data, name, message):
    with pytest.raises(ValidationError) as refused:
        image_check(upload(data, name))
    assert message in refused.value.messages[0]


def test_files_over_the_size_limit_are_refused(settings):
    settings.IMAGE_MAX_BYTES = 1000
    with pytest.raises(ValidationError, match="at most 1,000 bytes"):
        image_check(upload(encoded(noisy(300, 300), "PNG")))


def test_renditions_are_made_once_per_width_in_webp_and_the_original_format(tmp_path):
    storage = FileSystemStorage(location=tmp_path)
    name = storage.save("lead-images/photo.jpg", io.BytesIO(encoded(noisy(1200, 600), "JPEG")))
    made = renditions_make(name, storage=storage)
    crops = {r["ratio"]: (r["width"], r["height"]) for r in made if r.get("ratio")}
    # The three shapes search engines ask for, cut from the centre, at most 1200 wide.
    assert crops == {"16x9": (1066, 600), "4x3": (800, 600), "1x1": (600, 600)}
    assert sorted((r["width"], r["format"]) for r in made if not r.get("ratio")) == [
        (480, "JPEG"),
        (480, "WEBP"),
        (960, "JPEG"),
        (960, "WEBP"),
        (1200, "JPEG"),
        (1200, "WEBP"),
    ]
    assert {r["height"] for r in made if r["width"] == 480} == {240}
    assert all(storage.exists(r["name"]) for r in made)
    renditions_delete(made, storage=storage)
    assert not any(storage.exists(r["name"]) for r in made)
