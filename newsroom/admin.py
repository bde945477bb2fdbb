"""The editors' ingest desk: the Dump admin, the upload/paste page with its
preview, and the dump text editor. Every write goes through newsroom.ingest."""

import re
from datetime import date

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header

from articles.admin import BoundedCountPaginator
from articles.admin_columns import QuickActionCheckbox, short_column, time_column
from articles.models import Batch, Dump, DumpEdit

from .batches import (
    ZipRefused,
    batch_cancel,
    batch_create_from_uploads,
    batch_import_checked,
    batch_progress,
    batches_retry_failed,
)
from .ingest import (
    IngestResult,
    Status,
    clean_filename,
    dump_edit,
    dump_ingest,
    dump_preview,
    dump_reparse,
    dump_text,
)

NOTES_SHOWN = 200  # line notes on one page; the rest are counted
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # as the parser numbers lines
FORMAT_DOC = settings.BASE_DIR / "docs" / "dump-format.md"  # a copy of the shared contract
FORMAT_SECTION = "captures-of-other-pages"  # the anchor refused dumps link to


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one input, each checked against the size limit."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={"accept": ".txt,.html,.htm,.zip,text/plain,text/html,application/zip"}
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        cleaned = [super(MultipleFileField, self).clean(item, initial) for item in files]
        for upload in cleaned:
            if upload.name.lower().endswith(".zip"):
                if upload.size > settings.ZIP_MAX_BYTES:
                    raise forms.ValidationError(
                        f"{upload.name} is {upload.size:,} bytes; a zip may be at most "
                        f"{settings.ZIP_MAX_BYTES:,} bytes."
                    )
            elif upload.size > settings.DUMP_MAX_BYTES:
                raise forms.ValidationError(
                    f"{upload.name} is {upload.size:,} bytes; a dump may be at most "
                    f"{settings.DUMP_MAX_BYTES:,} bytes."
                )
        return cleaned


class IngestOptionsForm(forms.Form):
    captured_at = forms.DateField(
        required=False,
        label="Capture date",
        help_text="Fixes the year of the headlines' times (YYYY-MM-DD).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    source = forms.CharField(
        required=False, max_length=200, help_text="The outlet of the dumps' articles, if known."
    )
    publish = forms.BooleanField(required=False, help_text="Publish the articles at once.")


class IngestForm(IngestOptionsForm):
    files = MultipleFileField(required=False, label="Dump files")
    text = forms.CharField(
        required=False,
        label="…or paste a dump",
        widget=forms.Textarea(attrs={"rows": 12, "class": "vLargeTextField dump-text"}),
    )
    text_name = forms.CharField(
        required=False, max_length=200, label="Name for the pasted dump", initial="pasted.txt"
    )
    dry_run = forms.BooleanField(
        required=False,
        label="Dry run first",
        help_text="For a batch (a zip, or many files): check every dump in the background and "
        "import only when you say so. Small uploads are always previewed first.",
    )

    def is_batch(self):
        """A zip, or more files than a preview page can show: imported in the background."""
        files = self.cleaned_data["files"]
        return len(files) > settings.BATCH_PREVIEW_MAX or any(
            upload.name.lower().endswith(".zip") for upload in files
        )

    def clean_text(self):
        text = self.cleaned_data["text"]
        if len(text.encode("utf-8")) > settings.DUMP_MAX_BYTES:
            raise forms.ValidationError(
                f"The pasted dump is over {settings.DUMP_MAX_BYTES:,} bytes."
            )
        return text

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("files") and not cleaned.get("text", "").strip():
            if not self.errors:
                raise forms.ValidationError("Choose one or more dump files, or paste a dump.")
        return cleaned

    def dumps(self):
        """(file name, raw bytes) for every dump given, one at a time."""
        for upload in self.cleaned_data["files"]:
            yield upload.name, b"".join(upload.chunks())
        if self.cleaned_data["text"].strip():
            # The name is cleaned where the dump is stored (newsroom.ingest).
            name = self.cleaned_data["text_name"] or "pasted.txt"
            yield name, self.cleaned_data["text"].encode("utf-8")


class Notes(list):
    """The line notes a page shows, and how many more there were."""

    more = 0


