"""Writes for single sign-on: the provider's settings, and the account a sign-in lands in."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone

from groups import services as group_services
from portal import services as portal_services
from portal.entities import update_entity
from portal.models import User, domain_lines
from sso.models import ExternalIdentity, IdentityProviderSettings, Provider

logger = logging.getLogger(__name__)

VIA_SIGN_IN = "sign-in"


def update_provider_settings(
    *, expected_version: int | None, **changes: Any
) -> IdentityProviderSettings:
    """Change the identity provider; refused if another administrator saved since.

    A blank client secret keeps the stored one: the page never shows it back.
    """
    if not changes.get("client_secret"):
        changes.pop("client_secret", None)
    if "allowed_domains" in changes:
        changes["allowed_domains"] = "\n".join(sorted(domain_lines(changes["allowed_domains"])))
    return update_entity(
        IdentityProviderSettings.load(), expected_version=expected_version, changes=changes
    )


class SignInRefused(Exception):
    """The provider vouched for someone who may not come in; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class SignedIn:
    user: User
    created: bool
    linked: bool


def directory_references(claims: dict[str, Any], *, claim: str) -> list[str]:
    """The groups claim as a list of references: missing is none, and so is a malformed one."""
    value = claims.get(claim)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        logger.warning("The ID token's %r claim is not a list of strings; syncing no groups", claim)
        return []
    return value


def _claim_text(claims: dict[str, Any], name: str, limit: int) -> str:
    value = claims.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def _account_for(*, provider: Provider, issuer: str, claims: dict[str, Any]) -> SignedIn:
    subject = str(claims["sub"])
    identity = (
        ExternalIdentity.objects.select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is not None:
        return SignedIn(user=identity.user, created=False, linked=False)
    email = _claim_text(claims, "email", 254)
    # Entra ID sends no email_verified; its optional claim xms_edov says the
    # tenant verified that it owns the address's domain.
    verified = claims.get("email_verified") is True or claims.get("xms_edov") is True
    if not email:
        raise SignInRefused(
            f"{provider.display_name} didn't tell Portico your email address, so no account "
            "here could be found for you. Ask your administrator to add the email scope."
        )
    existing = User.objects.filter(Exact(Lower("email"), email.lower())).first()
    if existing is not None:
        if not verified:
            raise SignInRefused(
                f"An account here has this email address, but {provider.display_name} hasn't "
                "verified that the address is yours, so the two can't be joined. Sign in with "
                "your password, or ask your administrator."
            )
        ExternalIdentity.objects.create(user=existing, issuer=issuer, subject=subject)
        return SignedIn(user=existing, created=False, linked=True)
    if not provider.creates_accounts:
        raise SignInRefused(
            "You don't have an account here yet, and signing in doesn't create one. "
            "Ask your administrator for an account."
        )
    if not verified:
        raise SignInRefused(
            f"{provider.display_name} hasn't verified your email address, so no account can "
            "be created for it. Verify it with them, then try again."
        )
    if not provider.domain_allowed(email):
        raise SignInRefused(
            "Accounts can be created this way only for addresses at: "
            + ", ".join(sorted(provider.allowed_domains))
        )
    user = portal_services.create_user(
        email=email,
        first_name=_claim_text(claims, "given_name", 100),
        last_name=_claim_text(claims, "family_name", 100),
        password=None,
        # No password and no "choose a password" email: the provider signs them in.
        password_hash=make_password(None),
        note=f"Created at first sign-in with {provider.display_name}.",
    )
    ExternalIdentity.objects.create(user=user, issuer=issuer, subject=subject)
    return SignedIn(user=user, created=True, linked=False)


@transaction.atomic
def sign_in(*, provider: Provider, issuer: str, claims: dict[str, Any]) -> SignedIn:
    """The account that validated ID token claims sign in to, with its directory groups synced.

    Matched by (issuer, subject); else linked to the account with the same
    email only when the provider says it verified the address; else created
    when first sign-ins may create accounts. A blocked or pending account
    is refused, whatever the provider says, and a refusal leaves nothing
    behind (one transaction).
    """
    found = _account_for(provider=provider, issuer=issuer, claims=claims)
    user = User.objects.select_for_update().get(pk=found.user.pk)
    if user.state == User.State.BLOCKED:
        raise SignInRefused("This account is blocked. Ask your administrator.")
    if user.state == User.State.PENDING:
        raise SignInRefused(
            "This account isn't active yet: it is waiting for its email address to be "
            "confirmed or for an administrator's approval."
        )
    ExternalIdentity.objects.filter(issuer=issuer, subject=str(claims["sub"])).update(
        last_sign_in_at=timezone.now()
    )
    group_services.sync_directory_groups(
        user=user,
        references=directory_references(claims, claim=provider.groups_claim),
        via=VIA_SIGN_IN,
    )
    if found.created or found.linked:
        # The first sign-in through the provider: claim rules apply once, now.
        group_services.apply_claim_rules(user=user, claims=claims)
    return SignedIn(user=user, created=found.created, linked=found.linked)
