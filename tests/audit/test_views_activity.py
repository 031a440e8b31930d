"""The console's Activity, its CSV export, the History sections and the
Django admin's read-only view of the record."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apis import services as api_services
from audit import services
from audit.models import Record
from audit.services import Ref
from groups import services as group_services

URL = "/console/activity/"


def made(count, action="group.update", obj=None, **fields):
    obj = obj or Ref("group", "1", "Partners")
    return services.record_many(action, [(obj, None)] * count, **fields)


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def test_activity_lists_records_newest_first(admin_client, partners, member):
    response = admin_client.get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Added a member" in body
    assert member.email in body
    # Linked to the group's console page, which still exists.
    assert f'href="{partners.get_absolute_url()}"' in body


def test_the_menu_has_activity(admin_client):
    body = admin_client.get(URL).content.decode()
    assert 'aria-current="page" href="/console/activity/">Activity' in body


def test_filters_each_narrow_the_rows(admin_client, administrator, partners, beta, member):
    group_services.update_group(group=beta, expected_version=None, description="Trying things")
    by_action = admin_client.get(URL, {"action": "group.update"}).context["rows"]
    assert {row.record.action for row in by_action} == {"group.update"}
    by_kind = admin_client.get(URL, {"kind": "user"}).context["rows"]
    assert by_kind and all("user" in (r.record.object_kind, r.record.related_kind) for r in by_kind)
    by_object = admin_client.get(URL, {"object": f"group:{beta.pk}"}).context["rows"]
    assert by_object and all(row.record.object_id == str(beta.pk) for row in by_object)
    tomorrow = (timezone.now() + datetime.timedelta(days=1)).date().isoformat()
    assert not admin_client.get(URL, {"start": tomorrow}).context["rows"]
    nobody = admin_client.get(URL, {"who": "nobody-at-all"})
    assert "No activity matches these filters" in nobody.content.decode()


def test_who_matches_the_actor(admin_client, administrator):
    with services.context.acting(services.context.person(administrator, via="console")):
        made(1)
    rows = admin_client.get(URL, {"who": "root@"}).context["rows"]
    assert [row.record.actor_label for row in rows] == [administrator.email]


@pytest.mark.parametrize(
    "params",
    [
        {"object": "group:<script>"},
        {"start": "not a date"},
        {"start": "2026-05-02", "end": "2026-05-01"},
        {"action": "drop.table"},
        {"who": "x" * 500},
        {"older": "99999999999999999999999"},
    ],
)
def test_bad_filters_get_a_message_not_an_error(admin_client, params):
    response = admin_client.get(URL, params)
    assert response.status_code == 200


def test_a_day_range_in_the_wrong_order_says_so(admin_client):
    response = admin_client.get(URL, {"start": "2026-05-02", "end": "2026-05-01"})
    assert "Pick a day on or after the From day." in response.content.decode()


def test_paging_older_and_newer_walks_every_record_once(admin_client):
    made(120)
    first = admin_client.get(URL)
    seen = [row.record.pk for row in first.context["rows"]]
    assert len(seen) == 50 and first.context["newer_cursor"] is None
    older = admin_client.get(URL, {"older": first.context["older_cursor"]})
    seen += [row.record.pk for row in older.context["rows"]]
    last = admin_client.get(URL, {"older": older.context["older_cursor"]})
    seen += [row.record.pk for row in last.context["rows"]]
    assert last.context["older_cursor"] is None
    assert seen == sorted(Record.objects.values_list("pk", flat=True), reverse=True)
    back = admin_client.get(URL, {"newer": older.context["rows"][0].record.pk})
    assert [row.record.pk for row in back.context["rows"]] == seen[:50]


def test_the_page_reads_the_same_queries_for_1_or_300_records(admin_client, partners):
    made(1, obj=Ref("group", str(partners.pk), "Partners"))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(URL).status_code == 200
        return len(captured)

    queries()  # the session and the menu's counts, read once
    few = queries()
    made(300, obj=Ref("group", str(partners.pk), "Partners"))
    assert queries() == few


def test_export_streams_the_filtered_rows_as_csv(admin_client, partners, member):
    made(1, action="group.update", after={"description": '=HYPERLINK("x")'})
    response = admin_client.get(reverse("audit:export"), {"action": "group.update"})
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="activity-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][0] == "id"
    assert {row[7] for row in rows[1:]} == {"group.update"}


def test_export_defuses_formulas(admin_client):
    services.record("group.create", Ref("group", "5", "=cmd|' /C calc'!A0"))
    response = admin_client.get(reverse("audit:export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=cmd" in text


@pytest.mark.parametrize("name", ["audit:activity", "audit:export"])
def test_a_guest_is_sent_to_sign_in(client, name):
    assert client.get(reverse(name)).status_code == 302


@pytest.mark.parametrize("who", ["developer", "member", "support_staff"])
@pytest.mark.parametrize("name", ["audit:activity", "audit:export"])
def test_people_without_the_console_are_refused(client, request, who, name):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse(name)).status_code == 403


def test_a_blocked_account_is_sent_to_sign_in(client, blocked_user):
    client.force_login(blocked_user)
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_activity_only_reads(admin_client, method):
    made(1)
    assert getattr(admin_client, method)(URL).status_code == 405
    assert Record.objects.count() >= 1


def test_history_on_the_group_page(admin_client, partners, member):
    body = admin_client.get(partners.get_absolute_url()).content.decode()
    assert "History" in body
    assert "Added a member" in body
    assert f"/console/activity/?object=group:{partners.pk}" in body


def test_history_on_the_product_user_api_and_subscription_pages(
    admin_client, administrator, product, member, subscription
):
    api = api_services.create_api(name="echo", display_name="Echo", path="echo")
    pages = [
        (api.get_absolute_url(), f"object=api:{api.pk}"),
        (product.get_absolute_url(), f"object=product:{product.pk}"),
        (reverse("console:user_detail", args=[member.pk]), f"object=user:{member.pk}"),
        (subscription.get_absolute_url(), f"object=subscription:{subscription.pk}"),
    ]
    for url, link in pages:
        body = admin_client.get(url).content.decode()
        assert 'id="history-heading"' in body, url
        assert link in body, url


def test_history_shows_ten_and_links_to_the_rest(admin_client, partners):
    made(15, obj=Ref("group", str(partners.pk), "Partners"))
    response = admin_client.get(partners.get_absolute_url())
    assert len(response.context["history_rows"]) == 10
    assert response.context["history_more"]


def test_the_django_admin_shows_records_read_only(client, administrator):
    made(1)
    record = Record.objects.first()
    client.force_login(administrator)
    assert client.get("/admin/audit/record/").status_code == 200
    assert client.get(f"/admin/audit/record/{record.pk}/change/").status_code == 200
    assert client.get("/admin/audit/record/add/").status_code == 403
    assert client.post(f"/admin/audit/record/{record.pk}/delete/").status_code == 403
    assert Record.objects.filter(pk=record.pk).exists()
