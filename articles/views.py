"""Reader pages for our own articles.

The sidebar comes from the headlines layer through its inclusion tag in the
templates, never from here. Caching is added by the top layer
(``newsroom.urls``), which wraps these views.
"""

from types import SimpleNamespace

from django.db.models import Exists, OuterRef, Value
from django.http import Http404
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import add_never_cache_headers

from .models import Article, Correction, RegionTag, Source, TopicTag
from .prepared import PreparedValues, url_maker
from .rendering import text_lang

SITE_NAME = "Newsroom"
# The front page: one lead, a row of secondary stories, then sections of the
# regions and topics with most stories among the next ones, a few each.
HOME_POOL = 40
HOME_SECONDARY = 4
HOME_SECTIONS = 3
HOME_SECTION_ARTICLES = 3
HOME_SECTION_MIN = 2  # a section of one story looks like a mistake


def home(request):
    """The front page in two queries (articles, then all their tags); the sidebar adds two."""
    articles = list(
        Article.objects.live()
        .select_related("source")
        .order_by("-front_lead", "-published_at", "-pk")[:HOME_POOL]
    )
    tags = articles_tags(articles)
    for article in articles:
        article.regions, article.topics = tags[article.pk]
    lead, secondary = articles[:1], articles[1 : 1 + HOME_SECONDARY]
    rest = articles[1 + HOME_SECONDARY :]
    context = {
        "lead": lead[0] if lead else None,
        "secondary": secondary,
        "sections": front_sections(rest),
    }
    return render(request, "articles/home.html", context)


def front_sections(articles):
    """``[(kind, tag, articles)]``: the regions, then the topics, with most articles.

    Each article appears in one section at most, the first it fits.
    """
    used, sections = set(), []
    for kind, attr in (("region", "regions"), ("topic", "topics")):
        counts = {}
        for article in articles:
            for tag in getattr(article, attr):
                counts.setdefault(tag.pk, [tag, 0])[1] += 1
        ranked = sorted(counts.values(), key=lambda pair: (-pair[1], pair[0].name.casefold()))
        chosen = 0
        for tag, _ in ranked:
            if chosen == HOME_SECTIONS:
                break
            members = [
                article
                for article in articles
                if article.pk not in used and tag.pk in {t.pk for t in getattr(article, attr)}
            ][:HOME_SECTION_ARTICLES]
            if len(members) >= HOME_SECTION_MIN:
                used.update(a.pk for a in members)
                sections.append((kind, tag, members))
                chosen += 1
    return sections


def articles_tags(articles):
    """``{article pk: (regions, topics)}`` sorted by name, for any number of articles: one query."""
    fields = ("article_items__content_object", "pk", "name", "slug")
    pks = [article.pk for article in articles]
    found = {pk: ([], []) for pk in pks}
    if not pks:
        return found
    regions = (
        RegionTag.objects.filter(article_items__content_object__in=pks)
        .order_by()
        .values_list(*fields, Value(0))
    )
    topics = (
        TopicTag.objects.filter(article_items__content_object__in=pks)
        .order_by()
        .values_list(*fields, Value(1))
    )
    models = (RegionTag, TopicTag)
    for article_pk, pk, name, slug, kind in regions.union(topics, all=True):
        found[article_pk][kind].append(models[kind](pk=pk, name=name, slug=slug))
    for pair in found.values():
        for tags in pair:
            tags.sort(key=lambda tag: tag.name.casefold())
    return found


def article_detail(request, slug):
    """The article. Drafts and scheduled ones: 404, except a preview for editors."""
    article = _article_by_slug(slug)
    preview = not article.is_live
    if preview and not request.user.has_perm("articles.view_article"):
        raise Http404("No article here.")
    regions, topics = article_tags(article)
    return article_page(request, article, regions=regions, topics=topics, preview=preview)


def _article_by_slug(slug):
    """The article with its source and whether it has corrections: one prepared query."""
    rows = _ARTICLE_BY_SLUG.rows(key=slug)
    if not rows:
        raise Http404("No article here.")
    row = rows[0]
    article = Article.from_db("default", _ARTICLE_FIELDS, [row[name] for name in _ARTICLE_FIELDS])
    article.has_corrections = row["has_corrections"]
    source = None
    if row["source__id"] is not None:
        source = Source.from_db(
            "default", _SOURCE_FIELDS, [row[f"source__{name}"] for name in _SOURCE_FIELDS]
        )
    article.source = source
    return article


