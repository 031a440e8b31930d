"""Portico across machines (issue 14, item 4): what one node does, the other sees, and
nothing acknowledged is lost when a worker or a node dies.

Nodes A and B are separate gunicorn processes on their own ports, sharing the
database and Redis (see conftest.py); two `manage.py portico_worker`
processes run the jobs. Everything is driven over HTTP, as a browser and a
gateway would, except the bulk seeding and the reads that check the
outcome, which go to the database directly.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import time
from collections import Counter
from typing import Any

import pytest
import requests

from portal.models import Job, User
from subscriptions.models import Subscription
from tests.cluster.conftest import PASSWORD, Cluster

pytestmark = pytest.mark.cluster

SUBSCRIPTIONS = Subscription._meta.db_table
JOBS = Job._meta.db_table
USERS = User._meta.db_table
DEVELOPERS = 40
PER_DEVELOPER = 250  # 10,000 subscriptions


def csrf(session: requests.Session) -> dict[str, str]:
    return {"X-CSRFToken": session.cookies["csrftoken"]}


def signed_in(base: str, email: str) -> requests.Session:
    """A browser-like session signed in on this node (cookies are per host, not per port)."""
    session = requests.Session()
    session.get(f"{base}/signin/", timeout=10).raise_for_status()
    answer = session.post(
        f"{base}/signin/",
        data={"username": email, "password": PASSWORD},
        headers=csrf(session),
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 302, answer.text[:2000]
    return session


def post(session: requests.Session, url: str, data: dict[str, str] | None = None) -> Any:
    return session.post(
        url, data=data or {}, headers=csrf(session), allow_redirects=False, timeout=10
    )


def key_check(base: str, key: str, product: str) -> requests.Response:
    return requests.get(
        f"{base}/gateway/check",
        headers={"Ocp-Apim-Subscription-Key": key, "X-Product": product},
        timeout=10,
    )


def wait_for(what: str, check: Any, deadline: float, every: float = 0.1) -> Any:
    until = time.monotonic() + deadline
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > until:
            pytest.fail(f"Waited {deadline:.0f} s for {what}")
        time.sleep(every)


def test_a_group_created_on_a_is_listed_on_b_at_once(cluster: Cluster) -> None:
    a, b = cluster.urls["a"], cluster.urls["b"]
    admin = signed_in(a, cluster.seed["admin"])

    created = post(
        admin,
        f"{a}/console/groups/new/",
        {"display_name": "Made on A", "name": "made-on-a", "description": "across nodes"},
    )
    assert created.status_code == 302, created.text[:2000]

    # The very next request, on the other node: no waiting, no retry.
    listed = admin.get(f"{b}/console/groups/", timeout=10)
    assert listed.status_code == 200
    assert "Made on A" in listed.text
    assert admin.get(f"{b}/console/groups/made-on-a/", timeout=10).status_code == 200


def test_a_developer_blocked_on_a_is_signed_out_on_b_at_the_next_request(
    cluster: Cluster,
) -> None:
    a, b = cluster.urls["a"], cluster.urls["b"]
    developer = signed_in(b, cluster.seed["blocked"])
    profile = developer.get(f"{b}/profile/", allow_redirects=False, timeout=10)
    assert profile.status_code == 200
    assert cluster.seed["blocked"] in profile.text

    admin = signed_in(a, cluster.seed["admin"])
    blocked = post(admin, f"{a}/console/users/{cluster.seed['blocked_id']}/block/")
    assert blocked.status_code == 302, blocked.text[:2000]

    after = developer.get(f"{b}/profile/", allow_redirects=False, timeout=10)
    assert after.status_code == 302
    assert after.headers["Location"].startswith("/signin/")
    # Signing in again, on either node, is refused.
    again = requests.Session()
    again.get(f"{b}/signin/", timeout=10)
    refused = post(
        again, f"{b}/signin/", {"username": cluster.seed["blocked"], "password": PASSWORD}
    )
    assert refused.status_code == 200
    assert "This account is blocked" in refused.text


def test_a_visibility_change_on_a_is_enforced_by_the_key_check_on_b(cluster: Cluster) -> None:
    a, b = cluster.urls["a"], cluster.urls["b"]
    key, product, group = cluster.seed["key"], cluster.seed["product"], cluster.seed["group"]
    assert key_check(b, key, product).status_code == 204

    admin = signed_in(a, cluster.seed["admin"])
    removed = post(admin, f"{a}/console/products/{product}/access/{group}/delete/")
    assert removed.status_code == 302, removed.text[:2000]

    # The rule runs as a job; the deadline only covers a slow machine.
    def refused() -> tuple[int, str] | None:
        answer = key_check(b, key, product)
        if answer.status_code == 204:
            return None
        return answer.status_code, answer.headers.get("X-Portico-Reason", "")

    # The check refuses what the access rule's job will suspend, job done or not.
    assert wait_for("the key check on B to refuse the key", refused, deadline=20) in (
        (403, "subscription suspended"),
        (403, "access removed"),
    )


def test_a_worker_killed_mid_job_leaves_nothing_half_done(cluster: Cluster) -> None:
    database = cluster.database
    product_id = json.loads(
        cluster.manage(
            "cluster_seed",
            "bulk",
            "--developers",
            str(DEVELOPERS),
            "--per-developer",
            str(PER_DEVELOPER),
        )
    )["product_id"]
    # The group's access goes on node A, in the console: the access rule becomes a job.
    admin = signed_in(cluster.urls["a"], cluster.seed["admin"])
    removed = post(admin, f"{cluster.urls['a']}/console/products/bulk-product/access/bulk/delete/")
    assert removed.status_code == 302, removed.text[:2000]
    job = database.job_id(
        database.value(
            f"SELECT id FROM {JOBS} WHERE kind = %s ORDER BY created_at DESC LIMIT 1",
            "subscriptions.access_rule",
        )
    )

    def running() -> tuple[Any, ...] | None:
        rows = database.rows(f"SELECT state, done, total, worker FROM {JOBS} WHERE id = %s", job)
        state, done, total, worker = rows[0]
        return rows[0] if state == "running" and done > 0 else None

    state, done, total, worker = wait_for("the job to make progress", running, 30, every=0.02)
    assert done < total, "the job finished before it could be interrupted"
    # The job names its worker as host:pid: the worker process itself (RQ's
    # SimpleWorker runs jobs in-process), or a child it forked. A machine dies: all go.
    horse = int(worker.rsplit(":", 1)[1])
    killed = cluster.kill_worker_running(horse)
    half_done = database.value(
        f"SELECT COUNT(*) FROM {SUBSCRIPTIONS} WHERE product_id = %s AND state = %s",
        product_id,
        "suspended",
    )
    assert 0 < half_done < DEVELOPERS * PER_DEVELOPER

    def finished() -> tuple[Any, ...] | None:
        rows = database.rows(
            f"SELECT state, done, total, worker, attempts FROM {JOBS} WHERE id = %s", job
        )
        return rows[0] if rows[0][0] in ("succeeded", "failed") else None

    state, done, total, worker, attempts = wait_for("another worker to finish", finished, 60)
    assert (state, done, total) == (
        "succeeded",
        DEVELOPERS * PER_DEVELOPER,
        DEVELOPERS * PER_DEVELOPER,
    )
    assert attempts == 2
    assert worker.rsplit(":", 1)[1] != str(horse)

    # Every subscription ended suspended by the rule.
    counts = dict(
        database.rows(
            f"SELECT state, COUNT(*) FROM {SUBSCRIPTIONS} WHERE product_id = %s GROUP BY state",
            product_id,
        )
    )
    assert counts == {"suspended": DEVELOPERS * PER_DEVELOPER}
    assert database.value(
        f"SELECT COUNT(*) FROM {SUBSCRIPTIONS} WHERE product_id = %s AND suspended_for_access = %s",
        product_id,
        True,
    ) == (DEVELOPERS * PER_DEVELOPER)
    # One email job per developer, each written with that developer's suspensions.
    emails = f"SELECT COUNT(*) FROM {JOBS} WHERE kind = %s AND cause_id = %s"
    assert database.value(emails, "portal.email", job) == DEVELOPERS

    # Each email lists the subscriptions it reports: each subscription must be
    # in exactly one, and each developer get exactly one, so none was suspended
    # twice. A sent email is read where the workers print it (console://), one
    # still waiting from its job's record (a sent one's record is emptied).
    def delivered() -> bool:
        return database.value(emails + " AND state = %s", "portal.email", job, "succeeded") == (
            DEVELOPERS
        )

    with contextlib.suppress(pytest.fail.Exception):
        wait_for("the emails to go out", delivered, 30, every=0.25)
    # Read in this order: the waiting records, then the logs, then which of
    # those records went out meanwhile (printed before they were marked sent).
    waiting = database.rows(
        f"SELECT id, params FROM {JOBS} WHERE kind = %s AND cause_id = %s AND state <> %s",
        "portal.email",
        job,
        "succeeded",
    )
    logs = cluster.worker_logs()
    sent_meanwhile = {
        pk
        for (pk,) in database.rows(
            f"SELECT id FROM {JOBS} WHERE kind = %s AND cause_id = %s AND state = %s",
            "portal.email",
            job,
            "succeeded",
        )
    }
    people = dict(database.rows(f"SELECT email, id FROM {USERS} WHERE email LIKE %s", "bulk-%"))
    names = dict(
        database.rows(
            f"SELECT display_name, id FROM {SUBSCRIPTIONS} WHERE product_id = %s", product_id
        )
    )
    recipients = Counter(
        people[email] for email in re.findall(r"^To: (bulk-\S+)$", logs, re.MULTILINE)
    )
    listed = Counter(names[name] for name in re.findall(r"^- (bulk-\d{5}) \(", logs, re.MULTILINE))
    for pk, params in waiting:
        kwargs = (json.loads(params) if isinstance(params, str) else params)["kwargs"]
        if pk in sent_meanwhile and kwargs["owner_id"] in recipients:
            continue
        recipients[kwargs["owner_id"]] += 1
        listed.update(kwargs["subscription_ids"])
    assert len(recipients) == DEVELOPERS
    assert set(recipients.values()) == {1}
    assert sum(listed.values()) == DEVELOPERS * PER_DEVELOPER
    assert set(listed.values()) == {1}

    # Two workers again, for whatever runs next.
    cluster.start_worker(f"{killed}-again")


def test_a_node_killed_mid_request_loses_no_acknowledged_write(cluster: Cluster) -> None:
    a, b = cluster.urls["a"], cluster.urls["b"]
    admin = signed_in(a, cluster.seed["admin"])
    acknowledged: list[str] = []
    failed: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def writer(number: int) -> None:
        session = requests.Session()
        session.cookies.update(admin.cookies)
        sequence = 0
        while not stop.is_set():
            sequence += 1
            name = f"burst-{number}-{sequence}"
            try:
                answer = post(
                    session,
                    f"{b}/console/groups/new/",
                    {"display_name": f"Burst {number} {sequence}", "name": name},
                )
            except requests.RequestException as error:
                with lock:
                    failed.append(f"{name}: {error}")
                if stop.is_set():
                    return
                time.sleep(0.05)
                continue
            with lock:
                if 200 <= answer.status_code < 400:
                    # A 200 would be the form again (not a write): only a redirect acknowledges.
                    assert answer.status_code == 302, answer.text[:2000]
                    acknowledged.append(name)
                else:
                    failed.append(f"{name}: {answer.status_code}")

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    wait_for("writes to be acknowledged", lambda: len(acknowledged) >= 10, 30, every=0.02)
    cluster.processes["b"].kill()
    # Keep writing at the dead node for a moment: every such attempt fails.
    time.sleep(0.3)
    stop.set()
    for thread in threads:
        thread.join(timeout=30)

    # Cut off mid-request (the connection dropped), not only refused once the node was gone.
    cut = [text for text in failed if "refused" not in text]
    assert cut, f"the node died between requests, not in the middle of one: {failed[:5]}"
    missing = [
        name
        for name in acknowledged
        if admin.get(f"{a}/console/groups/{name}/", timeout=10).status_code != 200
    ]
    assert missing == []

    # B comes back on its address and serves what A wrote meanwhile.
    port = int(b.rsplit(":", 1)[1])
    cluster.start_node("b", port=port)
    cluster.wait_healthy("b")
    assert admin.get(f"{b}/console/groups/{acknowledged[0]}/", timeout=10).status_code == 200
