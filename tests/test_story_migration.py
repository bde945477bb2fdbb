"""The data migration: headlines that shared a story_key become one Story."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("headlines", "0004_stories")]


@pytest.mark.django_db(transaction=True)
def test_headlines_sharing_a_story_key_become_one_story_with_its_state():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    Headline = old.get_model("headlines", "Headline")
    start = datetime(2017, 3, 28, 12, tzinfo=UTC)
    rows = [
        ("Iran and Iraq talk trade", "k1", 0, "© Tap"),
        ("Iran and Iraq talk trade", "k1", 2, "© Gulf News"),
        ("Storm hits the coast", "k2", 1, "© Tap"),
        ("Never grouped", "", 3, ""),
    ]
    for n, (title, key, hours, credit) in enumerate(rows):
        Headline.objects.create(
            title=title,
            title_key=f"t{n}",
            fingerprint=f"f{n}",
            story_key=key,
            credit=credit,
            published_at=start + timedelta(hours=hours),
        )

    executor = MigrationExecutor(connection)
    executor.migrate(latest)
    new = executor.loader.project_state(latest).apps
    Story = new.get_model("headlines", "Story")
    Headline = new.get_model("headlines", "Headline")
    TermFrequency = new.get_model("headlines", "TermFrequency")
    trade = Story.objects.get(title="Iran and Iraq talk trade")
    assert trade.size == 2 and trade.outlets == 2
    assert trade.first_seen == start and trade.last_seen == start + timedelta(hours=2)
    assert trade.term_counts["iran"] == 2
    assert Story.objects.count() == 3  # the never-grouped headline has a story of its own
    assert not Headline.objects.filter(story=None).exists()
    assert Headline.objects.get(fingerprint="f1").story_reason == "same title"
    assert TermFrequency.objects.get(term="").headlines == 4
    assert TermFrequency.objects.get(term="iran").headlines == 2
