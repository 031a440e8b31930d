from __future__ import annotations

import pytest
from django.core.management import call_command

from apis.models import Api, Operation, Restriction, hidden_operations
from portal.models import User
from products.models import Product


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo", password="demo-password-123")
    first = User.objects.count()
    call_command("seed_demo", password="another-password")
    assert User.objects.count() == first
    out = capsys.readouterr().out
    assert "nothing to add" in out
    admin = User.objects.get(email="admin@example.com")
    assert admin.is_superuser and admin.check_password("demo-password-123")


@pytest.mark.django_db
def test_seed_demo_has_every_role_and_state():
    call_command("seed_demo", password="demo-password-123")
    support = User.objects.get(email="support@example.com")
    assert support.is_staff and not support.is_superuser
    assert support.has_perm("portal.view_user")
    assert set(User.objects.values_list("state", flat=True)) == {"active", "blocked", "pending"}


@pytest.mark.django_db
def test_seed_demo_has_apis_in_its_products():
    call_command("seed_demo", password="demo-password-123")
    versions = dict(Api.objects.values_list("name", "version"))

    call_command("seed_demo", password="demo-password-123")

    assert dict(Api.objects.values_list("name", "version")) == versions  # nothing changed
    assert Operation.objects.count() >= 24
    assert {api.document_version[:3] for api in Api.objects.all()} == {"2.0", "3.0", "3.1"}
    starter = Product.objects.get(name="starter")
    assert set(Api.objects.in_product(starter).values_list("name", flat=True)) == {
        "geocoding",
        "routing",
    }
    shipments = Api.objects.get(name="shipments")
    (rule,) = Restriction.objects.filter(api=shipments)
    assert (rule.kind, rule.target, rule.group.name) == ("tag", "Admin", "internal")
    alice = User.objects.get(email="alice@example.com")
    assert "purgeshipment" in hidden_operations(shipments, alice)
    assert not Api.objects.get(name="forecasts").subscription_required
