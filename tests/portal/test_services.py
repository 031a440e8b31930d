"""portal.services: writes to user accounts, their rules and what they report to the funnel."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError

from groups.models import Membership
from portal import services, sight
from portal.entities import ConcurrentChangeError
from portal.models import User
from tests.conftest import fresh

NEW_PASSWORD = "another-long-passphrase-7"


@pytest.fixture
def reported():
    """The people each sight_changed report named, in order."""
    people = []

    def receiver(sender, owner_ids=None, **kwargs):
        people.append(owner_ids)

    sight.sight_changed.connect(receiver, dispatch_uid="tests.portal.services")
    yield people
    sight.sight_changed.disconnect(dispatch_uid="tests.portal.services")


def new_user(**fields):
    values = {"email": "new@example.com", "first_name": "New", "last_name": "Person"} | fields
    return services.create_user(**{"password": None, **values})


# create_user


def test_create_user_with_a_password_sends_no_invitation(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = new_user(password=NEW_PASSWORD, api_id="abc-123", state=User.State.PENDING)
    row = fresh(user)
    assert row.check_password(NEW_PASSWORD)
    assert (row.api_id, row.state, row.first_name) == ("abc-123", "pending", "New")
    assert mailoutbox == []


def test_create_user_without_a_password_emails_an_invitation_after_commit(
    db, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        user = new_user()
        assert mailoutbox == []
    assert not fresh(user).has_usable_password()
    [mail] = mailoutbox
    assert mail.to == ["new@example.com"]
    assert mail.subject == "Your Portico developer account"
    assert f"{settings.PORTICO_BASE_URL}/password/set/" in mail.body


def test_create_user_gives_a_new_api_id_when_none_is_given(db):
    first, second = new_user(email="a@example.com"), new_user(email="b@example.com")
    assert first.api_id and second.api_id and first.api_id != second.api_id


# block_user and unblock_user


def test_block_user_refuses_your_own_account(administrator, reported):
    with pytest.raises(ValidationError) as refused:
        services.block_user(user=administrator, actor=administrator)
    assert refused.value.messages == ["You can't block your own account."]
    assert fresh(administrator).state == User.State.ACTIVE
    assert reported == []


def test_block_user_blocks_and_reports_once(administrator, developer, reported):
    services.block_user(user=developer, actor=administrator)
    services.block_user(user=developer, actor=administrator)
    row = fresh(developer)
    assert (row.state, row.version) == (User.State.BLOCKED, 2)
    assert developer.state == User.State.BLOCKED
    assert reported == [[developer.pk]]


@pytest.mark.parametrize("state", [User.State.BLOCKED, User.State.PENDING])
def test_unblock_user_activates_and_reports(make_user, reported, state):
    person = make_user(state=state)
    services.unblock_user(user=person)
    assert fresh(person).state == User.State.ACTIVE
    assert reported == [[person.pk]]


# update_user


def test_update_user_saves_changes_and_a_password(administrator, developer, reported):
    services.update_user(
        user=developer,
        actor=administrator,
        expected_version=1,
        first_name="Devi",
        password=NEW_PASSWORD,
    )
    row = fresh(developer)
    assert row.first_name == "Devi"
    assert row.check_password(NEW_PASSWORD)
    # One change, one version, the password included.
    assert row.version == 2
    assert reported == []


def test_update_user_reads_sight_from_the_row_not_the_callers_copy(
    administrator, developer, reported
):
    stale = fresh(developer)
    services.block_user(user=developer, actor=administrator)
    reported.clear()
    services.update_user(user=stale, actor=administrator, state=User.State.ACTIVE)
    assert fresh(developer).state == User.State.ACTIVE
    assert reported == [[developer.pk]]


def test_update_user_refuses_a_stale_version(administrator, developer):
    services.update_user(user=developer, actor=administrator, first_name="Theirs")
    with pytest.raises(ConcurrentChangeError) as refused:
        services.update_user(
            user=developer, actor=administrator, expected_version=1, first_name="Mine"
        )
    assert refused.value.current.first_name == "Theirs"
    assert fresh(developer).first_name == "Theirs"


def test_update_user_refuses_a_field_it_does_not_have(administrator, developer):
    with pytest.raises(FieldDoesNotExist):
        services.update_user(user=developer, actor=administrator, frist_name="Typo")
    assert fresh(developer).version == 1


def test_update_user_refuses_to_block_yourself(administrator):
    with pytest.raises(ValidationError):
        services.update_user(user=administrator, actor=administrator, state=User.State.BLOCKED)
    assert fresh(administrator).state == User.State.ACTIVE


@pytest.mark.parametrize("change", [{"state": User.State.BLOCKED}, {"is_superuser": True}])
def test_update_user_reports_a_change_of_sight(administrator, developer, reported, change):
    services.update_user(user=developer, actor=administrator, **change)
    assert reported == [[developer.pk]]


# save_user (the Django admin)


def test_save_user_refuses_to_block_yourself(administrator):
    administrator.state = User.State.BLOCKED
    with pytest.raises(ValidationError):
        services.save_user(user=administrator, actor=administrator)
    assert fresh(administrator).state == User.State.ACTIVE


def test_save_user_lets_you_edit_your_own_name(administrator, reported):
    administrator.first_name = "Adele"
    services.save_user(user=administrator, actor=administrator)
    assert fresh(administrator).first_name == "Adele"
    assert reported == []


@pytest.mark.parametrize(
    ("start", "change"),
    [
        ({}, {"state": User.State.BLOCKED}),
        ({"state": User.State.BLOCKED}, {"state": User.State.ACTIVE}),
        ({}, {"is_superuser": True}),
        ({"is_superuser": True}, {"is_superuser": False}),
    ],
)
def test_save_user_reports_blocks_promotions_and_demotions(
    administrator, make_user, reported, start, change
):
    person = make_user(**start)
    for name, value in change.items():
        setattr(person, name, value)
    services.save_user(user=person, actor=administrator)
    assert reported == [[person.pk]]


def test_save_user_reports_a_new_account(administrator, reported):
    person = User(email="added@example.com")
    services.save_user(user=person, actor=administrator)
    assert reported == [[person.pk]]


# delete_user


def test_delete_user_refuses_your_own_account(administrator):
    with pytest.raises(ValidationError):
        services.delete_user(user=administrator, actor=administrator)
    assert User.objects.filter(pk=administrator.pk).exists()


def test_delete_user_takes_the_memberships_with_it(administrator, member):
    services.delete_user(user=member, actor=administrator)
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Membership.objects.filter(user_id=member.pk).exists()
