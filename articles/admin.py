"""The editors' desk for articles, sources and the tag vocabularies."""

import csv
import difflib

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import DateTimeField, IntegerField, Max, Value
from django.db.models.expressions import RawSQL
from django.http import HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html
from django_prose_editor.fields import ProseEditorField
from reversion.admin import VersionAdmin
from reversion.models import Version
from taggit.managers import TaggableManager

from . import richtext
from .admin_a11y import AccessibleFieldsMixin, AccessibleInlineMixin
from .admin_columns import QuickActionCheckbox, short, short_column, time_column
from .editing_admin import EditingAdminMixin
from .images import (
    image_check,
    image_clean,
    lead_image_delete,
    lead_image_store,
)
from .models import (
    Article,
    Correction,
    RegionTag,
    Source,
    SourceAlias,
    TopicKeyword,
    TopicTag,
    tag_key,
)
from .services import (
    article_save,
    article_set_front_lead,
    articles_delete,
    articles_publish,
    articles_unpublish,
    correction_add,
    publish_note,
    source_merge,
    tag_merge,
)
from .tags import TagNamesField

STALE_AFTER = timezone.timedelta(days=7)
COUNT_BOUND = 10_000


class BoundedCountPaginator(Paginator):
    """Pages of a big table without counting all of it.

    Counts exactly up to COUNT_BOUND rows (a LIMITed subquery, cheap on any
    database); past that, an unfiltered PostgreSQL table gives its planner
    estimate and anything else is shown as COUNT_BOUND rows.
    """

    # How the pagination line words the count (templates/admin/pagination.html):
    # "" exact, "about" a planner estimate, "more than" the bound.
    count_note = ""

    @cached_property
    def count(self):
        queryset = self.object_list
        # Only the keys are counted: a list's per-row annotations (a count of
        # appearances, say) would otherwise run for every row counted.
        bounded = queryset.order_by().values("pk")[: COUNT_BOUND + 1].count()
        if bounded <= COUNT_BOUND:
            return bounded
        connection = connections[queryset.db]
        if connection.vendor == "postgresql" and not queryset.query.where:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [queryset.model._meta.db_table],
                )
                (estimate,) = cursor.fetchone()
            if estimate > COUNT_BOUND:
                self.count_note = "about"
                return estimate
        self.count_note = "more than"
        return COUNT_BOUND


