"""manage.py worker: run batch imports from the queue (django-tasks-db's db_worker).

Everything db_worker takes works here (--batch, --interval, --max-tasks,
--no-reload...). Besides, a thread requeues the jobs of workers that died
(SIGKILL, a lost host): a job "running" for over BATCH_STALE_SECONDS. Run as
many workers as you like, on as many hosts, against the same database.
"""

import threading

from django.conf import settings
from django.db import DatabaseError, connection
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from newsroom.batches import batches_requeue_stale


class Command(DbWorkerCommand):
    help = "Import queued batch dumps; requeue those of dead workers."

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--stale-after",
            type=int,
            default=None,
            help="Seconds after which a running job is taken as lost (BATCH_STALE_SECONDS).",
        )

    def handle(self, *args, stale_after=None, **options):
        stale_after = settings.BATCH_STALE_SECONDS if stale_after is None else stale_after
        self._requeue(stale_after)
        if not options["batch"]:
            watchdog = threading.Thread(
                target=self._watch, args=(stale_after,), daemon=True, name="requeue-stale"
            )
            watchdog.start()
        super().handle(*args, **options)

    def _requeue(self, stale_after):
        requeued = batches_requeue_stale(older_than=stale_after)
        if requeued:
            self.stdout.write(f"Requeued {requeued} dumps of workers that stopped.")

    def _watch(self, stale_after):
        stop = threading.Event()
        while not stop.wait(max(stale_after / 2, 1)):
            try:
                self._requeue(stale_after)
            except DatabaseError as error:  # a locked or lost database: try next time
                self.stderr.write(f"requeue of stale jobs failed: {error}")
            finally:
                connection.close()  # this thread's own connection
