"""Reader pages for our own articles. The sidebar comes from the headlines
layer through its inclusion tag in the templates, never from here."""

from django.shortcuts import get_object_or_404, render

from .models import Article


def home(request):
    articles = Article.objects.live().select_related("source")[:20]
    return render(request, "articles/home.html", {"articles": articles})


def article_detail(request, slug):
    article = get_object_or_404(Article.objects.select_related("source"), slug=slug)
    preview = not article.is_live
    if preview and not request.user.has_perm("articles.view_article"):
        article = get_object_or_404(Article.objects.none())
    return render(request, "articles/article_detail.html", {"article": article, "preview": preview})
