"""make bench-queue: 300 dumps through the task queue against import_dump of the same folder.

Both runs start from a fresh SQLite database of their own (migrated, empty) and
import the same generated dumps, in the same run of this script:

- ``import_dump DIR``: one process imports the folder in sorted order;
- the queue: one process stores the dumps as a batch (what the admin upload
  does: one transaction, the jobs enqueued with it), then ``--workers``
  ``manage.py worker --batch`` processes drain it.

Each time is wall clock from the start of the first process to the end of the
last, Django's start-up included on both sides; the CPU time of those processes
is shown too (on a shared machine, wall clock follows the load). The goal is the queue within
1.5x of import_dump. Prints a Markdown table and writes it to bench/results/.
A benchmark, not a test: it fails only if an import fails. (Not bench/queue.py:
run as a script, that name would hide the standard library's queue module.)
"""

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOAL = 1.5


def dump_text(number, headlines):
    """A dump in the format of docs/dump-format.md: one article and a headline list."""
    title = f"Queue bench story {number}: ministers meet on water and power"
    lines = [title, "", title, f"  1. {title}", "    Ministers meet on the grid…", "    Gulf", ""]
    for paragraph in range(8):
        lines += [
            f"Paragraph {paragraph} of story {number}. Officials said the talks on water "
            "sharing and electricity would go on next week, with delegations from both "
            "sides meeting in the capital. The agreement would cover the border region, "
            "the new power line and the dam, a spokesman said on Thursday.",
            "",
        ]
    for position in range(1, headlines + 1):
        lines += [
            f"  {position}. Headline {number}.{position} on the regional summit and trade - Gulf",
            f"    {1 + number % 12:02d}.{1 + position % 28:02d} / "
            f"{position % 24:02d}:{number % 60:02d}",
            f"    Summary {number}.{position}: leaders met to discuss trade and the border. "
            "© Gulf Wire 2017. All rights reserved.",
        ]
    return "\n".join(lines) + "\n"


def manage(*args, env, check=True):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=check,
        stdout=subprocess.DEVNULL,
    )


def fresh_env(tmp, label):
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp / (label + '.sqlite3')}",
        "NEWSROOM_VAR_DIR": str(tmp / "var"),
        "DJANGO_DEBUG": "1",
        "LOG_LEVEL": "WARNING",
    }
    manage("migrate", "--noinput", "-v", "0", env=env)
    return env


def enqueue(folder):
    """Run inside a Django process: store the folder as one batch (as the admin does)."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    sys.path.insert(0, str(ROOT))
    django.setup()
    from newsroom.batches import batch_create

    paths = sorted(Path(folder).iterdir())
    batch_create(dumps=[(path.name, path.read_bytes()) for path in paths], name="bench")


def count_imported(env):
    script = (
        "from articles.models import Dump; "
        "print(Dump.objects.filter(status='imported').count(), Dump.objects.count())"
    )
    out = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", script],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    return int(out[-2]), int(out[-1])


def children_cpu():
    """CPU seconds (user + system) of the finished child processes so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dumps", type=int, default=300)
    parser.add_argument("--headlines", type=int, default=20, help="headlines per dump")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--results-dir", default=str(ROOT / "bench" / "results"))
    parser.add_argument("--enqueue", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.enqueue:
        return enqueue(args.enqueue)

    tmp = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    try:
        folder = tmp / "dumps"
        folder.mkdir()
        for number in range(args.dumps):
            (folder / f"{number:04d}.txt").write_text(dump_text(number, args.headlines))

        env = fresh_env(tmp, "import_dump")
        started, cpu = time.perf_counter(), children_cpu()
        manage("import_dump", str(folder), env=env)
        direct = time.perf_counter() - started
        direct_cpu = children_cpu() - cpu
        direct_done = count_imported(env)

        env = fresh_env(tmp, "queue")
        started, cpu = time.perf_counter(), children_cpu()
        subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--enqueue", str(folder)],
            cwd=ROOT, env=env, check=True,
        )  # fmt: skip
        enqueued = time.perf_counter() - started
        worker = ["manage.py", "worker", "--batch", "--no-reload", "--no-startup-delay", "-v", "0"]
        workers = [
            subprocess.Popen([sys.executable, *worker], cwd=ROOT, env=env)
            for _ in range(args.workers)
        ]
        codes = [process.wait() for process in workers]
        queued = time.perf_counter() - started
        queued_cpu = children_cpu() - cpu
        queue_done = count_imported(env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    ratio = queued / direct
    rows = [
        ("import_dump (1 process)", direct, direct_cpu, direct_done, ""),
        (f"queue: enqueue + {args.workers} worker(s)", queued, queued_cpu, queue_done,
         f"enqueue {enqueued:.2f} s"),
    ]  # fmt: skip
    lines = [
        f"# Queue bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"{args.dumps} dumps of 1 article + {args.headlines} headlines, SQLite, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}",
        "",
        "| run | wall s | dumps/s | CPU s | imported | note |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label, seconds, cpu, (done, total), note in rows:
        lines.append(
            f"| {label} | {seconds:.2f} | {done / seconds:.1f} | {cpu:.2f} | {done}/{total} "
            f"| {note} |"
        )
    verdict = "met" if ratio <= GOAL else "NOT met"
    lines += [
        "",
        f"Queue / import_dump: **{ratio:.2f}x** wall clock (goal: within {GOAL}x, {verdict}); "
        f"{queued_cpu / direct_cpu:.2f}x in CPU time, which a busy machine disturbs less.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    results = Path(args.results_dir)
    results.mkdir(parents=True, exist_ok=True)
    (results / f"{datetime.now(UTC):%Y-%m-%dT%H-%M-%SZ}-queue.md").write_text(text)
    if any(codes) or direct_done[0] != args.dumps or queue_done[0] != args.dumps:
        print("Some imports failed: see above.", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
