"""subscriptions.views.account, the console's side: an administrator deletes an account
after a confirmation naming what is lost."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from groups import services as group_services
from groups.models import Membership
from portal.models import User
from subscriptions.models import Subscription
from tests.conftest import messages_of


def url(person: User) -> str:
    return reverse("console:user_delete", args=[person.pk])


def test_the_user_page_offers_delete_except_for_oneself(client, administrator, member):
    client.force_login(administrator)
    assert url(member) in client.get(member.get_absolute_url()).content.decode()
    assert url(administrator) not in client.get(administrator.get_absolute_url()).content.decode()


def test_the_confirmation_names_the_groups_and_subscriptions_lost(
    client, administrator, member, beta, subscription, make_subscription, make_product
):
    group_services.add_members(group=beta, users=[member], added_by=None)
    make_subscription(member, make_product("Ledger"), state="rejected")
    client.force_login(administrator)
    response = client.get(url(member))
    assert response.status_code == 200
    body = html.unescape(response.content.decode())
    assert f"Delete {member.email}?" in body
    assert "2 group memberships: Beta testers, Partners" in body
    assert "2 subscriptions: 1 active, waiting or suspended, cancelled first" in body
    assert "keys stop working at once; 1 already ended" in body
    # A GET changes nothing.
    assert User.objects.filter(pk=member.pk).exists()
    assert Subscription.objects.filter(owner=member).count() == 2


def test_the_confirmation_of_an_account_with_nothing(client, administrator, developer):
    client.force_login(administrator)
    body = client.get(url(developer)).content.decode()
    assert "No group memberships" in body
    assert "No subscriptions" in body


def test_delete_removes_the_account_and_returns_to_the_users(
    client, administrator, member, subscription
):
    client.force_login(administrator)
    response = client.post(url(member), follow=True)
    assert response.redirect_chain[-1][0] == reverse("console:users")
    assert messages_of(response) == [f"Deleted {member.email}. 1 subscription key pair stopped."]
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Membership.objects.filter(user_id=member.pk).exists()
    assert not Subscription.objects.filter(pk=subscription.pk).exists()


def test_an_administrator_cant_delete_themselves(client, administrator, make_user):
    make_user(is_superuser=True)
    client.force_login(administrator)
    response = client.post(url(administrator))
    assert response.status_code == 400
    assert "You can't delete your own account." in html.unescape(response.content.decode())
    assert User.objects.filter(pk=administrator.pk).exists()


def test_another_administrator_can_be_deleted(client, administrator, make_user):
    # The signed-in administrator stays, so this is never the last one; the
    # last-administrator rule itself is tested on the service and the profile.
    other = make_user(is_superuser=True)
    client.force_login(administrator)
    assert client.post(url(other)).status_code == 302
    assert not User.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("who", ["developer", "support_staff", "member"])
def test_non_administrators_are_refused_and_nothing_changes(client, request, who, outsider):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(outsider)).status_code == 403
    assert client.post(url(outsider)).status_code == 403
    assert User.objects.filter(pk=outsider.pk).exists()


def test_guests_and_blocked_people_are_sent_to_sign_in(client, outsider, blocked_user):
    assert client.post(url(outsider)).status_code == 302
    client.force_login(blocked_user)
    assert client.post(url(outsider)).status_code == 302
    assert User.objects.filter(pk=outsider.pk).exists()


def test_an_unknown_account_is_404(client, administrator):
    client.force_login(administrator)
    assert client.get(reverse("console:user_delete", args=[999999])).status_code == 404
