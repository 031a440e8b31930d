"""Sign-in with an OpenID Connect provider: its settings and the accounts it vouches for."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.utils import timezone

from portal.entities import VersionedModel
from portal.models import domain_lines

DEFAULT_SCOPES = "openid email profile"
DEFAULT_GROUPS_CLAIM = "groups"
# Settings the environment may fix (PORTICO_OIDC_<NAME>), and the field each one sets.
ENVIRONMENT_FIELDS = {
    "name": "display_name",
    "issuer": "issuer",
    "client_id": "client_id",
    "client_secret": "client_secret",
    "scopes": "scopes",
    "groups_claim": "groups_claim",
}


class IdentityProviderSettings(VersionedModel):
    """The console's settings for the one identity provider; there is one row.

    Each setting the environment gives (settings.PORTICO_OIDC) wins over
    the row's. The client secret is kept as it is, not hashed: Portico must
    show it to the provider.
    """

    display_name = models.CharField(
        "provider name",
        max_length=100,
        blank=True,
        help_text="Shown on the sign-in page's button: “Sign in with Contoso”.",
    )
    issuer = models.URLField(
        "issuer URL",
        max_length=500,
        blank=True,
        help_text="Where the provider publishes /.well-known/openid-configuration. "
        "Blank: nobody signs in with a provider.",
    )
    client_id = models.CharField("client ID", max_length=255, blank=True)
    client_secret = models.CharField("client secret", max_length=1000, blank=True)
    scopes = models.CharField(
        max_length=500, default=DEFAULT_SCOPES, help_text="Separated by spaces; openid first."
    )
    groups_claim = models.CharField(
        "groups claim",
        max_length=100,
        default=DEFAULT_GROUPS_CLAIM,
        help_text="The ID token claim that lists the person's directory groups.",
    )
    allowed_domains = models.TextField(
        "allowed email domains",
        blank=True,
        help_text="One a line. A first sign-in creates an account only at these domains. "
        "Blank: any domain.",
    )
    creates_accounts = models.BooleanField(
        "a first sign-in creates the account",
        default=False,
        help_text="Off: only people who already have an account here can sign in this way.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "identity provider settings"

    def __str__(self) -> str:
        return "Identity provider settings"

    @classmethod
    def load(cls) -> IdentityProviderSettings:
        """The settings row, created with the defaults the first time."""
        current, _ = cls.objects.get_or_create(pk=1)
        return current


@dataclass(frozen=True)
class Provider:
    """The identity provider in force: the environment's settings over the console's."""

    display_name: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: str
    groups_claim: str
    allowed_domains: frozenset[str]
    creates_accounts: bool

    @property
    def configured(self) -> bool:
        return bool(self.issuer and self.client_id)

    def domain_allowed(self, email: str) -> bool:
        domain = email.rpartition("@")[2].strip().lower()
        return not self.allowed_domains or domain in self.allowed_domains


def environment_fields() -> dict[str, str]:
    """The settings the environment fixes: field name to value."""
    given = getattr(settings, "PORTICO_OIDC", {})
    return {
        field: given[key] for key, field in ENVIRONMENT_FIELDS.items() if given.get(key) is not None
    }


def current_provider() -> Provider:
    row = IdentityProviderSettings.objects.filter(pk=1).first() or IdentityProviderSettings()
    values = {field: getattr(row, field) for field in ENVIRONMENT_FIELDS.values()}
    values |= environment_fields()
    return Provider(
        display_name=values["display_name"] or "your identity provider",
        issuer=values["issuer"].strip(),
        client_id=values["client_id"],
        client_secret=values["client_secret"],
        scopes=values["scopes"] or DEFAULT_SCOPES,
        groups_claim=values["groups_claim"] or DEFAULT_GROUPS_CLAIM,
        allowed_domains=frozenset(domain_lines(row.allowed_domains)),
        creates_accounts=row.creates_accounts,
    )


class ExternalIdentity(models.Model):
    """A provider's subject that signs in as this account: (issuer, subject) is who it is."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_identities"
    )
    issuer = models.CharField(max_length=500)
    subject = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=timezone.now)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "external identities"
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="sso_identity_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
