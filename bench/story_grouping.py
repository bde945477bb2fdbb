"""Score story-grouping methods on the development set (B-cubed and pairwise).

    .venv/bin/python bench/story_grouping.py [../shared/data/stories/dev.csv]

Plain Python, no Django: it runs headlines/grouping.py on the rows in time
order, as ingest would, and prints one line per method and threshold. The
two reference methods of issue 16 are reproduced here too.
"""

import csv
import sys
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from headlines import grouping  # noqa: E402

DEV = Path(__file__).resolve().parent.parent.parent / "shared/data/stories/dev.csv"
BASELINE_WINDOW_SECONDS = 48 * 3600


def load(path):
    with open(path, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["moment"] = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
    rows.sort(key=lambda row: (row["moment"], int(row["id"])))
    return rows


def bcubed(truth, predicted):
    """B-cubed precision, recall, F1 of ``predicted`` (id -> group) against ``truth``."""
    members_true, members_pred = defaultdict(set), defaultdict(set)
    for item, label in truth.items():
        members_true[label].add(item)
        members_pred[predicted[item]].add(item)
    precision = recall = 0.0
    for item in truth:
        mine = members_pred[predicted[item]]
        story = members_true[truth[item]]
        shared = len(mine & story)
        precision += shared / len(mine)
        recall += shared / len(story)
    precision /= len(truth)
    recall /= len(truth)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def pairwise(truth, predicted):
    pairs = Counter((truth[i], predicted[i]) for i in truth)
    true_pairs = sum(n * (n - 1) // 2 for n in Counter(truth.values()).values())
    pred_pairs = sum(n * (n - 1) // 2 for n in Counter(predicted.values()).values())
    both = sum(n * (n - 1) // 2 for n in pairs.values())
    return (both / pred_pairs if pred_pairs else 1.0), (both / true_pairs if true_pairs else 1.0)


def same_title(rows):
    """Reference 1: the same normalised title within 48 hours."""
    groups, first = {}, {}
    for row in rows:
        key = " ".join(row["title"].casefold().split())
        seen = first.get(key)
        if seen and (row["moment"] - seen[1]).total_seconds() <= BASELINE_WINDOW_SECONDS:
            groups[row["id"]] = seen[0]
        else:
            first[key] = (row["id"], row["moment"])
            groups[row["id"]] = row["id"]
    return groups


def significant_words(title):
    words = grouping._WORD.findall(title.casefold())
    return {w for w in words if w not in grouping._STOPWORDS and len(w) > 2}


def word_overlap(rows, *, ratio=0.6, shared=3):
    """Reference 2 (NewsBlur-style): significant-word overlap, union-find within 48 h."""
    parent = {row["id"]: row["id"] for row in rows}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    words = [(row, significant_words(row["title"])) for row in rows]
    for i, (row, mine) in enumerate(words):
        for other, theirs in words[:i]:
            if (row["moment"] - other["moment"]).total_seconds() > BASELINE_WINDOW_SECONDS:
                continue
            common = len(mine & theirs)
            smaller = min(len(mine), len(theirs)) or 1
            if common >= shared and common / smaller >= ratio:
                parent[find(row["id"])] = find(other["id"])
    return {item: find(item) for item in parent}


def tfidf(rows, *, threshold, link, pair=None, features=None):
    pair = threshold if pair is None else pair
    grouper = grouping.Grouper(threshold=threshold, link=link, pair_threshold=pair)
    groups = {}
    for row in rows:
        terms = grouping.title_terms(row["title"], row["publisher"], **(features or {}))
        story, _ = grouper.assign(row["id"], row["title"], terms, row["moment"])
        groups[row["id"]] = story.key
    return groups


def in_dumps(rows, size):
    """The chosen method as ingest runs it: one batch per dump, each listed newest first."""
    grouper = grouping.Grouper()
    states = {}
    for start in range(0, len(rows), size):
        chunk = rows[start : start + size][::-1]
        items = [
            (row["title"], grouping.title_terms(row["title"], row["publisher"]), row["moment"])
            for row in chunk
        ]
        for row, (state, _) in zip(chunk, grouper.assign_batch(items), strict=True):
            states[row["id"]] = state
    return {item: id(state) for item, state in states.items()}


def report(name, rows, groups):
    truth = {row["id"]: row["story"] for row in rows}
    p, r, f = bcubed(truth, groups)
    pp, pr = pairwise(truth, groups)
    stories = len(set(groups.values()))
    print(f"{name:<48} P {p:.3f}  R {r:.3f}  F1 {f:.3f}   pairs P {pp:.3f} R {pr:.3f}  {stories}")
    return p, r, f


def main(argv):
    rows = load(Path(argv[1]) if len(argv) > 1 else DEV)
    print(f"{len(rows)} headlines, {len({row['story'] for row in rows})} stories\n")
    print(f"{'method':<48} B-cubed                      pairwise           groups")
    report("every headline alone", rows, {row["id"]: row["id"] for row in rows})
    report("same normalised title within 48 h", rows, same_title(rows))
    report("word overlap >= 0.6, >= 3 shared (union-find)", rows, word_overlap(rows))
    chosen = grouping.Grouper()
    groups = {}
    for row in rows:
        terms = grouping.title_terms(row["title"], row["publisher"])
        groups[row["id"]] = chosen.assign(row["id"], row["title"], terms, row["moment"])[0].key
    report("chosen: headlines/grouping.py defaults", rows, groups)
    for size in (20, 200):
        report(f"chosen, in dumps of {size} as at ingest", rows, in_dumps(rows, size))
    thresholds = [float(t) for t in argv[2].split(",")] if len(argv) > 2 else None
    pairs = [float(t) for t in argv[3].split(",")] if len(argv) > 3 else [None]
    links = argv[4].split(",") if len(argv) > 4 else ("single", "centroid", "average")
    features = eval(argv[5]) if len(argv) > 5 else None  # noqa: S307 - a bench knob
    sparse = rows[::10]
    for link in links:
        for pair in pairs:
            for threshold in thresholds or (0.08, 0.1, 0.12, 0.15, 0.2, 0.3):
                start = time.perf_counter()
                groups = tfidf(rows, threshold=threshold, link=link, pair=pair, features=features)
                took = time.perf_counter() - start
                name = f"tf-idf {link} >= {threshold:.2f}, pair >= {pair or threshold:.2f}"
                report(f"{name} ({took:.1f}s)", rows, groups)
                groups = tfidf(sparse, threshold=threshold, link=link, pair=pair, features=features)
                report(f"  same, every 10th row ({len(sparse)})", sparse, groups)


if __name__ == "__main__":
    main(sys.argv)
