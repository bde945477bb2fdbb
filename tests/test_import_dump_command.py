"""`manage.py import_dump`: per-file lines, summary, exit codes, dry run."""

import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from articles.models import Dump
from headlines.models import Headline
from tests.conftest import ROOT, SAMPLE


def import_dump(*args):
    out = StringIO()
    call_command("import_dump", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def folder(tmp_path, sample_bytes):
    (tmp_path / "nested").mkdir()
    (tmp_path / "nested" / "b.txt").write_text(
        "Latest headlines\n\n  1. Only one - Gulf\n    03.28 / 10:00\n    Text. © 2017 Wire\n"
    )
    (tmp_path / "a.txt").write_bytes(sample_bytes)
    (tmp_path / "c.txt").write_text("Nothing but prose.\n\nMore prose.\n")
    (tmp_path / "notes.md").write_text("not a dump, not a .txt")
    return tmp_path


@pytest.mark.django_db
def test_a_folder_imports_recursively_in_sorted_order_and_fails_with_status_1(folder):
    with pytest.raises(CommandError) as failed:
        out = StringIO()
        call_command("import_dump", str(folder), stdout=out)
    assert failed.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert lines[0].startswith(f"OK      {folder / 'a.txt'}: article 1 created")
    assert lines[1].startswith(f"FAILED  {folder / 'c.txt'}:1: not a page dump")
    assert lines[2].startswith(f"OK      {folder / 'nested' / 'b.txt'}: ")
    assert "1 imported" not in out.getvalue()
    assert "2 imported, 0 already imported, 1 failed" in out.getvalue()
    assert Headline.objects.count() == 21
    assert Dump.objects.filter(status=Dump.Status.FAILED).count() == 1


@pytest.mark.django_db
def test_importing_again_skips_everything_and_exits_0():
    import_dump(str(SAMPLE))
    out = import_dump(str(SAMPLE))
    assert "SKIPPED" in out and "already imported, nothing changed" in out
    assert "0 imported, 1 already imported, 0 failed" in out


@pytest.mark.django_db
def test_dry_run_writes_nothing():
    out = import_dump("--dry-run", str(SAMPLE))
    assert out.startswith("WOULD")
    assert "headlines 20 created" in out and "dry run: nothing was written" in out
    assert Dump.objects.count() == 0 and Headline.objects.count() == 0


@pytest.mark.django_db
def test_source_and_publish_options_apply_to_the_article():
    import_dump("--source", "Al-Monitor", "--publish", str(SAMPLE))
    from articles.models import Article

    article = Article.objects.select_related("source").get()
    assert article.source.name == "Al-Monitor"
    assert article.is_live


@pytest.mark.parametrize(
    "args",
    [["/no/such/path.txt"], ["--captured-at", "yesterday", str(SAMPLE)]],
    ids=["missing-path", "bad-date"],
)
def test_bad_arguments_exit_2_without_a_traceback(args):
    done = subprocess.run(
        [sys.executable, "manage.py", "import_dump", *args],
        cwd=ROOT,
        capture_output=True,
        timeout=60,
        env={**__import__("os").environ, "DATABASE_URL": "sqlite:///:memory:"},
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr.decode()
    assert len(done.stderr.decode().strip().splitlines()) == 1


SAVED_PAGE = (
    "<!DOCTYPE html><html><head><title>Council closes the old bridge - The Daily Example</title>"
    "</head><body><article><h1>Council closes the old bridge</h1>"
    "<p>The city council voted on Tuesday to close the old bridge for repairs, after engineers "
    "found cracks in two of its pillars during an inspection in the spring.</p>"
    "<p>Drivers will have to use the northern ring road for at least six months, and the council "
    "said it would add buses to the route while the work is going on.</p>"
    "</article></body></html>"
)


@pytest.mark.django_db
def test_a_folder_imports_saved_html_pages_beside_text_dumps(tmp_path, sample_bytes):
    from articles.models import Article

    (tmp_path / "a.txt").write_bytes(sample_bytes)
    (tmp_path / "page.html").write_text(SAVED_PAGE, encoding="utf-8")
    out = import_dump(str(tmp_path))
    lines = out.splitlines()
    assert lines[0].startswith(f"OK      {tmp_path / 'a.txt'}: article 1 created")
    assert lines[1].startswith(f"OK      {tmp_path / 'page.html'}: article 1 created")
    assert Article.objects.filter(title="Council closes the old bridge").exists()
