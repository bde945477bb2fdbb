"""The editors' desk for aggregated headlines."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ORDER_VAR, ChangeList
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from articles.admin import COUNT_BOUND, BoundedCountPaginator, CsvExportAdmin, EditTrackingAdmin
from articles.admin_columns import QuickActionCheckbox, short_column, time_column
from articles.models import RegionTag, Source, TopicTag
from articles.tags import TagNamesField

from .models import Headline, HeadlineAppearance, HeadlineRegion, HeadlineTopic, Story
from .services import (
    headline_save,
    headlines_delete,
    headlines_hide,
    headlines_pin,
    headlines_set_source,
    headlines_show,
    headlines_tag,
    headlines_unpin,
    story_merge,
    story_set_lead,
    story_split,
)


class BulkTagForm(forms.Form):
    region_tags = TagNamesField(
        tag_model=RegionTag,
        required=False,
        label="Add regions",
        help_text="Comma-separated, e.g. Middle East, Iraq",
    )
    topic_tags = TagNamesField(
        tag_model=TopicTag, required=False, label="Add topics", help_text="Comma-separated"
    )
    source = forms.ModelChoiceField(
        Source.objects.order_by("name"), required=False, label="Set the source"
    )


class TagFilter(admin.SimpleListFilter):
    """Headlines with one tag of a vocabulary, every tag of it listed.

    An EXISTS per headline, not a join: with a join the admin adds DISTINCT
    (many-to-many), and the page is then sorted over every tagged headline
    (a second at a million); EXISTS walks the list's index and stops at the
    page (a common tag; a rare one is read by the tag's index). The
    parameter is Django's own (``region_tags__id__exact``), so links made for
    the field filter still work.
    """

    tag_model = through = None

    def lookups(self, request, model_admin):
        return list(self.tag_model.objects.order_by("name").values_list("pk", "name"))

    def queryset(self, request, queryset):
        value = self.value()
        if not (value and value.isdigit()):
            return queryset
        links = self.through.objects.filter(tag_id=int(value))
        if links[: COUNT_BOUND + 1].count() <= COUNT_BOUND:
            # A rare tag: its few headlines by the tag's index.
            return queryset.filter(pk__in=links.values("content_object_id"))
        # A common one: the list's own order, stopping at the page.
        return queryset.filter(Exists(links.filter(content_object=OuterRef("pk"))))


class RegionFilter(TagFilter):
    title = "region tags"
    parameter_name = "region_tags__id__exact"
    tag_model, through = RegionTag, HeadlineRegion


class TopicFilter(TagFilter):
    title = "topic tags"
    parameter_name = "topic_tags__id__exact"
    tag_model, through = TopicTag, HeadlineTopic


class IndexedSortChangeList(ChangeList):
    """Sorts only by the columns in sortable_by, whatever ``?o=`` asks: Django
    hides the other headers but still obeys a hand-made URL."""

    def get_ordering(self, request, queryset):
        # Unsortable columns are dropped from ``?o=``; none left, the default order.
        asked = self.params.pop(ORDER_VAR, None)
        if asked and self.sortable_by is not None:
            kept = [part for part in asked.split(".") if self._sortable(part)]
            if kept:
                self.params[ORDER_VAR] = ".".join(kept)
        return super().get_ordering(request, queryset)

    def _sortable(self, part):
        index = part.rpartition("-")[2]
        if not index.isdigit() or int(index) >= len(self.list_display):
            return False
        return self.list_display[int(index)] in self.sortable_by


class AppearanceInline(admin.TabularInline):
    model = HeadlineAppearance
    fields = ["dump", "position"]
    readonly_fields = ["dump", "position"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Headline)
class HeadlineAdmin(CsvExportAdmin, EditTrackingAdmin):
    csv_fields = (
        "id",
        "title",
        "published_at",
        "time_label",
        "region_label",
        "source__name",
        "credit",
        "summary",
        "summary_truncated",
        "visible",
        "pinned",
        "story",
        "story_score",
        "story_reason",
    )
    list_display = [
        "title_short",
        "source_short",
        "region_label",
        "published",
        "visible",
        "pinned",
        "story_link",
        "seen_in",
    ]
    # Narrow columns (articles/admin_columns.py): the list fits 1280 px beside its filters.
    title_short = short_column("title", 90, description="title", ordering="title")
    source_short = short_column("source.name", 24, description="source", ordering="source__name")
    published = time_column("published_at", description="published")
    list_editable = ["visible", "pinned"]
    list_filter = [
        "visible",
        "pinned",
        "summary_truncated",
        # Every source and tag, not only the ones used: "used" is a DISTINCT
        # over every headline (or tag link) per view, seconds at a million.
        "source",
        RegionFilter,
        TopicFilter,
    ]
    search_fields = ["title", "credit"]
    list_select_related = ["source"]
    autocomplete_fields = ["source", "article"]
    # No date_hierarchy: its year/month links are a DISTINCT over every headline
    # per view (issue 20: the desk at a million headlines); the published_at
    # column sorts, and the archive filters by date.
    show_full_result_count = False
    # Sorts that an index serves: any other column's sort reads and sorts every
    # headline (2-4 s at a million). Filters and search narrow the list instead.
    sortable_by = ["published"]

    def get_changelist(self, request, **kwargs):
        return IndexedSortChangeList

    list_per_page = 100
    paginator = BoundedCountPaginator
    inlines = [AppearanceInline]
    actions = ["hide", "show", "pin", "unpin", "tag_or_set_source"]
    readonly_fields = [
        "time_label",
        "story_link",
        "story_score",
        "story_reason",
        "story_locked",
        "created_at",
        "edited_at",
        "edited_fields",
    ]
    fields = [
        "title",
        "summary",
        "summary_truncated",
        "published_at",
        "time_label",
        "region_label",
        "credit",
        "source",
        "url",
        "article",
        "visible",
        "pinned",
        "region_tags",
        "topic_tags",
        "story_link",
        "story_score",
        "story_reason",
        "story_locked",
        "created_at",
        "edited_at",
        "edited_fields",
    ]

    def get_queryset(self, request):
        # A count per shown row (a correlated subquery after the LIMIT), not a
        # GROUP BY over every headline before the page is cut.
        seen = (
            HeadlineAppearance.objects.filter(headline=OuterRef("pk"))
            .order_by()
            .values("headline")
            .annotate(n=Count("pk"))
            .values("n")[:1]
        )
        return (
            super()
            .get_queryset(request)
            .annotate(appearance_total=Coalesce(Subquery(seen, output_field=IntegerField()), 0))
        )

    def lookup_allowed(self, lookup, value, request=None):
        # The Dump page links to "the headlines of this dump".
        return lookup == "appearances__dump" or super().lookup_allowed(lookup, value, request)

    @admin.display(description="story", ordering="story")
    def story_link(self, headline):
        # Every copy of the same story, side by side, on the story's page
        # (by its id: no query per row).
        if headline.story_id is None:
            return "-"
        return format_html(
            '<a href="{}" title="all copies of this story">{}</a>',
            reverse("admin:headlines_story_change", args=[headline.story_id]),
            headline.story_id,
        )

    @admin.display(description="seen in", ordering="appearance_total")
    def seen_in(self, headline):
        return headline.appearance_total

    def save_model(self, request, obj, form, change):
        headline_save(headline=obj, user=request.user, fields=form.changed_data, created=not change)

    def delete_model(self, request, obj):
        headlines_delete(headlines=[obj], user=request.user)

    def delete_queryset(self, request, queryset):
        headlines_delete(headlines=queryset, user=request.user)

    def _done(self, request, headlines, message):
        self.message_user(request, f"{len(headlines)} headlines {message}.", messages.SUCCESS)

    @admin.action(description="Hide selected headlines from the sidebar", permissions=["change"])
    def hide(self, request, queryset):
        self._done(request, headlines_hide(headlines=queryset, user=request.user), "hidden")

    @admin.action(description="Show selected headlines in the sidebar", permissions=["change"])
    def show(self, request, queryset):
        self._done(request, headlines_show(headlines=queryset, user=request.user), "shown")

    @admin.action(description="Pin selected headlines to the top", permissions=["change"])
    def pin(self, request, queryset):
        self._done(request, headlines_pin(headlines=queryset, user=request.user), "pinned")

    @admin.action(description="Unpin selected headlines", permissions=["change"])
    def unpin(self, request, queryset):
        self._done(request, headlines_unpin(headlines=queryset, user=request.user), "unpinned")

    @admin.action(
        description="Tag or set the source of selected headlines…", permissions=["change"]
    )
    def tag_or_set_source(self, request, queryset):
        headlines = list(queryset)
        form = BulkTagForm(request.POST if request.POST.get("apply") else None)
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            headlines_tag(
                headlines=headlines,
                user=request.user,
                regions=data["region_tags"],
                topics=data["topic_tags"],
            )
            if data["source"]:
                headlines_set_source(headlines=headlines, user=request.user, source=data["source"])
            self._done(request, headlines, "updated")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": f"Tag or set the source of {len(headlines)} headlines",
            "opts": self.model._meta,
            "form": form,
            "headlines": headlines,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/headlines/headline/bulk_tag.html", context)


class StoryHeadlineInline(admin.TabularInline):
    """A story's headlines: outlet, time, why each is there; split or lead buttons."""

    model = Headline
    fk_name = "story"
    fields = [
        "title",
        "source",
        "published_at",
        "story_score",
        "story_reason",
        "story_locked",
        "correct",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ["-published_at", "id"]
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")

    @admin.display(description="correct")
    def correct(self, headline):
        # Buttons of the story's change form, posted to the story's own admin views.
        return format_html(
            '<button type="submit" class="button" formaction="split/{}/">Split out</button> '
            '<button type="submit" class="button" formaction="lead/{}/">Make lead</button>',
            headline.pk,
            headline.pk,
        )


@admin.register(Story)
class StoryAdmin(QuickActionCheckbox, admin.ModelAdmin):
    list_display = ["id", "title", "size", "outlets", "first_seen", "last_seen", "closed"]
    search_fields = ["title"]
    # Not a date_hierarchy: its month links are a DISTINCT over every story
    # (2.4 s a view at half a million stories); this filter's choices are fixed.
    list_filter = [("last_seen", admin.DateFieldListFilter), "closed"]
    show_full_result_count = False
    paginator = BoundedCountPaginator
    fields = ["title", "lead", "closed", "size", "outlets", "first_seen", "last_seen"]
    readonly_fields = fields
    inlines = [StoryHeadlineInline]
    actions = ["merge"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Merge selected stories into one", permissions=["change"])
    def merge(self, request, queryset):
        stories = list(queryset)
        try:
            story = story_merge(
                stories=stories, editor=request.user.get_username(), user=request.user
            )
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(
            request, f"{len(stories)} stories merged into story {story.pk}.", messages.SUCCESS
        )

    def get_urls(self):
        from django.urls import path

        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/change/split/<int:headline>/",
                view(self.split_view),
                name="headlines_story_split",
            ),
            path(
                "<int:pk>/change/lead/<int:headline>/",
                view(self.lead_view),
                name="headlines_story_lead",
            ),
            *super().get_urls(),
        ]

    def _correction(self, request, pk, headline_pk):
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        story = get_object_or_404(Story, pk=pk)
        return story, get_object_or_404(Headline, pk=headline_pk, story=story)

    def split_view(self, request, pk, headline):
        story, headline = self._correction(request, pk, headline)
        try:
            new = story_split(
                headline=headline, editor=request.user.get_username(), user=request.user
            )
        except ValueError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request, f"“{headline}” is now story {new.pk}, on its own.", messages.SUCCESS
            )
        return redirect("admin:headlines_story_change", story.pk)

    def lead_view(self, request, pk, headline):
        story, headline = self._correction(request, pk, headline)
        story_set_lead(
            story=story, headline=headline, editor=request.user.get_username(), user=request.user
        )
        self.message_user(request, f"“{headline}” leads the story.", messages.SUCCESS)
        return redirect("admin:headlines_story_change", story.pk)
