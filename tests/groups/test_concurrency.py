"""Races between administrators, run on real threads with their own connections."""

from __future__ import annotations

import pytest

from groups import services
from groups.models import Group, Membership
from portal.entities import ConcurrentChangeError
from tests.concurrency import run_together

THREADS = 8


@pytest.mark.django_db(transaction=True)
def test_add_members_racing_for_the_same_person_leaves_one_membership(make_user):
    group = services.create_group(name="racers", display_name="Racers")
    person = make_user()

    def add(_):
        return services.add_members(
            group=Group.objects.get(pk=group.pk), users=[person], added_by=None
        )

    results, errors = run_together(THREADS, add)
    assert errors == []
    assert Membership.objects.filter(group=group, user=person).count() == 1
    # Exactly one thread reports the addition, so "Added N members" is true.
    assert sorted(results) == [0] * (THREADS - 1) + [1]


@pytest.mark.django_db(transaction=True)
def test_add_members_racing_with_overlapping_people_adds_each_once(make_user):
    group = services.create_group(name="overlap", display_name="Overlap")
    people = [make_user() for _ in range(4)]

    def add(index):
        # Each thread brings a different pair, so every insert overlaps another.
        chosen = [people[index % 4], people[(index + 1) % 4]]
        return services.add_members(group=group, users=chosen, added_by=None)

    results, errors = run_together(THREADS, add)
    assert errors == []
    assert sum(results) == 4
    assert sorted(group.memberships.values_list("user_id", flat=True)) == sorted(
        person.pk for person in people
    )


@pytest.mark.django_db(transaction=True)
def test_update_group_racing_saves_with_one_version_lets_exactly_one_win():
    group = services.create_group(name="settings", display_name="Settings")

    def save(index):
        return services.update_group(
            group=Group.objects.get(pk=group.pk),
            expected_version=1,
            display_name=f"Saved by {index}",
        )

    results, errors = run_together(2, save)
    winners = [result for result in results if result is not None]
    assert len(winners) == 1
    assert len(errors) == 1
    assert isinstance(errors[0], ConcurrentChangeError)
    assert errors[0].current.version == 2
    assert errors[0].current.display_name == winners[0].display_name
    stored = Group.objects.get(pk=group.pk)
    assert (stored.display_name, stored.version) == (winners[0].display_name, 2)
