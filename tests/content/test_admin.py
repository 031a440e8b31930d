"""Pages in the Django admin: support staff with the permissions write through the
services (a version kept, the menus told), and nobody else gets in."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from content import menus
from content.models import Page, PageVersion
from tests.conftest import fresh

ADD = reverse("admin:content_page_add")
LIST = reverse("admin:content_page_changelist")


def change_url(page):
    return reverse("admin:content_page_change", args=[page.pk])


def form(**fields):
    return {
        "title": "From the admin",
        "slug": "from-the-admin",
        "body": "Some **text**.",
        "order": "0",
        "menu": "top",
        "visibility": "everyone",
        "state": "published",
        "versions-TOTAL_FORMS": "0",
        "versions-INITIAL_FORMS": "0",
    } | fields


def allow(person, *codenames):
    for codename in codenames:
        person.user_permissions.add(Permission.objects.get(codename=codename))
    return person


@pytest.mark.parametrize(
    ("who", "status"),
    [("developer", 302), ("member", 302), ("support_staff", 403), ("blocked_user", 302)],
)
def test_admin_pages_refused_without_permission(client, sign_in_as, who, status):
    sign_in_as(who)

    assert client.get(LIST).status_code == status
    assert client.post(ADD, form()).status_code == status
    assert not Page.objects.filter(slug="from-the-admin").exists()


def test_support_staff_who_may_view_pages_cannot_change_them(client, support_staff):
    client.force_login(allow(support_staff, "view_page"))
    welcome = Page.objects.get(slug="welcome")

    assert client.get(LIST).status_code == 200
    assert client.post(change_url(welcome), form(title="Changed")).status_code == 403
    assert fresh(welcome).title == "APIs for building with us"


def test_page_added_in_the_admin_goes_through_the_services(client, support_staff, partners):
    client.force_login(allow(support_staff, "view_page", "add_page", "change_page"))
    menus.menu_pages(support_staff)

    response = client.post(ADD, form(visibility="groups", chosen_groups=[str(partners.pk)]))

    assert response.status_code == 302, response.content.decode()[:2000]
    page = Page.objects.get(slug="from-the-admin")
    assert list(page.groups.all()) == [partners]
    assert page.updated_by == support_staff
    assert list(PageVersion.objects.filter(page=page).values_list("number", flat=True)) == [1]
    assert not menus.menu_pages(support_staff)  # not in Partners


def test_page_changed_in_the_admin_keeps_a_version_and_relinks(
    client, administrator, make_portal_page, partners, others
):
    page = make_portal_page("Guide", visibility="groups", groups=[partners])
    client.force_login(administrator)
    assert client.get(change_url(page)).status_code == 200

    response = client.post(
        change_url(page),
        form(
            title="Guide",
            slug="guide",
            body="New text",
            visibility="groups",
            chosen_groups=[str(others.pk)],
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    page = fresh(page)
    assert page.body == "New text"
    assert list(page.groups.all()) == [others]
    assert PageVersion.objects.filter(page=page).count() == 2


@pytest.mark.parametrize("slug", ["", "Not A Slug", "welcome"])
def test_admin_refuses_a_bad_address_and_writes_nothing(client, administrator, slug):
    client.force_login(administrator)

    response = client.post(ADD, form(slug=slug))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["slug"]
    assert Page.objects.count() == 1


def test_page_deleted_in_the_admin_leaves_the_menus(
    client, administrator, make_portal_page, developer
):
    page = make_portal_page("Guide", menu="top")
    menus.menu_pages(developer)
    client.force_login(administrator)

    response = client.post(reverse("admin:content_page_delete", args=[page.pk]), {"post": "yes"})

    assert response.status_code == 302
    assert not Page.objects.filter(pk=page.pk).exists()
    assert menus.menu_pages(developer) == []


def test_landing_page_moves_in_the_admin_as_in_the_console(client, support_staff):
    client.force_login(allow(support_staff, "view_page", "add_page", "change_page"))

    response = client.post(ADD, form(is_landing="on"))

    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(Page.objects.filter(is_landing=True).values_list("slug", flat=True)) == [
        "from-the-admin"
    ]
