"""The console's Subscriptions tab: every subscription, approvals and state changes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal.access import administrator_required
from portal.lists import choice, paginate, search_query
from products import services
from products.models import Subscription

ACTION_LABELS = {
    "approve": "Approve",
    "reject": "Reject",
    "suspend": "Suspend",
    "activate": "Activate",
    "cancel": "Cancel",
}
# Actions whose reason is kept as the state comment and shown to the developer.
ACTIONS_WITH_REASON = ("reject", "suspend")


@require_GET
@administrator_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    query = search_query(request)
    state = choice(request, "state", Subscription.State.values)
    subscriptions = (
        Subscription.objects.search(query)
        .select_related("owner", "product")
        .order_by("-created_at", "-pk")
    )
    if state:
        subscriptions = subscriptions.filter(state=state)
    return render(
        request,
        "products/subscription_list.html",
        {
            "page": paginate(request, subscriptions),
            "query": query,
            "state": state,
            "states": Subscription.State.choices,
        },
    )


@require_GET
@administrator_required
def subscription_detail(request: HttpRequest, sid: str) -> HttpResponse:
    subscription = get_object_or_404(
        Subscription.objects.select_related("owner", "product"), sid=sid
    )
    return render(
        request,
        "products/subscription_detail.html",
        {
            "subscription": subscription,
            "actions": [(action, ACTION_LABELS[action]) for action in subscription.actions],
            "actions_with_reason": ACTIONS_WITH_REASON,
        },
    )


@require_POST
@administrator_required
def subscription_change_state(request: HttpRequest, sid: str, action: str) -> HttpResponse:
    subscription = get_object_or_404(Subscription, sid=sid)
    if action not in Subscription.TRANSITIONS:
        raise Http404("No such action.")
    comment = request.POST.get("comment", "")[:1000]
    try:
        changed = services.change_state(
            subscription=subscription, action=action, comment=comment, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        text = f"“{changed.display_name}” is now {changed.get_state_display().lower()}."
        if action in ("approve", "reject") and changed.owner_id is not None:
            text += " The developer has been emailed."
        messages.success(request, text)
    return redirect(subscription)
