"""groups.apps: system groups put back after a flush."""

from __future__ import annotations

import pytest

from groups.apps import _repair_system_groups
from groups.models import Group


@pytest.mark.django_db
def test_missing_system_groups_are_put_back_after_a_flush():
    Group.objects.filter(name=Group.GUESTS)._raw_delete("default")
    _repair_system_groups(None, using="default")
    assert Group.objects.filter(name=Group.GUESTS, built_in=True).exists()
