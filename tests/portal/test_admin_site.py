"""portal.admin_site: what every model's pages in the Django admin share."""

from __future__ import annotations

import re

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


# No link in the admin leads to a refusal


def admin_links(html: str) -> set[str]:
    """The admin pages a page links to, as a browser would request them."""
    links = set()
    for href in re.findall(r'href="(/admin/[^"]*)"', html):
        url = href.replace("&amp;", "&")
        # __fk__ is a placeholder the page's script fills in; sorting,
        # searching and paging repeat the list they are on.
        if "__fk__" in url or re.search(r"[?&](o|q|p|all)=", url):
            continue
        links.add(url)
    return links


def crawl(client, limit=300):
    """Every admin page reachable from the index by links, with its response."""
    seen, queue, pages = set(), ["/admin/"], {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        pages[url] = response
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            queue += sorted(admin_links(response.text) - seen)
    return pages


ROLES_IN_THE_ADMIN = [
    ["view_user"],
    ["view_user", "change_user", "view_group"],  # what seed_demo gives the demo account
    ["view_group"],
    ["view_membership", "add_membership", "delete_membership"],
    ["view_membership", "add_membership", "view_user", "view_group"],
    ["view_product", "view_productgroup"],
    ["view_product", "change_product", "view_productgroup", "view_group", "view_user"],
    ["view_api"],
]


@pytest.mark.django_db
@pytest.mark.parametrize("codenames", ROLES_IN_THE_ADMIN, ids="+".join)
def test_no_link_in_the_admin_leads_support_staff_to_a_refusal(
    client, support_staff, make_user, subscription, administrator, codenames
):
    make_user(email="other-staff@example.com", is_staff=True)
    make_user(email="invited@example.com", password=None)
    grant(support_staff, *codenames)
    client.force_login(support_staff)
    pages = crawl(client)
    broken = {
        url: response.status_code for url, response in pages.items() if response.status_code != 200
    }
    assert broken == {}


@pytest.mark.django_db
def test_no_link_in_the_admin_leads_an_administrator_to_a_refusal(
    client, administrator, support_staff, subscription
):
    client.force_login(administrator)
    pages = crawl(client)
    broken = {}
    for url, response in pages.items():
        if response.status_code == 302 and url.startswith("/admin/r/"):
            # View on site: to the console, which administrators have.
            response = client.get(response["Location"])
        if response.status_code != 200:
            broken[url] = response.status_code
    assert broken == {}
    assert any(url.startswith("/admin/r/") for url in pages)
