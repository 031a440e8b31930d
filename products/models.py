from __future__ import annotations

import secrets
from typing import Any, ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse

from groups.models import GROUP_ID_VALIDATOR, Group, fold_name

RESERVED_PRODUCT_IDS = {"new"}


def validate_product_id_not_reserved(value: str) -> None:
    if value.lower() in RESERVED_PRODUCT_IDS:
        raise ValidationError(f"“{value}” is reserved; choose another ID.", code="reserved")


def _is_administrator(viewer: Any) -> bool:
    return bool(viewer.is_authenticated and viewer.is_active and viewer.is_superuser)


class ProductQuerySet(models.QuerySet["Product"]):
    def visible_to(self, viewer: Any) -> Self:
        """The products a person (or a group preview) may see, in one query.

        Administrators see every product, published or not. Everyone else
        sees the published products shared with one of their groups.
        """
        if _is_administrator(viewer):
            return self
        return self.shared_with(viewer).filter(state=Product.State.PUBLISHED)

    def shared_with(self, viewer: Any) -> Self:
        """Products linked to one of the viewer's groups, published or not.

        The groups are the derived system groups and stored memberships (see
        Group.objects.for_user); administrators are shared everything.
        Subscriptions follow this, since unpublishing leaves them alone.
        """
        if _is_administrator(viewer):
            return self
        # Uncorrelated IN subqueries: the database works out the viewer's
        # groups and their products once, not once per product row.
        linked = ProductGroup.objects.filter(
            group__in=Group.objects.for_user(viewer).values("pk")
        ).values("product_id")
        return self.filter(pk__in=linked)

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
            | Q(display_name_key__contains=fold_name(query))
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


def new_subscription_id() -> str:
    return secrets.token_hex(12)


def new_subscription_key() -> str:
    """A subscription key: 192 bits from the operating system's CSPRNG, as hex."""
    return secrets.token_hex(24)


SUBSCRIPTION_ID_VALIDATOR = RegexValidator(
    r"^[^*#&+:<>?/\s]+$",
    "An ID can't contain spaces, slashes or any of * # & + : < > ?",
    code="invalid_subscription_id",
)


SUBSCRIPTION_STATES = ["submitted", "active", "suspended", "rejected", "cancelled", "expired"]


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def holding(self) -> Self:
        """Subscriptions that count towards a developer's limit."""
        return self.filter(state__in=Subscription.HOLDING_STATES)

    def search(self, query: str) -> Self:
        """Subscriptions whose name, developer or product contains every word."""
        result = self
        for word in query.split()[:5]:
            result = result.filter(
                Q(display_name__icontains=word)
                | Q(sid__icontains=word)
                | Q(owner__email__icontains=word)
                | Q(owner__first_name__icontains=word)
                | Q(owner__last_name__icontains=word)
                | Q(product__display_name__icontains=word)
            )
        return result


class Subscription(models.Model):
    """A developer's subscription to a product, with the two keys that call its APIs."""

    class State(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for approval"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        REJECTED = "rejected", "Rejected"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Expired"

    # Transitions an administrator (or the developer, for cancel) may make,
    # as Azure API Management allows them: action -> (from states, to state).
    TRANSITIONS: ClassVar[dict[str, tuple[tuple[str, ...], str]]] = {
        "approve": (("submitted",), "active"),
        "reject": (("submitted",), "rejected"),
        "suspend": (("active",), "suspended"),
        "activate": (("suspended",), "active"),
        "cancel": (("submitted", "active", "suspended"), "cancelled"),
    }
    HOLDING_STATES: ClassVar[tuple[str, ...]] = ("submitted", "active", "suspended")
    ACCESS_REMOVED = "Access removed"

    sid = models.CharField(
        "ID",
        max_length=256,
        unique=True,
        default=new_subscription_id,
        validators=[SUBSCRIPTION_ID_VALIDATOR],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        null=True,
        blank=True,
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="subscriptions")
    display_name = models.CharField("name", max_length=100)
    state = models.CharField(max_length=10, choices=State, default=State.SUBMITTED)
    primary_secret = models.CharField(
        "primary key", max_length=256, unique=True, default=new_subscription_key, editable=False
    )
    secondary_secret = models.CharField(
        "secondary key", max_length=256, unique=True, default=new_subscription_key, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    state_comment = models.TextField(blank=True, max_length=1000)
    # True only while suspended by the "access removed" rule, so that regained
    # access reactivates these and never one an administrator suspended.
    suspended_for_access = models.BooleanField(default=False, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "submitted",
                        "active",
                        "suspended",
                        "rejected",
                        "cancelled",
                        "expired",
                    ]
                ),
                name="products_subscription_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(display_name=""), name="products_subscription_name_not_empty"
            ),
            models.CheckConstraint(
                condition=Q(suspended_for_access=False) | Q(state="suspended"),
                name="products_subscription_access_flag_only_when_suspended",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "product", "state"], name="products_sub_owner"),
            models.Index(fields=["state", "-created_at"], name="products_sub_state"),
        ]

    def __str__(self) -> str:
        # Never the keys: this string ends up in logs and the admin.
        return f"{self.display_name} ({self.sid})"

    def __repr__(self) -> str:
        return f"<Subscription {self.sid} {self.state}>"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            self.version += 1
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("subscriptions:detail", args=[self.sid])

    def allows(self, action: str) -> bool:
        """Whether the action may be taken from the current state."""
        sources, _ = self.TRANSITIONS[action]
        return self.state in sources

    @property
    def actions(self) -> list[str]:
        return [action for action in self.TRANSITIONS if self.allows(action)]

    @property
    def is_active(self) -> bool:
        return self.state == self.State.ACTIVE
