"""`manage.py parse_dump`: the JSON contract, exit codes and error messages."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, SAMPLE

ROOT = Path(__file__).resolve().parent.parent
DUMPS = FIXTURES / "dumps"


def run_parse_dump(*args, stdin=b""):
    return subprocess.run(
        [sys.executable, "manage.py", "parse_dump", *args],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        timeout=60,
    )


def test_the_shared_sample_prints_exactly_the_expected_json():
    done = run_parse_dump(str(SAMPLE))
    assert done.returncode == 0, done.stderr
    expected = json.loads(SAMPLE.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert json.loads(done.stdout.decode("utf-8")) == expected
    # UTF-8, not ASCII escapes.
    assert "’" in done.stdout.decode("utf-8")


def test_standard_input_works_like_a_file(sample_bytes):
    from_file = run_parse_dump(str(SAMPLE))
    from_stdin = run_parse_dump("-", stdin=sample_bytes)
    assert from_stdin.returncode == 0
    assert from_stdin.stdout == from_file.stdout


def fixture_cases():
    if not DUMPS.is_dir():
        return []
    return sorted(path for path in DUMPS.glob("*.txt"))


@pytest.mark.parametrize("dump", fixture_cases(), ids=lambda path: path.stem)
def test_fixture_dumps_parse_as_written_down(dump):
    args_file = dump.with_suffix(".args")
    args = args_file.read_text().split() if args_file.exists() else []
    done = run_parse_dump(*args, str(dump))
    error_file = dump.with_suffix(".error")
    if error_file.exists():
        stderr = done.stderr.decode()
        assert done.returncode != 0
        assert len(stderr.strip().splitlines()) == 1, stderr
        assert dump.name in stderr and "Traceback" not in stderr
        line = error_file.read_text().strip()
        if line != "none":
            assert f":{line}:" in stderr
        return
    assert done.returncode == 0, done.stderr.decode()
    got = json.loads(done.stdout.decode("utf-8"))
    expected = json.loads(dump.with_suffix(".expected.json").read_text(encoding="utf-8"))
    # Warning wording is ours; the lines they point to are the contract.
    assert [w["line"] for w in got["warnings"]] == [w["line"] for w in expected["warnings"]]
    assert all(w["message"] for w in got["warnings"])
    assert {**got, "warnings": []} == {**expected, "warnings": []}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty file"),
        (b"  \n\t\n   ", "empty file"),
        (b"Some\x00binary\x00bytes", "binary"),
        ("Latest headlines".encode("utf-16"), "binary"),
        (b"Just some prose.\n\nAnd more prose, not a page at all.\n", "not a page dump"),
    ],
    ids=["empty", "whitespace", "nul-bytes", "utf-16", "prose"],
)
def test_what_is_not_a_dump_fails_with_one_line_naming_the_file(tmp_path, content, message):
    path = tmp_path / "broken dump.txt"
    path.write_bytes(content)
    done = run_parse_dump(str(path))
    stderr = done.stderr.decode()
    assert done.returncode != 0
    assert done.stdout == b""
    assert len(stderr.strip().splitlines()) == 1
    assert str(path) in stderr and message in stderr
    assert "Traceback" not in stderr


def test_empty_standard_input_fails_cleanly():
    done = run_parse_dump("-", stdin=b"")
    assert done.returncode != 0
    assert done.stderr.decode().strip().splitlines() == ["CommandError: <stdin>: empty file"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/no/such/dump.txt"], "/no/such/dump.txt: no such file"),
        ([str(FIXTURES)], "is a directory"),
        (["--captured-at", "2017-02-30", str(SAMPLE)], "--captured-at"),
        (["--time-zone", "Mars/Olympus", str(SAMPLE)], "unknown time zone"),
    ],
    ids=["missing", "directory", "bad-date", "bad-zone"],
)
def test_bad_arguments_fail_with_a_message_not_a_traceback(args, message):
    done = run_parse_dump(*args)
    stderr = done.stderr.decode()
    assert done.returncode != 0
    assert message in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


def test_captured_at_fixes_the_year():
    done = run_parse_dump("--captured-at", "2019-04-01", str(SAMPLE))
    first = json.loads(done.stdout)["headlines"][0]
    assert first["published_at"] == "2019-03-28T21:10:00"
