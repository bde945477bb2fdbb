"""Reader pages that list headlines: the archive, tag pages and source pages."""

from django.shortcuts import get_object_or_404, render

from articles.models import Article, RegionTag, Source, TopicTag

from .models import Headline


def archive(request):
    headlines = Headline.objects.filter(visible=True).select_related("source")[:50]
    return render(request, "headlines/archive.html", {"headlines": headlines})


def _tag_page(request, tag_model, slug, field):
    tag = get_object_or_404(tag_model, slug=slug)
    articles = Article.objects.live().filter(**{f"{field}__tag": tag})[:20]
    headlines = Headline.objects.filter(visible=True, **{f"{field}__tag": tag}).select_related(
        "source"
    )[:50]
    return render(
        request,
        "headlines/tag_detail.html",
        {"tag": tag, "articles": articles, "headlines": headlines},
    )


def region_detail(request, slug):
    return _tag_page(request, RegionTag, slug, "region_items")


def topic_detail(request, slug):
    return _tag_page(request, TopicTag, slug, "topic_items")


def source_detail(request, slug):
    source = get_object_or_404(Source, slug=slug)
    headlines = source.headlines.filter(visible=True)[:50]
    return render(
        request, "headlines/source_detail.html", {"source": source, "headlines": headlines}
    )
