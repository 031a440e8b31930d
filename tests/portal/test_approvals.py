"""The console's Approvals: one inbox for sign-ups, requests to join a group and
subscription requests, with bulk decisions and one batched email to the administrators."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from groups import services as group_services
from groups.models import GroupRequest, Membership
from portal import approvals
from portal.models import ApprovalNotice, User
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings
from tests.conftest import fresh, messages_of

URL = "/console/approvals/"


@pytest.fixture
def signed_up(make_user):
    """A sign-up that confirmed its email and waits for an administrator."""
    return make_user(
        email="sam@signup.example",
        first_name="Sam",
        last_name="Signup",
        state=User.State.PENDING,
        email_confirmed_at=timezone.now(),
    )


@pytest.fixture
def join_request(partners, outsider):
    group_services.update_group(group=partners, expected_version=partners.version, requestable=True)
    return group_services.request_to_join(user=outsider, group=fresh(partners), reason="We ship")


@pytest.fixture
def waiting_subscription(member, make_product):
    ledger = make_product("Ledger", approval_required=True)
    return subscription_services.subscribe(developer=member, product=ledger, display_name="Books")


@pytest.fixture
def everything(signed_up, join_request, waiting_subscription):
    return {
        "signup": signed_up,
        "group": join_request,
        "subscription": waiting_subscription,
    }


def value(key, item):
    return f"{key}:{item.pk}"


# --- Who may open it -------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("who", ["developer", "member", "support_staff"])
def test_only_administrators_have_the_inbox(client, request, who, method, everything):
    client.force_login(request.getfixturevalue(who))
    data = {"items": [value("group", everything["group"])], "action": "approve"}
    response = getattr(client, method)(URL, data if method == "post" else None)
    assert response.status_code == 403
    assert fresh(everything["group"]).state == GroupRequest.State.SUBMITTED


@pytest.mark.parametrize("who", ["anonymous", "blocked_user", "pending_user"])
def test_people_not_signed_in_are_sent_to_sign_in(client, request, who, everything):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.post(
        URL, {"items": [value("group", everything["group"])], "action": "approve"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal:login"))
    assert fresh(everything["group"]).state == GroupRequest.State.SUBMITTED


# --- What it lists ---------------------------------------------------------------------------


def test_lists_every_kind_of_waiting_item_with_counts(client, administrator, everything):
    client.force_login(administrator)
    page = client.get(URL).content.decode()
    assert "Sam Signup" in page
    assert "asks to join" in page and "Partners" in page and "We ship" in page
    assert "asks to subscribe to" in page and "Ledger" in page
    assert "Everything waiting (3)" in page
    assert "Sign-ups (1)" in page
    assert "Requests to join a group (1)" in page
    assert "Subscription requests (1)" in page
    # The menu's badge counts them all.
    assert '3<span class="visually-hidden"> waiting</span>' in page


def test_decided_items_leave_the_list(client, administrator, everything, make_user):
    make_user(email="unconfirmed@example.com", state=User.State.PENDING)
    group_services.reject_request(
        request=everything["group"], decided_by=administrator, reason="No"
    )
    client.force_login(administrator)
    page = client.get(URL).content.decode()
    assert "Everything waiting (2)" in page
    assert "unconfirmed@example.com" not in page
    assert "We ship" not in page


def test_filter_by_kind_and_search(client, administrator, everything):
    client.force_login(administrator)
    page = client.get(URL, {"kind": "signup"}).content.decode()
    assert "Sam Signup" in page and "Ledger" not in page
    page = client.get(URL, {"q": "ledger"}).content.decode()
    assert "Ledger" in page and "Sam Signup" not in page
    assert "Everything waiting (1)" in page
    page = client.get(URL, {"q": "nobody-matches"}).content.decode()
    assert "Nothing waiting matches" in page


def test_an_unknown_kind_shows_everything(client, administrator, everything):
    client.force_login(administrator)
    page = client.get(URL, {"kind": "<script>", "sort": "sideways", "page": "-3"})
    assert page.status_code == 200
    assert "Sam Signup" in page.content.decode()


def test_oldest_first_then_newest_first(client, administrator, everything):
    Subscription.objects.filter(pk=everything["subscription"].pk).update(
        created_at=timezone.now() - timedelta(days=3)
    )
    client.force_login(administrator)
    oldest = client.get(URL).content.decode()
    assert oldest.index("Ledger") < oldest.index("Sam Signup")
    newest = client.get(URL, {"sort": "newest"}).content.decode()
    assert newest.index("Ledger") > newest.index("Sam Signup")


def test_empty_inbox_says_so(client, administrator):
    client.force_login(administrator)
    page = client.get(URL).content.decode()
    assert "Nothing is waiting for you" in page
    assert "> waiting</span>" not in page


def test_the_page_queries_do_not_grow(
    client,
    administrator,
    make_user,
    partners,
    outsider,
    member,
    make_product,
    django_assert_max_num_queries,
):
    ledger = make_product("Ledger", approval_required=True)
    client.force_login(administrator)

    def grow(numbers):
        for number in numbers:
            make_user(
                email=f"s{number}@signup.example",
                state=User.State.PENDING,
                email_confirmed_at=timezone.now(),
            )
            Subscription.objects.create(
                owner=member, product=ledger, display_name=f"App {number}", state="submitted"
            )
            GroupRequest.objects.create(
                user=make_user(email=f"r{number}@example.com"), group=partners, reason="Please"
            )

    grow(range(3))
    with django_assert_max_num_queries(20) as few:
        assert client.get(URL).status_code == 200
    grow(range(3, 60))
    with django_assert_max_num_queries(20) as many:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(few) == len(many)
    assert "Everything waiting (180)" in response.content.decode()


# --- Deciding ------------------------------------------------------------------------------


def test_bulk_approve_decides_each_through_its_own_service(
    client, administrator, everything, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    items = [value(key, item) for key, item in everything.items()]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL + "?kind=&q=", {"items": items, "action": "approve"})
    assert response.status_code == 302
    assert fresh(everything["signup"]).state == User.State.ACTIVE
    assert fresh(everything["group"]).state == GroupRequest.State.APPROVED
    assert Membership.objects.filter(user=everything["group"].user, group__name="partners").exists()
    assert fresh(everything["subscription"]).state == Subscription.State.ACTIVE
    shown = messages_of(client.get(response["Location"]))
    assert "Sam Signup can sign in now; they got an email saying so." in shown
    assert any("is a member of Partners now" in line for line in shown)
    assert any("Books is active now" in line for line in shown)
    recipients = sorted(address for email in mailoutbox for address in email.to)
    assert recipients == sorted(["sam@signup.example", "outsider@example.com", "dev@example.com"])


def test_a_rows_own_approve_button_decides_that_row_alone(client, administrator, everything):
    client.force_login(administrator)
    response = client.post(
        URL,
        {
            "only": value("signup", everything["signup"]),
            # Ticked boxes don't ride along with a row's own button.
            "items": [value("group", everything["group"])],
            "action": "reject",
        },
    )
    assert response.status_code == 302
    assert fresh(everything["signup"]).state == User.State.ACTIVE
    assert fresh(everything["group"]).state == GroupRequest.State.SUBMITTED


def test_reject_needs_a_reason_and_keeps_what_was_ticked(client, administrator, everything):
    client.force_login(administrator)
    ticked = value("group", everything["group"])
    response = client.post(URL, {"items": [ticked], "action": "reject", "reason": "   "})
    assert response.status_code == 400
    page = response.content.decode()
    assert "Give a reason: each person you reject gets it by email." in page
    assert f'value="{ticked}" id="item-' in page and "checked" in page
    assert fresh(everything["group"]).state == GroupRequest.State.SUBMITTED


def test_a_too_long_reason_is_refused_and_kept(client, administrator, everything):
    client.force_login(administrator)
    reason = "x" * 1001
    response = client.post(
        URL, {"items": [value("group", everything["group"])], "action": "reject", "reason": reason}
    )
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert fresh(everything["group"]).state == GroupRequest.State.SUBMITTED


def test_nothing_ticked_is_refused(client, administrator, everything):
    client.force_login(administrator)
    response = client.post(URL, {"action": "approve"})
    assert response.status_code == 400
    assert "Tick at least one request first." in response.content.decode()


def test_bulk_reject_sends_the_reason_to_each(
    client, administrator, everything, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    items = [value(key, item) for key, item in everything.items()]
    reason = "Not <b>this</b> quarter, sorry"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {"items": items, "action": "reject", "reason": reason})
    assert response.status_code == 302
    # A turned-down sign-up is removed, so the address may sign up again.
    assert not User.objects.filter(email="sam@signup.example").exists()
    request = fresh(everything["group"])
    assert (request.state, request.decision_reason) == (GroupRequest.State.REJECTED, reason)
    subscription = fresh(everything["subscription"])
    assert (subscription.state, subscription.state_comment) == ("rejected", reason)
    assert len(mailoutbox) == 3
    assert all(reason in email.body for email in mailoutbox)
    declined = next(email for email in mailoutbox if email.to == ["sam@signup.example"])
    assert declined.subject == "Your developer portal sign-up was declined"
    assert "/signup/" in declined.body


def test_deciding_twice_says_it_was_decided_and_changes_nothing_more(
    client, administrator, everything
):
    client.force_login(administrator)
    data = {"items": [value("group", everything["group"])], "action": "approve"}
    client.post(URL, data)
    response = client.post(URL, data, follow=True)
    assert response.status_code == 200
    assert "One request to join a group was decided or withdrawn meanwhile." in messages_of(
        response
    )
    assert Membership.objects.filter(user=everything["group"].user).count() == 1


def test_approving_a_sign_up_someone_else_approved_is_told(client, administrator, everything):
    from portal import services

    client.force_login(administrator)
    signup = everything["signup"]
    services.approve_signup(user=signup)
    response = client.post(
        URL, {"items": [value("signup", signup)], "action": "approve"}, follow=True
    )
    assert "One sign-up was decided or withdrawn meanwhile." in messages_of(response)


@pytest.mark.parametrize(
    "forged", ["bogus:1", "signup:abc", "signup:", ":", "signup:99999999999999999999999"]
)
def test_forged_items_are_refused(client, administrator, everything, forged):
    client.force_login(administrator)
    response = client.post(URL, {"items": [forged], "action": "approve"})
    assert response.status_code == 400
    assert "Something you ticked is no longer in the list." in response.content.decode()


def test_an_item_that_is_not_waiting_is_not_decided(client, administrator, member, product):
    active = subscription_services.subscribe(developer=member, product=product, display_name="On")
    client.force_login(administrator)
    response = client.post(
        URL,
        {"items": [f"subscription:{active.pk}"], "action": "reject", "reason": "x"},
        follow=True,
    )
    assert "One subscription request was decided or withdrawn meanwhile." in messages_of(response)
    assert fresh(active).state == Subscription.State.ACTIVE


def test_many_decisions_are_told_in_one_message(client, administrator, member, make_product):
    ledger = make_product("Ledger", approval_required=True)
    waiting = [
        Subscription.objects.create(
            owner=member, product=ledger, display_name=f"App {n}", state="submitted"
        )
        for n in range(7)
    ]
    client.force_login(administrator)
    response = client.post(
        URL,
        {"items": [f"subscription:{row.pk}" for row in waiting], "action": "approve"},
        follow=True,
    )
    assert messages_of(response) == ["Approved 7 requests; each person got an email."]


def test_decisions_keep_the_filter_search_and_page(client, administrator, everything):
    client.force_login(administrator)
    response = client.post(
        URL + "?kind=group&q=ship&page=1",
        {"items": [value("group", everything["group"])], "action": "approve"},
    )
    assert response["Location"] == URL + "?kind=group&q=ship&page=1"


# --- The administrators' email ---------------------------------------------------------


def test_a_new_item_emails_the_administrators_once(
    outsider, partners, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    group_services.update_group(group=partners, expected_version=partners.version, requestable=True)
    with django_capture_on_commit_callbacks(execute=True):
        group_services.request_to_join(user=outsider, group=fresh(partners), reason="Please")
    [email] = mailoutbox
    assert email.to == [administrator.email]
    assert email.subject == "New request to join a group waiting for your approval"
    assert (
        "http://testserver/console/approvals/" in email.body or "/console/approvals/" in email.body
    )


def test_items_arriving_soon_after_wait_for_the_next_email(
    everything, administrator, mailoutbox, make_user, settings
):
    settings.PORTICO_APPROVALS_EMAIL_MINUTES = 5
    mail.outbox.clear()
    ApprovalNotice.objects.update_or_create(pk=1, defaults={"last_sent_at": timezone.now()})
    make_user(
        email="later@signup.example", state=User.State.PENDING, email_confirmed_at=timezone.now()
    )
    approvals.send_approvals_digest()
    assert mailoutbox == []
    notice = ApprovalNotice.objects.get()
    assert notice.due_at == notice.last_sent_at + timedelta(minutes=5)
    # Five minutes on, the next email lists what came in meanwhile, and only that.
    ApprovalNotice.objects.filter(pk=1).update(last_sent_at=timezone.now() - timedelta(minutes=6))
    earlier = ApprovalNotice.objects.get().last_sent_at
    User.objects.filter(email="sam@signup.example").update(
        email_confirmed_at=earlier - timedelta(minutes=1)
    )
    approvals.send_approvals_digest()
    [email] = mailoutbox
    assert "later@signup.example" in email.body
    assert "sam@signup.example" not in email.body
    assert ApprovalNotice.objects.get().due_at is None


def test_the_email_lists_several_kinds_and_goes_to_the_notification_address(
    everything, administrator, mailoutbox
):
    SubscriptionSettings.objects.update_or_create(
        pk=1, defaults={"notification_email": "approvals@example.com"}
    )
    ApprovalNotice.objects.all().delete()
    mail.outbox.clear()
    approvals.send_approvals_digest()
    [email] = mailoutbox
    assert email.to == ["approvals@example.com"]
    assert email.subject == "3 new requests waiting for your approval"
    for words in ("Sign-ups:", "Requests to join a group:", "Subscription requests:"):
        assert words in email.body
    assert "Sam Signup <sam@signup.example> signed up" in email.body


def test_no_email_when_nothing_new_arrived(everything, mailoutbox):
    ApprovalNotice.objects.update_or_create(
        pk=1, defaults={"last_sent_at": timezone.now() - timedelta(hours=1)}
    )
    for model, field in ((User, "email_confirmed_at"), (GroupRequest, "created_at")):
        model.objects.update(**{field: timezone.now() - timedelta(hours=2)})
    Subscription.objects.update(created_at=timezone.now() - timedelta(hours=2))
    mail.outbox.clear()
    approvals.send_approvals_digest()
    assert mailoutbox == []


def test_a_sign_up_confirmed_under_approval_announces_itself(
    client, administrator, make_user, mailoutbox, django_capture_on_commit_callbacks
):
    from portal import services
    from portal.models import SignUpSettings

    SignUpSettings.objects.update_or_create(pk=1, defaults={"approval": True})
    person = make_user(email="new@signup.example", state=User.State.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        services.confirm_signup(user=person)
    [email] = mailoutbox
    assert email.subject == "New sign-up waiting for your approval"
    assert "new@signup.example" in email.body


def test_the_overview_counts_what_waits_once(
    client, administrator, everything, django_assert_max_num_queries
):
    client.force_login(administrator)
    with django_assert_max_num_queries(50) as queries:
        page = client.get(reverse("console:home")).content.decode()
    assert '3<span class="visually-hidden"> waiting</span>' in page
    assert len([q for q in queries.captured_queries if "UNION" in q["sql"]]) == 1
