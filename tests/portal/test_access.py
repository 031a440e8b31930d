from __future__ import annotations

import pytest
from django.urls import reverse

CONSOLE_URLS = [
    "console:home",
    "console:settings",
    "subscriptions:list",
    "console:users",
]


@pytest.mark.django_db
@pytest.mark.parametrize("name", CONSOLE_URLS)
@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("anonymous", 302),
        ("developer", 403),
        ("support_staff", 403),
        ("blocked_user", 302),
        ("pending_user", 302),
        ("administrator", 200),
    ],
)
def test_console_access(client, request, name, who, status):
    if who != "anonymous":
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(name))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("portal:login"))


@pytest.mark.django_db
def test_console_refusal_says_why(client, developer):
    client.force_login(developer)
    response = client.get(reverse("console:home"))
    assert response.status_code == 403
    assert "You don't have access to this page" in response.content.decode()


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
@pytest.mark.parametrize(
    "name", ["portal:landing", "portal:products", "portal:login", "portal:health"]
)
def test_public_pages_open_to_guests(client, name):
    assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_profile_needs_sign_in(client, developer):
    response = client.get(reverse("portal:profile"))
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={reverse('portal:profile')}"
    client.force_login(developer)
    response = client.get(reverse("portal:profile"))
    assert response.status_code == 200
    assert b"dev@example.com" in response.content


@pytest.mark.django_db
def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert b"Page not found" in response.content


@pytest.mark.django_db
def test_pages_load_nothing_from_another_host(client, administrator):
    client.force_login(administrator)
    for url in ["/", "/products/", "/console/", "/profile/"]:
        response = client.get(url)
        body = response.content.decode()
        assert "https://" not in body and "http://" not in body, url
        assert "default-src 'self'" in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_support_staff_cannot_grant_roles_in_the_admin(client, support_staff, developer):
    from django.contrib.auth.models import Permission

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
    from django.contrib.auth.models import Permission

    support_staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    make_user(email="findme@example.com")
    make_user(email="gone@example.com", state="blocked")
    client.force_login(support_staff)
    found = client.get("/admin/portal/user/", {"q": "findme"}).content
    assert b"findme@example.com" in found and b"gone@example.com" not in found
    blocked = client.get("/admin/portal/user/", {"state__exact": "blocked"}).content
    assert b"gone@example.com" in blocked and b"findme@example.com" not in blocked
