from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "Articles and sources"

    def ready(self):
        from django.db import transaction
        from django.db.models.signals import post_delete

        from .images import lead_image_delete
        from .models import Article

        def delete_lead_image(sender, instance, **kwargs):
            if instance.lead_image:
                name, renditions = instance.lead_image.name, instance.lead_image_renditions
                transaction.on_commit(lambda: lead_image_delete(name, renditions))

        post_delete.connect(delete_lead_image, sender=Article, dispatch_uid="article-lead-image")