_ARTICLE_FIELDS = [field.attname for field in Article._meta.concrete_fields]
_SOURCE_FIELDS = [field.attname for field in Source._meta.concrete_fields]
_ARTICLE_BY_SLUG = PreparedValues(
    lambda now, ids, key: Article.objects.filter(slug=key).values(
        *_ARTICLE_FIELDS,
        *(f"source__{name}" for name in _SOURCE_FIELDS),
        has_corrections=Exists(Correction.objects.filter(article=OuterRef("pk"))),
    )
)


def article_page(request, article, *, regions, topics, preview, unsaved=False):
    """The public article template for ``article`` (saved or not: the desk's preview)."""
    canonical = request.build_absolute_uri(article.get_absolute_url())
    image = request.build_absolute_uri(article.share_image_url) if article.lead_image else ""
    # One query more only for an article that has corrections.
    corrections = list(article.corrections.all()) if article.has_corrections else []
    lang = text_lang(f"{article.title} {article.body[:400]}")
    context = {
        "page_lang": lang,
        "page_dir": "rtl" if lang else "",
        "corrections": corrections,
        "article": article,
        "preview": preview or unsaved,
        "unsaved": unsaved,
        "regions": regions,
        "topics": topics,
        "canonical_url": canonical,
        "image_url": image,
        "structured_data": article_json_ld(
            article,
            url=canonical,
            image=image,
            corrections=corrections,
            logo=request.build_absolute_uri(static("img/logo.png")),
            ratio_images=[request.build_absolute_uri(url) for url in article.ratio_image_urls],
        ),
    }
    response = render(request, "articles/article_detail.html", context)
    if preview or unsaved:
        add_never_cache_headers(response)
    return response


def article_tags(article):
    """``(regions, topics)`` of an article, sorted by name, in one prepared query (a UNION)."""
    urls = {"region": url_maker("region-detail"), "topic": url_maker("topic-detail")}
    found = {"region": [], "topic": []}
    for row in _ARTICLE_TAGS.rows(ids=[article.pk]):
        kind, slug = row["kind"], row["slug"]
        found[kind].append(
            SimpleNamespace(
                pk=row["pk"], name=row["name"], slug=slug, get_absolute_url=urls[kind](slug)
            )
        )
    return tuple(
        sorted(found[kind], key=lambda tag: tag.name.casefold()) for kind in ("region", "topic")
    )


def _article_tags_queryset(now, ids, key):
    fields = ("pk", "name", "slug")
    regions = RegionTag.objects.filter(article_items__content_object__in=ids).order_by()
    topics = TopicTag.objects.filter(article_items__content_object__in=ids).order_by()
    return regions.values(*fields, kind=Value("region")).union(
        topics.values(*fields, kind=Value("topic")), all=True
    )


_ARTICLE_TAGS = PreparedValues(_article_tags_queryset)


def article_json_ld(article, *, url, image="", corrections=(), logo="", ratio_images=()):
    """schema.org NewsArticle data; the template escapes it for a <script> element.

    ``ratio_images``: the lead image cropped 16x9, 4x3 and 1x1, as Google asks.
    """
    publisher = {"@type": "Organization", "name": SITE_NAME}
    if logo:
        publisher["logo"] = {"@type": "ImageObject", "url": logo}
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "url": url,
        "mainEntityOfPage": url,
        "publisher": publisher,
    }
    if article.dek:
        data["description"] = article.dek + ("…" if article.dek_truncated else "")
    published, _, _ = article.shown_date
    if published:
        data["datePublished"] = published.isoformat()
    modified = max(
        filter(None, [published, article.edited_at, *(c.corrected_at for c in corrections)]),
        default=None,
    )
    if modified:
        data["dateModified"] = modified.isoformat()
    if article.byline:
        data["author"] = [{"@type": "Person", "name": article.byline}]
    elif article.source:
        data["author"] = [{"@type": "Organization", "name": article.source.name}]
    if ratio_images or image:
        data["image"] = list(ratio_images) or [image]
    if corrections:
        data["correction"] = [
            {
                "@type": "CorrectionComment",
                "text": correction.text,
                "datePublished": correction.corrected_at.isoformat(),
            }
            for correction in corrections
        ]
    if article.source:
        data["sourceOrganization"] = {"@type": "Organization", "name": article.source.name}
    return data
