"""portal.views.signup: signing up never tells whether an address has an account; the emailed
link is signed, works once and expires; the console switches sign-up off and approves."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.cache import caches
from django.test import Client
from django.urls import reverse

from portal import signup
from portal.models import SignUpSettings, User
from tests.conftest import TEST_PASSWORD, signs_in

CAPTURE = None
PASSWORD = "a-rather-unusual-passphrase-42"
TOO_MANY = "Too many sign-ups were asked for from here or for this address."


@pytest.fixture(autouse=True)
def _fresh_limits(db):
    """The limits count in the shared cache (with Redis, it outlives a test's database)."""
    caches["shared"].clear()
    yield
    caches["shared"].clear()


def form(**overrides):
    return {
        "email": "new@example.com",
        "first_name": "Nina",
        "last_name": "New",
        "password": PASSWORD,
        "password_again": PASSWORD,
    } | overrides


@pytest.fixture(autouse=True)
def _emails_after_commit(django_capture_on_commit_callbacks):
    """Emails leave after the commit; each post here runs them when its request ends."""
    global CAPTURE
    CAPTURE = django_capture_on_commit_callbacks


def post(client, url, data=None):
    with CAPTURE(execute=True):
        return client.post(url, data or {})


def sign_up(client, **overrides):
    return post(client, reverse("portal:signup"), form(**overrides))


def set_signup(**changes):
    current = SignUpSettings.load()
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()


def link_in(message) -> str:
    found = re.search(r"http\S+/signup/confirm/\S+/", message.body)
    assert found, message.body
    return found.group(0)


def path_of(url: str) -> str:
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


@pytest.mark.django_db
def test_the_sign_in_page_and_top_bar_offer_sign_up(client):
    page = client.get(reverse("portal:login")).content.decode()
    assert page.count(reverse("portal:signup")) == 2


@pytest.mark.django_db
def test_a_new_address_gets_a_pending_account_and_a_confirmation_link(client, mailoutbox):
    response = sign_up(client)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:signup_sent")
    user = User.objects.get(email="new@example.com")
    assert (user.state, user.first_name, user.last_name) == ("pending", "Nina", "New")
    assert user.check_password(PASSWORD)
    assert user.email_confirmed_at is None
    assert [m.to for m in mailoutbox] == [["new@example.com"]]
    assert "Confirm your email" in mailoutbox[0].subject
    assert link_in(mailoutbox[0]).startswith("http")


@pytest.mark.django_db
def test_following_the_link_activates_the_account_once(client, mailoutbox):
    sign_up(client)
    path = path_of(link_in(mailoutbox[0]))
    shown = client.get(path)
    assert shown.status_code == 200
    assert "new@example.com" in shown.content.decode()
    assert User.objects.get(email="new@example.com").state == "pending"  # a GET spends nothing
    done = client.post(path)
    assert done.status_code == 200
    assert "Your account is ready" in done.content.decode()
    user = User.objects.get(email="new@example.com")
    assert user.state == "active" and user.email_confirmed_at is not None
    assert signs_in("new@example.com", PASSWORD)
    again = client.post(path)
    assert again.status_code == 410
    assert "used already" in again.content.decode()
    assert User.objects.get(pk=user.pk).version == user.version


@pytest.mark.django_db
def test_an_existing_address_in_another_case_gets_the_same_page_and_an_email(
    client, developer, mailoutbox
):
    before = User.objects.count()
    response = sign_up(client, email="DEV@Example.COM", first_name="Mallory")
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:signup_sent")
    assert User.objects.count() == before
    developer.refresh_from_db()
    assert developer.first_name == "Dev" and developer.check_password(TEST_PASSWORD)
    assert [m.to for m in mailoutbox] == [["dev@example.com"]]
    body = mailoutbox[0].body
    assert "already have an account" in body
    assert reverse("portal:login") in body and reverse("portal:password_reset") in body
    assert "/signup/confirm/" not in body


@pytest.mark.django_db
def test_a_pending_unconfirmed_address_gets_a_new_link(client, mailoutbox):
    sign_up(client)
    sign_up(client, email="NEW@example.com")
    assert User.objects.filter(email__iexact="new@example.com").count() == 1
    assert len(mailoutbox) == 2
    link_in(mailoutbox[1])


def test_a_pending_account_an_administrator_made_gets_no_link(client, pending_user, mailoutbox):
    response = sign_up(client, email="pending@example.com")
    assert response["Location"] == reverse("portal:signup_sent")
    [email] = mailoutbox
    assert "/signup/confirm/" not in email.body
    assert "already have an account" in email.body
    pending_user.refresh_from_db()
    assert pending_user.state == User.State.PENDING and pending_user.email_confirmed_at is None


@pytest.mark.django_db
def test_the_sent_page_is_the_same_for_new_and_existing_addresses(client, developer):
    sent = client.get(reverse("portal:signup_sent")).content
    assert sign_up(client, email="dev@example.com")["Location"] == reverse("portal:signup_sent")
    assert b"Check your email" in sent


@pytest.mark.django_db
def test_sign_up_switched_off_is_404_and_the_links_are_gone(client, mailoutbox):
    set_signup(enabled=False)
    assert client.get(reverse("portal:signup")).status_code == 404
    assert sign_up(client).status_code == 404
    assert client.get(reverse("portal:signup_sent")).status_code == 404
    assert reverse("portal:signup") not in client.get(reverse("portal:login")).content.decode()
    assert not User.objects.filter(email="new@example.com").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_refused_domain_is_a_field_error(client, mailoutbox):
    set_signup(refused_domains="spam.example\nexample.com")
    response = sign_up(client)
    assert response.status_code == 400
    assert "can't be created here" in response.context["form"].errors["email"][0]
    assert not User.objects.filter(email="new@example.com").exists()
    assert mailoutbox == []


@pytest.mark.django_db
def test_a_refused_domain_is_refused_for_an_existing_address_too(client, developer, mailoutbox):
    set_signup(refused_domains="example.com")
    assert sign_up(client, email="dev@example.com").status_code == 400
    assert mailoutbox == []


@pytest.mark.django_db
def test_only_allowed_domains_may_sign_up(client):
    set_signup(allowed_domains="partner.example\nother.example")
    refused = sign_up(client)
    assert refused.status_code == 400
    assert "partner.example" in refused.context["form"].errors["email"][0]
    assert sign_up(client, email="Ann@Partner.Example").status_code == 302
    assert User.objects.filter(email="Ann@partner.example").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": "not-an-address"}, "email"),
        ({"email": "a" * 250 + "@example.com"}, "email"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": "x" * 101}, "last_name"),
        ({"first_name": "<script>alert(1)</script>"}, "first_name"),
        ({"password_again": "something-else-entirely"}, "password_again"),
        ({"password": "12345678", "password_again": "12345678"}, "password"),
        ({"password": "nina", "password_again": "nina"}, "password"),
        ({"password": "", "password_again": ""}, "password"),
    ],
)
def test_bad_input_is_named_and_nothing_is_made(client, mailoutbox, overrides, field):
    response = sign_up(client, **overrides)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert User.objects.count() == 0
    assert mailoutbox == []
    assert b"<script>alert(1)" not in response.content


