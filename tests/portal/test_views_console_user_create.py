"""The console's Users tab: + Add a developer."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import User
from tests.conftest import (
    messages_of,
    signs_in,
)

NEW_PASSWORD = "a-rather-unusual-passphrase-42"


def user_form(**overrides):
    return {
        "email": "new.person@example.com",
        "first_name": "New",
        "last_name": "Person",
        "password": NEW_PASSWORD,
        "note": "",
    } | overrides


def test_user_create_with_a_password_lets_the_person_sign_in(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(), follow=True)
    person = User.objects.get(email="new.person@example.com")
    assert response.redirect_chain == [(reverse("console:user_detail", args=[person.pk]), 302)]
    assert any("Created the developer account" in text for text in messages_of(response))
    assert (person.first_name, person.last_name, person.state) == ("New", "Person", "active")
    assert not person.is_staff and not person.is_superuser
    assert person.has_usable_password()
    assert signs_in("new.person@example.com", NEW_PASSWORD)


def test_user_create_with_a_password_sends_no_email(
    client, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:user_create"), user_form())
    assert mailoutbox == []


def test_user_create_must_set_password_emails_a_working_link(
    client, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(administrator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("console:user_create"),
            user_form(password="", must_set_password="on"),
            follow=True,
        )
    person = User.objects.get(email="new.person@example.com")
    assert not person.has_usable_password()
    assert any("An email with a link to set a password" in t for t in messages_of(response))

    assert len(mailoutbox) == 1
    email = mailoutbox[0]
    assert email.to == ["new.person@example.com"]
    link = re.search(r"https?://\S+/password/set/\S+/", email.body)[0]

    visitor = Client()
    page = visitor.get(urlsplit(link).path, follow=True)
    assert page.status_code == 200
    assert page.context["validlink"] is True
    form_url = page.redirect_chain[-1][0]
    done = visitor.post(
        form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True
    )
    assert done.redirect_chain[-1][0] == reverse("portal:password_reset_complete")
    assert User.objects.get(pk=person.pk).has_usable_password()
    assert signs_in("new.person@example.com", NEW_PASSWORD)
    # The link works once.
    assert Client().get(urlsplit(link).path, follow=True).context["validlink"] is False


@pytest.mark.parametrize("email", ["DEV@example.com", "dev@EXAMPLE.COM", " dev@example.com "])
def test_user_create_refuses_an_email_taken_in_another_case(
    client, administrator, developer, email
):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(email=email))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    assert User.objects.filter(email__iexact="dev@example.com").count() == 1


def test_user_create_needs_a_password_or_the_tick(client, administrator, mailoutbox):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(password=""))
    assert response.status_code == 200
    assert "Enter a password, or tick" in response.context["form"].errors["password"][0]
    assert not User.objects.filter(email="new.person@example.com").exists()
    assert mailoutbox == []


def test_user_create_refuses_a_password_with_the_tick(client, administrator):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(must_set_password="on"))
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="new.person@example.com").exists()


@pytest.mark.parametrize("password", ["short", "12345678901", "password123"])
def test_user_create_refuses_a_weak_password(client, administrator, password):
    client.force_login(administrator)
    response = client.post(reverse("console:user_create"), user_form(password=password))
    assert response.status_code == 200
    assert "password" in response.context["form"].errors
    assert not User.objects.filter(email="new.person@example.com").exists()


def test_user_create_keeps_what_was_typed_after_an_error(client, administrator):
    client.force_login(administrator)
    response = client.post(
        reverse("console:user_create"),
        user_form(email="not-an-email", first_name="Zoë", note="Met at PyCon"),
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="not-an-email"' in body
    assert 'value="Zoë"' in body
    assert "Met at PyCon</textarea>" in body
