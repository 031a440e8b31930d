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

from audit import context as audit_context
from audit.services import Ref, changes, record, snapshot
from groups import services as group_services
from portal import services as portal_services
from portal.entities import update_entity
from portal.models import User, domain_lines
from sso.models import ExternalIdentity, IdentityProviderSettings, Provider

logger = logging.getLogger(__name__)

VIA_SIGN_IN = "sign-in"


SETTINGS_REF = Ref("settings", "identity_provider", "Identity provider")


@transaction.atomic
def update_provider_settings(
    *, expected_version: int | None, **new: Any
) -> IdentityProviderSettings:
    """Change the identity provider; refused if another administrator saved since.

    A blank client secret keeps the stored one: the page never shows it back.
    The record holds what changed, never the secret (audit drops it).
    """
    if not new.get("client_secret"):
        new.pop("client_secret", None)
    if "allowed_domains" in new:
        new["allowed_domains"] = "\n".join(sorted(domain_lines(new["allowed_domains"])))
    current = IdentityProviderSettings.load()
    before = snapshot(current)
    updated = update_entity(current, expected_version=expected_version, changes=new)
    old, changed = changes(before, snapshot(updated))
    if updated.client_secret != current.client_secret:
        # Only that the secret was replaced, never a value.
        old["client_credentials"], changed["client_credentials"] = "previous", "replaced"
    if changed:
        record("settings.identity_provider", SETTINGS_REF, before=old, after=changed)
    return updated


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
    # What the sign-in changes (an account made or linked, groups joined
    # and left) the identity provider did, for this person.
    address = audit_context.request_address()
    claimed = audit_context.directory(
        provider=provider.display_name,
        on_behalf_of=_claim_text(claims, "email", 254) or str(claims["sub"]),
        address=address,
    )
    with audit_context.acting(claimed):
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
    actor = audit_context.directory(
        provider=provider.display_name, on_behalf_of=user.email, address=address
    )
    with audit_context.acting(actor):
        group_services.sync_directory_groups(
            user=user,
            references=directory_references(claims, claim=provider.groups_claim),
            via=VIA_SIGN_IN,
        )
        if found.created or found.linked:
            # The first sign-in through the provider: claim rules apply once, now.
            group_services.apply_claim_rules(user=user, claims=claims)
    return SignedIn(user=user, created=found.created, linked=found.linked)
