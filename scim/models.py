"""What SCIM provisioning keeps of its own: its bearer tokens and the directory's user ids."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils import timezone

TOKEN_PREFIX = "pscim_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ScimTokenQuerySet(models.QuerySet["ScimToken"]):
    def usable(self) -> ScimTokenQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class ScimToken(models.Model):
    """A bearer token an identity provider sends to /scim/v2/; only its hash is stored.

    Not a person's token, unlike the management API's: it belongs to the
    portal (one per identity provider or tenant), so every administrator
    sees and may revoke it, and it keeps working when its creator leaves.
    """

    name = models.CharField(max_length=100)
    # The first characters, shown in the console so that people can tell tokens apart.
    prefix = models.CharField(max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ScimTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ScimUser(models.Model):
    """The directory's own reference for a person (SCIM's externalId).

    Kept beside the account rather than on it: only provisioning knows it,
    and the account stays the same whoever manages it.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scim"
    )
    external_id = models.CharField(max_length=2000, blank=True)

    def __str__(self) -> str:
        return self.external_id
