"""portal.entities: versions on every saved change, optimistic updates, named entities."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import update_last_login
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from groups.models import Group, Membership
from portal.entities import (
    ConcurrentChangeError,
    DeletionSummary,
    entity_constraints,
    related_count,
    update_entity,
)
from portal.models import User
from tests.conftest import fresh

# VersionedModel


def test_versioned_model_starts_at_one_and_bumps_on_each_saved_change(partners):
    assert fresh(partners).version == 1
    partners.description = "Changed"
    partners.save()
    partners.save()
    assert partners.version == fresh(partners).version == 3


def test_versioned_model_adds_version_to_update_fields(partners):
    partners.description = "Only this"
    partners.save(update_fields=["description"])
    row = fresh(partners)
    assert (row.description, row.version) == ("Only this", 2)


def test_versioned_model_sign_in_is_no_new_version(developer):
    update_last_login(None, developer)
    row = fresh(developer)
    assert row.last_login is not None
    assert row.version == 1


def test_versioned_model_change_of_state_is_a_new_version(developer):
    developer.state = User.State.BLOCKED
    developer.save(update_fields=["state", "last_login"])
    assert fresh(developer).version == 2


# update_entity


def test_update_entity_saves_at_the_expected_version(partners):
    saved = update_entity(partners, expected_version=1, changes={"description": "New"})
    row = fresh(partners)
    assert (saved.version, row.version, row.description) == (2, 2, "New")


def test_update_entity_refuses_a_stale_version_and_carries_the_current_row(partners):
    update_entity(partners, expected_version=1, changes={"display_name": "Theirs"})
    with pytest.raises(ConcurrentChangeError) as refused:
        update_entity(partners, expected_version=1, changes={"display_name": "Mine"})
    assert (refused.value.current.display_name, refused.value.current.version) == ("Theirs", 2)
    assert fresh(partners).display_name == "Theirs"


def test_update_entity_without_an_expected_version_always_saves(partners):
    update_entity(partners, expected_version=None, changes={"description": "One"})
    update_entity(partners, expected_version=None, changes={"description": "Two"})
    row = fresh(partners)
    assert (row.description, row.version) == ("Two", 3)


def test_update_entity_validates_and_writes_nothing_when_invalid(partners, beta):
    with pytest.raises(ValidationError) as refused:
        update_entity(partners, expected_version=1, changes={"display_name": "BETA TESTERS"})
    assert refused.value.messages == ["A group with this name already exists."]
    with pytest.raises(ValidationError):
        update_entity(partners, expected_version=1, changes={"description": "d" * 1001})
    row = fresh(partners)
    assert (row.display_name, row.description, row.version) == ("Partners", "Partner companies", 1)


# NamedEntity


def test_named_entity_folds_the_display_name_key_on_save_and_clean(partners):
    assert fresh(partners).display_name_key == "partners"
    group = Group(name="equipe", display_name="ÉQUIPE")
    group.clean()
    assert group.display_name_key == "équipe"


def test_named_entity_name_is_unique_whatever_its_case(db):
    Group.objects.create(name="equipe", display_name="Équipe")
    twin = Group(name="team", display_name="éQUIPE")
    with pytest.raises(ValidationError) as refused:
        twin.full_clean()
    assert refused.value.messages == ["A group with this name already exists."]
    with pytest.raises(IntegrityError), transaction.atomic():
        twin.save()


@pytest.mark.parametrize("grows", ["\ufdfa", "\ufdfb"])
def test_named_entity_name_whose_folded_key_outgrows_its_column_is_refused(partners, grows):
    """Found by tests/test_fuzz_forms.py: 300 × U+FDFA is 5,400 characters once
    normalised, and PostgreSQL refused the key with a DataError (a 500)."""
    name = grows * 300
    group = Group(name="grown", display_name=name)
    with pytest.raises(ValidationError) as refused:
        group.full_clean()
    assert list(refused.value.message_dict) == ["display_name"]
    with pytest.raises(ValidationError):
        update_entity(partners, expected_version=None, changes={"display_name": name})
    assert fresh(partners).display_name == "Partners"


def test_named_entity_name_whose_folded_key_just_fits_is_kept(db):
    # U+3300 is four characters once normalised: 300 of them fill the key exactly.
    group = Group(name="fits", display_name="\u3300" * 300)
    group.full_clean()
    group.save()
    assert len(fresh(group).display_name_key) == 1200


def test_named_entity_queryset_named_ignores_case(partners, beta):
    assert list(Group.objects.named("PARTNERS")) == [partners]
    assert not Group.objects.named("Partner").exists()


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("artner", {"partners"}),  # name
        ("BETA", {"beta"}),  # ID and name, any ASCII case
        ("companies", {"partners"}),  # description
        ("équipe", {"equipe"}),  # non-ASCII case, which SQLite's LIKE won't fold
        ("ÉQUIPE", {"equipe"}),
        ("nowhere", set()),
    ],
)
def test_named_entity_queryset_search(partners, beta, query, found):
    Group.objects.create(name="equipe", display_name="Équipe")
    assert set(Group.objects.custom().search(query).values_list("name", flat=True)) == found


def test_named_entity_queryset_search_blank_finds_everything(partners, beta):
    assert Group.objects.search("   ").count() == Group.objects.count()


# entity_constraints, related_count, DeletionSummary, Link


def test_entity_constraints_name_the_three_guards():
    names = [constraint.name for constraint in entity_constraints("app_thing", "thing")]
    assert names == [
        "app_thing_name_ci",
        "app_thing_name_not_empty",
        "app_thing_display_name_not_empty",
    ]


@pytest.mark.parametrize("change", [{"name": "PARTNERS"}, {"name": ""}, {"display_name": ""}])
def test_entity_constraints_are_enforced_by_the_database(partners, beta, change):
    with pytest.raises(IntegrityError), transaction.atomic():
        Group.objects.filter(pk=beta.pk).update(**change)


def test_entity_constraints_id_differing_in_case_is_refused_by_validation(partners):
    with pytest.raises(ValidationError) as refused:
        Group(name="PARTNERS", display_name="Other partners").full_clean()
    assert "A group with this ID already exists." in refused.value.messages


def test_related_count_counts_per_row_and_zero_for_none(partners, beta, member, outsider):
    Membership.objects.create(group=partners, user=outsider)
    counted = Group.objects.custom().annotate(n=related_count(Membership.objects, "group"))
    assert dict(counted.values_list("name", "n")) == {"partners": 2, "beta": 0}


def test_deletion_summary_message():
    assert DeletionSummary("Partners").message("group") == "Deleted the group Partners."
    summary = DeletionSummary("Payments", ["2 groups lost access", "1 subscription went"])
    assert summary.message("product") == (
        "Deleted the product Payments; 2 groups lost access, and 1 subscription went."
    )


def test_link_added_at_defaults_to_now(partners, developer):
    before = timezone.now()
    link = Membership.objects.create(group=partners, user=developer)
    assert before <= fresh(link).added_at <= timezone.now()
    assert link.added_by is None


def test_named_entity_saving_only_the_name_keeps_its_key_in_step(partners):
    partners.display_name = "Partner Companies"
    partners.save(update_fields=["display_name"])
    assert type(partners).objects.named("PARTNER COMPANIES").get() == partners


def test_update_entity_refuses_a_field_it_does_not_have(partners):
    with pytest.raises(FieldDoesNotExist):
        update_entity(partners, expected_version=None, changes={"dispaly_name": "Typo"})
    partners.refresh_from_db()
    assert (partners.display_name, partners.version) == ("Partners", 1)
