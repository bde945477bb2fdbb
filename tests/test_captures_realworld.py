"""The real-world development set (../shared/data/captures): scored as its README describes.

The metric is eval.py's own (imported from the data folder: per dump accepted, title exact,
share of "with" snippets in the paragraphs, share of "without" snippets wrongly kept; means
over dumps, a refused dump counting 0). The parser is called in process instead of through
``manage.py parse_dump``, which prints the same data classes. The floors sit a little under the
figures reached, per capture style, to catch regressions; outside checks score other pages.
"""

import importlib.util
import json
from datetime import date
from pathlib import Path

import pytest

from newsroom.dumps import DumpError, parse_dump

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "captures"
if not (DATA / "dev" / "truth.json").exists():  # a worktree sits one level deeper
    DATA = ROOT.parent.parent / "shared" / "data" / "captures"

# style: (accepted, title exact, body recall, boilerplate at most), in %.
FLOORS = {
    "w3m": (97, 84, 91, 11),
    "lynx": (95, 87, 93, 9),
    "paste": (95, 93, 91, 14),
    "html": (98, 92, 93, 9),
}


def _metric():
    spec = importlib.util.spec_from_file_location("captures_eval", DATA / "eval.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def scored():
    if not (DATA / "dev" / "truth.json").exists():
        pytest.skip(f"no development set at {DATA} (../shared/data/captures from the repo root)")
    metric = _metric()
    truth = json.loads((DATA / "dev" / "truth.json").read_text(encoding="utf-8"))
    summaries = {}
    for style in FLOORS:
        rows = []
        for name, entry in truth.items():
            if style == "html":
                path = DATA / "dev" / "html" / f"{name}.html"
            else:
                path = DATA / "dev" / f"{name}.{style}.txt"
            data = path.read_bytes()
            try:
                result, error = parse_dump(data, today=date(2026, 12, 1)).as_json(), None
            except DumpError as refused:
                result, error = None, str(refused)
            dump_text = data.decode("utf-8", errors="replace")
            rows.append(metric.score(entry, style, result, error, 0.0, dump_text))
        summaries[style] = metric.summary(rows)
    return summaries


@pytest.mark.parametrize("style", list(FLOORS))
def test_the_development_set_scores_at_least_the_figures_reached(scored, style):
    summary = scored[style]
    accepted, title, recall, boilerplate = FLOORS[style]
    figures = {key: round(100 * (summary[key] or 0), 1) for key in summary if key != "dumps"}
    assert summary["accepted"] * 100 >= accepted, figures
    assert summary["title_exact"] * 100 >= title, figures
    assert summary["recall"] * 100 >= recall, figures
    assert (summary["boilerplate"] or 0) * 100 <= boilerplate, figures
