"""The one funnel for "an account has become active".

Creating an active account (the console, the API, the Django admin),
confirming a sign-up (when no approval is needed), approving a sign-up and
making a pending account active (unblocking it in the console, the API's
state, the Django admin's form) call `activated()` inside their transaction.
A blocked account made active again is no activation: the administrators
may have taken the person out of a rule's group on purpose. What follows an
activation in higher apps (the groups' automatic rules) listens to
`account_activated`, connected in their app's `ready()`, as the sight
funnel does.
"""

from __future__ import annotations

from django.dispatch import Signal

# Sent with user_id, the account that can sign in now.
account_activated = Signal()


def activated(*, user_id: int) -> None:
    """Report that this account has just become active."""
    account_activated.send(sender=activated, user_id=user_id)
