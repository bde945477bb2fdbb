"""A dump imported every ``--every`` seconds for ``--seconds``: the site's import load.

    python -m bench.importer DIR --seconds 10 --every 1

One long-lived process (as a worker of a queue would be), so that starting
Python and Django does not count against the pages. Each dump goes through
the real ingest service; the figures printed (one JSON line) come from its
results, not from scraping text.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("directory", type=Path)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--every", type=float, default=1.0)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "newsroom.settings")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    from newsroom.ingest import Status, dump_ingest

    paths = sorted(options.directory.glob("*.txt"))
    done = {"imported": 0, "failed": 0, "headlines_created": 0, "seconds": []}
    started = time.monotonic()
    for number, path in enumerate(paths):
        wake = started + number * options.every
        if wake - started >= options.seconds:
            break
        time.sleep(max(0.0, wake - time.monotonic()))
        begin = time.monotonic()
        result = dump_ingest(data=path.read_bytes(), filename=path.name)
        done["seconds"].append(round(time.monotonic() - begin, 4))
        if result.status == Status.IMPORTED:
            done["imported"] += 1
            done["headlines_created"] += result.headlines.created
        else:
            done["failed"] += 1
    print(json.dumps(done), flush=True)


if __name__ == "__main__":
    main()
