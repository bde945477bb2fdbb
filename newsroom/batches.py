"""Batches: many dumps stored at once and imported in the background.

The services here are the one writer of batches and of their dumps' queue
states. A batch is created in one transaction with its dumps (status
"queued") and their jobs (django-tasks-db keeps jobs in the same database), so
an upload either queued everything or nothing. Progress is counted from the
dumps' statuses, never stored.
"""

import hashlib
from datetime import timedelta

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.compat import TaskResultStatus, normalize_json
from django_tasks_db.models import DBTaskResult, get_date_max

from articles.models import Batch, Dump

from .ingest import _person, clean_filename
from .tasks import dump_import
from .zips import ZipRefused, is_zip, zip_dumps

QUEUE_STATES = (Dump.Status.QUEUED, Dump.Status.RUNNING)
# Bytes sent again that are in one of these states are not queued a second time.
BUSY_OR_DONE = (Dump.Status.IMPORTED, *QUEUE_STATES)

__all__ = ["ZipRefused"]


def batch_create(
    *, dumps, user=None, name="", origin=Batch.Origin.UPLOAD, options=None, dry_run=False
):
    """Store ``dumps`` ((file name, bytes) pairs) as one batch and queue each import.

    Bytes stored before are reused: a failed or waiting dump joins this batch
    and is queued again; one imported, or queued in another batch, is counted
    as "sent again" and left alone.
    """
    by_checksum = {}
    for filename, data in dumps:
        by_checksum.setdefault(hashlib.sha256(data).hexdigest(), (filename, data))
    person = _person(user)
    with transaction.atomic():
        batch = Batch.objects.create(
            name=name[:255],
            origin=origin,
            created_by=person,
            options=options or {},
            dry_run=dry_run,
        )
        existing = {
            dump.checksum: dump
            for dump in Dump.objects.filter(checksum__in=list(by_checksum)).only(
                "status", "checksum"
            )
        }
        again = [dump.pk for dump in existing.values() if dump.status not in BUSY_OR_DONE]
        Dump.objects.filter(pk__in=again).update(batch=batch, status=Dump.Status.QUEUED)
        fresh = Dump.objects.bulk_create(
            Dump(
                raw=data,
                checksum=checksum,
                filename=clean_filename(filename, checksum=checksum),
                uploaded_by=person,
                status=Dump.Status.QUEUED,
                batch=batch,
            )
            for checksum, (filename, data) in by_checksum.items()
            if checksum not in existing
        )
        batch.skipped = len(existing) - len(again)
        if batch.skipped:
            batch.save(update_fields=["skipped"])
        enqueue_imports([*again, *(dump.pk for dump in fresh)])
    return batch


def batch_create_from_uploads(*, uploads, user=None, options=None, dry_run=False):
    """A batch of uploaded files, each a dump or a zip of dumps (read by newsroom.zips).

    Raises ZipRefused, with the editor's message, when a zip breaks a limit:
    then nothing is stored.
    """
    dumps, skipped, zips = [], [], []
    for upload in uploads:
        upload.seek(0)
        if is_zip(upload.name, upload.read(4)):
            upload.seek(0)
            members, ignored = zip_dumps(upload, name=upload.name)
            dumps += members
            skipped += ignored
            zips.append(upload.name)
        else:
            upload.seek(0)
            dumps.append((upload.name, b"".join(upload.chunks())))
    name = ", ".join(zips) if zips else f"{len(dumps)} uploaded files"
    origin = Batch.Origin.ZIP if zips else Batch.Origin.UPLOAD
    batch = batch_create(
        dumps=dumps, user=user, name=name, origin=origin, options=options, dry_run=dry_run
    )
    return batch, skipped


def batch_progress(batch):
    """Counts of a batch's dumps by state, from the rows (one query)."""
    counts = Dump.objects.filter(batch=batch).aggregate(
        total=Count("pk"),
        **{state: Count("pk", filter=Q(status=state)) for state in Dump.Status.values},
    )
    counts["remaining"] = counts["queued"] + counts["running"]
    finished = counts["total"] - counts["remaining"] - counts["cancelled"]
    wanted = counts["total"] - counts["cancelled"]
    counts["percent"] = 100 if not wanted else finished * 100 // wanted
    counts["done"] = counts["remaining"] == 0
    counts["skipped"] = batch.skipped
    return counts


