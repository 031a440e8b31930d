"""A person's Access as of page: what they could see, through which groups,
and what they held, at a chosen moment, and what changed between two."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from portal import console
from portal.access import administrator_required
from portal.lists import paginate
from portal.models import User
from subscriptions import history


@require_GET
@administrator_required
def user_as_of(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    context = console.as_of_context(
        request, partial(history.person_as_of, person), history.person_changes
    )
    return render(
        request,
        "portal/user_as_of.html",
        console.detail_context(
            heading=f"Access as of: {person.display_name}",
            breadcrumbs=[
                ("Users", reverse("console:users")),
                (person.display_name, reverse("console:user_detail", args=[person.pk])),
            ],
            tabs=[],
            tab="",
        )
        | context
        | {
            "person": person,
            "page": paginate(request, context["result"].seen),
        },
    )
