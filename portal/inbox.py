"""Sign-ups waiting for an administrator's approval, as the approvals inbox lists them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from portal import approvals, services
from portal.models import User, UserQuerySet


def waiting() -> UserQuerySet:
    return User.objects.filter(state=User.State.PENDING, email_confirmed_at__isnull=False)


def _search(items: UserQuerySet, query: str) -> UserQuerySet:
    return items.search(query)


def _load(ids: list[int]) -> dict[int, User]:
    return User.objects.in_bulk(ids)


def _approve(person: User, actor: Any, data: Mapping[str, Any]) -> str:
    if not services.approve_signup(user=person):
        raise ValidationError(f"{person.email} is no longer waiting for approval.")
    return f"{person.display_name} can sign in now; they got an email saying so."


def _reject(person: User, actor: Any, reason: str) -> str:
    if not services.reject_signup(user=person, reason=reason):
        raise ValidationError(f"{person.email} is no longer waiting for approval.")
    return f"{person.display_name}'s sign-up was declined and removed; they got your reason."


def _summary(person: User) -> str:
    confirmed = timezone.localtime(person.email_confirmed_at)
    return f"{person.display_name} <{person.email}> signed up, confirmed {confirmed:%d %b %H:%M}"


SIGNUPS = approvals.Kind(
    key="signup",
    label="Sign-ups",
    noun="sign-up",
    waiting=waiting,
    since="email_confirmed_at",
    search=_search,
    load=_load,
    template="portal/approval_row_signup.html",
    approve=_approve,
    reject=_reject,
    summary=_summary,
    order=10,
)
