from __future__ import annotations

import pytest
from django.core.management import call_command

from portal.models import User


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
