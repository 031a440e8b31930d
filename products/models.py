from __future__ import annotations

from typing import Any, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse

from groups.models import GROUP_ID_VALIDATOR, Group, fold_name

RESERVED_PRODUCT_IDS = {"new"}


def validate_product_id_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_PRODUCT_IDS:
        raise ValidationError(f"“{value}” is reserved; choose another ID.", code="reserved")


class ProductQuerySet(models.QuerySet["Product"]):
    def visible_to(self, viewer: Any) -> Self:
        """The products a person (or a group preview) may see, in one query.

        Administrators see every product, published or not. Everyone else
        sees published products linked to one of their groups, the derived
        system groups included (see Group.objects.for_user).
        """
        if viewer.is_authenticated and viewer.is_active and viewer.is_superuser:
            return self
        shared = ProductGroup.objects.filter(
            product=OuterRef("pk"), group__in=Group.objects.for_user(viewer)
        )
        return self.filter(Exists(shared), state=Product.State.PUBLISHED)

    def with_granting_links(self, viewer: Any) -> Self:
        """Prefetch, as `granting_links`, the links through which the viewer sees each product."""
        links = ProductGroup.objects.filter(group__in=Group.objects.for_user(viewer))
        return self.prefetch_related(
            Prefetch(
                "links",
                queryset=links.select_related("group").order_by("group__display_name_key"),
                to_attr="granting_links",
            )
        )

    def with_group_count(self) -> Self:
        """Annotate group_count, a subquery evaluated for the shown rows only."""
        links = (
            ProductGroup.objects.filter(product=OuterRef("pk"))
            .order_by()
            .values("product")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(group_count=Coalesce(Subquery(links), 0))

    def search(self, query: str) -> Self:
        """Products whose name, ID or description contains the query."""
        query = query.strip()
        if not query:
            return self
        return self.filter(
            Q(display_name__icontains=query)
            | Q(name__icontains=query)
            | Q(description__icontains=query)
        )

    def named(self, display_name: str) -> Self:
        """Products whose name equals this one, ignoring case."""
        return self.filter(display_name_key=fold_name(display_name))


class Product(models.Model):
    """A bundle of APIs that developers see through their groups and subscribe to."""

    class State(models.TextChoices):
        NOT_PUBLISHED = "notPublished", "Not published"
        PUBLISHED = "published", "Published"

    name = models.CharField(
        "ID",
        max_length=256,
        unique=True,
        validators=[GROUP_ID_VALIDATOR, validate_product_id_not_reserved],
        help_text="Letters, digits, -, _ and . only. It can't be changed later.",
    )
    display_name = models.CharField("name", max_length=300)
    display_name_key = models.CharField(
        max_length=1200,
        unique=True,
        editable=False,
        error_messages={"unique": "A product with this name already exists."},
    )
    description = models.TextField(
        blank=True,
        max_length=1000,
        validators=[MaxLengthValidator(1000)],
        help_text="Markdown. Up to 1,000 characters.",
    )
    terms = models.TextField(
        "terms of use",
        blank=True,
        max_length=10000,
        validators=[MaxLengthValidator(10000)],
        help_text="Developers must accept these before they subscribe. Markdown.",
    )
    state = models.CharField(max_length=12, choices=State, default=State.NOT_PUBLISHED)
    subscription_required = models.BooleanField(
        "requires subscription",
        default=True,
        help_text="Developers need a subscription key to call its APIs.",
    )
    approval_required = models.BooleanField(
        "requires approval",
        default=False,
        help_text="An administrator approves each subscription request.",
    )
    subscriptions_limit = models.PositiveIntegerField(
        "subscriptions per developer",
        null=True,
        blank=True,
        help_text="How many subscriptions one developer may hold at once. Blank means no limit.",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    groups = models.ManyToManyField(
        Group,
        through="ProductGroup",
        through_fields=("product", "group"),
        related_name="products",
        blank=True,
    )

    objects = ProductQuerySet.as_manager()

    class Meta:
        ordering = ["display_name_key"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                name="products_product_name_ci",
                violation_error_message="A product with this ID already exists.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["published", "notPublished"]),
                name="products_product_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(subscriptions_limit__isnull=True) | Q(subscriptions_limit__gte=1),
                name="products_product_limit_positive",
                violation_error_message="The limit is at least 1, or blank for no limit.",
            ),
            models.CheckConstraint(
                condition=Q(subscription_required=True) | Q(approval_required=False),
                name="products_product_approval_needs_subscription",
                violation_error_message=(
                    "Approval applies to subscriptions: a product that needs no "
                    "subscription can't require approval."
                ),
            ),
            models.CheckConstraint(condition=~Q(name=""), name="products_product_name_not_empty"),
            models.CheckConstraint(
                condition=~Q(display_name=""), name="products_product_display_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.display_name_key = fold_name(self.display_name)
        if self.pk is not None and not self._state.adding:
            # Every saved change is a new version, whoever saves it (console,
            # Django admin, API), so optimistic concurrency and ETags see it.
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("products:detail", args=[self.name])

    def clean(self) -> None:
        self.display_name_key = fold_name(self.display_name)

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def is_open(self) -> bool:
        """Open products need no subscription: anyone who sees them may call them."""
        return not self.subscription_required


class ProductGroup(models.Model):
    """A group's access to a product: its members see the product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="links")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="product_links")
    added_at = models.DateTimeField(auto_now_add=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["group__display_name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "group"],
                name="products_productgroup_unique",
                violation_error_message="This group already has access to the product.",
            ),
        ]
        indexes = [models.Index(fields=["group", "product"], name="products_link_group")]

    def __str__(self) -> str:
        return f"{self.group} sees {self.product}"
