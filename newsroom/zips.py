"""Zip uploads of dumps, read safely: a zip is untrusted like every dump in it.

Limits (settings ZIP_*): the number of members, their total uncompressed size
and the compression ratio (zip bombs); names must stay inside the archive (no
``../``, no absolute or drive paths); only members that look like dumps (text
or HTML: an allowed extension, no NUL byte) are taken, each under its own name.
"""

import posixpath
import zipfile

from django.conf import settings

DUMP_EXTENSIONS = {"", ".txt", ".text", ".htm", ".html", ".dump"}
RATIO_FLOOR = 1024 * 1024  # below 1 MB unpacked, a high ratio harms no one


class ZipRefused(Exception):  # noqa: N818 - a refusal with the editor's message, not a bug
    def __init__(self, message):
        super().__init__(message)
        self.message = message


def is_zip(name, head=b""):
    return name.lower().endswith(".zip") or head.startswith(b"PK\x03\x04")


def unsafe_name(name):
    """Why a member's name could leave the archive, or "" when it stays inside."""
    name = name.replace("\\", "/")
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "an absolute path"
    if ".." in name.split("/"):
        return "a “..” path"
    if "\x00" in name:
        return "a NUL byte in its name"
    return ""


def zip_dumps(fileobj, *, name="upload.zip"):
    """(member name, bytes) of each dump in a zip, and the names of members skipped.

    Raises ZipRefused with a message for the editor when the zip breaks a limit;
    nothing is read past a limit.
    """
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ZipRefused(f"{name} is not a zip file that can be read.") from None
    with archive:
        members = [info for info in archive.infolist() if not info.is_dir()]
        if len(members) > settings.ZIP_MAX_MEMBERS:
            raise ZipRefused(
                f"{name} holds {len(members):,} files; a zip may hold at most "
                f"{settings.ZIP_MAX_MEMBERS:,}."
            )
        for info in members:
            why = unsafe_name(info.filename)
            if why:
                raise ZipRefused(f"{name} was refused: member “{info.filename}” has {why}.")
        total = sum(info.file_size for info in members)
        packed = sum(info.compress_size for info in members)
        if total > settings.ZIP_MAX_TOTAL_BYTES:
            raise ZipRefused(
                f"{name} unpacks to {total:,} bytes; at most {settings.ZIP_MAX_TOTAL_BYTES:,}."
            )
        if total > RATIO_FLOOR and total > settings.ZIP_MAX_RATIO * max(packed, 1):
            raise ZipRefused(
                f"{name} was refused: it unpacks {total // max(packed, 1):,} times its size "
                f"(a zip bomb?); at most {settings.ZIP_MAX_RATIO} times."
            )
        dumps, skipped = [], []
        for info in members:
            if info.file_size > settings.DUMP_MAX_BYTES:
                raise ZipRefused(
                    f"{name}: {info.filename} is {info.file_size:,} bytes; a dump may be at "
                    f"most {settings.DUMP_MAX_BYTES:,} bytes."
                )
            base = posixpath.basename(info.filename.replace("\\", "/"))
            extension = posixpath.splitext(base)[1].lower()
            if base.startswith(".") or extension not in DUMP_EXTENSIONS:
                skipped.append(info.filename)
                continue
            # The header's sizes may lie: never read more than the limit allows.
            try:
                with archive.open(info) as member:
                    data = member.read(settings.DUMP_MAX_BYTES + 1)
            except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as error:
                raise ZipRefused(f"{name}: {info.filename} cannot be read ({error}).") from None
            if len(data) > settings.DUMP_MAX_BYTES:
                raise ZipRefused(f"{name}: {info.filename} is over the size limit.")
            if not data.strip() or b"\x00" in data[:8192]:
                skipped.append(info.filename)  # empty, or binary: not a dump
                continue
            dumps.append((info.filename, data))
    if not dumps:
        raise ZipRefused(f"{name} holds no dumps (text or HTML files).")
    return dumps, skipped
