"""Invitations: Users › + Add › Invite, the pending list, and the page the link opens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, password_validation
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from groups import invitations
from groups.models import Group, Invitation
from portal import console
from portal.access import administrator_required
from portal.models import User

BACKEND = "portal.backends.EmailBackend"
# Why a link opens nothing, and the status the page answers with.
REFUSALS = {
    "invalid": (404, "This invitation link isn't valid. Check that you copied all of it."),
    "expired": (
        410,
        "This invitation has expired. Ask the person who invited you to send it again.",
    ),
    "revoked": (410, "This invitation was withdrawn. Ask the portal's administrators."),
    "used": (410, "This invitation was already used. Sign in with the account it made."),
}


def _breadcrumbs() -> list[tuple[str, str]]:
    return [("Users", reverse("console:users"))]


class InviteForm(forms.ModelForm):
    groups = forms.ModelMultipleChoiceField(
        queryset=Group.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "Choose custom groups only: built-in groups can't be chosen, "
            "and %(value)s is not a custom group.",
            "invalid_pk_value": "Choose custom groups only: “%(pk)s” is not a group.",
        },
        help_text="The person is in these groups as soon as they accept. Built-in groups "
        "are not listed: Portico works out their members; nor are external groups, whose "
        "members come from the directory.",
    )

    class Meta:
        model = Invitation
        fields = ["email", "first_name", "last_name", "groups"]
        widgets = {"email": forms.EmailInput(attrs={"autofocus": True})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = self.fields["groups"]
        groups.queryset = Group.objects.hand_picked().order_by("display_name", "pk")  # type: ignore[attr-defined]
        if not groups.queryset.exists():  # type: ignore[attr-defined]
            groups.help_text = (
                "There are no custom groups yet, so the person will be in the built-in "
                "groups only. Portico works out their members."
            )
        self.fields["first_name"].help_text = "Optional: the person can change it."

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip()
        existing = invitations.account_with(email)
        if existing is not None:
            raise ValidationError(
                format_html(
                    'An account with this email address already exists: <a href="{}">{}</a>.',
                    existing.get_absolute_url(),
                    existing.email,
                ),
                code="account_exists",
            )
        if invitations.pending_for(email) is not None:
            url = reverse("console:invitations") + "?" + urlencode({"q": email})
            raise ValidationError(
                format_html(
                    'An invitation to this email address is pending. <a href="{}">Resend it</a> '
                    "instead.",
                    url,
                ),
                code="pending",
            )
        return email


class AcceptForm(forms.Form):
    first_name = forms.CharField(max_length=100)
    last_name = forms.CharField(max_length=100)
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args: Any, invitation: Invitation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invitation = invitation

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ. Type the same one twice.")
        elif first:
            person = User(
                email=self.invitation.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, person)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned


@require_GET
@administrator_required
def invitation_list(request: HttpRequest) -> HttpResponse:
    return console.list_page(
        request,
        "portal/invitation_list.html",
        title="Pending invitations",
        items=lambda query: (
            Invitation.objects.open()
            .search(query)
            .select_related("invited_by")
            .prefetch_related("groups")
        ),
        search_label="Search by name or email",
        context={"add_url": reverse("console:invite"), "add_label": "+ Invite"},
    )


@require_http_methods(["GET", "POST"])
@administrator_required
def invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if form.is_valid():
        try:
            invitation = invitations.invite(
                email=form.cleaned_data["email"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                groups=form.cleaned_data["groups"],
                invited_by=request.user,  # type: ignore[arg-type]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            days = (invitation.expires_at - invitation.sent_at).days
            messages.success(
                request,
                f"Invited {invitation.email}. The link in their email works once, for "
                f"{days} day{'s' if days != 1 else ''}.",
            )
            return redirect("console:invitations")
    return render(
        request,
        "portal/invitation_form.html",
        {
            "form": form,
            "breadcrumbs": _breadcrumbs(),
            "days": settings.PORTICO_INVITATION_DAYS,
        },
    )


@require_POST
@administrator_required
def invitation_resend(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.open(), pk=pk)
    invitations.resend(invitation=invitation)
    messages.success(
        request, f"Sent {invitation.email} a new link. The one sent before no longer works."
    )
    return redirect("console:invitations")


@require_http_methods(["GET", "POST"])
@administrator_required
def invitation_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    invitation = get_object_or_404(Invitation.objects.open(), pk=pk)
    listed = reverse("console:invitations")

    def act() -> str | None:
        if not invitations.revoke(invitation=invitation):
            return None
        return f"Revoked the invitation to {invitation.email}. Its link no longer works."

    return console.confirmed(
        request,
        console.Confirmation(
            title=f"Revoke the invitation to {invitation.email}?",
            text="The link in their email stops working at once. You can invite them again later.",
            button="Revoke",
            cancel_url=listed,
            breadcrumbs=[*_breadcrumbs(), ("Pending invitations", listed)],
        ),
        act=act,
        then=listed,
        nothing_done="That invitation was already accepted or revoked.",
    )


def _refused(request: HttpRequest, outcome: str) -> HttpResponse:
    status, text = REFUSALS[outcome]
    return render(request, "portal/invitation_closed.html", {"refusal": text}, status=status)


@login_not_required
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    """The page an invitation's link opens: names and a password make the account."""
    opened = invitations.open_link(token)
    if opened.invitation is None or opened.outcome != "ok":
        return _refused(request, opened.outcome)
    invitation = opened.invitation
    if invitations.account_with(invitation.email) is not None:
        return _account_exists(request, invitation)
    if request.user.is_authenticated:
        # Accepting would sign this person out and the invited one in, in
        # their browser: they sign out themselves first, and the link waits.
        return render(
            request, "portal/invitation_signed_in.html", {"invitation": invitation}, status=409
        )
    form = AcceptForm(
        request.POST or None,
        invitation=invitation,
        initial={"first_name": invitation.first_name, "last_name": invitation.last_name},
    )
    if form.is_valid():
        try:
            user = invitations.accept(
                token=token,
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                password=form.cleaned_data["password1"],
            )
        except invitations.AccountExists:
            return _account_exists(request, invitation)
        except ValidationError as error:
            if error.code in REFUSALS:
                return _refused(request, error.code)
            if error.code == "spent":
                return _refused(request, "used")
            form.add_error(None, error)
        else:
            login(request, user, backend=BACKEND)
            messages.success(
                request, "Welcome to Portico. Your account is ready: these are your products."
            )
            return redirect("portal:products")
    return render(
        request,
        "portal/invitation_accept.html",
        {
            "form": form,
            "invitation": invitation,
            "groups": invitation.groups.order_by("display_name"),
        },
    )


def _account_exists(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    text = (
        f"An account with the email {invitation.email} exists already, so this invitation "
        "can't make another. Sign in with it."
    )
    return render(
        request,
        "portal/invitation_closed.html",
        {"refusal": text, "sign_in": True},
        status=409,
    )
