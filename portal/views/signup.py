"""Signing up on the developer portal, confirming the email, and the console's side of it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from audit import context as audit_context
from audit.models import Record
from portal import console, services, signup, throttle
from portal.access import administrator_required
from portal.entities import ConcurrentChangeError
from portal.models import SignUpSettings, User
from portal.signup_forms import SETTINGS_FIELDS, SignUpForm, SignUpSettingsForm

# What a confirmation link that doesn't confirm answers, and with which status.
REFUSALS = {
    "invalid": (404, "This confirmation link isn't one Portico made. Check it was copied whole."),
    "expired": (
        410,
        "This confirmation link has expired. Sign up again with the same email to get a new one.",
    ),
    "spent": (
        410,
        "This confirmation link has been used already: each link works once. "
        "If your account is active, sign in.",
    ),
}


def _open_settings() -> SignUpSettings:
    current = SignUpSettings.load()
    if not current.enabled:
        raise Http404("Sign-up is switched off.")
    return current


@login_not_required
@require_http_methods(["GET", "POST"])
def signup_page(request: HttpRequest) -> HttpResponse:
    """The sign-up form; every accepted form gets the same "Check your email" page."""
    current = _open_settings()
    form = SignUpForm(request.POST or None, terms=current.terms)
    status = 200
    if form.is_valid():
        data = form.cleaned_data
        if not throttle.signup_allowed(request, data["email"]):
            form.add_error(
                "email",
                "Too many sign-ups were asked for from here or for this address. "
                "Try again in an hour, or use the last link you received.",
            )
            response = render(
                request,
                "registration/signup.html",
                {"form": form, "terms": current.terms},
                status=429,
            )
            response["Retry-After"] = "3600"
            return response
        try:
            services.sign_up(
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                password=data["password"],
            )
        except services.SignUpClosed:
            raise Http404("Sign-up is switched off.") from None
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                form.add_error(field if field in form.fields else None, problems)
        else:
            return redirect("portal:signup_sent")
    if form.is_bound:
        status = 400
    return render(
        request, "registration/signup.html", {"form": form, "terms": current.terms}, status=status
    )


@login_not_required
@require_http_methods(["GET"])
def signup_sent(request: HttpRequest) -> HttpResponse:
    _open_settings()
    return render(request, "registration/signup_sent.html", {"days": signup.link_life().days})


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The emailed link. Opening it spends nothing (mail scanners open links);
    the button confirms. Works even if sign-up was switched off since."""
    found = signup.read_confirmation_token(token)
    if found.outcome != "ok" or found.user is None:
        status, message = REFUSALS[found.outcome]
        return render(
            request, "registration/signup_confirm.html", {"refusal": message}, status=status
        )
    if request.method == "GET":
        return render(request, "registration/signup_confirm.html", {"person": found.user})
    # The person confirms: the link is theirs, signed in or not.
    actor = audit_context.person(
        found.user, via=Record.Via.PORTAL, address=audit_context.request_address(request)
    )
    try:
        with audit_context.acting(actor):
            person = services.confirm_signup(user=found.user)
    except ValidationError:
        status, message = REFUSALS["spent"]
        return render(
            request, "registration/signup_confirm.html", {"refusal": message}, status=status
        )
    return render(request, "registration/signup_confirmed.html", {"person": person})


@require_POST
@administrator_required
def user_approve(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(User, pk=pk)
    if services.approve_signup(user=person):
        messages.success(
            request, f"Approved {person.email}. They can sign in now; we emailed them."
        )
    else:
        messages.info(request, f"{person.email} wasn't waiting for approval; nothing changed.")
    return redirect(person)


@require_http_methods(["GET", "POST"])
@administrator_required
def signup_settings(request: HttpRequest) -> HttpResponse:
    """Who may sign up; a save made over another administrator's is refused and shown."""
    current = SignUpSettings.load()
    form = SignUpSettingsForm(request.POST or None, instance=current)
    conflict = None
    if form.is_valid():
        changes = {name: form.cleaned_data[name] for name in SETTINGS_FIELDS}
        try:
            services.update_signup_settings(
                expected_version=form.cleaned_data["version"], **changes
            )
        except ConcurrentChangeError as error:
            form, conflict = console.reopen_after_conflict(
                SignUpSettingsForm, request.POST, error.current
            )
        else:
            messages.success(request, "Saved the sign-up settings.")
            return redirect("console:signup_settings")
    status = 400 if form.is_bound else 200
    return render(
        request,
        "registration/signup_settings.html",
        {"form": form, "conflict": conflict},
        status=status,
    )
