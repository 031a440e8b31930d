"""The console's Activity at a million records, and its CSV export of 100,000.

Seeds a throwaway SQLite database (or the one DATABASE_URL names, which it
must be allowed to fill) with BENCH_RECORDS activity records (default
1,000,000) spread over a year: 500 people acting on 5,000 groups, 2,000
products and 100,000 users, every tenth record an access grant. Then, with
Django's test client as an administrator and the production settings
otherwise, it times each Activity page one request at a time (median and
slowest of the runs, and the queries of one request), and streams the CSV
export of the 100,000 access grants while tracemalloc follows Python's
memory: the export's peak is the most Python held at once while writing it.

    .venv/bin/python bench/activity.py [runs]

It prints a table and writes it to bench/results/<date>-activity-<database>.md.
"""

from __future__ import annotations

import datetime
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
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
from django.db import connection, transaction  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from audit.models import Record  # noqa: E402
from portal.models import User  # noqa: E402

RECORDS = int(os.environ.get("BENCH_RECORDS", "1000000"))
EXPORTED = RECORDS // 10  # the access grants
BATCH = 10_000
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
# What the console must do at this size: a page in well under a second,
# an export that holds a bounded amount, whatever the number of rows.
PAGE_TARGET_MS = 250
EXPORT_PEAK_TARGET_MB = 50

COLUMNS = (
    "at",
    "actor_kind",
    "actor_id",
    "actor_label",
    "on_behalf_of",
    "via",
    "address",
    "action",
    "object_kind",
    "object_id",
    "object_label",
    "related_kind",
    "related_id",
    "related_label",
    "before",
    "after",
)
# Nine in ten records are one of these; the tenth is an access grant.
OTHERS = [
    ("member.add", "group", 5000, "user", 100_000),
    ("member.remove", "group", 5000, "user", 100_000),
    ("user.update", "user", 100_000, "", 0),
    ("product.update", "product", 2000, "", 0),
    ("group.update", "group", 5000, "", 0),
    ("subscription.suspend", "subscription", 10_000, "user", 100_000),
    ("user.block", "user", 100_000, "", 0),
    ("access.revoke", "product", 2000, "group", 5000),
    ("group.create", "group", 5000, "", 0),
]


def row(n: int) -> tuple:
    """The nth record: a second or so after the one before it, across a year."""
    at = START + datetime.timedelta(seconds=n * 31_536_000 // RECORDS)
    if n % 10 == 9:
        action, kind, kinds, related, relateds = ("access.grant", "product", 2000, "group", 5000)
    else:
        action, kind, kinds, related, relateds = OTHERS[(n // 10 + n) % len(OTHERS)]
    person = n % 500
    pk, other = (n * 7919) % kinds + 1, (n * 104_729) % relateds + 1 if related else 0
    before, after = '{"state": "active"}', '{"state": "blocked"}'
    if action.endswith((".add", ".grant", ".revoke", ".remove", ".create")):
        before, after = None, None
    return (
        connection.ops.adapt_datetimefield_value(at),
        "person",
        str(person + 1),
        f"person{person}@example.com",
        "",
        "console",
        f"10.0.{person // 250}.{person % 250 + 1}",
        action,
        kind,
        str(pk),
        f"{kind.title()} {pk}",
        related,
        str(other) if related else "",
        f"{related.title()} {other}" if related else "",
        before,
        after,
    )


def seed() -> User:
    call_command("migrate", verbosity=0)
    administrator = User.objects.create_superuser("bench-admin@example.com", "bench-password-1")
    Record.objects.all()._prune()  # the superuser's own records: the counts below are exact
    table = connection.ops.quote_name(Record._meta.db_table)
    names = ", ".join(connection.ops.quote_name(name) for name in COLUMNS)
    marks = ", ".join(["%s"] * len(COLUMNS))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"
    started = time.perf_counter()
    for first in range(0, RECORDS, BATCH):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(sql, [row(n) for n in range(first, min(first + BATCH, RECORDS))])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {table}")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"Seeded {RECORDS:,} records in {time.perf_counter() - started:.0f} s")
    return administrator


def pages() -> list[tuple[str, str]]:
    activity = reverse("audit:activity")
    deep = Record.objects.order_by("id").values_list("id", flat=True)[100]
    return [
        ("Activity, newest", activity),
        ("Older, at the far end", f"{activity}?older={deep}"),
        ("Kind of object: Group", f"{activity}?kind=group"),
        ("Action and a month", f"{activity}?action=access.grant&start=2026-06-01&end=2026-06-30"),
        ("Who: one of 500 people", f"{activity}?who=person123%40example.com"),
        ("Who: nobody matches", f"{activity}?who=nobody-at-all"),
        ("One object (a History link)", f"{activity}?object=group:17"),
    ]


def time_page(client: Client, path: str, runs: int) -> tuple[float, float, int]:
    assert client.get(path).status_code == 200, path
    timings = []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, path
    return statistics.median(timings), max(timings), len(queries)


def time_export(client: Client) -> tuple[float, int, int, float, float]:
    path = f"{reverse('audit:export')}?action=access.grant"
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    started = time.perf_counter()
    response = client.get(path)
    size = lines = 0
    for chunk in response.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert response.status_code == 200
    return seconds, size, lines - 1, peak / 1024 / 1024, rss_after - rss_before


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    administrator = seed()
    client = Client()
    client.force_login(administrator)
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    lines = [
        f"Activity at {RECORDS:,} records ({connection.vendor}), {runs} requests a page, "
        f"one at a time; target: median under {PAGE_TARGET_MS} ms, queries constant.",
        "",
        "| Page | Median ms | Slowest ms | Queries | Target |",
        "|---|---:|---:|---:|---|",
    ]
    with override_settings(ALLOWED_HOSTS=["testserver"], STORAGES=storages):
        for name, path in pages():
            median, slowest, queries = time_page(client, path, runs)
            met = "met" if median < PAGE_TARGET_MS else "MISSED"
            lines.append(f"| {name} | {median:.1f} | {slowest:.1f} | {queries} | {met} |")
            print(lines[-1], flush=True)
        seconds, size, rows, peak, rss_growth = time_export(client)
    assert rows == EXPORTED, (rows, EXPORTED)
    met = "met" if peak < EXPORT_PEAK_TARGET_MB else "MISSED"
    lines += [
        "",
        f"CSV export of {rows:,} records: {seconds:.1f} s, {size / 1024 / 1024:.1f} MB written, "
        f"Python's peak {peak:.1f} MB while streaming (target under {EXPORT_PEAK_TARGET_MB} MB: "
        f"{met}), the process's resident peak grew {rss_growth:.1f} MB.",
    ]
    print(lines[-1])
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs"
    report = "\n".join(
        [f"# bench/activity.py, {today}", "", f"Machine: {machine}.", "", *lines, ""]
    )
    results = ROOT / "bench" / "results" / f"{today}-activity-{connection.vendor}.md"
    results.write_text(report)
    print(f"Written to {results.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
