"""portal.admin: the Django admin, for support staff and administrators."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from subscriptions.models import Subscription


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


@pytest.mark.django_db
@pytest.mark.parametrize("codenames", [["view_user"], ["view_user", "change_user"]])
def test_support_staff_get_no_password_button_they_cant_use(
    client, support_staff, developer, make_user, codenames
):
    grant(support_staff, *codenames)
    invited = make_user(password=None)
    client.force_login(support_staff)
    page = client.get(f"/admin/portal/user/{developer.pk}/change/").text
    assert "../password/" not in page and "Reset password" not in page
    assert "Set. Only administrators set other people" in page
    # Nor is the hash shown, even masked.
    assert "algorithm" not in page
    page = client.get(f"/admin/portal/user/{invited.pk}/change/").text
    assert "Set password" not in page
    assert "Not set yet" in page


@pytest.mark.django_db
def test_administrators_reset_passwords_from_the_user_page(client, administrator, developer):
    client.force_login(administrator)
    page = client.get(f"/admin/portal/user/{developer.pk}/change/").text
    assert 'href="../password/">Reset password</a>' in page
    assert client.get(f"/admin/portal/user/{developer.pk}/password/").status_code == 200


@pytest.mark.django_db
def test_the_notes_help_text_names_everyone_who_reads_it(client, support_staff, make_user):
    grant(support_staff, "view_user")
    person = make_user(note="Asked why Payments is missing")
    client.force_login(support_staff)
    page = client.get(f"/admin/portal/user/{person.pk}/change/").text
    # Support staff read the note, so the text beside it says so.
    assert "Asked why Payments is missing" in page
    assert "administrators only" not in page
    assert "support staff who may view users" in page
