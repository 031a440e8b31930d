"""portal.views.account: asking for a password reset tells nothing about the account, sends the
email after the answer, and is limited per email address and per client address."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.models import Job, User
from tests.conftest import TEST_PASSWORD, signs_in

NEW_PASSWORD = "a-rather-unusual-passphrase-42"
TOO_MANY = "Too many reset links were asked for from here or for this address."


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    """The limits count in the shared cache (with Redis, it outlives a test's database)."""
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def ask_for_reset(client, email, **extra):
    return client.post(reverse("portal:password_reset"), {"email": email}, **extra)


@pytest.fixture
def database_queue(settings):
    """Jobs wait in the real queue until the test runs a worker."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db
def test_password_reset_request_makes_the_same_queries_and_sends_nothing_itself(
    client, database_queue, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    """Whether an address has an account, or a blocked one, must not show in the request."""
    seen = {}
    for account in ["none", "active", "blocked"]:
        if account == "active":
            person = make_user(email="someone@example.com")
        if account == "blocked":
            User.objects.filter(pk=person.pk).update(state=User.State.BLOCKED)
        # The limits' counters live in the database without Redis: each
        # request starts from none, so they count the same way each time.
        caches["shared"].clear()
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks(),
        ):
            response = ask_for_reset(client, "someone@example.com")
        assert response.status_code == 302
        # The same statements: the new job's id and timestamps differ, the
        # counters' own queries (the same whoever asks) carry the time they
        # expire, and savepoints are numbered through the test; none of that
        # tells anything about the account.
        seen[account] = [
            re.sub(r"'[0-9a-f]{32}'|'\d{4}-\d\d-\d\d[ T][^']*'|_x\d+", "?", query["sql"])
            for query in queries.captured_queries
            if "portico_shared_cache" not in query["sql"]
        ]
        assert mailoutbox == []
    assert seen["none"] == seen["active"] == seen["blocked"]


@pytest.mark.django_db(transaction=True)
def test_password_reset_email_leaves_after_the_answer_from_the_worker(
    client, developer, database_queue, mailoutbox
):
    response = ask_for_reset(client, "DEV@example.com")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:password_reset_done")
    # The answer is back and nothing went out: a job waits for the worker.
    assert mailoutbox == []
    [job] = Job.objects.filter(kind="portal.email")
    assert job.state == Job.State.QUEUED
    call_command("portico_worker", burst=True, verbosity=0)
    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["dev@example.com"]
    link = re.search(r"https?://\S+/password/set/\S+/", email.body)[0]
    visitor = Client()
    page = visitor.get(urlsplit(link).path, follow=True)
    assert page.context["validlink"] is True
    done = visitor.post(
        page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("portal:password_reset_complete")
    assert signs_in("dev@example.com", NEW_PASSWORD)
    assert not signs_in("dev@example.com", TEST_PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["dev@example.com", "nobody@example.com"])
def test_a_fourth_reset_for_one_email_within_the_hour_is_refused(
    client, developer, mailoutbox, django_capture_on_commit_callbacks, settings, email
):
    limit = settings.PORTICO_RESET_LIMIT_PER_ACCOUNT
    spellings = [email, email.upper(), email.capitalize()]
    for n in range(limit):
        with django_capture_on_commit_callbacks(execute=True):
            response = ask_for_reset(
                client, spellings[n % len(spellings)], REMOTE_ADDR=f"203.0.113.{n + 1}"
            )
        assert response.status_code == 302
    sent = len(mailoutbox)
    assert sent == (limit if email == "dev@example.com" else 0)
    with django_capture_on_commit_callbacks(execute=True):
        refused = ask_for_reset(client, email, REMOTE_ADDR="198.51.100.7")
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert any(TOO_MANY in error for error in refused.context["form"].errors["email"])
    page = refused.content.decode()
    assert page.index('name="email"') < page.index(TOO_MANY) < page.index("Send the link")
    assert len(mailoutbox) == sent


@pytest.mark.django_db
def test_resets_from_one_address_are_limited_and_other_addresses_are_not(
    client, developer, mailoutbox, django_capture_on_commit_callbacks, settings
):
    limit = settings.PORTICO_RESET_LIMIT_PER_ADDRESS
    for n in range(limit):
        response = ask_for_reset(client, f"nobody-{n}@example.com", REMOTE_ADDR="203.0.113.7")
        assert response.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        refused = ask_for_reset(client, "dev@example.com", REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429
    assert TOO_MANY in refused.content.decode()
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        elsewhere = ask_for_reset(Client(), "dev@example.com", REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302
    assert [email.to for email in mailoutbox] == [["dev@example.com"]]
