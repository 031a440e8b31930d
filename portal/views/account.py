"""Signing in and resetting a password: Django's views, with Portico's rules added."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal import mail, throttle, user_tokens
from portal.forms import PasswordResetByEmailForm, SignInForm
from portal.models import is_administrator

RESET_EMAIL = "registration/password_reset_email.txt"
RESET_SUBJECT = "registration/password_reset_subject.txt"


def send_password_reset(*, email: str) -> None:
    """Email a set-password link to the active account with this address, if there is one."""
    form = PasswordResetByEmailForm({"email": email})
    if not form.is_valid():
        return
    base = urlsplit(settings.PORTICO_BASE_URL)
    form.save(
        domain_override=base.netloc,
        use_https=base.scheme == "https",
        email_template_name=RESET_EMAIL,
        subject_template_name=RESET_SUBJECT,
    )


def home_after_sign_in(user: Any) -> str:
    """Where a sign-in with no (safe) ``next`` lands: administrators in the console."""
    if is_administrator(user):
        return reverse("console:home")
    return reverse("portal:landing")


class SignInView(auth_views.LoginView):
    """Django's sign-in page; an explicit safe ``next`` wins, else home_after_sign_in."""

    authentication_form = SignInForm

    def get_default_redirect_url(self) -> str:
        return home_after_sign_in(self.request.user)


class PasswordResetView(auth_views.PasswordResetView):
    """Ask for a reset link; the answer takes the same time whether or not the account exists.

    The account is looked up, and the email written and sent, after the
    answer, in the background (portal.mail). Too many requests from one
    address or for one account are refused, whether the account exists or not.
    """

    form_class = PasswordResetByEmailForm
    success_url = reverse_lazy("portal:password_reset_done")
    email_template_name = RESET_EMAIL

    def form_valid(self, form: Any) -> HttpResponse:
        email = form.cleaned_data["email"]
        if not throttle.reset_allowed(self.request, email):
            form.add_error(
                "email",
                "Too many reset links were asked for from here or for this address. "
                "Try again in an hour, or use the last link you received.",
            )
            response = self.form_invalid(form)
            response.status_code = 429
            response["Retry-After"] = "3600"
            return response
        mail.send_later(send_password_reset, email=email)
        return HttpResponseRedirect(self.get_success_url())


# What a sign-in link that doesn't sign in answers, and with which status.
# Only a link Portico made learns more than "not one of ours": whether a
# given account exists is never told to someone who merely guessed its ID.
SIGN_IN_REFUSALS = {
    "invalid": (404, "This sign-in link isn't one Portico made. Check it was copied whole."),
    "expired": (410, "This sign-in link has expired. Ask your administrator for a new one."),
    "spent": (
        410,
        "This sign-in link has been used already, or the account has changed since it was "
        "made: each link signs in once, and stops working when the account signs in, is "
        "blocked or unblocked, or gets a new password. Ask your administrator for a new one.",
    ),
    "refused": (
        403,
        "This account can't sign in with a link: it is blocked or not yet confirmed, or "
        "it has the console. Ask your administrator.",
    ),
}
SIGN_IN_BACKEND = "portal.backends.EmailBackend"


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def signin_sso(request: HttpRequest) -> HttpResponse:
    """A one-time sign-in link an administrator handed out (the API's generateSsoUrl).

    Opening it shows whose account it signs in to; the button signs in. A
    GET spends nothing, so a chat app's or a mail scanner's preview of the
    link leaves it working. No answer is kept by a cache (the page carries
    the token), and the project's Referrer-Policy (same-origin) keeps the
    address, token and all, from every other site.
    """
    token = request.POST.get("token") if request.method == "POST" else request.GET.get("token")
    found = user_tokens.read_sign_in_token(token or "")
    if found.outcome != "ok" or found.user is None:
        status, message = SIGN_IN_REFUSALS[found.outcome]
        return render(request, "registration/signin_link.html", {"refusal": message}, status=status)
    if request.method == "GET":
        return render(
            request, "registration/signin_link.html", {"person": found.user, "token": token}
        )
    login(request, found.user, backend=SIGN_IN_BACKEND)
    return HttpResponseRedirect(reverse("portal:landing"))
