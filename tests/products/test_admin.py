"""products.admin: products are deleted and relinked through the console only."""

from __future__ import annotations

import pytest

from products import services as product_services


@pytest.mark.django_db
def test_products_cannot_be_deleted_or_relinked_in_the_admin(client, administrator):
    product = product_services.create_product(name="p", display_name="P")
    client.force_login(administrator)
    assert client.get(f"/admin/products/product/{product.pk}/delete/").status_code == 403
    page = client.get(f"/admin/products/product/{product.pk}/change/").content.decode()
    assert 'name="links-0-group"' not in page