def csv_cell(value):
    """A cell a spreadsheet shows as text: formulas from untrusted text are defused."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value):
        return value


class CsvExportAdmin(QuickActionCheckbox, admin.ModelAdmin):
    """Streams the current changelist (its filters and search) as CSV, in constant memory."""

    csv_fields = ()

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "export.csv",
                self.admin_site.admin_view(self.export_csv_view),
                name=f"{meta.app_label}_{meta.model_name}_export",
            ),
            *super().get_urls(),
        ]

    def export_csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        params = request.GET.copy()
        params.pop(ERROR_FLAG, None)
        request.GET = params
        try:
            queryset = self.get_changelist_instance(request).get_queryset(request)
        except IncorrectLookupParameters:
            # What the changelist does with a filter it cannot apply (?id__exact=abc):
            # back to the list, whose page says the filters were wrong.
            meta = self.model._meta
            url = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
            return HttpResponseRedirect(f"{url}?{ERROR_FLAG}=1")
        rows = queryset.values_list(*self.csv_fields).iterator(chunk_size=2000)
        writer = csv.writer(_Echo())
        lines = (writer.writerow([csv_cell(value) for value in row]) for row in rows)
        header = writer.writerow(self.csv_fields)
        response = StreamingHttpResponse(
            (line for part in ([header], lines) for line in part), content_type="text/csv"
        )
        name = self.model._meta.verbose_name_plural.replace(" ", "-")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response


class EditTrackingAdmin(AccessibleFieldsMixin, VersionAdmin):
    """Keeps every saved revision (history, compare, restore) and remembers which
    fields a person changed, so that ingest never overwrites them."""

    # Our per-model change_list templates extend reversion's (export + recover links).
    change_list_template = None
    object_history_template = "admin/history_with_compare.html"

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "<path:object_id>/history/<int:version_id>/compare/",
                self.admin_site.admin_view(self.compare_view),
                name=f"{meta.app_label}_{meta.model_name}_compare",
            ),
            *super().get_urls(),
        ]

    def compare_view(self, request, object_id, version_id):
        """A revision beside the current version, field by field, line by line."""
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        version = get_object_or_404(Version.objects.get_for_object(obj), pk=version_id)
        then = version.field_dict
        changes = []
        for field in self.model._meta.concrete_fields:
            if field.name not in then or not field.editable:
                continue
            old, new = then[field.name], getattr(obj, field.attname)
            if isinstance(field, ProseEditorField):  # rich text: a diff of its text
                old, new = richtext.as_text(old), richtext.as_text(new)
            if str(old) != str(new):
                lines = difflib.ndiff(str(old).splitlines(), str(new).splitlines())
                changes.append((field.verbose_name, [(line[:1], line[2:]) for line in lines]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": obj,
            "version": version,
            "changes": changes,
            "title": f"{obj}: revision of {version.revision.date_created:%Y-%m-%d %H:%M} "
            "compared with now",
        }
        return TemplateResponse(request, "admin/revision_compare.html", context)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if isinstance(db_field, TaggableManager):
            # Comma-separated names, "Middle East" one tag; autocompleted from the vocabulary.
            return db_field.formfield(form_class=TagNamesField, tag_model=db_field.related_model)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def log_deletions(self, request, queryset):
        # The delete services record each deletion in the history themselves.
        pass


class SourceAliasInline(AccessibleInlineMixin, admin.TabularInline):
    model = SourceAlias
    extra = 1
    fields = ["name"]


@admin.register(Source)
class SourceAdmin(QuickActionCheckbox, admin.ModelAdmin):
    list_display = ["name", "slug", "headline_count", "last_seen", "homepage"]
    homepage = short_column("homepage_url", 40, description="homepage", ordering="homepage_url")
    search_fields = ["name", "aliases__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [SourceAliasInline]
    actions = ["merge_sources"]
    show_full_result_count = False

    # headline_count and last_seen_at are kept on the row (articles.services): no
    # aggregate over every headline per view, so the list costs the same at 1M.
    def get_queryset(self, request):
        # "Stale" is judged against the newest headline of any source, not the
        # clock: dumps are often captures of another year (as on the dashboard).
        newest = Source.objects.aggregate(newest=Max("last_seen_at"))["newest"]
        return (
            super()
            .get_queryset(request)
            .annotate(newest_seen_at=Value(newest, output_field=DateTimeField()))
        )

    @admin.display(description="last seen", ordering="last_seen_at")
    def last_seen(self, source):
        if source.last_seen_at is None:
            return "never"
        if source.newest_seen_at - source.last_seen_at > STALE_AFTER:
            return format_html(
                '<strong class="stale" title="nothing for 7 days before the newest headline">'
                "{} (stale)</strong>",
                source.last_seen_at.strftime("%Y-%m-%d"),
            )
        return source.last_seen_at.strftime("%Y-%m-%d %H:%M")

    def changelist_view(self, request, extra_context=None):
        # A merge posted by someone who may not change sources is refused, not ignored.
        if request.POST.get("action") == "merge_sources" and not self.has_change_permission(
            request
        ):
            raise PermissionDenied
        return super().changelist_view(request, extra_context)

    @admin.action(description="Merge selected sources into one…", permissions=["change"])
    def merge_sources(self, request, queryset):
        return merge_action(self, request, queryset, source_merge, "merge_sources")


def merge_action(model_admin, request, queryset, merge, action):
    """Ask which of the selected objects to keep, then fold the others into it."""
    chosen = list(queryset.order_by("name"))
    if len(chosen) < 2:
        model_admin.message_user(request, "Select at least two to merge.", messages.WARNING)
        return None
    if request.POST.get("confirm") == "yes":
        keep = next((c for c in chosen if str(c.pk) == request.POST.get("keep")), None)
        if keep is None:
            model_admin.message_user(request, "Choose the one to keep.", messages.ERROR)
        else:
            for other in chosen:
                if other.pk != keep.pk:
                    merge(keep=keep, merge=other, user=request.user)
            model_admin.message_user(
                request, f"Merged {len(chosen) - 1} into “{keep}”.", messages.SUCCESS
            )
            return None
    meta = model_admin.model._meta
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Merge {meta.verbose_name_plural}",
        "opts": meta,
        "objects": chosen,
        "action": action,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/merge.html", context)


# Past a thousand uses a tag is simply in wide use (merging duplicates and
# spotting unused tags is what the counts are for); the bound is also the
# page's cost: at 10,000, the bench's eight region tags counted 80,000 links a view
# at 1M headlines.
TAG_COUNT_BOUND = 1_000


def _items_count(model, relation):
    """Uses of each tag, counted up to TAG_COUNT_BOUND + 1 (one index range, bounded).

    A LIMITed subquery per tag: the list costs at most tags × the bound, at any size.
    """
    through = model._meta.get_field(relation).related_model
    quote = connections["default"].ops.quote_name
    sql = (
        f"SELECT COUNT(*) FROM (SELECT 1 FROM {quote(through._meta.db_table)} used "
        f"WHERE used.{quote('tag_id')} = {quote(model._meta.db_table)}.{quote('id')} "
        f"LIMIT {TAG_COUNT_BOUND + 1}) bounded"
    )
    return RawSQL(sql, (), output_field=IntegerField())


def _bounded(number):
    return f"{TAG_COUNT_BOUND:,}+" if number > TAG_COUNT_BOUND else number


class TagAdmin(QuickActionCheckbox, admin.ModelAdmin):
    list_display = ["name", "slug", "article_count", "headline_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    show_full_result_count = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            # One correlated count each (an index range per tag), not a join of
            # both item tables, which multiplies articles by headlines per tag.
            .annotate(
                articles_total=_items_count(self.model, "article_items"),
                headlines_total=_items_count(self.model, "headline_items"),
            )
        )

    actions = ["merge_tags"]
    names_per_page = 20

    def get_urls(self):
        meta = self.model._meta
        return [
            path(
                "names/",
                self.admin_site.admin_view(self.names_view),
                name=f"{meta.app_label}_{meta.model_name}_names",
            ),
            *super().get_urls(),
        ]

    def names_view(self, request):
        """The vocabulary's names containing ``term``, for the tag inputs' select2."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        page = request.GET.get("page", "1")
        page = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
        size = self.names_per_page
        names = list(
            self.model.objects.filter(key__contains=tag_key(request.GET.get("term", "")))
            .order_by("name")
            .values_list("name", flat=True)[(page - 1) * size : page * size + 1]
        )
        return JsonResponse(
            {
                "results": [{"id": name, "text": name} for name in names[:size]],
                "pagination": {"more": len(names) > size},
            }
        )

    @admin.action(description="Merge selected tags into one…", permissions=["change"])
    def merge_tags(self, request, queryset):
        return merge_action(self, request, queryset, tag_merge, "merge_tags")

    @admin.display(description="articles", ordering="articles_total")
    def article_count(self, tag):
        return _bounded(tag.articles_total)

    @admin.display(description="headlines", ordering="headlines_total")
    def headline_count(self, tag):
        return _bounded(tag.headlines_total)


