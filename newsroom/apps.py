from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        # Whatever a public page may show: a save or delete of any of these
        # bumps the page cache's version. Dump is there because ingest writes
        # headlines, appearances and tags in bulk (no signals) and then saves
        # its Dump, in the same transaction.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from articles.models import (
            Article,
            ArticleRegion,
            ArticleTopic,
            Dump,
            RegionTag,
            Source,
            TopicTag,
        )
        from headlines.models import (
            Headline,
            HeadlineAppearance,
            HeadlineRegion,
            HeadlineTopic,
            Story,
        )

        from .cache import content_changed, headlines_changed, services_changed

        # Headline rows bump only the headlines version (what an import writes),
        # so the article pages stay cached through imports; the rest bump both.
        watched = {
            Article: content_changed,
            Headline: headlines_changed,
            Story: headlines_changed,
            Source: content_changed,
            HeadlineAppearance: headlines_changed,
            RegionTag: content_changed,
            TopicTag: content_changed,
            ArticleRegion: content_changed,
            ArticleTopic: content_changed,
            HeadlineRegion: headlines_changed,
            HeadlineTopic: headlines_changed,
            Dump: headlines_changed,
        }
        for model, receiver in watched.items():
            label = model._meta.label_lower
            post_save.connect(receiver, sender=model, dispatch_uid=f"page-cache:save:{label}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"page-cache:delete:{label}")
        for through in (ArticleRegion, ArticleTopic, HeadlineRegion, HeadlineTopic):
            label = through._meta.label_lower
            m2m_changed.connect(
                watched[through], sender=through, dispatch_uid=f"page-cache:m2m:{label}"
            )
        # Services send our own signal after bulk writes, which send no model signal.
        from articles.signals import public_content_changed

        public_content_changed.connect(services_changed, dispatch_uid="page-cache:services")
