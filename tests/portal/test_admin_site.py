"""portal.admin_site: what every model's pages in the Django admin share."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from groups.models import Membership
from portal.admin_site import PorticoModelAdmin, is_id
from portal.models import User
from tests.conftest import messages_of

PK = User._meta.pk


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1, True),
        ("42", True),
        ("9223372036854775807", True),
        ("9223372036854775808", False),  # one past a 64-bit column
        ("-9223372036854775809", False),
        ("abc", False),
        ("1.5", False),
        ("", False),
        (None, False),
        ("\x00", False),
    ],
)
def test_is_id_accepts_only_what_the_column_can_hold(value, expected):
    assert is_id(PK, value) is expected


def test_every_model_in_the_admin_has_portico_s_checks():
    """Forged IDs, View on site and the sections live in PorticoModelAdmin."""
    registered = admin.site._registry
    assert registered
    assert all(isinstance(model_admin, PorticoModelAdmin) for model_admin in registered.values())
    assert AuthGroup not in registered


@pytest.mark.django_db
def test_the_admin_has_one_groups_page_portico_s(client, administrator):
    client.force_login(administrator)
    assert client.get("/admin/auth/group/").status_code == 404
    assert client.get("/admin/groups/group/").status_code == 200


FORGED_SELECTIONS = [["abc"], ["99999999999999999999999"], ["1.5", "1"]]


@pytest.mark.django_db
@pytest.mark.parametrize("selected", FORGED_SELECTIONS)
@pytest.mark.parametrize("stage", ["chosen", "confirmed"])
def test_a_bulk_action_on_forged_ids_changes_nothing(
    client, support_staff, developer, selected, stage
):
    grant(support_staff, "view_user", "delete_user")
    client.force_login(support_staff)
    # The list's Go button sends the action's index; the confirmation page sends post=yes.
    extra = {"index": "0"} if stage == "chosen" else {"post": "yes"}
    response = client.post(
        "/admin/portal/user/",
        {"action": "delete_selected", "_selected_action": selected} | extra,
        follow=True,
    )
    assert messages_of(response) == [
        "The selection names items that don't exist. Nothing was changed."
    ]
    assert User.objects.filter(pk=developer.pk).exists()


@pytest.mark.django_db
def test_a_bulk_action_on_forged_membership_ids_changes_nothing(
    client, administrator, member, partners
):
    client.force_login(administrator)
    response = client.post(
        "/admin/groups/membership/",
        {"action": "delete_selected", "_selected_action": ["abc"], "index": "0"},
    )
    assert response.status_code == 302
    assert Membership.objects.filter(group=partners, user=member).exists()


@pytest.mark.django_db
def test_a_bulk_action_on_real_ids_still_runs(client, administrator, developer, outsider):
    client.force_login(administrator)
    client.post(
        "/admin/portal/user/",
        {
            "action": "delete_selected",
            "_selected_action": [developer.pk, outsider.pk],
            "post": "yes",
        },
    )
    assert not User.objects.filter(pk__in=[developer.pk, outsider.pk]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("forged", ["abc", "99999999999999999999999"])
def test_a_permission_id_that_names_nothing_is_a_form_error(
    client, administrator, developer, forged
):
    client.force_login(administrator)
    response = client.post(
        f"/admin/portal/user/{developer.pk}/change/",
        {
            "email": developer.email,
            "first_name": developer.first_name,
            "last_name": developer.last_name,
            "note": "",
            "state": "active",
            "user_permissions": [forged],
        },
    )
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["user_permissions"]
    assert not developer.user_permissions.exists()


# One page of each kind the admin has, for people it doesn't let in.
ADMIN_PAGES = [
    "/admin/",
    "/admin/portal/",
    "/admin/portal/user/",
    "/admin/portal/user/add/",
    "/admin/portal/user/1/change/",
    "/admin/portal/user/1/password/",
    "/admin/portal/user/1/history/",
    "/admin/portal/user/1/delete/",
    "/admin/groups/group/1/change/",
    "/admin/groups/membership/",
    "/admin/groups/membership/add/",
    "/admin/products/product/1/change/",
    "/admin/autocomplete/",
    "/admin/password_change/",
    "/admin/r/1/1/",
    "/admin/no-such-page/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", ADMIN_PAGES)
@pytest.mark.parametrize("who", ["anonymous", "developer", "blocked_user"])
def test_every_admin_page_sends_outsiders_to_the_admins_sign_in(client, request, who, url):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={url}"


def view_on_site(obj, object_id=None):
    """Django's View on site address for an object (or for another ID of its model)."""
    content_type = ContentType.objects.get_for_model(obj)
    return f"/admin/r/{content_type.pk}/{obj.pk if object_id is None else object_id}/"


# The registered models with a page of their own, and the permission to see them here.
SITE_PAGES = [("developer", "user"), ("partners", "group"), ("product", "product")]


@pytest.mark.django_db
@pytest.mark.parametrize(("target", "model"), SITE_PAGES)
def test_view_on_site_takes_administrators_to_the_console(
    client, request, administrator, target, model
):
    obj = request.getfixturevalue(target)
    client.force_login(administrator)
    response = client.get(view_on_site(obj))
    assert response.status_code == 302
    assert response["Location"] == obj.get_absolute_url()
    page = client.get(f"/admin/{obj._meta.app_label}/{model}/{obj.pk}/change/")
    assert f'href="{view_on_site(obj)}" class="viewsitelink"' in page.text


@pytest.mark.django_db
@pytest.mark.parametrize(("target", "model"), SITE_PAGES)
@pytest.mark.parametrize("actions", [[], ["view"], ["view", "change"]])
def test_view_on_site_is_not_found_by_support_staff(
    client, request, support_staff, target, model, actions
):
    """The page is in the console, which is for administrators: whatever support
    staff may do here, the redirect would end in a refusal."""
    obj = request.getfixturevalue(target)
    grant(support_staff, *[f"{action}_{model}" for action in actions])
    client.force_login(support_staff)
    assert client.get(view_on_site(obj)).status_code == 404
    page = client.get(f"/admin/{obj._meta.app_label}/{model}/{obj.pk}/change/")
    assert page.status_code == (200 if actions else 403)
    assert "viewsitelink" not in page.text
    assert "/admin/r/" not in page.text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "forged",
    [
        "abc",
        "1.5",
        "99999999999999999999999",
        "987654321",
        "\x00",
        "%00",
        "1/2",
    ],
)
@pytest.mark.parametrize("part", ["content_type", "object"])
def test_view_on_site_answers_404_to_a_forged_id(client, administrator, developer, part, forged):
    client.force_login(administrator)
    content_type = ContentType.objects.get_for_model(developer)
    url = {
        "content_type": f"/admin/r/{forged}/{developer.pk}/",
        "object": f"/admin/r/{content_type.pk}/{forged}/",
    }[part]
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_view_on_site_answers_404_for_models_without_pages_here(
    client, administrator, subscription
):
    """A subscription has a console page but no admin; a membership has an admin but no page."""
    client.force_login(administrator)
    assert client.get(view_on_site(subscription)).status_code == 404
    membership = Membership.objects.get(user=subscription.owner)
    assert client.get(view_on_site(membership)).status_code == 404