@admin.register(RegionTag)
class RegionTagAdmin(TagAdmin):
    pass


class TopicKeywordFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        seen = set()
        for form in self.forms:
            keyword = form.cleaned_data.get("keyword") if hasattr(form, "cleaned_data") else None
            if not keyword or form.cleaned_data.get("DELETE"):
                continue
            # The unique (key, topic) is not a form field: folded duplicates are caught here.
            if tag_key(keyword) in seen:
                raise ValidationError(f"“{keyword}” is listed twice (whatever its case).")
            seen.add(tag_key(keyword))


class TopicKeywordInline(AccessibleInlineMixin, admin.TabularInline):
    model = TopicKeyword
    formset = TopicKeywordFormSet
    extra = 3


@admin.register(TopicTag)
class TopicTagAdmin(TagAdmin):
    inlines = [TopicKeywordInline]


@admin.register(TopicKeyword)
class TopicKeywordAdmin(QuickActionCheckbox, admin.ModelAdmin):
    list_display = ["keyword", "topic"]
    list_filter = ["topic"]
    search_fields = ["keyword", "topic__name"]
    autocomplete_fields = ["topic"]


class ArticleAdminForm(forms.ModelForm):
    """Checks the lead image while validating; stores it only once the form is valid.

    Nothing reaches storage for a refused form (a missing alt text included).
    A storage failure (disk full, read-only media) while storing is a form
    error, with whatever was written removed and no row written.
    """

    lead_image = forms.FileField(
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"}
        ),
        help_text=Article._meta.get_field("lead_image").help_text,
    )

    class Meta:
        model = Article
        fields = "__all__"  # noqa: DJ007 - the fieldsets choose what is shown
        help_texts = {
            "published_at": "Empty with the status “published”: published now. "
            "A future time schedules it.",
        }

    stored_image = None  # (name, renditions) written by this form, for clean-up
    image_saved = False  # set by the admin once the article row is saved

    def clean_lead_image(self):
        image = self.cleaned_data.get("lead_image")
        if not isinstance(image, UploadedFile):
            return image
        checked = image_check(image)
        content, width, height = image_clean(image, checked)
        self._cleaned_image = content, width, height
        return content  # in memory until the form is valid

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("lead_image") and not cleaned.get("lead_image_alt", "").strip():
            self.add_error(
                "lead_image_alt",
                "Describe the image for readers who cannot see it: "
                "alt text is required when there is an image.",
            )
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        pending = getattr(self, "_cleaned_image", None)
        if pending is None or self.errors:
            return
        content, width, height = pending
        try:
            self.stored_image = lead_image_store(content)
        except OSError as error:
            self.add_error(
                "lead_image", f"The image could not be stored: {error.strerror or error}"
            )
            return
        except (ValueError, SyntaxError) as error:  # an encoder failing on an odd file
            self.add_error("lead_image", f"The image could not be resized: {error}")
            return
        name, renditions = self.stored_image
        self.cleaned_data["lead_image"] = name
        self.instance.lead_image = name
        self.instance.lead_image_renditions = renditions
        self.instance.lead_image_width, self.instance.lead_image_height = width, height

    def discard_stored_image(self):
        """Remove the files this form stored (the save that was to use them failed)."""
        if self.stored_image:
            lead_image_delete(*self.stored_image)
            self.stored_image = None


