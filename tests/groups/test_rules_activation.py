"""Every way a pending account first becomes active applies the rules; an unblock does not.

The console's Unblock (Activate for a pending account), the management API's
state, and the Django admin's change and add forms each end in
portal.activation; a blocked account made active again is no activation.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from groups import services
from groups.models import Membership
from management_api.services import issue_token
from portal.models import User
from tests.conftest import TEST_PASSWORD
from tests.management_api.helpers import body, url

DOMAIN = "partner.example"


@pytest.fixture
def rule(partners):
    return services.add_rule(group=partners, value=DOMAIN, created_by=None)


def console_unblock(client: Any, administrator: User, person: User) -> None:
    client.force_login(administrator)
    response = client.post(reverse("console:user_unblock", args=[person.pk]))
    assert response.status_code == 302


def api_patch_active(client: Any, administrator: User, person: User) -> None:
    _, clear = issue_token(user=administrator, name="tests", days=1)
    response = client.patch(
        url(f"users/{person.api_id}"),
        body(state="active"),
        "application/json",
        HTTP_IF_MATCH="*",
        HTTP_AUTHORIZATION=f"Bearer {clear}",
    )
    assert response.status_code == 200, response.content


def admin_change_active(client: Any, administrator: User, person: User) -> None:
    client.force_login(administrator)
    response = client.post(
        f"/admin/portal/user/{person.pk}/change/",
        {
            "email": person.email,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "note": "",
            "state": "active",
        },
    )
    assert response.status_code == 302, response.content


PATHS = {
    "console": console_unblock,
    "api": api_patch_active,
    "admin": admin_change_active,
}


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_pending_account_made_active_gets_its_rules_groups(
    client, administrator, make_user, partners, rule, path
):
    person = make_user(email=f"pat@{DOMAIN}", state=User.State.PENDING)
    PATHS[path](client, administrator, person)
    person.refresh_from_db()
    assert person.state == User.State.ACTIVE
    membership = Membership.objects.get(group=partners, user=person)
    assert membership.added_by_rule == rule
    assert membership.added_by is None


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_a_blocked_account_made_active_again_gets_no_rules_groups(
    client, administrator, make_user, partners, rule, path
):
    # Taken out of the rule's group on purpose, then blocked: unblocking
    # must not put them back.
    person = make_user(email=f"pat@{DOMAIN}", state=User.State.BLOCKED)
    PATHS[path](client, administrator, person)
    person.refresh_from_db()
    assert person.state == User.State.ACTIVE
    assert not Membership.objects.filter(group=partners, user=person).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("path", PATHS)
def test_an_active_account_saved_again_gets_no_rules_groups(
    client, administrator, make_user, partners, rule, path
):
    person = make_user(email=f"pat@{DOMAIN}")
    PATHS[path](client, administrator, person)
    assert not Membership.objects.filter(group=partners, user=person).exists()


@pytest.mark.django_db
def test_an_account_added_in_the_django_admin_gets_its_rules_groups(
    client, administrator, partners, rule
):
    client.force_login(administrator)
    response = client.post(
        "/admin/portal/user/add/",
        {
            "email": f"new@{DOMAIN}",
            "first_name": "New",
            "last_name": "Person",
            "usable_password": "true",
            "password1": TEST_PASSWORD,
            "password2": TEST_PASSWORD,
        },
    )
    assert response.status_code == 302, response.content
    person = User.objects.get(email=f"new@{DOMAIN}")
    assert person.state == User.State.ACTIVE
    assert Membership.objects.get(group=partners, user=person).added_by_rule == rule
