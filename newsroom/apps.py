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

        from .cache import content_changed

        watched = [
            Article,
            Headline,
            Story,
            Source,
            HeadlineAppearance,
            RegionTag,
            TopicTag,
            ArticleRegion,
            ArticleTopic,
            HeadlineRegion,
            HeadlineTopic,
            Dump,
        ]
        for model in watched:
            label = model._meta.label_lower
            post_save.connect(
                content_changed, sender=model, dispatch_uid=f"page-cache:save:{label}"
            )
            post_delete.connect(
                content_changed, sender=model, dispatch_uid=f"page-cache:delete:{label}"
            )
        for through in (ArticleRegion, ArticleTopic, HeadlineRegion, HeadlineTopic):
            label = through._meta.label_lower
            m2m_changed.connect(
                content_changed, sender=through, dispatch_uid=f"page-cache:m2m:{label}"
            )
        # Services send our own signal after bulk writes, which send no model signal.
        from articles.signals import public_content_changed

        public_content_changed.connect(content_changed, dispatch_uid="page-cache:services")
