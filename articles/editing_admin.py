"""The article change form's editing aids: the rich-text editor under the CSP,
preview before saving, conflict protection, autosave and presence.

A mixin for ``ArticleAdmin`` so that ``articles/admin.py`` changes by one line.
State changes go through services (``articles/services.py`` saves articles,
``articles/editing.py`` keeps working copies and presence).
"""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify
from js_asset import Media

from . import editing, review
from .models import Article, RegionTag, TopicTag
from .views import article_page


def current_value(article, name):
    """The row's value of a field, as the form's cleaned_data holds it."""
    if name in ("region_tags", "topic_tags"):
        return getattr(article, name).names()
    return getattr(article, name)


def put_in_form(data, article, name):
    """Write the row's value of a field into posted form data, as its widget posts it."""
    value = current_value(article, name)
    if name in ("region_tags", "topic_tags"):
        data[name] = ", ".join(sorted(value))
    elif isinstance(value, bool):
        if value:
            data[name] = "on"
        else:
            data.pop(name, None)
    elif name in ("published_at", "expires_at"):  # the admin's split date and time
        local = timezone.localtime(value) if value else None
        data[f"{name}_0"] = f"{local:%Y-%m-%d}" if local else ""
        data[f"{name}_1"] = f"{local:%H:%M:%S}" if local else ""
    elif name == "source":
        data[name] = str(article.source_id or "")
    else:
        data[name] = value or ""


def versioned(form_class, restore=None):
    """The admin's form with optimistic locking: a hidden version and what it was opened on.

    ``restore``: form data of a working copy, shown (bound, not saved) instead of the row.
    """

    class VersionedArticleForm(form_class):
        version = forms.IntegerField(required=False, widget=forms.HiddenInput)
        base = forms.CharField(required=False, widget=forms.HiddenInput)

        previewing = False  # the preview validates the form but never saves it
        conflict = None

        def __init__(self, *args, **kwargs):
            if restore is not None and not args and "data" not in kwargs:
                kwargs["data"] = restore  # an autosave typed on an old version: a conflict
            super().__init__(*args, **kwargs)
            if self.instance.pk:
                self.fields["version"].initial = self.instance.version
                self.fields["base"].initial = editing.base_sign(self.instance)

        def clean(self):
            cleaned = super().clean()
            article = self.instance
            if not article.pk or self.previewing:
                return cleaned
            # Choices made on a refused save: "take theirs" keeps the row's value.
            for name in editing.COMPARED:
                if name in self.fields and self.data.get(f"resolve_{name}") == "theirs":
                    cleaned[name] = current_value(article, name)
            posted = cleaned.get("version")
            # A post without a version (an old script) is not checked: the lock is
            # a guard against lost edits, not a permission.
            if posted is None:
                return cleaned
            base = editing.base_read(cleaned.get("base"))
            # Stale: saved since (the version), or changed by a writer that counts no
            # version (a restored revision, a bulk update): what it was opened on.
            if posted == article.version and (not base or base == editing.article_values(article)):
                return cleaned
            mine = {
                name: editing.normalized(name, cleaned.get(name))
                for name in editing.COMPARED
                if name in self.fields and name in cleaned
            }
            self.conflict = editing.conflict_find(article=article, base=base, mine=mine)
            # The form comes back on the current version, with their changes in
            # place where you had not changed the field: saving it again applies
            # your choices and loses nobody's edit.
            data = self.data.copy()
            data["version"] = str(article.version)
            data["base"] = editing.base_sign(article)
            for name, _label, _theirs in self.conflict.theirs_only:
                data[f"resolve_{name}"] = "theirs"
                put_in_form(data, article, name)
            self.data = data
            when = timezone.localtime(self.conflict.when) if self.conflict.when else None
            raise ValidationError(
                "Not saved: %(who)s saved this article%(when)s, after you opened it. "
                "Check the changes below, then save again.",
                params={"who": self.conflict.who, "when": f" at {when:%H:%M:%S}" if when else ""},
                code="stale",
            )

    return VersionedArticleForm


