"""The console's Subscriptions tab: every subscription, approvals and state changes,
and the Settings page, whose rules are the subscriptions'."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from portal import console
from portal.access import administrator_required
from subscriptions import services
from subscriptions.forms import SubscriptionSettingsForm
from subscriptions.models import Subscription, SubscriptionSettings

ACTION_LABELS = {
    "approve": "Approve",
    "reject": "Reject",
    "suspend": "Suspend",
    "activate": "Activate",
    "cancel": "Cancel",
}
# Actions that ask first, and what they say.
CONFIRMED = {
    "reject": "The request is refused and the developer is emailed the reason.",
    "suspend": "Its keys stop working until the subscription is activated again.",
    "cancel": "Its keys stop working at once. This can't be undone; the developer can "
    "subscribe again, within the product's limit.",
}
# Actions that keep a reason as the state comment, and who sees it.
REASONS = {
    "reject": "Reason, sent to the developer",
    "suspend": "Reason, shown to the developer",
}
STATE_FILTER = console.Filter(
    field="state", label="State", everything="All states", choices=Subscription.State.choices
)


@require_GET
@administrator_required
def subscription_list(request: HttpRequest) -> HttpResponse:
    return console.list_page(
        request,
        "subscriptions/subscription_list.html",
        title="Subscriptions",
        items=lambda query: (
            Subscription.objects.search(query)
            .select_related("owner", "product", "api")
            .order_by("-created_at", "-pk")
        ),
        search_label="Search by developer, product, API or name",
        filter=STATE_FILTER,
    )


@require_GET
@administrator_required
def subscription_detail(request: HttpRequest, sid: str) -> HttpResponse:
    subscription = get_object_or_404(
        Subscription.objects.select_related("owner", "product", "api"), sid=sid
    )
    return render(
        request,
        "subscriptions/subscription_detail.html",
        console.detail_context(
            heading=subscription.display_name,
            breadcrumbs=[("Subscriptions", reverse("subscriptions:list"))],
            tabs=[],
            tab="",
        )
        | {
            "subscription": subscription,
            "actions": [(action, ACTION_LABELS[action]) for action in subscription.actions],
            "confirmed": CONFIRMED,
        },
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def subscription_change_state(request: HttpRequest, sid: str, action: str) -> HttpResponse:
    subscription = get_object_or_404(
        Subscription.objects.select_related("owner", "product", "api"), sid=sid
    )
    if action not in Subscription.TRANSITIONS:
        raise Http404("No such action.")
    if request.method == "GET" and (action not in CONFIRMED or not subscription.allows(action)):
        return redirect(subscription)

    def change() -> str:
        changed = services.change_state(
            subscription=subscription,
            action=action,
            comment=request.POST.get("comment", "")[:1000],
        )
        text = f"“{changed.display_name}” is now {changed.get_state_display().lower()}."
        if action in ("approve", "reject") and changed.owner_id is not None:
            text += " The developer has been emailed."
        return text

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"{ACTION_LABELS[action]} “{subscription.display_name}”?",
            text=CONFIRMED.get(action, ""),
            button=ACTION_LABELS[action],
            cancel_url=subscription.get_absolute_url(),
            breadcrumbs=[
                ("Subscriptions", reverse("subscriptions:list")),
                (subscription.display_name, subscription.get_absolute_url()),
            ],
            reason=REASONS.get(action, ""),
        ),
        act=change,
        then=subscription.get_absolute_url(),
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def subscription_settings(request: HttpRequest) -> HttpResponse:
    form = SubscriptionSettingsForm(request.POST or None, instance=SubscriptionSettings.load())
    if form.is_valid():
        services.update_settings(**form.cleaned_data)
        messages.success(request, "Saved the settings.")
        return redirect("console:settings")
    return render(request, "subscriptions/settings.html", {"form": form})