@pytest.mark.django_db
def test_unicode_names_are_kept(client):
    assert sign_up(client, first_name="Zoë", last_name="Ōkubo-Łukasz 李").status_code == 302
    user = User.objects.get(email="new@example.com")
    assert (user.first_name, user.last_name) == ("Zoë", "Ōkubo-Łukasz 李")


@pytest.mark.django_db
def test_terms_are_shown_and_must_be_accepted(client):
    set_signup(terms="Be **kind** to the <b>API</b>.")
    page = client.get(reverse("portal:signup")).content.decode()
    assert "<strong>kind</strong>" in page and "<b>API</b>" not in page
    refused = sign_up(client)
    assert refused.status_code == 400
    assert "accept_terms" in refused.context["form"].errors
    assert sign_up(client, accept_terms="on").status_code == 302


@pytest.mark.django_db
def test_without_terms_there_is_no_checkbox(client):
    assert b"accept_terms" not in client.get(reverse("portal:signup")).content


@pytest.mark.django_db
def test_too_many_sign_ups_for_one_address_are_refused(client, settings, mailoutbox):
    settings.PORTICO_SIGNUP_LIMIT_PER_ACCOUNT = 2
    for _ in range(2):
        assert sign_up(client, email="Flood@example.com").status_code == 302
    refused = sign_up(client, email="flood@EXAMPLE.com")
    assert refused.status_code == 429
    assert TOO_MANY in refused.content.decode()
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_too_many_sign_ups_from_one_client_are_refused(client, settings):
    settings.PORTICO_SIGNUP_LIMIT_PER_ADDRESS = 2
    for number in range(2):
        assert sign_up(client, email=f"p{number}@example.com").status_code == 302
    assert sign_up(client, email="p9@example.com").status_code == 429
    assert not User.objects.filter(email="p9@example.com").exists()


