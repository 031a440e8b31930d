"""products.admin: products are deleted and relinked through the console only."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from groups.models import Group
from portal.models import User
from products import services as product_services
from products.models import Product


@pytest.mark.django_db
def test_products_cannot_be_deleted_or_relinked_in_the_admin(client, administrator):
    product = product_services.create_product(name="p", display_name="P")
    client.force_login(administrator)
    assert client.get(f"/admin/products/product/{product.pk}/delete/").status_code == 403
    page = client.get(f"/admin/products/product/{product.pk}/change/").content.decode()
    assert 'name="links-0-group"' not in page


def test_a_product_added_in_the_admin_is_seen_by_administrators(client, administrator):
    client.force_login(administrator)
    response = client.post(
        "/admin/products/product/add/",
        {
            "display_name": "From the admin",
            "name": "from-admin",
            "description": "",
            "terms": "",
            "state": Product.State.NOT_PUBLISHED,
            "subscription_required": "on",
            "subscriptions_limit": "",
            "links-TOTAL_FORMS": "0",
            "links-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    product = Product.objects.get(name="from-admin")
    assert list(product.groups.values_list("name", flat=True)) == [Group.ADMINISTRATORS]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("codenames", "shown"),
    [
        (["view_product"], False),
        (["view_product", "view_productgroup"], False),
        (["view_product", "view_productgroup", "view_group"], False),
        (["view_product", "view_productgroup", "view_user"], False),
        (["view_product", "view_productgroup", "view_group", "view_user"], True),
    ],
)
def test_a_products_group_access_is_shown_to_people_who_may_open_its_links(
    client, support_staff, product, partners, codenames, shown
):
    """Each row links to the group's page and to the page of whoever linked it."""
    support_staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(User.objects.get(pk=support_staff.pk))
    page = client.get(f"/admin/products/product/{product.pk}/change/")
    assert page.status_code == 200
    group_link = f'href="/admin/groups/group/{partners.pk}/change/"'
    assert (group_link in page.text) is shown
