"""APIs in the Django admin: support staff with the permission read them, nobody writes."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from apis.models import Api


@pytest.fixture
def api(make_api):
    return make_api("Shipments")


def grant(user, *codenames):
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))


def test_support_staff_with_view_permission_read_apis_and_their_operations(
    client, support_staff, api
):
    grant(support_staff, "view_api")
    client.force_login(support_staff)
    listing = client.get("/admin/apis/api/", {"q": "ship"})
    assert listing.status_code == 200
    assert "Shipments" in listing.text
    page = client.get(f"/admin/apis/api/{api.pk}/change/")
    assert page.status_code == 200
    assert "listShipments" in page.text
    assert 'name="display_name"' not in page.text


def test_support_staff_without_the_permission_are_refused(client, support_staff, api):
    client.force_login(support_staff)
    assert client.get("/admin/apis/api/").status_code == 403
    assert client.get(f"/admin/apis/api/{api.pk}/change/").status_code == 403


@pytest.mark.parametrize("codenames", [["view_api"], ["view_api", "change_api", "delete_api"]])
def test_nobody_changes_or_deletes_an_api_in_the_admin(
    client, support_staff, administrator, api, codenames
):
    grant(support_staff, *codenames)
    for who in [support_staff, administrator]:
        client.force_login(who)
        assert client.get("/admin/apis/api/add/").status_code == 403
        response = client.post(
            f"/admin/apis/api/{api.pk}/change/", {"display_name": "Forged", "path": "x"}
        )
        assert response.status_code == 403
        assert client.post(f"/admin/apis/api/{api.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Api.objects.get().display_name == "Shipments"
