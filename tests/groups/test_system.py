"""groups.system: the three system groups and who is in them."""

from __future__ import annotations

import pytest

from groups.models import Group
from groups.system import SYSTEM_GROUPS, display_names


@pytest.mark.django_db
def test_system_groups_exist_after_migrate():
    groups = {g.name: g for g in Group.objects.filter(type=Group.Type.SYSTEM)}
    assert set(groups) == {"administrators", "developers", "guests"}
    assert [groups[n].display_name for n in ("administrators", "developers", "guests")] == [
        "Administrators",
        "Developers",
        "Guests",
    ]
    for name, group in groups.items():
        assert group.built_in is True
        assert group.description == SYSTEM_GROUPS[name]["description"]
        assert "built-in group" in group.description
    assert groups["guests"].derived_membership == "Anonymous visitors"


@pytest.mark.django_db
def test_system_group_names_for_each_role(administrator, developer):
    assert display_names(administrator) == ["Administrators", "Developers"]
    assert display_names(developer) == ["Developers"]
