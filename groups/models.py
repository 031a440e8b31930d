from __future__ import annotations

import unicodedata
from typing import Any, Self

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone

from groups import system

GROUP_ID_VALIDATOR = RegexValidator(
    r"^(?!\.+$)[A-Za-z0-9._-]+$",
    "Use only letters, digits, hyphens (-), underscores (_) and dots (.).",
    code="invalid_group_id",
)
# Console paths that sit beside /console/groups/<id>/.
RESERVED_GROUP_IDS = {"new"}


def validate_group_id_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_GROUP_IDS:
        raise ValidationError(f"“{value}” is reserved; choose another ID.", code="reserved")


def fold_name(display_name: str) -> str:
    """The form of a name that uniqueness compares: Unicode-normalised and case folded."""
    return unicodedata.normalize("NFKC", display_name).casefold()


class SystemGroupError(ValidationError):
    """Raised when something tries to change one of the three system groups."""


class GroupQuerySet(models.QuerySet["Group"]):
    def named(self, display_name: str) -> Self:
        """Groups whose name equals this one, ignoring case."""
        return self.filter(display_name_key=fold_name(display_name))

    def custom(self) -> Self:
        """Groups whose members are stored: custom and external ones."""
        return self.exclude(type=Group.Type.SYSTEM)

    def for_user(self, user: Any) -> Self:
        """The groups a person is in: the derived system groups and stored ones.

        Stored memberships count only for accounts that can sign in.
        """
        derived = system.derived_group_ids(user)
        if derived == [Group.GUESTS]:
            return self.filter(name=Group.GUESTS)
        previewed = getattr(user, "preview_group_names", None)
        if previewed is not None:
            # The console's "View as" a group: its members' groups, no one's rows.
            return self.filter(name__in=[*derived, *previewed])
        stored = Membership.objects.filter(user=user).values("group_id")
        return self.filter(Q(name__in=derived) | (~Q(type=Group.Type.SYSTEM) & Q(pk__in=stored)))

    def with_counts(self) -> Self:
        """Annotate member_count and product_count, one subquery per shown row.

        Correlated subqueries are evaluated for the rows of the page only;
        a JOIN with GROUP BY would aggregate every membership first.
        """
        members = (
            Membership.objects.filter(group=OuterRef("pk"))
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        # The products app depends on this one, not the other way round.
        product_group = apps.get_model("products", "ProductGroup")
        products = (
            product_group.objects.filter(group=OuterRef("pk"))
            .order_by()
            .values("group")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(
            member_count=Coalesce(Subquery(members), 0),
            product_count=Coalesce(Subquery(products), 0),
        )

    def search(self, query: str) -> Self:
        """Groups whose name, ID or description contains the query."""
        query = query.strip()
        if not query:
            return self
        return self.filter(
            Q(display_name__icontains=query)
            # SQLite's LIKE ignores the case of A-Z only; the folded key
            # finds "Équipe" when searching "équipe".
            | Q(display_name_key__contains=fold_name(query))
            | Q(name__icontains=query)
            | Q(description__icontains=query)
        )

    def delete(self) -> tuple[int, dict[str, int]]:
        if self.filter(type=Group.Type.SYSTEM).exists():
            raise SystemGroupError(
                "System groups can't be deleted: Administrators, Developers and "
                "Guests are built in.",
                code="system_group",
            )
        return super().delete()


class Group(models.Model):
    """A set of developers that products are made visible to.

    Three system groups are built in and immutable; their membership is
    derived (administrators, every signed-in developer, anonymous visitors).
    """

    ADMINISTRATORS = system.ADMINISTRATORS
    DEVELOPERS = system.DEVELOPERS
    GUESTS = system.GUESTS

    class Type(models.TextChoices):
        SYSTEM = "system", "System"
        CUSTOM = "custom", "Custom"
        EXTERNAL = "external", "External"

    name = models.CharField(
        "ID",
        max_length=256,
        unique=True,
        validators=[GROUP_ID_VALIDATOR, validate_group_id_not_reserved],
        help_text="Letters, digits, -, _ and . only. It can't be changed later.",
    )
    display_name = models.CharField("name", max_length=300)
    # display_name.casefold(): what "unique whatever the case" compares.
    # SQLite's LOWER() and LIKE only fold ASCII letters, so the rule can't
    # rest on them ("ÉQUIPE" and "équipe" would both be allowed).
    display_name_key = models.CharField(
        max_length=1200,
        unique=True,
        editable=False,
        error_messages={"unique": "A group with this name already exists."},
    )
    description = models.TextField(
        max_length=1000, blank=True, validators=[MaxLengthValidator(1000)]
    )
    type = models.CharField(max_length=10, choices=Type, default=Type.CUSTOM)
    built_in = models.BooleanField(default=False, editable=False)
    external_id = models.CharField(
        "external ID",
        max_length=2000,
        blank=True,
        help_text="For external groups, the directory's group reference.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="Membership",
        through_fields=("group", "user"),
        related_name="portal_groups",
        blank=True,
    )

    objects = GroupQuerySet.as_manager()

    # The type the row had when it was read; None for a group not saved yet.
    _loaded_type: str | None = None

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="groups_group_name_ci",
                violation_error_message="A group with this ID already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(type__in=["system", "custom", "external"]),
                name="groups_group_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(type="system", built_in=True)
                | (~models.Q(type="system") & models.Q(built_in=False)),
                name="groups_group_built_in_iff_system",
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="groups_group_name_not_empty"
            ),
            models.CheckConstraint(
                condition=~models.Q(display_name=""), name="groups_group_display_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # The protection lives here so that the console, the Django admin
        # and the API all inherit it. System groups are created only by the
        # data migration, which works on the historical model.
        if self.is_system or getattr(self, "_loaded_type", None) == self.Type.SYSTEM:
            raise SystemGroupError(
                f"{self.display_name} is a system group: its name, description and "
                "membership are managed by Portico and can't be changed.",
                code="system_group",
            )
        self.display_name_key = fold_name(self.display_name)
        if self.pk is not None and not self._state.adding:
            # Every saved change is a new version, whoever saves it (console,
            # Django admin, API), so optimistic concurrency and ETags see it.
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.name])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_system:
            raise SystemGroupError(
                f"{self.display_name} is a system group and can't be deleted.",
                code="system_group",
            )
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        self.display_name_key = fold_name(self.display_name)
        if self.type == self.Type.SYSTEM and getattr(self, "_loaded_type", None) is None:
            raise ValidationError(
                {
                    "type": "Only the three built-in groups are system groups; "
                    "choose Custom or External."
                }
            )
        if self.type == self.Type.EXTERNAL and not self.external_id:
            raise ValidationError({"external_id": "An external group needs its external ID."})
        if self.type != self.Type.EXTERNAL and self.external_id:
            raise ValidationError({"external_id": "Only external groups have an external ID."})

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Group:
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_type = instance.type
        return instance

    @property
    def is_system(self) -> bool:
        return self.type == self.Type.SYSTEM

    @property
    def derived_membership(self) -> str:
        """How a system group's members are chosen, in words."""
        return system.SYSTEM_GROUPS.get(self.name, {}).get("membership", "")


class Membership(models.Model):
    """A person stored as a member of a custom or external group."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-added_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                name="groups_membership_unique",
                violation_error_message="This person is already a member of the group.",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "group"], name="groups_membership_user"),
            # The Members tab lists a group's newest memberships first.
            models.Index(fields=["group", "-added_at"], name="groups_membership_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self._refuse_system_group()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self._refuse_system_group()

    def _refuse_system_group(self) -> None:
        if self.group_id is not None and self.group.is_system:
            raise SystemGroupError(
                {
                    "group": f"{self.group.display_name} is a system group: its membership "
                    "is derived by Portico, so people can't be added to it or removed from it."
                },
                code="system_group",
            )
