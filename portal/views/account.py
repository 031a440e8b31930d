"""Signing in and resetting a password: Django's views, with Portico's rules added."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import reverse_lazy

from portal import mail, throttle
from portal.forms import PasswordResetByEmailForm

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
