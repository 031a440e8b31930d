from __future__ import annotations

from typing import Any, Self

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower

from groups import system

GROUP_ID_VALIDATOR = RegexValidator(
    r"^[A-Za-z0-9._-]+$",
    "Use only letters, digits, hyphens (-), underscores (_) and dots (.).",
    code="invalid_group_id",
)


class SystemGroupError(ValidationError):
    """Raised when something tries to change one of the three system groups."""


class GroupQuerySet(models.QuerySet["Group"]):
    def custom(self) -> Self:
        return self.exclude(type=Group.Type.SYSTEM)

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
        validators=[GROUP_ID_VALIDATOR],
        help_text="Letters, digits, -, _ and . only. It can't be changed later.",
    )
    display_name = models.CharField("name", max_length=300)
    description = models.TextField(max_length=1000, blank=True)
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

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="groups_group_name_ci",
                violation_error_message="A group with this ID already exists.",
            ),
            models.UniqueConstraint(
                Lower("display_name"),
                name="groups_group_display_name_ci",
                violation_error_message="A group with this name already exists.",
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
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_system:
            raise SystemGroupError(
                f"{self.display_name} is a system group and can't be deleted.",
                code="system_group",
            )
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
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