class CorrectionInline(AccessibleInlineMixin, admin.TabularInline):
    """Corrections are published by ``correction_add``; a published one is not rewritten."""

    model = Correction

    extra = 0
    fields = ["text", "corrected_at"]
    readonly_fields = ["corrected_at"]
    can_delete = False
    verbose_name = "correction (shown under the article)"

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Article)
class ArticleAdmin(EditingAdminMixin, CsvExportAdmin, EditTrackingAdmin):
    csv_fields = (
        "id",
        "title",
        "slug",
        "status",
        "published_at",
        "source__name",
        "truncated",
        "dek",
        "updated_at",
    )
    list_display = [
        "title_short",
        "status_label",
        "regions",
        "source_short",
        "truncated",
        "published",
        "updated",
    ]
    # Narrow columns (admin_columns.py): the list fits 1280 px beside its filters.
    title_short = short_column("title", 90, description="title", ordering="title")
    source_short = short_column("source.name", 24, description="source", ordering="source__name")
    published = time_column("published_at", description="published")
    updated = time_column("updated_at", description="updated")
    list_filter = [
        "status",
        "truncated",
        ("region_tags", admin.RelatedOnlyFieldListFilter),
        ("topic_tags", admin.RelatedOnlyFieldListFilter),
        ("source", admin.RelatedOnlyFieldListFilter),
        "published_at",
    ]
    search_fields = ["title", "dek"]
    list_select_related = ["source"]
    autocomplete_fields = ["source"]
    prepopulated_fields = {"slug": ["title"]}
    date_hierarchy = "published_at"
    show_full_result_count = False
    actions = ["publish_now", "unpublish", "pin_front_lead", "unpin_front_lead"]
    inlines = [CorrectionInline]
    paginator = BoundedCountPaginator
    form = ArticleAdminForm
    readonly_fields = [
        "publication",
        "dump",
        "dump_headlines",
        "imported_at",
        "edited_at",
        "edited_fields",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["title", "slug", "dek", "dek_truncated", "body", "truncated"]}),
        (
            "Publishing",
            {
                "fields": [
                    "status",
                    "published_at",
                    "expires_at",
                    "publication",
                    "source",
                    "source_url",
                ]
            },
        ),
        (
            "Front page and dates",
            {"fields": ["front_lead", "byline", "outlet_published_at", "outlet_date_only"]},
        ),
        ("Tags", {"fields": ["region_tags", "topic_tags"]}),
        ("Lead image", {"fields": ["lead_image", "lead_image_alt", "lead_image_credit"]}),
        (
            "Provenance",
            {
                "classes": ["collapse"],
                "fields": [
                    "dump",
                    "dump_headlines",
                    "imported_at",
                    "edited_at",
                    "edited_fields",
                    "updated_at",
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("region_tags")  # the list's column

    def save_model(self, request, obj, form, change):
        if self.pending_save(request, obj, form, change):  # a reporter on a live article
            return
        notes = article_save(
            article=obj, user=request.user, fields=form.changed_data, created=not change
        )
        for note in notes:
            self.message_user(request, note, messages.WARNING)

    def delete_model(self, request, obj):
        articles_delete(articles=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        articles_delete(articles=queryset, user=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        made = getattr(request, "lead_image_forms", None)
        if made is None:
            return form_class

        class TrackedForm(form_class):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, **kwargs)
                made.append(self)

        return TrackedForm

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        form.image_saved = True

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # Files a form stored are removed unless its whole change was committed:
        # an invalid inline, a failed save or a failed commit leaves no file behind.
        request.lead_image_forms = []
        try:
            response = super().changeform_view(request, object_id, form_url, extra_context)
        except BaseException:
            for form in request.lead_image_forms:
                form.discard_stored_image()
            raise
        for form in request.lead_image_forms:
            if not form.image_saved:
                form.discard_stored_image()
        return response

    @admin.display(description="headlines of the same dump")
    def dump_headlines(self, article):
        if not article.dump_id:
            return "—"
        url = (
            reverse("admin:headlines_headline_changelist") + f"?appearances__dump={article.dump_id}"
        )
        return format_html('<a href="{}">the headlines listed beside it</a>', url)

    @admin.display(description="status", ordering="status")
    def status_label(self, article):
        if article.status == Article.Status.PUBLISHED and article.is_expired:
            return format_html(
                '<span class="expired">taken down {}</span>',
                article.expires_at.strftime("%Y-%m-%d %H:%M"),
            )
        if article.status == Article.Status.PUBLISHED and article.published_at:
            if article.published_at > timezone.now():
                return format_html(
                    '<span class="scheduled">{}</span>', publish_note(article).rstrip(".")
                )
            return "published"
        return "draft"

    @admin.display(description="readers see it")
    def publication(self, article):
        # Beside the status and time: draft, published, or "Scheduled for …".
        return publish_note(article)

    @admin.display(description="regions")
    def regions(self, article):
        return short(", ".join(tag.name for tag in article.region_tags.all()), 40)

    @admin.action(
        description="Publish selected articles (a future publish time schedules them)",
        permissions=["change"],
    )
    def publish_now(self, request, queryset):
        published = articles_publish(articles=queryset, user=request.user)
        self.message_user(
            request, f"{len(published)} articles published or scheduled.", messages.SUCCESS
        )

    @admin.action(description="Unpublish selected articles (back to draft)", permissions=["change"])
    def unpublish(self, request, queryset):
        drafts = articles_unpublish(articles=queryset, user=request.user)
        self.message_user(request, f"{len(drafts)} articles moved back to draft.", messages.SUCCESS)

    def save_formset(self, request, form, formset, change):
        """New corrections go through ``correction_add``; other inlines save as usual."""
        if formset.model is not Correction:
            return super().save_formset(request, form, formset, change)
        # What the admin's change message reads.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            text = inline_form.cleaned_data.get("text") if inline_form.has_changed() else None
            if text and not inline_form.instance.pk:
                formset.new_objects.append(
                    correction_add(article=form.instance, text=text, user=request.user)
                )
        return None

    @admin.action(description="Pin as the front page's lead", permissions=["change"])
    def pin_front_lead(self, request, queryset):
        article = queryset.filter(status=Article.Status.PUBLISHED).first()
        if article is None:
            self.message_user(request, "Only a published article can lead.", messages.WARNING)
            return
        article_set_front_lead(article=article, user=request.user)
        self.message_user(request, f"“{article}” now leads the front page.", messages.SUCCESS)

    @admin.action(description="Unpin from the front page's lead", permissions=["change"])
    def unpin_front_lead(self, request, queryset):
        for article in queryset.filter(front_lead=True):
            article_set_front_lead(article=article, user=request.user, lead=False)
        self.message_user(request, "The newest article leads the front page.", messages.SUCCESS)
