"""The background job of batch ingest: import one queued dump.

Run by `manage.py worker` (django-tasks-db's worker). The job claims its dump
with one conditional UPDATE (queued -> running), so a dump imported, cancelled
or taken by another worker is left alone; the import itself is the ingest
service's, in one transaction, and the unique constraints make a second import
of the same dump (a requeued job whose worker was only slow) change nothing.
"""

import logging
from datetime import date

from django_tasks import task

from articles.models import Dump

from .ingest import dump_ingest

logger = logging.getLogger(__name__)


@task()
def dump_import(*, dump_id):
    claimed = Dump.objects.filter(pk=dump_id, status=Dump.Status.QUEUED).update(
        status=Dump.Status.RUNNING
    )
    if not claimed:
        return "skipped"
    dump = Dump.objects.select_related("batch", "batch__created_by").get(pk=dump_id)
    batch = dump.batch
    options = import_options(batch.options if batch else {})
    user = batch.created_by if batch else dump.uploaded_by
    dry_run = bool(batch and batch.dry_run)
    try:
        result = dump_ingest(data=bytes(dump.raw), dump=dump, user=user, dry_run=dry_run, **options)
    except Exception as error:
        # The ingest service keeps its own failures; this is for what escaped it.
        logger.exception("batch import of dump %s failed", dump_id)
        Dump.objects.filter(pk=dump_id).update(
            status=Dump.Status.FAILED, error=f"internal error, nothing imported: {error!r}"
        )
        return "failed"
    if dry_run:
        # Checked, not imported: "parsed" (or "failed" with the parser's message).
        Dump.objects.filter(pk=dump_id, status=Dump.Status.RUNNING).update(
            status=Dump.Status.FAILED if result.failed else Dump.Status.PARSED,
            error=result.error,
            error_line=result.error_line,
            warnings=[{"line": w.line, "message": w.message} for w in result.warnings],
        )
    return result.status


def import_options(stored):
    """The ingest options a batch keeps as JSON, back as dump_ingest's arguments."""
    captured_at = stored.get("captured_at")
    return {
        "captured_at": date.fromisoformat(captured_at) if captured_at else None,
        "source": stored.get("source") or None,
        "publish": bool(stored.get("publish")),
    }
