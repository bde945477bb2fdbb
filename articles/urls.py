from django.urls import path
from django.views.generic import TemplateView

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("articles/<slug:slug>/", views.article_detail, name="article-detail"),
    path(
        "corrections/",
        TemplateView.as_view(template_name="articles/corrections_policy.html"),
        name="corrections-policy",
    ),
]
