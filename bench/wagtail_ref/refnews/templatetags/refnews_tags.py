"""The sidebar as an inclusion tag (how the Wagtail docs show snippets on every page)."""

from django import template

from refnews.models import Headline

register = template.Library()


@register.inclusion_tag("refnews/tags/latest_headlines.html")
def latest_headlines(count=20):
    return {"headlines": Headline.objects.order_by("-published_at")[:count]}
