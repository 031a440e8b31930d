"""products.admin: products are deleted and relinked through the console only."""

from __future__ import annotations

import pytest

from groups.models import Group
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
