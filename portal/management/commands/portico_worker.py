"""Run a background worker: the task backend's own worker, and Portico's sweeper beside it.

`make run` starts one (the Procfile's `worker`); a deployment runs as many
as it likes, on any machines that reach the database (and Redis, when the
queue is there). The worker is the backend's: django-tasks-db's
`db_worker`, or RQ's SimpleWorker (with its scheduler, for retries' pauses). The
sweeper is a thread that, every PORTICO_WORKER_SWEEP_SECONDS, notes that
this worker is alive and hands the queue any job whose worker died; once
an hour it also forgets jobs finished over PORTICO_JOB_KEEP_DAYS ago.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections, connections
from django.utils.crypto import get_random_string

from portal import jobs

# Seconds between two prunings of old jobs by one worker's sweeper.
PRUNE_EVERY = 3600


class Command(BaseCommand):
    help = "Run background jobs (the task queue's worker, with Portico's sweeper)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--burst",
            action="store_true",
            help="Run what is waiting, then stop (for scripts and tests).",
        )

    def handle(self, *args: Any, burst: bool = False, **options: Any) -> None:
        name = f"{jobs.worker_name()}:{get_random_string(6)}"
        stop = threading.Event()
        sweeper = threading.Thread(
            target=self._sweep, args=(name, stop), name="portico-sweeper", daemon=True
        )
        self._sweep_once(name)
        sweeper.start()
        self.stdout.write(f"Portico worker {name} ({settings.PORTICO_TASK_QUEUE} queue)")
        try:
            if settings.PORTICO_TASK_QUEUE == "redis":
                call_command(
                    "rqworker",
                    "default",
                    with_scheduler=not burst,
                    burst=burst,
                    job_class="django_tasks_rq.backend.Job",
                    # Jobs run in this process, not in a child forked per job:
                    # forking a process that runs the sweeper's thread can leave
                    # the child stuck on a lock the thread held at that moment.
                    worker_class="rq.worker.SimpleWorker",
                    name=name.replace(":", "-"),
                )
            elif settings.PORTICO_TASK_QUEUE == "database":
                call_command(
                    "db_worker",
                    queue_name="*",
                    worker_id=name[:64],
                    batch=burst,
                    reload=False,
                    interval=0.5,
                    startup_delay=not burst,
                    verbosity=options.get("verbosity", 1),
                )
            else:  # pragma: no cover - settings refuse anything else
                raise CommandError(f"Unknown task queue {settings.PORTICO_TASK_QUEUE!r}")
        finally:
            stop.set()

    def _sweep(self, name: str, stop: threading.Event) -> None:
        while not stop.wait(settings.PORTICO_WORKER_SWEEP_SECONDS):
            self._sweep_once(name)

    _pruned_at = 0.0

    def _sweep_once(self, name: str) -> None:
        close_old_connections()
        try:
            jobs.beat(name)
            jobs.recover()
            if time.monotonic() - self._pruned_at > PRUNE_EVERY:
                self._pruned_at = time.monotonic()
                jobs.prune()
        except Exception:  # the sweeper must outlive a database blip
            jobs.logger.exception("The worker's sweeper failed; trying again later")
        finally:
            connections.close_all()
