"""portal.models: the User model, its roles and states."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse

from portal.models import User, is_administrator


@pytest.mark.django_db
def test_email_uniqueness_ignores_case(make_user):
    make_user(email="alice@example.com")
    duplicate = User(email="ALICE@Example.com", first_name="A", last_name="B")
    with pytest.raises(ValidationError) as error:
        duplicate.full_clean(exclude=["password"])
    assert "email" in str(error.value).lower()
    with pytest.raises(ValidationError):
        User.objects.create_user("Alice@EXAMPLE.com", "x" * 12)
    # The database refuses it too, whatever path a write takes.
    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="aLiCe@example.com").save()


@pytest.mark.django_db
def test_sign_in_email_is_case_insensitive(make_user):
    user = make_user(email="Mixed.Case@example.com", password="a-long-password")
    assert (
        authenticate(HttpRequest(), username="mixed.case@EXAMPLE.COM", password="a-long-password")
        == user
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "active"),
    [(User.State.ACTIVE, True), (User.State.BLOCKED, False), (User.State.PENDING, False)],
)
def test_only_active_accounts_are_active(make_user, state, active):
    assert make_user(state=state).is_active is active


@pytest.mark.django_db
def test_roles(administrator, support_staff, developer):
    assert (administrator.role, support_staff.role, developer.role) == (
        "Administrator",
        "Support staff",
        "Developer",
    )
    assert is_administrator(administrator) and not is_administrator(support_staff)
    assert not is_administrator(developer)


@pytest.mark.django_db
def test_new_users_are_registered_now(make_user):
    user = make_user()
    assert user.registration_date is not None
    assert user.state == User.State.ACTIVE


@pytest.mark.django_db
def test_unknown_state_is_refused_by_the_database(make_user):
    user = make_user()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(state="deleted")


@pytest.mark.django_db
def test_blocking_a_signed_in_user_signs_them_out(client, developer):
    client.force_login(developer)
    assert client.get(reverse("portal:profile")).status_code == 200
    User.objects.filter(pk=developer.pk).update(state=User.State.BLOCKED)
    assert client.get(reverse("portal:profile")).status_code == 302
