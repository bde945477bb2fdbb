from django.urls import path

from . import views

# Tag and source pages and search list headlines beside articles, so they live
# in the layer that knows both.
urlpatterns = [
    path("headlines/", views.archive, name="headline-archive"),
    path("regions/<slug:slug>/", views.region_detail, name="region-detail"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic-detail"),
    path("sources/<slug:slug>/", views.source_detail, name="source-detail"),
    path("stories/<int:pk>/", views.story_detail, name="story-detail"),
    path("search/", views.search, name="search"),
]
