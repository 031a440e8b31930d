"""Time revoking a group's access to a product with 10,000 subscribers, and the job that follows.

Seeds a throwaway SQLite database (or the one DATABASE_URL names, which it
must be allowed to fill) with 10,000 developers in one group, a product that
group sees, and one active subscription each. Then, with Django's test
client as an administrator, times the console's revoke (Products › Access
control › remove) several times: each revoke is undone through the service
and the queued work dropped, so every run starts alike. Finally it revokes
once more and runs the access rule's job as a worker would, then the job
that restores access, and prints the time per 1,000 subscriptions.

    .venv/bin/python bench/revoke.py [runs]
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path(tempfile.mkdtemp(prefix="portico-bench-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{WORK / 'bench.sqlite3'}")
os.environ.setdefault("PORTICO_VAR_DIR", str(WORK))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("DJANGO_EMAIL_URL", "console://")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

from groups import services as group_services  # noqa: E402
from groups.models import Group, Membership  # noqa: E402
from portal import jobs  # noqa: E402
from portal.models import Job, User  # noqa: E402
from products import services as product_services  # noqa: E402
from subscriptions import services  # noqa: E402
from subscriptions.models import PendingAccessCheck, Subscription  # noqa: E402

SUBSCRIBERS = int(os.environ.get("BENCH_SUBSCRIBERS", "10000"))


def seed() -> tuple[User, Group, object]:
    call_command("migrate", verbosity=0)
    administrator = User.objects.create_superuser("bench-admin@example.com", "bench-password-1")
    group = group_services.create_group(name="customers", display_name="Customers")
    product = product_services.create_product(
        name="starter", display_name="Starter", state="published", groups=[group]
    )
    people = User.objects.bulk_create(
        User(email=f"dev{n}@example.com", first_name="Dev", last_name=str(n), password="!")
        for n in range(SUBSCRIBERS)
    )
    Membership.objects.bulk_create(Membership(group=group, user=person) for person in people)
    Subscription.objects.bulk_create(
        (
            Subscription(owner=person, product=product, display_name="App", state="active")
            for person in people
        ),
        batch_size=1000,
    )
    return administrator, group, product


def forget_queued_work() -> None:
    Job.objects.all().delete()
    DBTaskResult.objects.all().delete()
    PendingAccessCheck.objects.all().delete()


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    administrator, group, product = seed()
    client = Client()
    client.force_login(administrator)
    url = reverse("products:remove_group", args=[product.name, group.name])
    # The test client's host, and static files served without collectstatic's manifest;
    # the rest of the settings are the production ones.
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=storages):
        client.get(reverse("products:access", args=[product.name]))  # warm up
        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.post(url)
                timings.append(time.perf_counter() - started)
            assert response.status_code == 302, response.status_code
            job = Job.objects.get(kind=services.ACCESS_RULE)
            product_services.grant_access(product=product, groups=[group], added_by=administrator)
            forget_queued_work()
        print(f"Revoke request, {SUBSCRIBERS:,} subscribers ({connection.vendor}, {runs} runs):")
        print(
            f"  median {statistics.median(timings) * 1000:.0f} ms, "
            f"min {min(timings) * 1000:.0f} ms, max {max(timings) * 1000:.0f} ms, "
            f"{len(queries)} queries; job title: {job.title}"
        )

        client.post(url)
        job = Job.objects.get(kind=services.ACCESS_RULE)
        started = time.perf_counter()
        jobs.execute(job.pk)
        suspending = time.perf_counter() - started
        job.refresh_from_db()
        assert Subscription.objects.filter(state="suspended").count() == SUBSCRIBERS, job.error
        emails = Job.objects.filter(cause=job).count()
        print(
            f"Access rule job, suspending: {suspending:.1f} s in all, "
            f"{suspending / SUBSCRIBERS * 1000 * 1000:.0f} ms per 1,000 subscriptions "
            f"({emails:,} email jobs recorded); summary: {job.summary}"
        )

        product_services.grant_access(product=product, groups=[group], added_by=administrator)
        restore = Job.objects.filter(kind=services.ACCESS_RULE, state=Job.State.QUEUED).get()
        started = time.perf_counter()
        jobs.execute(restore.pk)
        restoring = time.perf_counter() - started
        restore.refresh_from_db()
        assert Subscription.objects.filter(state="active").count() == SUBSCRIBERS, restore.error
        print(
            f"Access rule job, restoring: {restoring:.1f} s in all, "
            f"{restoring / SUBSCRIBERS * 1000 * 1000:.0f} ms per 1,000 subscriptions; "
            f"summary: {restore.summary}"
        )


if __name__ == "__main__":
    main()