def batches_retry_failed(*, batch, user=None):
    """Queue the batch's failed dumps again (the parser or their text may be fixed)."""
    return _requeue(batch, Dump.Status.FAILED)


def batch_cancel(*, batch, user=None):
    """Call off the dumps no worker has started: they stay stored, as "cancelled"."""
    return Dump.objects.filter(batch=batch, status=Dump.Status.QUEUED).update(
        status=Dump.Status.CANCELLED
    )


def batch_resume(*, batch, user=None):
    """Queue the cancelled dumps of a batch again."""
    return _requeue(batch, Dump.Status.CANCELLED)


def batch_import_checked(*, batch, user=None):
    """After a dry run: import for real every dump the check passed."""
    with transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(dry_run=False)
        batch.dry_run = False
        return _requeue(batch, Dump.Status.PARSED)


def _requeue(batch, state):
    with transaction.atomic():
        ids = list(
            Dump.objects.select_for_update()
            .filter(batch=batch, status=state)
            .values_list("pk", flat=True)
        )
        Dump.objects.filter(pk__in=ids, status=state).update(status=Dump.Status.QUEUED)
        enqueue_imports(ids)
    return len(ids)


def enqueue_imports(dump_ids):
    """Queue one dump_import job per dump.

    On the database backend the jobs are written in one INSERT, the very rows
    ``dump_import.enqueue`` writes one by one (300 single INSERTs made a large
    upload wait over a second on a busy machine); any other backend gets
    ``enqueue`` itself.
    """
    backend = dump_import.get_backend()
    if not isinstance(backend, DatabaseBackend):
        for pk in dump_ids:
            dump_import.enqueue(dump_id=pk)
        return
    backend.validate_task(dump_import)
    DBTaskResult.objects.bulk_create(
        DBTaskResult(
            args_kwargs=normalize_json({"args": [], "kwargs": {"dump_id": pk}}),
            priority=dump_import.priority,
            task_path=dump_import.module_path,
            queue_name=dump_import.queue_name,
            run_after=dump_import.run_after or get_date_max(),
            backend_name=backend.alias,
        )
        for pk in dump_ids
    )


def batches_requeue_stale(*, older_than):
    """Requeue the jobs of workers that died: "running" for over ``older_than`` seconds.

    A worker killed mid-import leaves its job "running" and its dump "running"
    (the import's own transaction was rolled back). The job is closed as failed
    and the dump queued again with a fresh job. Returns how many were requeued.
    """
    cutoff = timezone.now() - timedelta(seconds=older_than)
    stale = DBTaskResult.objects.filter(
        status=TaskResultStatus.RUNNING, task_path=dump_import.module_path, started_at__lt=cutoff
    ).values_list("pk", "args_kwargs")
    requeued = 0
    for pk, args_kwargs in stale:
        dump_id = args_kwargs.get("kwargs", {}).get("dump_id")
        with transaction.atomic():
            closed = DBTaskResult.objects.filter(pk=pk, status=TaskResultStatus.RUNNING).update(
                status=TaskResultStatus.FAILED,
                finished_at=timezone.now(),
                exception_class_path="newsroom.batches.WorkerLost",
                traceback=f"No news from its worker for {older_than} s: requeued.",
            )
            if closed and Dump.objects.filter(pk=dump_id, status__in=QUEUE_STATES).update(
                status=Dump.Status.QUEUED
            ):
                dump_import.enqueue(dump_id=dump_id)
                requeued += 1
    return requeued


def batches_running():
    """Batches with dumps still to import, oldest first, with their counts."""
    waiting = Batch.objects.filter(dumps__status__in=QUEUE_STATES).distinct().order_by("created_at")
    return [(batch, batch_progress(batch)) for batch in waiting[:10]]
