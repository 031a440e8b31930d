"""The developer portal's Groups page: requestable groups, asking to join, withdrawing.

Only custom groups marked requestable are offered; any other group is a 404
here, so a developer learns nothing about groups that aren't offered.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups import services
from groups.forms import JoinRequestForm
from groups.models import Group, GroupRequest, Membership
from portal import preview
from portal.forms import add_refusal
from portal.lists import paginate

PREVIEW_MESSAGE = "This is a read-only preview: nothing can be requested while viewing as someone."


def _offered() -> QuerySet[Group]:
    return Group.objects.filter(type=Group.Type.CUSTOM, requestable=True)


def _requestable(name: str) -> Group:
    return get_object_or_404(_offered(), name=name)


def _me(request: HttpRequest) -> int:
    """The signed-in developer's id (the sign-in middleware lets no visitor here)."""
    return int(request.user.pk or 0)


@require_GET
def group_list(request: HttpRequest) -> HttpResponse:
    groups = _offered().order_by("display_name_key", "pk")
    page = paginate(request, groups)
    shown = [group.pk for group in page.object_list]
    member_of = set(
        Membership.objects.filter(user_id=_me(request), group_id__in=shown).values_list(
            "group_id", flat=True
        )
    )
    waiting = set(
        GroupRequest.objects.waiting()
        .filter(user_id=_me(request), group_id__in=shown)
        .values_list("group_id", flat=True)
    )
    for group in page.object_list:
        group.is_member = group.pk in member_of  # type: ignore[attr-defined]
        group.is_waiting = group.pk in waiting  # type: ignore[attr-defined]
    return render(request, "groups/portal/group_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def request_to_join(request: HttpRequest, name: str) -> HttpResponse:
    group = _requestable(name)
    form = JoinRequestForm(request.POST or None)
    if request.method == "POST" and preview.current(request) is not None:
        messages.error(request, PREVIEW_MESSAGE)
        return redirect("portal:groups")
    if form.is_valid():
        try:
            services.request_to_join(
                user=request.user, group=group, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            add_refusal(form, error)
        else:
            messages.success(
                request,
                f"Your request to join {group.display_name} was sent. An administrator will "
                "approve or reject it; you'll get an email either way, and its state is on "
                "your profile.",
            )
            return redirect("portal:groups")
    status = 400 if form.is_bound else 200
    return render(
        request, "groups/portal/request_form.html", {"group": group, "form": form}, status=status
    )


@require_POST
def withdraw_request(request: HttpRequest, pk: int) -> HttpResponse:
    if preview.current(request) is not None:
        messages.error(request, PREVIEW_MESSAGE)
        return redirect("portal:profile")
    mine = get_object_or_404(
        GroupRequest.objects.select_related("group", "user"), pk=pk, user=request.user
    )
    try:
        services.withdraw_request(request=mine)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Withdrew your request to join {mine.group.display_name}.")
    return redirect("portal:profile")
