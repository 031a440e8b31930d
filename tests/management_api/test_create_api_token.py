"""api/management/commands/create_api_token.py: a token for provisioning scripts."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from management_api.models import AccessToken
from tests.management_api.helpers import (
    call_api,
)


def test_create_api_token_command_prints_a_working_token(client, administrator):
    out, err = StringIO(), StringIO()
    call_command(
        "create_api_token",
        "--email",
        "ROOT@example.com",
        "--name",
        "Provisioning",
        "--days",
        "7",
        stdout=out,
        stderr=err,
    )
    clear = out.getvalue().strip()
    assert clear.startswith("ptk_")
    assert "\n" not in clear
    assert clear not in err.getvalue()
    token = AccessToken.objects.get()
    assert (token.user, token.name) == (administrator, "Provisioning")
    assert token.token_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert call_api(client, clear).status_code == 200


@pytest.mark.parametrize(
    ("who", "days"),
    [("developer", 30), ("support_staff", 30), ("blocked_administrator", 30), ("administrator", 0)],
)
def test_create_api_token_command_refuses(request, make_user, who, days):
    if who == "blocked_administrator":
        user = make_user(is_superuser=True, is_staff=True, state="blocked")
    else:
        user = request.getfixturevalue(who)
    with pytest.raises(CommandError):
        call_command(
            "create_api_token",
            "--email",
            user.email,
            "--days",
            str(days),
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert not AccessToken.objects.exists()


def test_create_api_token_command_refuses_an_unknown_email(db):
    with pytest.raises(CommandError):
        call_command("create_api_token", "--email", "nobody@example.com", stdout=StringIO())
