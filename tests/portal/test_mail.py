"""portal.mail: email is sent after the commit from a background thread, and a failure there
is logged, never raised."""

from __future__ import annotations

import logging
import threading
from smtplib import SMTPServerDisconnected

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse

from subscriptions.models import Subscription

pytestmark = pytest.mark.django_db(transaction=True)


class BrokenEmailBackend(BaseEmailBackend):
    """A mail server that hangs up on every message."""

    threads: list[threading.Thread] = []

    def send_messages(self, messages):
        type(self).threads.append(threading.current_thread())
        raise SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.fixture
def in_background(settings):
    settings.PORTICO_MAIL_IN_BACKGROUND = True


@pytest.fixture
def broken_mail_server(settings, in_background):
    settings.MAILERS = {"default": {"BACKEND": f"{__name__}.BrokenEmailBackend"}}
    BrokenEmailBackend.threads.clear()


def test_send_later_sends_after_the_commit_from_a_background_thread(in_background):
    from portal import mail

    ran: list[str] = []

    def send(*, to: str) -> None:
        ran.append(f"{threading.current_thread().name} to {to}")

    with transaction.atomic():
        mail.send_later(send, to="dev@example.com")
        assert ran == []
    mail.wait()
    [line] = ran
    assert line.startswith("portico-mail") and line.endswith(" to dev@example.com")


def test_send_later_sends_nothing_when_the_transaction_rolls_back(in_background):
    from portal import mail

    ran: list[str] = []
    with pytest.raises(RuntimeError), transaction.atomic():
        mail.send_later(lambda: ran.append("sent"))
        raise RuntimeError("the write failed")
    mail.wait()
    assert ran == []


def test_a_failing_background_send_is_logged_not_raised(in_background, caplog):
    from portal import mail

    def send_invitation(*, user_id: int) -> None:
        raise SMTPServerDisconnected("Connection unexpectedly closed")

    mail.send_later(send_invitation, user_id=1)
    mail.wait()
    [record] = [record for record in caplog.records if record.name == "portal.mail"]
    assert record.levelno == logging.ERROR
    assert "send_invitation" in record.getMessage()
    assert record.threadName.startswith("portico-mail")
    assert isinstance(record.exc_info[1], SMTPServerDisconnected)


def test_a_mail_server_failure_after_subscribing_is_logged_and_the_subscription_kept(
    client, administrator, member, make_product, broken_mail_server, caplog
):
    product = make_product("Approvals", approval_required=True)
    client.force_login(member)
    response = client.post(
        reverse("portal:subscribe", args=[product.name]),
        {"display_name": "App", "accept_terms": "on"},
    )
    assert response.status_code == 302
    from portal import mail

    mail.wait()
    assert [thread.name[:12] for thread in BrokenEmailBackend.threads] == ["portico-mail"]
    logged = [record for record in caplog.records if record.levelno == logging.ERROR]
    assert any(
        isinstance(record.exc_info and record.exc_info[1], SMTPServerDisconnected)
        for record in logged
    )
    assert Subscription.objects.filter(owner=member, product=product).count() == 1
