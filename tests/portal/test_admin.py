"""portal.admin: the Django admin, for support staff and administrators."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from portal.models import User
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings
from tests.conftest import TEST_PASSWORD, fresh


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("developer", 302),  # the admin's own sign-in page, which says who may enter
        ("blocked_user", 302),
        ("support_staff", 200),
        ("administrator", 200),
    ],
)
def test_django_admin_access(client, request, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get("/admin/")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/")


@pytest.mark.django_db
def test_support_staff_cannot_grant_roles_in_the_admin(client, support_staff, developer):
    support_staff.user_permissions.add(
        Permission.objects.get(codename="change_user"),
        Permission.objects.get(codename="view_user"),
    )
    client.force_login(support_staff)
    url = f"/admin/portal/user/{developer.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="is_superuser"' not in page.content
    client.post(
        url,
        {
            "email": developer.email,
            "first_name": "Dev",
            "last_name": "Eloper",
            "state": "active",
            "note": "",
            "is_superuser": "on",
            "is_staff": "on",
        },
    )
    developer.refresh_from_db()
    assert not developer.is_superuser and not developer.is_staff


@pytest.mark.django_db
def test_support_staff_search_users_by_email_and_filter_by_state(client, support_staff, make_user):
    support_staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    make_user(email="findme@example.com")
    make_user(email="gone@example.com", state="blocked")
    client.force_login(support_staff)
    found = client.get("/admin/portal/user/", {"q": "findme"}).content
    assert b"findme@example.com" in found and b"gone@example.com" not in found
    blocked = client.get("/admin/portal/user/", {"state__exact": "blocked"}).content
    assert b"gone@example.com" in blocked and b"findme@example.com" not in blocked


@pytest.mark.django_db
def test_support_staff_cannot_take_an_account_over(client, support_staff, developer, make_user):
    grant(support_staff, "view_user", "change_user")
    other_staff = make_user(email="other-staff@example.com", is_staff=True)
    client.force_login(support_staff)
    # No password change for anyone else.
    url = f"/admin/portal/user/{developer.pk}/password/"
    assert client.get(url).status_code == 403
    # The email a reset would go to can't be changed.
    page = client.get(f"/admin/portal/user/{developer.pk}/change/").content.decode()
    assert 'name="email"' not in page
    # Other support staff are out of reach.
    assert (
        client.post(
            f"/admin/portal/user/{other_staff.pk}/change/", {"first_name": "Hacked"}
        ).status_code
        == 403
    )
    other_staff.refresh_from_db()
    assert other_staff.first_name != "Hacked"


@pytest.mark.django_db
def test_blocking_in_the_admin_applies_the_access_rule(
    client, administrator, developer, subscription
):
    client.force_login(administrator)
    client.post(
        f"/admin/portal/user/{developer.pk}/change/",
        {
            "email": developer.email,
            "first_name": developer.first_name,
            "last_name": developer.last_name,
            "note": "",
            "state": "blocked",
        },
    )
    developer.refresh_from_db()
    assert developer.state == "blocked"
    subscription.refresh_from_db()
    assert subscription.state == Subscription.State.SUSPENDED


def test_nobody_blocks_their_own_account_in_the_admin(client, administrator):
    client.force_login(administrator)
    page = client.get(f"/admin/portal/user/{administrator.pk}/change/").content.decode()
    assert 'name="state"' not in page
    client.post(
        f"/admin/portal/user/{administrator.pk}/change/",
        {
            "email": administrator.email,
            "first_name": "Ada",
            "last_name": "Admin",
            "note": "",
            "state": "blocked",
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    administrator.refresh_from_db()
    assert administrator.state == "active"


# Demotion


@pytest.fixture
def colleague_on_internal_tools(make_product):
    """A second administrator, subscribed to a product shared with no group."""
    colleague = User.objects.create_superuser(
        "colleague@example.com", TEST_PASSWORD, first_name="Col", last_name="League"
    )
    internal = make_product("Internal Tools", groups=[])
    subscription = subscription_services.subscribe(
        developer=colleague, product=internal, display_name="Ops"
    )
    assert subscription.state == Subscription.State.ACTIVE
    return colleague, subscription


def key_check(client, subscription):
    return client.get(
        reverse("gateway_check"),
        headers={
            "Ocp-Apim-Subscription-Key": subscription.primary_secret,
            "X-Product": "internal-tools",
        },
    )


def untick_superuser(client, administrator, person):
    client.force_login(administrator)
    response = client.post(
        f"/admin/portal/user/{person.pk}/change/",
        {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "note": "",
            "state": "active",
            "is_staff": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    client.logout()


@pytest.mark.django_db
def test_demoting_an_administrator_in_the_admin_closes_what_only_administrators_see(
    client, administrator, colleague_on_internal_tools
):
    colleague, subscription = colleague_on_internal_tools
    access_loss = SubscriptionSettings.load()
    access_loss.on_access_loss = SubscriptionSettings.AccessLoss.SUSPEND
    access_loss.save()
    assert key_check(client, subscription).status_code == 204
    untick_superuser(client, administrator, colleague)
    assert not fresh(colleague).is_superuser
    answer = key_check(client, subscription)
    assert answer.status_code == 403
    assert answer["X-Portico-Reason"] == "subscription suspended"
    row = fresh(subscription)
    assert (row.state, row.state_comment, row.suspended_for_access) == (
        Subscription.State.SUSPENDED,
        Subscription.ACCESS_REMOVED,
        True,
    )


@pytest.mark.django_db
def test_demoting_an_administrator_keeps_the_subscription_when_the_console_says_keep(
    client, administrator, colleague_on_internal_tools
):
    colleague, subscription = colleague_on_internal_tools
    access_loss = SubscriptionSettings.load()
    access_loss.on_access_loss = SubscriptionSettings.AccessLoss.KEEP
    access_loss.save()
    untick_superuser(client, administrator, colleague)
    assert not fresh(colleague).is_superuser
    assert fresh(subscription).state == Subscription.State.ACTIVE
    assert key_check(client, subscription).status_code == 204
