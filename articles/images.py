"""Lead images: checked before anything is stored, cleaned, and resized once.

Uploads are untrusted. Pillow reads only the header to learn the format and
size (so a decompression bomb is refused before it is decoded), then verifies
the whole file. What is stored is re-encoded: EXIF orientation applied and all
metadata (GPS included) dropped. Renditions are made once, on upload, through
the configured storage.
"""

import hashlib
import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
RENDITION_WIDTHS = (480, 960, 1600)
MAX_PIXELS = 40_000_000  # 40 megapixels: more is a bomb, not a photo
MAX_SIDE = 10_000  # px; WebP cannot encode past 16,383 and no page shows more
MAX_ASPECT = 10  # a strip thinner than 10:1 (either way) is no lead image


@dataclass
class CheckedImage:
    format: str
    width: int
    height: int


def image_check(upload):
    """Refuse what is not a safe JPEG, PNG, WebP or GIF, with a message naming why."""
    limit = settings.IMAGE_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            f"The image is {upload.size:,} bytes; at most {limit:,} bytes are allowed."
        )
    data = _read(upload)
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind, (width, height) = image.format, image.size
            if kind not in ALLOWED_FORMATS:
                raise ValidationError(
                    f"{kind or 'This'} images are not accepted; use JPEG, PNG, WebP or GIF."
                )
            _check_size(width, height)
            image.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # verify() skips pixel data: a truncated file fails here
    except ValidationError:
        raise
    except Image.DecompressionBombError:
        raise ValidationError(
            f"The image has too many pixels; at most {MAX_PIXELS // 1_000_000} megapixels."
        ) from None
    except UnidentifiedImageError:
        raise ValidationError("This file is not an image Newsroom can read.") from None
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(f"The image file is damaged: {error}") from None
    return CheckedImage(kind, width, height)


def _check_size(width, height):
    if width * height > MAX_PIXELS:
        raise ValidationError(
            f"The image is {width}×{height} pixels; at most "
            f"{MAX_PIXELS // 1_000_000} megapixels are allowed."
        )
    if max(width, height) > MAX_SIDE:
        raise ValidationError(
            f"The image is {width}×{height} pixels; each side may be at most {MAX_SIDE:,} pixels."
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ValidationError(
            f"The image is {width}×{height} pixels, too narrow a strip for a lead image; "
            f"its long side may be at most {MAX_ASPECT} times its short side."
        )


def image_clean(upload, checked):
    """The upload re-encoded upright, without EXIF or other metadata."""
    with Image.open(io.BytesIO(_read(upload))) as image:
        upright = ImageOps.exif_transpose(image)
        if checked.format == "JPEG" and upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        buffer = io.BytesIO()
        upright.save(buffer, format=checked.format, **_save_options(checked.format))
        width, height = upright.size
    name = f"{hashlib.sha256(buffer.getvalue()).hexdigest()[:16]}.{ALLOWED_FORMATS[checked.format]}"
    return ContentFile(buffer.getvalue(), name=name), width, height


def lead_image_store(content, *, storage=default_storage):
    """Store a cleaned image and its renditions: ``(name, renditions)``.

    Called once the whole form is valid. Any failure (a full disk, an encoder
    error) removes whatever was written before it is raised again.
    """
    stored = None
    try:
        stored = storage.save(f"lead-images/{content.name}", content)
        return stored, renditions_make(stored, storage=storage)
    except BaseException:
        if stored:
            storage.delete(stored)
        raise


def renditions_make(stored_name, *, storage=default_storage):
    """Resized copies (WebP and the original format) for srcset; made once."""
    with storage.open(stored_name, "rb") as handle, Image.open(handle) as image:
        image.load()
        original = image.format
        widths = [w for w in RENDITION_WIDTHS if w < image.width] + [image.width]
        stem = stored_name.rsplit(".", 1)[0].replace("lead-images/", "lead-images/renditions/")
        made = []
        try:
            _resize_all(image, original, widths, stem, made, storage)
            _crop_ratios(image, original, stem, made, storage)
        except BaseException:
            renditions_delete(made, storage=storage)  # a failure leaves no half set
            raise
    return made


def _resize_all(image, original, widths, stem, made, storage):
    """Save each width in WebP and the original format, appending to ``made``."""
    for width in sorted(set(widths)):
        height = max(1, round(image.height * width / image.width))  # never a 0-px side
        resized = image if width == image.width else image.resize((width, height))
        for kind in sorted({original, "WEBP"}):
            frame = resized
            if kind == "JPEG" and resized.mode not in ("RGB", "L"):
                frame = resized.convert("RGB")
            buffer = io.BytesIO()
            frame.save(buffer, format=kind, **_save_options(kind))
            name = storage.save(
                f"{stem}-{width}.{ALLOWED_FORMATS[kind]}", ContentFile(buffer.getvalue())
            )
            made.append({"name": name, "width": width, "height": height, "format": kind})


# Search engines ask for a news article's image in these three shapes.
CROP_RATIOS = {"16x9": (16, 9), "4x3": (4, 3), "1x1": (1, 1)}
CROP_WIDTH = 1200


def _crop_ratios(image, original, stem, made, storage):
    """The image cut to 16x9, 4x3 and 1x1 around its centre, at most 1200 px wide.

    Kept with the renditions under a ``ratio`` key (not part of srcset).
    """
    for ratio, (across, down) in CROP_RATIOS.items():
        if image.width * down > image.height * across:  # wider than the shape
            width, height = max(1, image.height * across // down), image.height
        else:
            width, height = image.width, max(1, image.width * down // across)
        left, top = (image.width - width) // 2, (image.height - height) // 2
        frame = image.crop((left, top, left + width, top + height))
        if width > CROP_WIDTH:
            frame = frame.resize((CROP_WIDTH, max(1, CROP_WIDTH * down // across)))
        if original == "JPEG" and frame.mode not in ("RGB", "L"):
            frame = frame.convert("RGB")
        buffer = io.BytesIO()
        frame.save(buffer, format=original, **_save_options(original))
        name = storage.save(
            f"{stem}-{ratio}.{ALLOWED_FORMATS[original]}", ContentFile(buffer.getvalue())
        )
        made.append(
            {"name": name, "width": frame.width, "height": frame.height, "format": original}
            | {"ratio": ratio}
        )


def renditions_delete(renditions, *, storage=default_storage):
    for rendition in renditions:
        storage.delete(rendition["name"])


def lead_image_delete(name, renditions, *, storage=default_storage):
    """Remove an image that was replaced or deleted, and its renditions."""
    renditions_delete(renditions, storage=storage)
    if name:
        storage.delete(name)


def _save_options(kind):
    return {"JPEG": {"quality": 85, "optimize": True}, "WEBP": {"quality": 80}}.get(kind, {})


def _read(upload):
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    return data
