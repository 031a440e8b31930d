"""portal.user_tokens: shared access tokens and one-time sign-in links in Azure's format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import update_last_login
from django.utils import timezone

from portal import services as user_services
from portal import user_tokens
from portal.models import User


def in_hours(hours: float) -> datetime:
    return timezone.now() + timedelta(hours=hours)


@pytest.fixture
def time_machine(monkeypatch):
    """Django's clock, moved forward on demand (shift) for the rest of the test."""
    real_now = timezone.now
    offset = timedelta()

    class Machine:
        def shift(self, by: timedelta) -> None:
            nonlocal offset
            offset += by

    monkeypatch.setattr(timezone, "now", lambda: real_now() + offset)
    return Machine()


def test_shared_access_token_names_the_user_and_the_minute_it_ends(developer):
    expiry = datetime(2099, 4, 21, 0, 44, 24, tzinfo=UTC)
    token = user_tokens.shared_access_token(user=developer, key_type="primary", expiry=expiry)
    api_id, minute, signature = token.split("&")
    assert (api_id, minute) == (developer.api_id, "209904210044")
    assert len(signature) == 88  # 64 bytes, base64


def test_shared_access_token_checks_out_until_it_expires(developer, time_machine):
    token = user_tokens.shared_access_token(
        user=developer, key_type="secondary", expiry=in_hours(2)
    )
    assert user_tokens.check_shared_access_token(token) == developer
    time_machine.shift(timedelta(hours=2, minutes=1))
    assert user_tokens.check_shared_access_token(token) is None


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token, other: token.replace(token.split("&")[0], other.api_id, 1),
        lambda token, other: token[:-4] + "AAA=",
        lambda token, other: token.replace("&", "&&", 1),
        lambda token, other: "&".join(token.split("&")[:2]),
        lambda token, other: "",
    ],
    ids=["another-user", "another-signature", "extra-part", "no-signature", "empty"],
)
def test_a_tampered_shared_access_token_is_worth_nothing(developer, outsider, tamper):
    token = user_tokens.shared_access_token(user=developer, key_type="primary", expiry=in_hours(1))
    assert user_tokens.check_shared_access_token(tamper(token, outsider)) is None


def test_a_later_expiry_written_into_a_token_is_worth_nothing(developer):
    token = user_tokens.shared_access_token(user=developer, key_type="primary", expiry=in_hours(1))
    api_id, _, signature = token.split("&")
    assert user_tokens.check_shared_access_token(f"{api_id}&209901010000&{signature}") is None


def test_a_sign_in_link_is_no_shared_access_token(developer):
    assert user_tokens.check_shared_access_token(user_tokens.sign_in_token(user=developer)) is None


def test_shared_access_token_of_a_blocked_account_is_worth_nothing(developer):
    token = user_tokens.shared_access_token(user=developer, key_type="primary", expiry=in_hours(1))
    user_services.block_user(user=developer, actor=None)
    assert user_tokens.check_shared_access_token(token) is None


def test_unknown_key_type_is_refused(developer):
    with pytest.raises(ValueError, match="key_type"):
        user_tokens.shared_access_token(user=developer, key_type="tertiary", expiry=in_hours(1))


def test_sign_in_token_is_good_once(developer):
    token = user_tokens.sign_in_token(user=developer)
    found = user_tokens.read_sign_in_token(token)
    assert (found.outcome, found.user) == ("ok", developer)
    update_last_login(None, developer)
    assert user_tokens.read_sign_in_token(token).outcome == "spent"


def test_sign_in_token_expires_after_a_quarter_of_an_hour(developer, time_machine):
    token = user_tokens.sign_in_token(user=developer)
    time_machine.shift(timedelta(minutes=14))
    assert user_tokens.read_sign_in_token(token).outcome == "ok"
    time_machine.shift(timedelta(minutes=3))
    assert user_tokens.read_sign_in_token(token).outcome == "expired"


def test_a_sign_in_link_names_the_user_and_carries_64_bytes_of_signature(developer):
    api_id, minute, signature = user_tokens.sign_in_token(user=developer).split("&")
    assert api_id == developer.api_id
    assert len(minute) == 12
    assert len(signature) == 88


def test_a_shared_access_token_is_no_sign_in_link(developer):
    token = user_tokens.shared_access_token(user=developer, key_type="primary", expiry=in_hours(1))
    assert user_tokens.read_sign_in_token(token).outcome == "invalid"


