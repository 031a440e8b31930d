"""The versioned, named entity that groups and products are, and the version
counter that users and subscriptions have too.

Every save is a new version, whoever saves (console, Django admin, API,
commands), so the console's optimistic concurrency and the management API's
entity tags see it. A named entity also has an Azure-style ID and a display
name that is unique whatever its case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import IntegrityError, models, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

from portal.names import fold_name

ENTITY_ID_VALIDATOR = RegexValidator(
    r"^(?!\.+$)[A-Za-z0-9._-]+$",
    "Use only letters, digits, hyphens (-), underscores (_) and dots (.).",
    code="invalid_id",
)
# Console paths that sit beside /console/<tab>/<id>/.
RESERVED_IDS = frozenset({"new"})
# How long a named entity's folded name may grow.
DISPLAY_NAME_KEY_LENGTH = 1200


def validate_id_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_IDS:
        raise ValidationError(f"“{value}” is reserved; choose another ID.", code="reserved")


class ConcurrentChangeError(Exception):
    """The entity changed since the caller read it; nothing was written."""

    def __init__(self, current: Any) -> None:
        super().__init__(f"{current} changed since it was read")
        self.current = current


class VersionedModel(models.Model):
    """A row whose every saved change is a new version."""

    version = models.PositiveIntegerField(default=1, editable=False)

    # Fields whose change alone is not a new version (a sign-in's last_login).
    unversioned_fields: ClassVar[frozenset[str]] = frozenset()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (
            update_fields is None or set(update_fields) - self.unversioned_fields - {"version"}
        ):
            self.version += 1
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "version"}
        super().save(*args, **kwargs)


@transaction.atomic
def update_entity[EntityT: VersionedModel](
    entity: EntityT,
    *,
    expected_version: int | None,
    changes: dict[str, Any],
    clean_exclude: tuple[str, ...] = (),
) -> EntityT:
    """Save changes unless someone else saved the entity since it was read.

    The row is re-read under lock. expected_version None means "whatever
    the current version is" (the management API's If-Match: *).
    """
    current = type(entity)._default_manager.select_for_update().get(pk=entity.pk)
    if expected_version is not None and current.version != expected_version:
        raise ConcurrentChangeError(current)
    for name, value in changes.items():
        current._meta.get_field(name)  # FieldDoesNotExist for a misspelled name
        setattr(current, name, value)
    current.full_clean(exclude=list(clean_exclude))
    current.save()
    return current


class Link(models.Model):
    """A row that ties two things together (a membership, a group's access), with
    who tied them and when."""

    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        abstract = True


def insert_links(
    model: type[Link],
    *,
    fixed: dict[str, Any],
    key: str,
    ids: Iterable[int],
    added_by: Any,
    extra: dict[str, Any] | None = None,
) -> list[int]:
    """Create one link per id (`key` is its column, `fixed` the rest); return the ids added.

    `extra` holds more columns for new links only (who or what added them).

    Those already linked stay as they are. Safe to repeat and to race: the
    link's unique constraint lets exactly one insert win, and the losers,
    each in its own savepoint, count nothing.
    """
    wanted = set(ids)
    already = set(
        model._default_manager.filter(**fixed, **{f"{key}__in": wanted}).values_list(key, flat=True)
    )
    added = []
    for linked in sorted(wanted - already):
        try:
            with transaction.atomic():
                model._default_manager.create(
                    **fixed, **{key: linked}, added_by=added_by, **(extra or {})
                )
        except IntegrityError:
            continue
        added.append(linked)
    return added


class NamedEntityQuerySet[EntityT: NamedEntity](models.QuerySet[EntityT]):
    # Further text fields the console's search looks in, beyond the name,
    # ID and description.
    searched_fields: tuple[str, ...] = ()

    def named(self, display_name: str) -> Self:
        """Entities whose name equals this one, ignoring case."""
        return self.filter(display_name_key=fold_name(display_name))

    def search(self, query: str) -> Self:
        """Entities whose name, ID, description (or searched_fields) contains the query."""
        query = query.strip()
        if not query:
            return self
        return self.filter(
            models.Q(display_name__icontains=query)
            # SQLite's LIKE ignores the case of A-Z only; the folded key
            # finds "Équipe" when searching "équipe".
            | models.Q(display_name_key__contains=fold_name(query))
            | models.Q(name__icontains=query)
            | models.Q(description__icontains=query)
            | models.Q(
                *(models.Q(**{f"{field}__icontains": query}) for field in self.searched_fields),
                _connector=models.Q.OR,
            )
        )


class NamedEntity(VersionedModel):
    """An entity with an Azure-style ID, a case-insensitively unique name and a description."""

    name = models.CharField(
        "ID",
        max_length=256,
        unique=True,
        validators=[ENTITY_ID_VALIDATOR, validate_id_not_reserved],
        help_text="Letters, digits, -, _ and . only. It can't be changed later.",
    )
    display_name = models.CharField("name", max_length=300)
    # display_name.casefold(): what "unique whatever the case" compares.
    # SQLite's LOWER() and LIKE only fold ASCII letters, so the rule can't
    # rest on them ("ÉQUIPE" and "équipe" would both be allowed).
    display_name_key = models.CharField(
        max_length=DISPLAY_NAME_KEY_LENGTH, unique=True, editable=False
    )
    description = models.TextField(
        max_length=1000, blank=True, validators=[MaxLengthValidator(1000)]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.display_name_key = fold_name(self.display_name)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "display_name" in update_fields:
            kwargs["update_fields"] = {*update_fields, "display_name_key"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.display_name_key = fold_name(self.display_name)
        # Normalising can make a name many times longer (U+FDFA alone is 18
        # characters), past what the key's column holds.
        if len(self.display_name_key) > DISPLAY_NAME_KEY_LENGTH:
            raise ValidationError(
                {
                    "display_name": "This name is too long once its characters are written "
                    f"out in full ({len(self.display_name_key):,} of at most "
                    f"{DISPLAY_NAME_KEY_LENGTH:,}). Use a shorter name."
                },
                code="max_length",
            )

    def unique_error_message(self, model_class: Any, unique_check: Any) -> ValidationError:
        if tuple(unique_check) == ("display_name_key",):
            noun = str(self._meta.verbose_name)
            article = "An" if noun[:1].lower() in "aeiou" else "A"
            return ValidationError(
                f"{article} {noun} with this name already exists.", code="unique"
            )
        return super().unique_error_message(model_class, unique_check)


def entity_constraints(prefix: str, noun: str) -> list[models.BaseConstraint]:
    """The database's own guard for a named entity's ID and name."""
    return [
        models.UniqueConstraint(
            Lower("name"),
            name=f"{prefix}_name_ci",
            violation_error_message=f"A {noun} with this ID already exists.",
        ),
        models.CheckConstraint(condition=~models.Q(name=""), name=f"{prefix}_name_not_empty"),
        models.CheckConstraint(
            condition=~models.Q(display_name=""), name=f"{prefix}_display_name_not_empty"
        ),
    ]


def related_count(rows: models.QuerySet[Any] | models.Manager[Any], field: str) -> Coalesce:
    """How many of these rows point at the outer row through `field`.

    A correlated subquery, evaluated for the rows of the page only; a JOIN
    with GROUP BY would aggregate every related row first.
    """
    counted = (
        rows.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting an entity took with it, in words, for the message that confirms it."""

    display_name: str
    consequences: list[str] = field(default_factory=list)
    # The activity record of the deletion: what the caller deleted with the
    # entity (a product's subscriptions) is recorded as following from it.
    record_id: int | None = None

    def message(self, noun: str) -> str:
        text = f"Deleted the {noun} {self.display_name}"
        if self.consequences:
            text += "; " + ", and ".join(self.consequences)
        return text + "."


class RequestQuerySet[RequestT: "Request"](models.QuerySet[RequestT]):
    def waiting(self) -> Self:
        return self.filter(state=Request.State.SUBMITTED)


class Request(models.Model):
    """Someone asks an administrator for something (to join a group, to see a product),
    with a reason, and the outcome: approved, rejected with a reason, or withdrawn."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", "Waiting"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        WITHDRAWN = "withdrawn", "Withdrawn"

    STATES: ClassVar[list[str]] = ["submitted", "approved", "rejected", "withdrawn"]

    reason = models.CharField(max_length=1000)
    state = models.CharField(max_length=10, choices=State, default=State.SUBMITTED)
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=1000, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_waiting(self) -> bool:
        return self.state == self.State.SUBMITTED


def decide[RequestT: Request](
    request: RequestT, state: str, decided_by: Any, reason: str
) -> RequestT:
    """Move a waiting request to its outcome, not yet saved; refused if someone decided it
    first, or a rejection without a reason. The row is locked until the caller's
    transaction ends."""
    if state == Request.State.REJECTED:
        if not reason.strip():
            raise ValidationError({"decision_reason": "Give the developer a reason."})
        if len(reason.strip()) > 1000:
            raise ValidationError({"decision_reason": "Keep the reason to 1,000 characters."})
    current = type(request)._default_manager.select_for_update().get(pk=request.pk)
    if not current.is_waiting:
        raise ValidationError(f"This request was already {current.get_state_display().lower()}.")
    current.state = state
    current.decided_by = decided_by
    current.decided_at = timezone.now()
    current.decision_reason = reason.strip()
    return current
