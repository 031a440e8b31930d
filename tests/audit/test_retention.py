"""Settings › Activity retention in the console, and manage.py prune_activity."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from audit import services
from audit.models import Record, RetentionSettings
from audit.services import Ref
from tests.conftest import messages_of

pytestmark = pytest.mark.django_db

URL = "/console/settings/activity/"


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def age(days: int) -> None:
    """Make every record so far `days` old (records refuse update(); tests use raw SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Record._meta.db_table} SET at = %s",
            [timezone.now() - datetime.timedelta(days=days)],
        )


def test_the_settings_page_links_to_retention(admin_client):
    page = admin_client.get(reverse("console:settings")).content.decode()
    assert f'href="{URL}"' in page


def test_the_page_shows_forever_by_default_and_saves_days(admin_client, administrator):
    page = admin_client.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert "Keep records for" in body
    assert "days" in body
    assert page.context["form"]["keep_days"].value() is None

    response = admin_client.post(URL, {"keep_days": "90"}, follow=True)
    assert messages_of(response) == [
        "Saved: activity records are kept for 90 days. Older ones are removed the next time "
        "manage.py prune_activity runs."
    ]
    assert RetentionSettings.current().keep_days == 90
    assert response.context["form"]["keep_days"].value() == 90
    (row,) = Record.objects.filter(action="settings.retention")
    assert (row.before, row.after, row.actor_id, row.via) == (
        {"keep_days": None},
        {"keep_days": 90},
        str(administrator.pk),
        "console",
    )

    response = admin_client.post(URL, {"keep_days": ""}, follow=True)
    assert messages_of(response) == ["Saved: activity records are kept forever."]
    assert RetentionSettings.current().keep_days is None
    assert Record.objects.filter(action="settings.retention").count() == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Keep records for at least 1 day, or leave it empty to keep records forever."),
        ("-5", "Keep records for at least 1 day, or leave it empty to keep records forever."),
        ("ten", "Enter a whole number of days, or leave it empty to keep records forever."),
        ("2.5", "Enter a whole number of days, or leave it empty to keep records forever."),
        (
            "36501",
            "Keep records for at most 36,500 days (100 years), or leave it empty to keep "
            "records forever.",
        ),
    ],
)
def test_bad_values_are_refused_by_the_field(admin_client, value, message):
    services.set_retention(keep_days=30)
    response = admin_client.post(URL, {"keep_days": value})
    assert response.status_code == 400
    assert response.context["form"].errors == {"keep_days": [message]}
    assert message in response.content.decode()
    assert RetentionSettings.current().keep_days == 30


def test_a_hundred_years_is_allowed(admin_client):
    admin_client.post(URL, {"keep_days": "36500"})
    assert RetentionSettings.current().keep_days == 36500


def test_a_guest_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    client.post(URL, {"keep_days": "1"})
    assert RetentionSettings.current().keep_days is None


@pytest.mark.parametrize("who", ["developer", "support_staff"])
def test_others_are_refused(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"keep_days": "1"}).status_code == 403
    assert RetentionSettings.current().keep_days is None
    assert not Record.objects.filter(action="settings.retention").exists()


def test_a_blocked_account_is_sent_to_sign_in(client, blocked_user):
    client.force_login(blocked_user)
    response = client.post(URL, {"keep_days": "1"})
    assert (response.status_code, response["Location"]) == (302, f"/signin/?next={URL}")
    assert RetentionSettings.current().keep_days is None


def test_pruning_when_kept_forever_removes_nothing():
    services.record("group.update", Ref("group", "1", "Partners"))
    age(10_000)
    out = StringIO()
    call_command("prune_activity", stdout=out)
    assert out.getvalue() == (
        "Activity records are kept forever: nothing removed. Set a number of days in the "
        "console's Settings › Activity retention to prune older ones.\n"
    )
    assert Record.objects.count() == 1


def test_pruning_removes_older_records_says_how_many_and_records_it():
    for n in range(3):
        services.record("group.update", Ref("group", str(n), f"Group {n}"))
    age(40)
    recent = services.record("group.update", Ref("group", "9", "Recent"))
    services.set_retention(keep_days=30)
    out = StringIO()
    call_command("prune_activity", stdout=out)
    assert out.getvalue() == "Removed 3 activity records older than 30 days.\n"
    left = list(Record.objects.order_by("id"))
    assert [r.action for r in left] == ["group.update", "settings.retention", "activity.prune"]
    assert left[0].pk == recent.pk
    pruned = left[-1]
    assert pruned.after is not None
    assert (pruned.after["removed"], pruned.after["keep_days"]) == (3, 30)
    assert (pruned.actor_kind, pruned.via, pruned.actor_label) == (
        "system",
        "command",
        "manage.py prune_activity",
    )

    out = StringIO()
    call_command("prune_activity", stdout=out)
    assert out.getvalue() == "Removed 0 activity records older than 30 days.\n"


def test_pruning_one_says_record():
    services.record("group.update", Ref("group", "1", "Partners"))
    age(3)
    services.set_retention(keep_days=1)
    out = StringIO()
    call_command("prune_activity", stdout=out)
    assert out.getvalue() == "Removed 1 activity record older than 1 day.\n"
