"""The console's Settings › Sign-up, and the sign-up services' edges: domains are checked and
kept tidy, a save over another administrator's is refused, and the password is hashed whether
or not the address has an account."""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal import services
from portal.models import SignUpSettings, User

PASSWORD = "a-rather-unusual-passphrase-42"
URL = "/console/settings/signup/"


class CountingHasher(MD5PasswordHasher):
    """Django's MD5 hasher, counting the passwords it hashes."""

    hashed = 0

    def encode(self, password, salt):
        type(self).hashed += 1
        return super().encode(password, salt)


@pytest.fixture
def admin_client(client, administrator):
    client.force_login(administrator)
    return client


def settings_form(**overrides):
    return {
        "enabled": "on",
        "allowed_domains": "",
        "refused_domains": "",
        "terms": "",
        "version": str(SignUpSettings.load().version),
    } | overrides


@pytest.mark.django_db
def test_the_settings_page_links_to_sign_up_settings(admin_client):
    assert reverse("console:signup_settings") == URL
    assert URL in admin_client.get(reverse("console:settings")).content.decode()


@pytest.mark.django_db
def test_domains_are_saved_lower_case_sorted_and_once(admin_client):
    response = admin_client.post(
        URL, settings_form(refused_domains="Spam.Example\n\n@spam.example\nbad.example")
    )
    assert response.status_code == 302
    assert SignUpSettings.load().refused_domains == "bad.example\nspam.example"


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["not a domain", "<script>", "x" * 5001])
def test_a_bad_domain_list_is_refused_and_nothing_changes(admin_client, text):
    before = SignUpSettings.load().version
    response = admin_client.post(URL, settings_form(allowed_domains=text))
    assert response.status_code == 400
    assert "allowed_domains" in response.context["form"].errors
    assert SignUpSettings.load().version == before


@pytest.mark.django_db
def test_a_save_over_another_administrators_is_refused_and_shown(admin_client):
    stale = settings_form(terms="Mine")
    services.update_signup_settings(expected_version=None, terms="Theirs")
    response = admin_client.post(URL, stale)
    assert response.status_code == 400
    assert "Someone else saved these settings" in response.content.decode()
    assert SignUpSettings.load().terms == "Theirs"
    # Saved knowingly, from the page the conflict shows, it wins.
    again = response.context["form"].data
    assert admin_client.post(URL, again).status_code == 302
    assert SignUpSettings.load().terms == "Mine"


@pytest.mark.django_db
def test_the_password_is_hashed_for_new_and_existing_addresses(settings, developer):
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]
    caches["shared"].clear()
    CountingHasher.hashed = 0
    services.sign_up(email="new@example.com", first_name="N", last_name="New", password=PASSWORD)
    assert CountingHasher.hashed == 1
    services.sign_up(email="DEV@example.com", first_name="N", last_name="New", password=PASSWORD)
    assert CountingHasher.hashed == 2


@pytest.mark.django_db
def test_sign_up_switched_off_is_refused_by_the_service():
    services.update_signup_settings(expected_version=None, enabled=False)
    with pytest.raises(services.SignUpClosed):
        services.sign_up(email="n@example.com", first_name="N", last_name="N", password=PASSWORD)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_confirming_twice_and_approving_what_isnt_waiting_change_nothing(make_user, developer):
    pending = make_user(state="pending")
    services.confirm_signup(user=pending)
    with pytest.raises(ValidationError):
        services.confirm_signup(user=pending)
    assert services.approve_signup(user=developer) is False
    assert services.approve_signup(user=make_user(state="pending")) is False
