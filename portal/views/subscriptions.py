"""A developer's own subscriptions: subscribe, and on the profile show keys,
regenerate, rename and cancel. Other people's subscriptions are a 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import preview
from products import services
from products.models import Product, Subscription


class SubscribeForm(forms.Form):
    display_name = forms.CharField(
        label="Subscription name",
        max_length=100,
        help_text="For your own reference, e.g. the app that will use the keys.",
    )
    accept_terms = forms.BooleanField(required=False, label="I accept the terms of use")


class RenameForm(forms.Form):
    display_name = forms.CharField(label="Subscription name", max_length=100)


def subscribe_context(request: HttpRequest, product: Product, form: Any = None) -> dict:
    """What the product page needs to offer (or explain) Subscribe."""
    context: dict[str, Any] = {"product": product}
    if not product.subscription_required or not request.user.is_authenticated:
        return context
    if preview.current(request) is not None:
        context["subscribe_blocked"] = "Subscribing is switched off in a preview."
        return context
    mine = Subscription.objects.filter(owner=request.user, product=product)
    context["my_subscriptions"] = list(mine.order_by("-created_at")[:20])
    waiting = next((s for s in context["my_subscriptions"] if s.state == "submitted"), None)
    limit = product.subscriptions_limit
    if waiting is not None:
        context["subscribe_blocked"] = (
            f"Your request “{waiting.display_name}” is waiting for an administrator's "
            "approval. You can subscribe again once it has been answered."
        )
    elif limit is not None and mine.holding().count() >= limit:
        context["subscribe_blocked"] = services.limit_message(product, mine)
    context["subscribe_form"] = form or SubscribeForm(
        initial={"display_name": f"{product.display_name} subscription"}
    )
    return context


@require_POST
def subscribe(request: HttpRequest, name: str) -> HttpResponse:
    if preview.current(request) is not None:
        messages.error(request, "Subscribing is switched off in a preview.")
        return redirect("portal:product", name=name)
    product = get_object_or_404(Product.objects.visible_to(request.user), name=name)
    form = SubscribeForm(request.POST)
    if form.is_valid():
        try:
            subscription = services.subscribe(
                developer=request.user,
                product=product,
                display_name=form.cleaned_data["display_name"],
                accepted_terms=form.cleaned_data["accept_terms"],
            )
        except Product.DoesNotExist:
            raise Http404("No product matches the given query.") from None
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            if subscription.is_active:
                messages.success(
                    request,
                    f"Subscribed to {product.display_name}. Your keys are below; press Show "
                    "to see them.",
                )
            else:
                messages.success(
                    request,
                    f"Your request to subscribe to {product.display_name} is waiting for an "
                    "administrator's approval. You will get an email when it is answered.",
                )
            return redirect("portal:profile")
    return render(
        request, "portal/product_detail.html", subscribe_context(request, product, form), status=400
    )


def _own_subscription(request: HttpRequest, sid: str) -> Subscription:
    return get_object_or_404(
        Subscription.objects.select_related("product"), sid=sid, owner=request.user
    )


@never_cache
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    subscriptions = list(
        Subscription.objects.filter(owner_id=request.user.pk)
        .select_related("product")
        .order_by("-created_at")
    )
    shown = request.GET.get("show")
    if shown and shown not in {subscription.sid for subscription in subscriptions}:
        raise Http404("No such subscription.")
    return render(request, "portal/profile.html", {"subscriptions": subscriptions, "shown": shown})


@require_http_methods(["GET", "POST"])
def regenerate_key(request: HttpRequest, sid: str, which: str) -> HttpResponse:
    subscription = _own_subscription(request, sid)
    if which not in ("primary", "secondary"):
        raise Http404("No such key.")
    if request.method == "POST":
        services.regenerate_key(subscription=subscription, which=which)
        messages.success(
            request,
            f"New {which} key for “{subscription.display_name}”. The old one no longer works; "
            "update the apps that used it.",
        )
        return redirect(f"{reverse('portal:profile')}?show={subscription.sid}#{subscription.sid}")
    return render(
        request,
        "portal/subscription_confirm.html",
        {
            "subscription": subscription,
            "title": f"Regenerate the {which} key?",
            "text": f"The current {which} key of “{subscription.display_name}” stops working "
            "at once. Apps that still send it will be refused.",
            "button": f"Regenerate {which} key",
        },
    )


@require_http_methods(["GET", "POST"])
def cancel_subscription(request: HttpRequest, sid: str) -> HttpResponse:
    subscription = _own_subscription(request, sid)
    if not subscription.allows("cancel"):
        messages.error(
            request,
            f"“{subscription.display_name}” is {subscription.get_state_display().lower()}; "
            "there is nothing to cancel.",
        )
        return redirect("portal:profile")
    if request.method == "POST":
        try:
            services.change_state(subscription=subscription, action="cancel", actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("portal:profile")
        messages.success(
            request, f"Cancelled “{subscription.display_name}”. Its keys no longer work."
        )
        return redirect("portal:profile")
    return render(
        request,
        "portal/subscription_confirm.html",
        {
            "subscription": subscription,
            "title": f"Cancel “{subscription.display_name}”?",
            "text": "Its keys stop working at once. This can't be undone; you can subscribe "
            "again later, within the product's limit.",
            "button": "Cancel subscription",
            "danger": True,
        },
    )


@require_http_methods(["GET", "POST"])
def rename_subscription(request: HttpRequest, sid: str) -> HttpResponse:
    subscription = _own_subscription(request, sid)
    form = RenameForm(request.POST or None, initial={"display_name": subscription.display_name})
    if form.is_valid():
        services.rename_subscription(
            subscription=subscription, display_name=form.cleaned_data["display_name"]
        )
        messages.success(request, f"Renamed the subscription to “{subscription.display_name}”.")
        return redirect("portal:profile")
    return render(
        request, "portal/subscription_rename.html", {"subscription": subscription, "form": form}
    )