def annotate_lines(result, text):
    """Error and warnings of a result, each with the text of its line.

    The text is split once, whatever the number of warnings, and at most
    NOTES_SHOWN notes are made.
    """
    found = [{"line": w.line, "message": w.message} for w in result.warnings]
    if result.failed:
        found.insert(0, {"line": result.error_line, "message": result.error, "error": True})
    return _with_line_text(found, text)


def _with_line_text(found, text):
    notes = Notes(found[:NOTES_SHOWN])
    notes.more = len(found) - len(notes)
    if notes and text:
        lines = LINE_BREAK.split(text)
        for note in notes:
            line = note["line"]
            note["text"] = lines[line - 1][:300] if line and 0 < line <= len(lines) else ""
    return notes


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            (Dump.Status.PARSED, "parsed (not imported)"),
            (Dump.Status.IMPORTED, "imported"),
            (Dump.Status.FAILED, "failed"),
            (Dump.Status.QUEUED, "queued (in a batch)"),
            (Dump.Status.RUNNING, "being imported"),
            (Dump.Status.CANCELLED, "cancelled"),
        ]

    def queryset(self, request, queryset):
        if self.value() in Dump.Status.values:
            return queryset.filter(status=self.value())
        return queryset


class EditedFilter(admin.SimpleListFilter):
    title = "edited by hand"
    parameter_name = "edited"

    def lookups(self, request, model_admin):
        return [("yes", "edited"), ("no", "as received")]

    def queryset(self, request, queryset):
        edited = Exists(DumpEdit.objects.filter(dump=OuterRef("pk")))
        if self.value() == "yes":
            return queryset.filter(edited)
        if self.value() == "no":
            return queryset.exclude(edited)
        return queryset


class DumpEditInline(admin.StackedInline):
    model = DumpEdit
    extra = 0
    can_delete = False
    fields = ["edited_by", "edited_at", "diff_view"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="diff")
    def diff_view(self, edit):
        return format_html('<pre class="dump-diff">{}</pre>', edit.diff)


