"""The activity record: one row per change, appended in the change's own
transaction and never edited.

This app sits at the bottom of the dependency order and knows no other app:
a record names what it is about by kind ("group", "user"), primary key and
the label it had then, not by foreign key, so it outlives what it names.
"""

from __future__ import annotations

from typing import Any, NoReturn, Self

from django.db import models
from django.db.models import Q
from django.utils import timezone


class AppendOnlyError(Exception):
    """Someone tried to change or delete an activity record."""


def _refuse(*_: Any, **__: Any) -> NoReturn:
    raise AppendOnlyError("Activity records can't be changed or deleted.")


class RecordQuerySet(models.QuerySet["Record"]):
    # A record is never edited, and only the retention command removes one
    # (audit.services.prune, through _prune below).
    update = _refuse  # type: ignore[assignment]
    delete = _refuse  # type: ignore[assignment]

    def about(self, kind: str, pk: Any) -> Self:
        """Records whose object, or whose other end (a membership's person), is this one."""
        pk = str(pk)
        return self.filter(Q(object_kind=kind, object_id=pk) | Q(related_kind=kind, related_id=pk))

    def _prune(self) -> int:
        return self._raw_delete(self.db)  # type: ignore[attr-defined,no-any-return]


class Record(models.Model):
    """Who changed what, when, from where, and the values before and after."""

    class ActorKind(models.TextChoices):
        PERSON = "person", "Person"
        TOKEN = "token", "Access token"
        DIRECTORY = "directory", "Identity provider"
        JOB = "job", "Background job"
        SYSTEM = "system", "Portico"

    class Via(models.TextChoices):
        CONSOLE = "console", "Console"
        PORTAL = "portal", "Developer portal"
        ADMIN = "admin", "Django admin"
        API = "api", "Management API"
        SCIM = "scim", "SCIM provisioning"
        SIGN_IN = "sign_in", "Sign-in"
        COMMAND = "command", "Command"
        JOB = "job", "Background job"
        SYSTEM = "system", "Portico"

    id = models.BigAutoField(primary_key=True)
    at = models.DateTimeField(default=timezone.now)
    actor_kind = models.CharField(max_length=10, choices=ActorKind)
    # The person's primary key, the token's, the provider's name, the job's id.
    actor_id = models.CharField(max_length=64, blank=True)
    # The email, the token's name, the job's title, as they were then.
    actor_label = models.CharField(max_length=300, blank=True)
    # A token's owner, a job's starter, the person a sign-in was for.
    on_behalf_of = models.CharField(max_length=300, blank=True)
    via = models.CharField(max_length=10, choices=Via)
    address = models.GenericIPAddressField(null=True, blank=True)
    # "<kind>.<verb>": group.create, member.add, access.grant, user.block...
    action = models.CharField(max_length=40)
    object_kind = models.CharField(max_length=20)
    object_id = models.CharField(max_length=64)
    object_label = models.CharField(max_length=300, blank=True)
    # The other end of a link: the person of a membership, the group of an access grant.
    related_kind = models.CharField(max_length=20, blank=True)
    related_id = models.CharField(max_length=64, blank=True)
    related_label = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    # The change this one followed from (a group's deletion, for each
    # membership it took). No database constraint: pruning removes causes
    # that their effects may outlive by a moment.
    cause = models.ForeignKey(
        "self",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="effects",
    )

    objects = RecordQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="audit_at"),
            models.Index(fields=["object_kind", "object_id", "-at"], name="audit_object"),
            models.Index(fields=["related_kind", "related_id", "-at"], name="audit_related"),
            models.Index(fields=["actor_kind", "actor_id", "-at"], name="audit_actor"),
            models.Index(fields=["action", "-at"], name="audit_action"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.object_kind} {self.object_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            _refuse()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse()

    @property
    def verb(self) -> str:
        return self.action.partition(".")[2]


class RetentionSettings(models.Model):
    """How long records are kept: None is forever (the default)."""

    keep_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "forever" if self.keep_days is None else f"{self.keep_days} days"

    @classmethod
    def current(cls) -> RetentionSettings:
        found = cls.objects.order_by("pk").first()
        return found if found is not None else cls(keep_days=None)
