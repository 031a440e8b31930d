"""Deleting an account (the console's Delete, the profile's "Delete my account")
and a developer's download of their own data."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from groups.models import Membership
from portal import console, preview
from portal.access import administrator_required
from portal.models import User
from subscriptions import services
from subscriptions.forms import CloseAccountForm
from subscriptions.models import Subscription

PREVIEW_REFUSAL = "Deleting an account is switched off in a preview: you'd delete your own."


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _losses(person: User) -> list[str]:
    """What deleting this account loses, in words: its memberships, then its subscriptions."""
    groups = list(
        Membership.objects.filter(user=person)
        .order_by("group__display_name")
        .values_list("group__display_name", flat=True)
    )
    owned = Subscription.objects.filter(owner=person)
    total = owned.count()
    still_open = owned.filter(state__in=services.OPEN_STATES).count()
    lost = [
        f"{_plural(len(groups), 'group membership')}: {', '.join(groups)}"
        if groups
        else "No group memberships"
    ]
    if not total:
        lost.append("No subscriptions")
    elif not still_open:
        lost.append(f"{_plural(total, 'subscription')}, all already ended")
    else:
        ended = f"; {total - still_open} already ended" if total > still_open else ""
        its = "its" if still_open == 1 else "their"
        lost.append(
            f"{_plural(total, 'subscription')}: {still_open} active, waiting or suspended, "
            f"cancelled first so {its} keys stop working at once{ended}"
        )
    return lost


@require_http_methods(["GET", "POST"])
@administrator_required
def user_delete(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    lost = _losses(person)
    confirmation = console.Confirmation(
        title=f"Delete {person.email}?",
        text="The account is deleted for good and can't be restored. The person can't "
        "sign in again; to let them back, create a new account.",
        button="Delete",
        cancel_url=person.get_absolute_url(),
        breadcrumbs=[
            ("Users", reverse("console:users")),
            (person.email, person.get_absolute_url()),
        ],
        lost=[f"The account of {person.display_name} ({person.email})", *lost],
        kept=["The groups and products themselves", "Everyone else's subscriptions and keys"],
    )
    if request.method != "POST":
        return console.confirm_page(request, confirmation)
    try:
        cancelled = services.close_account(user=person, actor=request.user)
    except ValidationError as refused:
        return console.confirm_page(request, confirmation, error=" ".join(refused.messages))
    stopped = (
        f" {cancelled} subscription key pair{'' if cancelled == 1 else 's'} stopped."
        if cancelled
        else ""
    )
    messages.success(request, f"Deleted {person.email}.{stopped}")
    return redirect("console:users")


@never_cache
@require_http_methods(["GET", "POST"])
def close_own_account(request: HttpRequest) -> HttpResponse:
    if preview.current(request) is not None:
        messages.error(request, PREVIEW_REFUSAL)
        return redirect("portal:profile")
    user = request.user
    lost = _losses(user)  # type: ignore[arg-type]
    form = CloseAccountForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            services.close_own_account(user=user, password=form.cleaned_data["password"])  # type: ignore[arg-type]
        except ValidationError as refused:
            if hasattr(refused, "error_dict"):
                for field, problems in refused.message_dict.items():
                    for problem in problems:
                        form.add_error(field if field in form.fields else None, problem)
            else:
                error = " ".join(refused.messages)
        else:
            logout(request)
            messages.success(
                request, "Your account is deleted. Its subscriptions' keys no longer work."
            )
            return redirect("portal:landing")
    return render(
        request,
        "subscriptions/portal/account_delete.html",
        {"form": form, "lost": lost, "error": error},
        status=400 if request.method == "POST" else 200,
    )


def _when(moment: Any) -> str | None:
    return None if moment is None else timezone.localtime(moment).isoformat()


def account_data(user: User) -> dict[str, Any]:
    """Everything Portico holds about this person that they may take away; never a key."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("group")
        .order_by("group__display_name", "pk")
    )
    subscriptions = (
        Subscription.objects.filter(owner=user)
        .select_related("product", "api")
        .order_by("created_at", "pk")
    )
    return {
        "profile": {
            "email": user.email,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "registrationDate": _when(user.registration_date),
            "lastSignIn": _when(user.last_login),
            "state": user.state,
        },
        "memberships": [
            {
                "groupId": membership.group.name,
                "groupName": membership.group.display_name,
                "since": _when(membership.added_at),
            }
            for membership in memberships
        ],
        "subscriptions": [
            {
                "id": subscription.sid,
                "name": subscription.display_name,
                "scope": subscription.scope_label,
                "state": subscription.state,
                "createdDate": _when(subscription.created_at),
                "startDate": _when(subscription.activated_at),
                "endDate": _when(subscription.ended_at),
            }
            for subscription in subscriptions
        ],
    }


@never_cache
@require_GET
def download_own_data(request: HttpRequest) -> HttpResponse:
    data = account_data(request.user)  # type: ignore[arg-type]
    response = HttpResponse(
        json.dumps(data, indent=2, ensure_ascii=False), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="portico-my-data.json"'
    return response