@pytest.mark.parametrize(
    "token", ["", "x", "nobody&209901010000&abc", "a&b&c", "a&2099&c", "a&209901010000&é"]
)
def test_a_malformed_sign_in_token_is_invalid(db, token):
    assert user_tokens.read_sign_in_token(token).outcome == "invalid"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token.rsplit("&", 1)[0] + "&" + "A" * 86 + "==",
        lambda token: token.rsplit("&", 1)[0] + "&AAAA",
        lambda token: token.replace(token.split("&")[1], "209901010000"),
        lambda token: token.replace(token.split("&")[1], "200001010000"),
    ],
    ids=["other-signature", "short-signature", "later-expiry", "past-expiry"],
)
def test_a_forged_sign_in_link_of_a_real_account_is_invalid_and_reads_no_account(
    developer, tamper, django_assert_num_queries
):
    forged = tamper(user_tokens.sign_in_token(user=developer))
    with django_assert_num_queries(0):
        assert user_tokens.read_sign_in_token(forged).outcome == "invalid"


def test_a_link_with_a_forged_account_half_is_worth_no_more_than_a_spent_one(developer):
    # Its first half shows Portico made it; the second is for the account
    # as it never stood, which is what a spent link looks like.
    token = user_tokens.sign_in_token(user=developer)
    assert user_tokens.read_sign_in_token(token[:-6] + "AAAA==").outcome == "spent"


def test_a_forged_link_reads_the_same_for_a_real_and_an_unknown_account(developer):
    for api_id in (developer.api_id, "nobody"):
        for expiry in ("209901010000", "200001010000"):
            token = f"{api_id}&{expiry}&{'A' * 86}=="
            assert user_tokens.read_sign_in_token(token).outcome == "invalid"


def test_a_genuine_link_of_a_deleted_account_is_invalid(developer):
    token = user_tokens.sign_in_token(user=developer)
    developer.delete()
    assert user_tokens.read_sign_in_token(token).outcome == "invalid"


@pytest.mark.parametrize(
    "change",
    [
        {"state": User.State.BLOCKED},
        {"state": User.State.PENDING},
        {"is_staff": True},
        {"is_superuser": True},
    ],
    ids=["blocked", "pending", "support-staff", "administrator"],
)
def test_a_sign_in_link_is_refused_for_an_account_that_may_not_use_one(developer, change):
    token = user_tokens.sign_in_token(user=developer)
    User.objects.filter(pk=developer.pk).update(**change)
    assert user_tokens.read_sign_in_token(token).outcome == "refused"


def test_a_block_then_an_unblock_spends_the_link(developer):
    token = user_tokens.sign_in_token(user=developer)
    user_services.block_user(user=developer, actor=None)
    assert user_tokens.read_sign_in_token(token).outcome == "refused"
    user_services.unblock_user(user=developer)
    assert user_tokens.read_sign_in_token(token).outcome == "spent"


def test_an_unblock_spends_a_link_made_while_blocked(developer):
    User.objects.filter(pk=developer.pk).update(state=User.State.BLOCKED)
    developer.refresh_from_db()
    token = user_tokens.sign_in_token(user=developer)
    user_services.unblock_user(user=developer)
    assert user_tokens.read_sign_in_token(token).outcome == "spent"


def test_a_state_written_around_the_services_and_back_is_refused_while_it_lasts(developer):
    token = user_tokens.sign_in_token(user=developer)
    User.objects.filter(pk=developer.pk).update(state=User.State.PENDING)
    assert user_tokens.read_sign_in_token(token).outcome == "refused"


def test_a_new_password_spends_the_link(developer, administrator):
    token = user_tokens.sign_in_token(user=developer)
    user_services.update_user(user=developer, actor=administrator, password="a new Passw0rd!")
    assert user_tokens.read_sign_in_token(token).outcome == "spent"


def test_a_password_hash_written_around_the_services_spends_the_link(developer):
    token = user_tokens.sign_in_token(user=developer)
    developer.set_password("another Passw0rd!")
    User.objects.filter(pk=developer.pk).update(password=developer.password)
    assert user_tokens.read_sign_in_token(token).outcome == "spent"


def test_any_saved_change_to_the_account_spends_the_link(developer, administrator):
    token = user_tokens.sign_in_token(user=developer)
    user_services.update_user(user=developer, actor=administrator, first_name="Devi")
    assert user_tokens.read_sign_in_token(token).outcome == "spent"
