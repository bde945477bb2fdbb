"""Reader pages that list headlines: the archive, tag and source pages, search.

They live in this layer because they show headlines beside articles. Every
list is cut by keyset pagination (``?before=`` / ``?after=`` cursors), never
by counting rows. Caching is added by the top layer (``newsroom.urls``).
"""

import re
from datetime import date

from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from articles.models import RegionTag, Source, SourceSlug, TopicTag

from . import selectors
from .models import Story


def _cursors(request, notices, prefix=""):
    """The ``before``/``after`` cursors of a list; a malformed one is dropped with a notice."""
    cursors = {}
    for direction in ("before", "after"):
        value = request.GET.get(prefix + direction)
        if not value:
            continue
        try:
            selectors.decode_cursor(value)
        except selectors.BadCursor:
            notices.append("That page link is not valid; showing the newest instead.")
            return {}
        cursors[direction] = value
    if len(cursors) == 2:
        notices.append("A page link cannot point both ways; showing the newest instead.")
        return {}
    return cursors


def _page_links(request, page, prefix=""):
    """URLs of the newer and older pages, keeping the other query parameters."""
    links = {}
    for direction, cursor in (("after", page.newer), ("before", page.older)):
        if cursor is None:
            continue
        query = request.GET.copy()
        query.pop(prefix + "before", None)
        query.pop(prefix + "after", None)
        query[prefix + direction] = cursor
        links["newer" if direction == "after" else "older"] = f"?{query.urlencode()}"
    return links


_SLUG = re.compile(r"[-\w]+")


def _by_slug(model, slug):
    """The row with this slug; an unknown one is a 404 (a filter that matches nothing)."""
    if not slug:
        return None
    if not _SLUG.fullmatch(slug):
        raise Http404("No such slug.")  # never send junk (a NUL byte) to the database
    return get_object_or_404(model, slug=slug)


def _parse_day(value, notices):
    if not value:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        notices.append(f"“{value[:40]}” is not a date like 2017-03-28; the date filter is off.")
        return None
    try:
        selectors.day_bounds(day)
    except OverflowError:
        notices.append(f"{day} is outside the dates the archive can show; the date filter is off.")
        return None
    return day


def archive(request):
    """All public headlines, filterable by source, region, topic and day."""
    notices = []
    source = _by_slug(Source, request.GET.get("source"))
    region = _by_slug(RegionTag, request.GET.get("region"))
    topic = _by_slug(TopicTag, request.GET.get("topic"))
    day = _parse_day(request.GET.get("date"), notices)
    stories = request.GET.get("stories") == "1"
    page = selectors.headlines_archive(
        source=source,
        region=region,
        topic=topic,
        day=day,
        one_per_story=stories,
        **_cursors(request, notices),
    )
    context = {
        "page": page,
        "links": _page_links(request, page),
        "notices": notices,
        "filters": {
            "source": source,
            "region": region,
            "topic": topic,
            "day": day,
            "stories": stories,
        },
        "sources": Source.objects.values_list("slug", "name"),
        "regions": RegionTag.objects.values_list("slug", "name"),
        "topics": TopicTag.objects.values_list("slug", "name"),
    }
    return render(request, "headlines/archive.html", context)


def _tag_page(request, model, slug, kind):
    tag = get_object_or_404(model, slug=slug)
    notices = []
    articles = selectors.tag_articles(tag, **_cursors(request, notices, prefix="articles_"))
    headlines = selectors.tag_headlines(tag, **_cursors(request, notices))
    context = {
        "tag": tag,
        "kind": kind,
        "articles": articles,
        "article_links": _page_links(request, articles, prefix="articles_"),
        "headlines": headlines,
        "links": _page_links(request, headlines),
        "notices": notices,
        "feed_url": reverse(f"feed-{kind}", kwargs={"slug": tag.slug}),
    }
    return render(request, "headlines/tag_detail.html", context)


def region_detail(request, slug):
    return _tag_page(request, RegionTag, slug, "region")


def topic_detail(request, slug):
    return _tag_page(request, TopicTag, slug, "topic")


def source_detail(request, slug):
    """One outlet's articles and headlines; a merged outlet's old slug redirects (301)."""
    source = Source.objects.filter(slug=slug).first()
    if source is None:
        old = get_object_or_404(SourceSlug.objects.select_related("source"), slug=slug)
        return redirect(old.source, permanent=True)
    notices = []
    articles = selectors.source_articles(source, **_cursors(request, notices, prefix="articles_"))
    page = selectors.source_headlines(source, **_cursors(request, notices))
    context = {
        "source": source,
        "articles": articles,
        "article_links": _page_links(request, articles, prefix="articles_"),
        "page": page,
        "links": _page_links(request, page),
        "notices": notices,
    }
    return render(request, "headlines/source_detail.html", context)


def story_detail(request, pk):
    """One story: every outlet's copy, newest first, with time and credit."""
    story = get_object_or_404(Story, pk=pk)
    notices = []
    page = selectors.story_headlines(story, **_cursors(request, notices))
    if not page.items and not request.GET:
        raise Http404("No public headline in this story.")
    context = {
        "story": story,
        "page": page,
        "links": _page_links(request, page),
        "notices": notices,
    }
    return render(request, "headlines/story_detail.html", context)


def search(request):
    """Articles and headlines matching the words; an empty query shows the form only."""
    raw = request.GET.get("q", "")
    text = " ".join(selectors.search_words(raw))
    if len(raw) > selectors.SEARCH_MAX_LENGTH:
        notices = [f"Searches are cut to {selectors.SEARCH_MAX_LENGTH} characters."]
    else:
        notices = []
    articles, headlines = selectors.search(text=text)
    context = {
        "query": text,
        "searched": bool(text),
        "articles": articles,
        "headlines": headlines,
        "notices": notices,
    }
    return render(request, "headlines/search.html", context)
