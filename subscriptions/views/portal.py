"""A developer's own subscriptions: subscribe to a product or to one API, and on
the profile show keys, regenerate, rename and cancel. Other people's
subscriptions are a 404, as are APIs and products the developer can't see."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from apis.models import Api
from groups.models import GroupRequest
from portal import preview
from products.models import AccessRequest, Product
from subscriptions import services
from subscriptions.forms import RenameForm, SubscribeForm
from subscriptions.models import Subscription
from subscriptions.rules import PREVIEW_MESSAGE, api_offer, api_terms, offer

# The profile lists this many of the developer's newest requests to join groups.
PROFILE_REQUESTS = 50


def _me(request: HttpRequest) -> int:
    """The signed-in developer's id (the sign-in middleware lets no visitor here)."""
    return int(request.user.pk or 0)


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest, name: str) -> HttpResponse:
    if request.method == "GET":
        # A reload after Subscribe lands here: the product's page holds the form.
        product = get_object_or_404(Product.objects.visible_to(request.user), name=name)
        return redirect("portal:product", name=product.name)
    if preview.current(request) is not None:
        messages.error(request, PREVIEW_MESSAGE)
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
                submission=form.cleaned_data["submission"],
            )
        except Product.DoesNotExist:
            raise Http404("No product matches the given query.") from None
        except ValidationError as error:
            _form_errors(form, error)
        else:
            return _subscribed(request, subscription)
    # The product's page again, with what was typed and why it was refused.
    return render(
        request,
        "products/portal/product_detail.html",
        {
            "product": product,
            "offer": offer(viewer=request.user, product=product),
            "subscribe_form": form,
        },
        status=400,
    )


def _form_errors(form: SubscribeForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_http_methods(["GET", "POST"])
def subscribe_api(request: HttpRequest, name: str) -> HttpResponse:
    """Subscribe to one API: its own page, since the API's reference page only links here.

    The approval, limit and terms are those of the products through which
    the developer sees the API (rules.api_terms); the page says which.
    """
    viewer, shown = preview.viewer_for(request)
    api = get_object_or_404(Api.objects.visible_to(viewer), name=name)
    form = SubscribeForm.fresh(api.display_name)
    status = 200
    if request.method == "POST":
        if shown is not None:
            messages.error(request, PREVIEW_MESSAGE)
            return redirect("portal:subscribe_api", name=api.name)
        form = SubscribeForm(request.POST)
        if form.is_valid():
            try:
                subscription = services.subscribe(
                    developer=request.user,
                    api=api,
                    display_name=form.cleaned_data["display_name"],
                    accepted_terms=form.cleaned_data["accept_terms"],
                    submission=form.cleaned_data["submission"],
                )
            except Api.DoesNotExist:
                raise Http404("No API matches the given query.") from None
            except ValidationError as error:
                _form_errors(form, error)
            else:
                return _subscribed(request, subscription)
        status = 400
    return render(
        request,
        "subscriptions/portal/subscribe_api.html",
        {
            "api": api,
            "offer": api_offer(viewer=request.user, api=api, previewing=shown is not None),
            "terms": api_terms(developer=viewer, api=api),
            "subscribe_form": form,
        },
        status=status,
    )


def _subscribed(request: HttpRequest, subscription: Subscription) -> HttpResponse:
    subscribed_to = subscription.scope_in_words
    if subscription.is_active:
        messages.success(
            request,
            f"Subscribed to {subscribed_to}. Your keys are below; press Show to see them.",
        )
    else:
        messages.success(
            request,
            f"Your request to subscribe to {subscribed_to} is waiting for an "
            "administrator's approval. You will get an email when it is answered.",
        )
    return redirect("portal:profile")


def _own_subscription(request: HttpRequest, sid: str) -> Subscription:
    return get_object_or_404(
        Subscription.objects.select_related("product", "api"), sid=sid, owner=request.user
    )


@never_cache
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    subscriptions = list(
        Subscription.objects.filter(owner_id=request.user.pk)
        .select_related("product", "api")
        .order_by("-created_at")
    )
    shown = request.GET.get("show")
    if shown and shown not in {subscription.sid for subscription in subscriptions}:
        raise Http404("No such subscription.")
    # A product's page is linked only where the developer may open it: a
    # subscription granted on a product they can't see names it, unlinked.
    seen = set(
        Product.objects.visible_to(request.user)
        .filter(pk__in={subscription.product_id for subscription in subscriptions})
        .values_list("pk", flat=True)
    )
    for subscription in subscriptions:
        subscription.product_seen = subscription.product_id in seen  # type: ignore[attr-defined]
    return render(
        request,
        "subscriptions/portal/profile.html",
        {
            "subscriptions": subscriptions,
            "shown": shown,
            "group_requests": GroupRequest.objects.filter(user_id=_me(request))
            .select_related("group")
            .order_by("-created_at", "-pk")[:PROFILE_REQUESTS],
            "access_requests": AccessRequest.objects.filter(user_id=_me(request))
            .select_related("product")
            .order_by("-created_at", "-pk")[:PROFILE_REQUESTS],
        },
    )


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
        "subscriptions/portal/subscription_confirm.html",
        {
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
            services.change_state(subscription=subscription, action="cancel")
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("portal:profile")
        messages.success(
            request, f"Cancelled “{subscription.display_name}”. Its keys no longer work."
        )
        return redirect("portal:profile")
    return render(
        request,
        "subscriptions/portal/subscription_confirm.html",
        {
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
    if not subscription.is_held:
        # An ended subscription keeps its last name (the management API may still rename it).
        messages.error(
            request,
            f"“{subscription.display_name}” is {subscription.get_state_display().lower()}; "
            "an ended subscription can't be renamed.",
        )
        return redirect("portal:profile")
    form = RenameForm(request.POST or None, initial={"display_name": subscription.display_name})
    if form.is_valid():
        services.rename_subscription(
            subscription=subscription, display_name=form.cleaned_data["display_name"]
        )
        messages.success(request, f"Renamed the subscription to “{subscription.display_name}”.")
        return redirect("portal:profile")
    return render(
        request,
        "subscriptions/portal/subscription_rename.html",
        {"subscription": subscription, "form": form},
    )