# Only Editors (articles.publish_article) may use these; Reporters never see them.
PUBLISHING_ACTIONS = {"publish_now", "unpublish", "pin_front_lead", "unpin_front_lead"}
PUBLISHING_FIELDS = ["status", "published_at", "expires_at", "front_lead"]


def pending_value(form, name):
    value = form.cleaned_data.get(name)
    if name in ("region_tags", "topic_tags"):
        return sorted(str(getattr(tag, "name", tag)) for tag in value or [])
    if name == "source":
        return value.pk if value else None
    return value


class EditingAdminMixin:
    change_form_template = "admin/articles/article/change_form.html"

    # -- review: what Reporters may not do, and the transitions ---------------

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not review.can_publish(request.user):
            fields += [name for name in PUBLISHING_FIELDS if name not in fields]
        return fields

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not review.can_publish(request.user):
            for name in PUBLISHING_ACTIONS:
                actions.pop(name, None)
        return actions

    def pending_save(self, request, obj, form, change):
        """A reporter's save of a published article: kept apart until approved."""
        if not change or review.can_publish(request.user) or not obj.pk:
            return False
        if Article.objects.filter(pk=obj.pk, status=Article.Status.PUBLISHED).exists() is False:
            return False
        values = {
            name: pending_value(form, name)
            for name in form.changed_data
            if name in review.PENDING_FIELDS
        }
        review.pending_save(article=obj, user=request.user, values=values)
        obj.refresh_from_db()  # the history's revision shows the live article, not the draft
        request.pending_saved = True
        self.message_user(
            request,
            "Your changes are kept as a draft of this live article: readers see them "
            "once an editor approves them.",
        )
        return True

    def save_related(self, request, form, formsets, change):
        if getattr(request, "pending_saved", False):
            return  # tags and corrections wait with the rest of the pending change
        super().save_related(request, form, formsets, change)

    def response_change(self, request, obj):
        # Saved: the autosaved working copy has served its purpose.
        editing.working_copy_discard(article=obj, user=request.user)
        action = request.POST.get("_review")
        if action in review.TRANSITIONS:
            note = request.POST.get("review_note", "")
            try:
                review.review_transition(article=obj, user=request.user, action=action, note=note)
            except PermissionDenied:
                self.message_user(request, "That review step is not yours to take.", "error")
            else:
                done = {
                    "submit": "Submitted for review.",
                    "approve": "Approved: published (or scheduled for its publish time).",
                    "send_back": "Sent back to the reporter.",
                }
                self.message_user(request, done[action])
            return HttpResponseRedirect(request.path)
        return super().response_change(request, obj)

    def response_add(self, request, obj, post_url_continue=None):
        if request.POST.get("_review") == "submit":
            review.review_transition(article=obj, user=request.user, action="submit")
            self.message_user(request, "Submitted for review.")
            return HttpResponseRedirect(reverse("admin:articles_article_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    def get_form(self, request, obj=None, change=False, **kwargs):
        restore = None
        if request.method == "GET" and request.GET.get("restore") == "1" and obj is not None:
            copy = editing.working_copy_for(article=obj, user=request.user)
            restore = editing.working_copy_data(copy) if copy else None
        return versioned(super().get_form(request, obj, change, **kwargs), restore)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("preview/", view(self.preview_view), name="articles_article_preview"),
            path(
                "<path:object_id>/autosave/",
                view(self.autosave_view),
                name="articles_article_autosave",
            ),
            path(
                "<path:object_id>/presence/",
                view(self.presence_view),
                name="articles_article_presence",
            ),
            path(
                "<path:object_id>/preview/",
                view(self.preview_view),
                name="articles_article_preview",
            ),
            *super().get_urls(),
        ]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        # The editor's import map is an inline <script>: it runs under the CSP by
        # the request's nonce (script-src 'self' 'nonce-…'), nothing else inline.
        nonce = getattr(request, "csp_nonce", "")
        context["media"] = Media.from_media(context["media"], nonce=str(nonce))
        args_ = [obj.pk] if obj is not None and obj.pk else []
        context["preview_url"] = reverse("admin:articles_article_preview", args=args_)
        if obj is not None and obj.pk:
            if request.method == "GET" and request.GET.get("restore") == "1":
                # The bound copy was applied to ``obj`` in memory: name the saved one.
                context["original"] = obj = Article.objects.get(pk=obj.pk)
            context["aids"] = {
                "autosave_url": reverse("admin:articles_article_autosave", args=[obj.pk]),
                "presence_url": reverse("admin:articles_article_presence", args=[obj.pk]),
                "others": editing.presence_beat(article=obj, user=request.user),
                "working_copy": editing.working_copy_for(article=obj, user=request.user),
                "restoring": request.method == "GET" and request.GET.get("restore") == "1",
            }
        context["review"] = {
            "can_publish": review.can_publish(request.user),
            "can_submit": (obj is None or obj.pk is None)
            or review.allowed(article=obj, user=request.user, action="submit"),
            "can_decide": obj is not None
            and bool(obj.pk)
            and review.allowed(article=obj, user=request.user, action="approve"),
            "events": list(obj.review_events.select_related("user")) if obj and obj.pk else [],
            "pending": getattr(obj, "pending", None) if obj and obj.pk else None,
        }
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def _editable(self, request, object_id):
        if request.method != "POST":
            raise PermissionDenied
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def autosave_view(self, request, object_id):
        """Keep the form as typed: the editor's one working copy (JSON answer)."""
        obj = self._editable(request, object_id)
        if request.POST.get("discard") == "1":
            editing.working_copy_discard(article=obj, user=request.user)
            return JsonResponse({"discarded": True})
        copy = editing.working_copy_save(article=obj, user=request.user, data=request.POST)
        return JsonResponse({"saved_at": timezone.localtime(copy.saved_at).strftime("%H:%M:%S")})

    def presence_view(self, request, object_id):
        """The heartbeat: I have the form open; who else has?"""
        obj = self._editable(request, object_id)
        if request.POST.get("leave") == "1":
            editing.presence_leave(article=obj, user=request.user)
            return JsonResponse({"others": []})
        return JsonResponse({"others": editing.presence_beat(article=obj, user=request.user)})

    def preview_view(self, request, object_id=None):
        """The posted, unsaved form rendered with the public article template.

        Nothing is saved: no file is stored (uploads are ignored), the tags
        are shown from the form, and the whole request runs in a transaction
        that is rolled back.
        """
        if request.method != "POST":
            raise PermissionDenied
        obj = self.get_object(request, object_id) if object_id else None
        if object_id and obj is None:
            raise PermissionDenied
        allowed = (
            self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        )
        if not allowed:
            raise PermissionDenied
        with transaction.atomic():
            response = self._preview(request, obj)
            transaction.set_rollback(True)
        return response

    def _preview(self, request, obj):
        form_class = self.get_form(request, obj, change=obj is not None)
        form = form_class(request.POST, instance=obj or Article())
        form.previewing = True
        if not form.is_valid():
            context = {
                **self.admin_site.each_context(request),
                "title": "Preview: the form has errors",
                "opts": self.model._meta,
                "form": form,
            }
            return TemplateResponse(request, "admin/articles/article/preview_errors.html", context)
        article = form.instance
        regions, topics = (
            sorted(
                (model(name=name, slug=slugify(name)) for name in form.cleaned_data.get(field, [])),
                key=lambda tag: tag.name.casefold(),
            )
            for model, field in ((RegionTag, "region_tags"), (TopicTag, "topic_tags"))
        )
        if not article.slug:
            article.slug = "preview"
        article.has_corrections = bool(article.pk) and article.corrections.exists()
        return article_page(
            request, article, regions=regions, topics=topics, preview=True, unsaved=True
        )
