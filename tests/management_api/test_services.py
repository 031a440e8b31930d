"""management_api.services: issuing, revoking and noting the use of personal access tokens."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from management_api.models import AccessToken
from management_api.services import issue_token, record_use, revoke_token
from tests.conftest import fresh
from tests.management_api.helpers import SYSTEM_GROUPS, names, url


def test_issue_token_returns_the_clear_token_once_and_stores_its_hash(administrator):
    before = timezone.now()
    token, clear = issue_token(user=administrator, name="CI", days=30)
    row = fresh(token)
    assert clear.startswith("ptk_") and len(clear) > 40
    assert row.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert row.prefix == clear[:12]
    stored = [str(getattr(row, field.attname)) for field in AccessToken._meta.concrete_fields]
    assert not any(clear in value for value in stored)
    assert (row.user, row.name, row.last_used_at, row.revoked_at) == (
        administrator,
        "CI",
        None,
        None,
    )
    assert before + timedelta(days=30) <= row.expires_at <= timezone.now() + timedelta(days=30)
    assert list(AccessToken.objects.usable()) == [row]


def test_issue_token_gives_a_new_token_every_time(administrator):
    clears = {issue_token(user=administrator, name="same", days=1)[1] for _ in range(3)}
    assert len(clears) == 3


def test_revoke_token_makes_it_unusable_and_keeps_the_first_time(administrator):
    token, _ = issue_token(user=administrator, name="CI", days=1)
    revoked = revoke_token(token=token)
    first = fresh(token).revoked_at
    assert first is not None and revoked.revoked_at == first
    revoke_token(token=fresh(token))
    assert fresh(token).revoked_at == first
    assert not AccessToken.objects.usable().exists()


@pytest.fixture
def token(administrator):
    issued, _ = issue_token(user=administrator, name="CI", days=1)
    return issued


def test_record_use_notes_the_first_use(token):
    before = timezone.now()
    record_use(token=fresh(token))
    assert before <= fresh(token).last_used_at <= timezone.now()


def test_record_use_writes_at_most_once_a_minute(token):
    recent = timezone.now() - timedelta(seconds=30)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    record_use(token=fresh(token))
    assert fresh(token).last_used_at == recent


def test_record_use_writes_again_after_a_minute(token):
    earlier = timezone.now() - timedelta(minutes=2)
    AccessToken.objects.filter(pk=token.pk).update(last_used_at=earlier)
    record_use(token=fresh(token))
    assert fresh(token).last_used_at > earlier + timedelta(minutes=1)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("fault", ["read-only", "refused"])
def test_a_read_goes_ahead_while_writes_fail_and_the_use_is_noted_once_they_work(
    client, administrator, bearer_for, writes_refused, database_fails, fault
):
    """Noting a token's use is not the call's purpose: a full disk must not stop reads."""
    a_while_ago = timezone.now() - timedelta(minutes=5)
    bearer = bearer_for(administrator, last_used_at=a_while_ago)
    token = AccessToken.objects.get(user=administrator)
    if fault == "read-only":
        writes_refused(True)
    else:
        database_fails("writes")
    response = client.get(url("groups"), **bearer)
    assert names(response) == SYSTEM_GROUPS
    assert fresh(token).last_used_at == a_while_ago
    writes_refused(False)
    database_fails("none")
    before = timezone.now()
    assert client.get(url("groups"), **bearer).status_code == 200
    assert before <= fresh(token).last_used_at <= timezone.now()
