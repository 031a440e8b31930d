"""The console's Subscriptions tab: every subscription, approvals and state changes,
and the Settings page, whose rules are the subscriptions'."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from apis.models import Api
from portal import activity, console
from portal.access import administrator_required
from portal.lists import search_query
from portal.models import User
from products.models import Product
from subscriptions import rules, services
from subscriptions.forms import GrantForm, SubscriptionSettingsForm
from subscriptions.models import Subscription, SubscriptionSettings, new_subscription_id

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
        context={"add_url": reverse("subscriptions:grant"), "add_label": "+ Add subscription"},
    )


# How many developers the + Add subscription page suggests as an address is typed.
SUGGESTIONS = 10
# The service's field names, as the grant form names them.
GRANT_FIELDS = {"owner": "developer", "display_name": "display_name", "state": "state"}


@require_http_methods(["GET", "POST"])
@administrator_required
def subscription_grant(request: HttpRequest) -> HttpResponse:
    """+ Add subscription: an administrator grants a developer a subscription to any
    product or API; ?scope=products/<id> or apis/<id> (a product's or an API's page) chooses it."""
    form = GrantForm(request.POST or None, initial={"scope": request.GET.get("scope", "")})
    if form.is_valid():
        developer = form.cleaned_data["developer"]
        scope = form.cleaned_data["scope"]
        try:
            subscription = services.create_subscription(
                sid=new_subscription_id(),
                owner=developer,
                product=scope if isinstance(scope, Product) else None,
                api=scope if isinstance(scope, Api) else None,
                display_name=form.cleaned_data["display_name"],
                actor=request.user,
                state=form.cleaned_data["state"] or None,
                notify_owner=form.cleaned_data["notify"],
            )
        except ValidationError as error:
            _grant_refused(form, error, developer=developer, scope=scope)
        else:
            messages.success(request, _granted_message(subscription, form.cleaned_data["notify"]))
            return redirect(subscription)
    return render(
        request,
        "subscriptions/subscription_grant.html",
        {"form": form, "lookup_url": reverse("subscriptions:grant_developers")},
    )


def _grant_refused(
    form: GrantForm, error: ValidationError, *, developer: User, scope: Product | Api
) -> None:
    """The service's refusal, next to the field it is about."""
    if getattr(error, "code", "") == "limit":
        form.add_error("scope", _limit_reached(developer, scope))
    elif hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(GRANT_FIELDS.get(field), messages_)
    else:
        form.add_error(None, error.messages)


def _limit_reached(developer: User, scope: Product | Api) -> str:
    """Which limit the developer has reached, and where to raise it."""
    if isinstance(scope, Product):
        limit = scope.subscriptions_limit
        named, source, settings = scope.display_name, "", "the product's Settings"
    else:
        # An API's limit is the lowest of the products the developer sees it in.
        terms = rules.api_terms(developer=developer, api=scope)
        limit = terms.subscriptions_limit
        setting = [p.display_name for p in terms.products if p.subscriptions_limit == limit]
        one = len(setting) == 1
        named = f"the {scope.display_name} API"
        source = f" (from {_listed(setting)}, which show{'s' if one else ''} them the API)"
        settings = "that product's Settings" if one else "those products' Settings"
    return (
        f"{developer.email} already holds {limit} subscription{'s' if limit != 1 else ''} "
        f"to {named}, its limit per developer{source}. Cancel one of theirs, or raise the "
        f"limit in {settings}."
    )


def _listed(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _granted_message(subscription: Subscription, notified: bool) -> str:
    owner = subscription.owner
    assert owner is not None
    text = (
        f"Granted “{subscription.display_name}” to {owner.email} for "
        f"{subscription.scope_in_words}. "
    )
    if subscription.is_active:
        text += "It is active; its keys are on their profile"
        text += ", and they have been emailed." if notified else "."
    else:
        text += "It waits for approval: press Approve when it should start"
        text += "; they have been emailed." if notified else "."
    if subscription.beyond_sight:
        text += (
            f" They can't see {subscription.scope_in_words} in the portal: the "
            "subscription stands on your grant, and losing sight of "
            f"{'other ' if subscription.product is not None else ''}products won't suspend it."
        )
    return text


@require_GET
@administrator_required
def subscription_grant_developers(request: HttpRequest) -> JsonResponse:
    """The addresses + Add subscription suggests as one is typed: a few matches, never all."""
    query = search_query(request)
    found = (
        User.objects.search(query)
        .order_by("email")
        .values("email", "first_name", "last_name", "state")[:SUGGESTIONS]
        if query
        else []
    )
    return JsonResponse(
        {
            "developers": [
                {
                    "email": row["email"],
                    "label": " ".join(
                        part
                        for part in (
                            row["first_name"],
                            row["last_name"],
                            "(blocked)" if row["state"] == User.State.BLOCKED else "",
                        )
                        if part
                    ),
                }
                for row in found
            ]
        }
    )


@require_GET
@administrator_required
def subscription_detail(request: HttpRequest, sid: str) -> HttpResponse:
    subscription = get_object_or_404(
        Subscription.objects.select_related("owner", "product", "api", "granted_by"), sid=sid
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
        }
        | activity.history("subscription", subscription.pk, request.path),
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