@admin.register(Dump)
class DumpAdmin(QuickActionCheckbox, admin.ModelAdmin):
    list_display = [
        "name_short",
        "status",
        "articles_made",
        "headlines_made",
        "warning_count",
        "edited",
        "uploaded_by",
        "ingested",
    ]
    # Narrow columns (articles/admin_columns.py): the list fits 1280 px beside its filters.
    name_short = short_column("__str__", 40, description="dump", ordering="filename")
    ingested = time_column("ingested_at", description="ingested")
    list_filter = [StatusFilter, EditedFilter, "ingested_at"]
    search_fields = ["filename", "checksum"]
    list_select_related = ["uploaded_by"]
    date_hierarchy = "ingested_at"
    show_full_result_count = False
    actions = ["reparse"]
    paginator = BoundedCountPaginator
    inlines = [DumpEditInline]
    fields = [
        "filename",
        "status",
        "error_view",
        "produced",
        "warnings_view",
        "raw_view",
        "checksum",
        "uploaded_by",
        "ingested_at",
        "captured_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("raw", "text")
            .annotate(was_edited=Exists(DumpEdit.objects.filter(dump=OuterRef("pk"))))
        )

    def has_add_permission(self, request):
        return False  # dumps arrive through the ingest page

    def lookup_allowed(self, lookup, value, request=None):
        # A batch page links to its dumps (no list filter: batches are many).
        return lookup == "batch__id__exact" or super().lookup_allowed(lookup, value, request)

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return True
        # An editor may delete a dump that never made anything (an abandoned
        # preview), one at a time from its page.
        return (
            obj is not None
            and obj.status != Dump.Status.IMPORTED
            and self.has_change_permission(request, obj)
            and not obj.articles.exists()
            and not obj.appearances.exists()
        )

    # -- columns and read-only fields ---------------------------------------

    @admin.display(description="article")
    def articles_made(self, dump):
        tally = dump.counts.get("articles", {})
        return _tally_text(tally)

    @admin.display(description="headlines")
    def headlines_made(self, dump):
        return _tally_text(dump.counts.get("headlines", {}))

    @admin.display(description="warnings")
    def warning_count(self, dump):
        return len(dump.warnings)

    @admin.display(description="edited", boolean=True, ordering="was_edited")
    def edited(self, dump):
        return dump.was_edited

    @admin.display(description="error")
    def error_view(self, dump):
        if not dump.error:
            return "—"
        where = f"line {dump.error_line}: " if dump.error_line else ""
        return format_html(
            '<strong class="errornote">{}{}</strong><br>What the parser reads: '
            '<a class="format-link" href="{}#{}">the dump format, “Captures of other pages”</a>',
            where,
            dump.error,
            reverse("admin:articles_dump_format"),
            FORMAT_SECTION,
        )

    @admin.display(description="warnings")
    def warnings_view(self, dump):
        if not dump.warnings:
            return "none"
        shown = dump.warnings[:NOTES_SHOWN]
        more = len(dump.warnings) - len(shown)
        return format_html(
            "<ul>{}</ul>{}",
            format_html_join(
                "",
                '<li><a href="#L{}">line {}</a>: {}</li>',
                ((w["line"], w["line"], w["message"]) for w in shown),
            ),
            f"…and {more:,} more warnings" if more else "",
        )

    @admin.display(description="produced")
    def produced(self, dump):
        articles = format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (reverse("admin:articles_article_change", args=[a.pk]), a.title)
                for a in dump.articles.all()
            ),
        )
        headline_count = dump.appearances.count()
        headlines_url = (
            reverse("admin:headlines_headline_changelist") + f"?appearances__dump={dump.pk}"
        )
        return format_html(
            'Articles: {}<br><a href="{}">{} headlines</a> · <a href="{}">download the raw file</a>'
            ' · <a href="{}">edit the text</a>',
            articles or "none",
            headlines_url,
            headline_count,
            reverse("admin:articles_dump_raw", args=[dump.pk]),
            reverse("admin:articles_dump_edit", args=[dump.pk]),
        )

    @admin.display(description="text")
    def raw_view(self, dump):
        lines = dump_text(dump).splitlines()
        return format_html(
            # Focusable, so that its scrolled lines can be read from the keyboard.
            '<ol class="dump-lines" tabindex="0" aria-label="The dump\'s text, by line">{}</ol>',
            format_html_join("", '<li id="L{}">{}</li>', enumerate(lines, start=1)),
        )

    # -- actions and pages -------------------------------------------------------

    @admin.action(
        description="Import (or re-parse and re-import) selected dumps", permissions=["change"]
    )
    def reparse(self, request, queryset):
        for dump in queryset:
            result = dump_reparse(dump=dump, user=request.user)
            level = messages.ERROR if result.failed else messages.SUCCESS
            self.message_user(request, f"{dump}: {_result_text(result)}", level)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("ingest/", view(self.ingest_view), name="articles_dump_ingest"),
            path("<int:pk>/raw/", view(self.raw_download_view), name="articles_dump_raw"),
            path("<int:pk>/edit/", view(self.edit_text_view), name="articles_dump_edit"),
            path("format/", view(self.format_view), name="articles_dump_format"),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "preview_max": settings.BATCH_PREVIEW_MAX,
            **extra,
        }

    def raw_download_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        dump = get_object_or_404(Dump, pk=pk)
        response = HttpResponse(bytes(dump.raw), content_type="application/octet-stream")
        # Names stored before they were cleaned at storage are cleaned here too.
        name = clean_filename(dump.filename, checksum=dump.checksum)
        response["Content-Disposition"] = content_disposition_header(True, name)
        return response

    def ingest_view(self, request):
        if not self.has_ingest_permission(request):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("step") == "confirm":
            return self._confirm(request)
        form = IngestForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            if form.is_batch():
                return self._batch(request, form)
            return self._preview(request, form)
        return TemplateResponse(
            request,
            "admin/articles/dump/ingest.html",
            self._context(request, "Ingest dumps", form=form, max_bytes=settings.DUMP_MAX_BYTES),
        )

    def has_ingest_permission(self, request):
        return request.user.has_perm("articles.add_dump")

    def _batch(self, request, form):
        """Store every dump as queued and answer at once with the batch page."""
        uploads = list(form.cleaned_data["files"])
        if form.cleaned_data["text"].strip():
            name = form.cleaned_data["text_name"] or "pasted.txt"
            uploads.append(SimpleUploadedFile(name, form.cleaned_data["text"].encode("utf-8")))
        try:
            batch, skipped = batch_create_from_uploads(
                uploads=uploads,
                user=request.user,
                options=_stored_options(form.cleaned_data),
                dry_run=form.cleaned_data["dry_run"],
            )
        except ZipRefused as refusal:
            form.add_error("files", refusal.message)
            return TemplateResponse(
                request,
                "admin/articles/dump/ingest.html",
                self._context(
                    request, "Ingest dumps", form=form, max_bytes=settings.DUMP_MAX_BYTES
                ),
            )
        if skipped:
            shown = ", ".join(skipped[:10]) + (" …" if len(skipped) > 10 else "")
            self.message_user(
                request, f"{len(skipped)} files in the zip are not dumps and were left: {shown}"
            )
        return redirect("admin:articles_batch_change", batch.pk)

    def _preview(self, request, form):
        """Store each dump (as parsed) and show its dry-run import, read from the row."""
        options = _options(form.cleaned_data)
        previews = []
        for name, data in form.dumps():
            result = dump_preview(data=data, filename=name, user=request.user, **options)
            text = dump_text(result.dump) if result.status != Status.ALREADY else ""
            # Rendered now, one dump at a time: the page keeps its HTML, not
            # every dump's parse and rows, so memory stays flat in the count.
            html = render_to_string(
                "admin/articles/dump/_result.html",
                {"result": result, "notes": annotate_lines(result, text)},
                request=request,
            )
            waiting = result.dump.pk if result.status != Status.ALREADY else None
            previews.append({"html": html, "waiting": waiting})
        options_form = IngestOptionsForm(initial=form.cleaned_data)
        waiting = [p["waiting"] for p in previews if p["waiting"]]
        return TemplateResponse(
            request,
            "admin/articles/dump/ingest_preview.html",
            self._context(
                request,
                "Check before importing",
                previews=previews,
                waiting=waiting,
                options_form=options_form,
            ),
        )

    def _confirm(self, request):
        """Import stored dumps by id; nothing else posted is trusted but the options.

        An id counts only if its dump is still waiting (parsed, or failed) and
        this user previewed it, or may change any dump (such a user can import
        any dump from the changelist anyway).
        """
        options_form = IngestOptionsForm(request.POST)
        if not options_form.is_valid():
            raise PermissionDenied("The confirmed options were altered.")
        try:
            ids = list(dict.fromkeys(int(pk) for pk in request.POST.getlist("dump")))
        except ValueError:
            raise PermissionDenied("The confirmed dumps were altered.") from None
        if len(ids) > settings.DATA_UPLOAD_MAX_NUMBER_FILES + 1:
            raise PermissionDenied("The confirmed dumps were altered.")
        allowed = Dump.objects.filter(pk__in=ids)
        if not request.user.has_perm("articles.change_dump"):
            allowed = allowed.filter(uploaded_by=request.user)
        results, skipped = [], 0
        for pk in ids:
            result = self._import_stored(request, allowed, pk, options_form.cleaned_data)
            if result is None:
                skipped += 1
                continue
            # Rendered now, as the preview is: one dump's rows in memory at a time.
            results.append(
                render_to_string(
                    "admin/articles/dump/_done_item.html",
                    {
                        "result": result,
                        "notes": annotate_lines(result, dump_text(result.dump)),
                        "created": [_admin_link(obj) for obj in result.created_objects],
                    },
                    request=request,
                )
            )
        return TemplateResponse(
            request,
            "admin/articles/dump/ingest_done.html",
            self._context(request, "Import finished", results=results, skipped=skipped),
        )

    def _import_stored(self, request, allowed, pk, options):
        """Import one stored dump, locked so a double-click imports it once."""
        with transaction.atomic():
            dump = allowed.select_for_update().filter(pk=pk).first()
            if dump is None:
                return None
            if dump.status == Dump.Status.IMPORTED:
                return IngestResult(filename=dump.filename, status=Status.ALREADY, dump=dump)
            return dump_ingest(data=dump.raw, user=request.user, dump=dump, **_options(options))

    def format_view(self, request):
        """The dump format (docs/dump-format.md) for the desk: one escaped block per section."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        return TemplateResponse(
            request,
            "admin/articles/dump/format.html",
            self._context(
                request,
                "The dump format",
                sections=format_sections(FORMAT_DOC.read_text(encoding="utf-8")),
            ),
        )

    def edit_text_view(self, request, pk):
        dump = get_object_or_404(Dump, pk=pk)
        if not self.has_change_permission(request, dump):
            raise PermissionDenied
        # The form posts multipart (no percent-encoding): any text under the
        # limit arrives, and one over it gets this error, not a 400.
        text = request.POST.get("text", dump_text(dump)).replace("\r\n", "\n")
        result, error = None, ""
        if request.method == "POST":
            size = len(text.encode("utf-8"))
            if size > settings.DUMP_MAX_BYTES:
                error = (
                    f"The text is {size:,} bytes; a dump may be at most "
                    f"{settings.DUMP_MAX_BYTES:,} bytes. Nothing was saved."
                )
            elif request.POST.get("step") == "save":
                result = dump_edit(dump=dump, text=text, user=request.user)
                self.message_user(
                    request,
                    f"{dump}: {_result_text(result)}",
                    messages.ERROR if result.failed else messages.SUCCESS,
                )
                if not result.failed:
                    return redirect("admin:articles_dump_change", dump.pk)
            else:
                result = dump_edit(dump=dump, text=text, user=request.user, dry_run=True)
        notes = annotate_lines(result, text) if result else _stored_notes(dump, text)
        return TemplateResponse(
            request,
            "admin/articles/dump/edit_text.html",
            self._context(
                request,
                f"Edit the text of {dump}",
                original=dump,
                dump=dump,
                text=text,
                lines=text.split("\n"),
                result=result,
                notes=notes,
                error=error,
            ),
        )


def format_sections(markdown):
    """(heading, anchor, level, text) of each section of a markdown document, in order.

    Enough of markdown for a page of plain text under its headings: the text is
    shown as it is written (escaped, preformatted), the headings get anchors
    ("Captures of other pages" -> "captures-of-other-pages").
    """
    sections = [["", "", 1, []]]
    for line in markdown.splitlines():
        heading = re.match(r"(#{1,6})\s+(.*)", line)
        if heading:
            title = heading[2].strip()
            anchor = re.sub(r"[^\w]+", "-", title.casefold()).strip("-")
            sections.append([title, anchor, len(heading[1]), []])
        else:
            sections[-1][3].append(line)
    return [
        (title, anchor, level, "\n".join(lines).strip("\n"))
        for title, anchor, level, lines in sections
        if title or "".join(lines).strip()
    ]


def _admin_link(obj):
    meta = obj._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
    return meta.verbose_name, url, str(obj)


def _stored_notes(dump, text):
    found = [{"line": w["line"], "message": w["message"]} for w in dump.warnings]
    if dump.error:
        found.insert(0, {"line": dump.error_line, "message": dump.error, "error": True})
    return _with_line_text(found, text)


def _options(cleaned):
    captured_at = cleaned.get("captured_at")
    return {
        "captured_at": captured_at if isinstance(captured_at, date) else None,
        "source": cleaned.get("source") or None,
        "publish": bool(cleaned.get("publish")),
    }


def _stored_options(cleaned):
    """The ingest options as a batch keeps them (JSON)."""
    options = _options(cleaned)
    captured_at = options["captured_at"]
    return {**options, "captured_at": captured_at.isoformat() if captured_at else None}


def _tally_text(tally):
    if not tally:
        return "—"
    return f"{tally.get('created', 0)} new, {tally.get('updated', 0)} updated"


def _result_text(result):
    if result.failed:
        where = f"line {result.error_line}: " if result.error_line else ""
        return f"failed — {where}{result.error}"
    if result.status == Status.ALREADY:
        return "already imported, nothing changed"
    text = (
        f"{result.status}: articles {result.articles.created} new, {result.articles.updated} "
        f"updated; headlines {result.headlines.created} new, {result.headlines.updated} updated"
    )
    if result.conflicts:
        text += f"; {len(result.conflicts)} editor edits kept"
    if result.orphaned_headlines:
        text += f"; {len(result.orphaned_headlines)} headlines now in no dump were hidden"
    return text


# The desk's name on every admin page (templates/admin/base_site.html).
admin.site.site_header = "Newsroom desk"
admin.site.site_title = "Newsroom desk"
admin.site.index_title = "What to do next"
# No navigation sidebar: on a 1280 px screen it takes 300 px from every list
# (the headline list then cannot fit); the header, breadcrumbs and the
# dashboard's list of models lead everywhere it did.
admin.site.enable_nav_sidebar = False

FAILED_SHOWN = 200  # failed dumps listed on a batch page (the rest are counted)


@admin.register(Batch)
class BatchAdmin(QuickActionCheckbox, admin.ModelAdmin):
    """A batch's page: its progress (live, by static/admin/batch.js), failures, retry, cancel."""

    list_display = ["__str__", "origin", "created_by", "created_at", "dumps", "imported",
                    "failed", "remaining"]  # fmt: skip
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    paginator = BoundedCountPaginator

    def has_add_permission(self, request):
        return False  # batches arrive through the ingest page

    def get_queryset(self, request):
        # A page of batches with their counts in one query, as batch_progress counts them.
        def count(*states):
            return Count("dumps", filter=Q(dumps__status__in=states))

        return (
            super()
            .get_queryset(request)
            .annotate(
                dump_count=Count("dumps"),
                imported_count=count(Dump.Status.IMPORTED),
                failed_count=count(Dump.Status.FAILED),
                remaining_count=count(Dump.Status.QUEUED, Dump.Status.RUNNING),
            )
        )

    @admin.display(description="dumps", ordering="dump_count")
    def dumps(self, batch):
        return batch.dump_count

    @admin.display(description="imported")
    def imported(self, batch):
        return batch.imported_count

    @admin.display(description="failed")
    def failed(self, batch):
        return batch.failed_count

    @admin.display(description="remaining")
    def remaining(self, batch):
        return batch.remaining_count

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/progress/", view(self.progress_view), name="articles_batch_progress"),
            path("<int:pk>/act/", view(self.act_view), name="articles_batch_act"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        batch = get_object_or_404(Batch, pk=object_id)
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        progress = batch_progress(batch)
        return TemplateResponse(
            request,
            "admin/articles/batch/batch.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": f"Batch: {batch}",
                "batch": batch,
                "progress": progress,
                "failed": _failed_dumps(batch),
                "can_change": self.has_change_permission(request, batch),
            },
        )

    def progress_view(self, request, pk):
        """The batch page's figures as JSON, polled by static/admin/batch.js."""
        batch = get_object_or_404(Batch, pk=pk)
        if not self.has_view_permission(request, batch):
            raise PermissionDenied
        failed = [
            {
                "filename": dump.filename,
                "line": dump.error_line,
                "error": dump.error,
                "url": reverse("admin:articles_dump_edit", args=[dump.pk]),
            }
            for dump in _failed_dumps(batch)
        ]
        return JsonResponse({**batch_progress(batch), "failed_list": failed})

    def act_view(self, request, pk):
        """Retry the failed, cancel what has not started, or import after a dry run."""
        batch = get_object_or_404(Batch, pk=pk)
        if request.method != "POST" or not self.has_change_permission(request, batch):
            raise PermissionDenied
        action = request.POST.get("action")
        if action == "retry":
            count = batches_retry_failed(batch=batch, user=request.user)
            self.message_user(request, f"{count} failed dumps queued again.")
        elif action == "cancel":
            count = batch_cancel(batch=batch, user=request.user)
            self.message_user(request, f"{count} dumps not yet started were cancelled.")
        elif action == "import":
            count = batch_import_checked(batch=batch, user=request.user)
            self.message_user(request, f"{count} checked dumps queued for import.")
        else:
            raise PermissionDenied("Unknown batch action.")
        return redirect("admin:articles_batch_change", batch.pk)


def _failed_dumps(batch):
    return list(
        batch.dumps.filter(status=Dump.Status.FAILED)
        .only("filename", "error", "error_line", "checksum")
        .order_by("filename", "pk")[:FAILED_SHOWN]
    )