@pytest.mark.django_db
def test_sign_up_needs_the_csrf_token(mailoutbox):
    client = Client(enforce_csrf_checks=True)
    assert sign_up(client).status_code == 403
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_an_expired_link_is_410_and_changes_nothing(client, mailoutbox, settings, monkeypatch):
    made = (
        time.time() - timedelta(days=settings.PORTICO_SIGNUP_LINK_DAYS, minutes=1).total_seconds()
    )
    with monkeypatch.context() as past:
        past.setattr(
            signing.TimestampSigner, "timestamp", lambda self: signing.b62_encode(int(made))
        )
        sign_up(client)
    path = path_of(link_in(mailoutbox[0]))
    response = client.post(path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert User.objects.get(email="new@example.com").state == "pending"


@pytest.mark.django_db
@pytest.mark.parametrize("tamper", ["drop", "flip", "garbage", "other-user"])
def test_a_tampered_link_is_404_and_changes_nothing(client, mailoutbox, make_user, tamper):
    sign_up(client)
    token = link_in(mailoutbox[0]).rstrip("/").rsplit("/", 1)[1]
    if tamper == "drop":
        token = token[:-1]
    elif tamper == "flip":
        token = token[:-1] + ("A" if token[-1] != "A" else "B")
    elif tamper == "garbage":
        token = "%3Cscript%3E"
    else:
        other = make_user(state="pending")
        token = signing.TimestampSigner(salt="wrong").sign_object([other.api_id, "x"])
    response = client.post(reverse("portal:signup_confirm", args=[token]))
    assert response.status_code == 404
    assert User.objects.get(email="new@example.com").state == "pending"


@pytest.mark.django_db
def test_a_link_for_an_account_changed_since_is_spent(client, mailoutbox):
    sign_up(client)
    user = User.objects.get(email="new@example.com")
    user.note = "edited"
    user.save()
    assert client.post(path_of(link_in(mailoutbox[0]))).status_code == 410
    assert signup.read_confirmation_token("x").outcome == "invalid"


@pytest.mark.django_db
def test_with_approval_a_confirmed_account_waits_until_approved(client, mailoutbox, administrator):
    set_signup(approval=True)
    sign_up(client)
    done = client.post(path_of(link_in(mailoutbox[0])))
    assert "An administrator approves" in done.content.decode()
    user = User.objects.get(email="new@example.com")
    assert user.state == "pending" and user.waiting_for_approval
    assert not signs_in("new@example.com", PASSWORD)

    admin = Client()
    admin.force_login(administrator)
    page = admin.get(user.get_absolute_url()).content.decode()
    assert "Waiting for approval" in page
    assert reverse("console:user_approve", args=[user.pk]) in page
    response = post(admin, reverse("console:user_approve", args=[user.pk]))
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.state == "active" and not user.waiting_for_approval
    assert "approved" in mailoutbox[-1].subject
    assert signs_in("new@example.com", PASSWORD)
    # A second approve changes nothing.
    post(admin, reverse("console:user_approve", args=[user.pk]))
    assert User.objects.get(pk=user.pk).version == user.version
