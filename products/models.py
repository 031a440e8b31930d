from __future__ import annotations

import json
from typing import Any, Self

from django.conf import settings
from django.core.validators import MaxLengthValidator, MinValueValidator
from django.db import models
from django.db.models import BooleanField, Case, F, Lookup, Prefetch, Q, Value, When
from django.urls import reverse

from groups.models import Group, Viewer
from portal.entities import (
    Link,
    NamedEntity,
    NamedEntityQuerySet,
    Request,
    RequestQuerySet,
    entity_constraints,
    related_count,
)
from portal.models import is_administrator


class OneOf(Lookup):
    """The column is one of a list of ids, sent as ONE parameter whatever its length.

    `field__in=[...]` sends one placeholder per id, which Django compiles
    and psycopg splits again on every query: for a developer in 200 groups
    that cost more than the query itself. PostgreSQL takes the list as an
    array (= ANY), SQLite as JSON (json_each); EXPLAIN on both shows the
    same plans as with the expanded list.
    """

    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        ids = [int(pk) for pk in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s::bigint[])", (*lhs_params, ids)
        return f"{lhs} IN (SELECT value FROM json_each(%s))", (*lhs_params, json.dumps(ids))


def links_of_groups(group_ids: list[int]) -> models.QuerySet[ProductGroup]:
    """The links of these groups: through them, their members see products."""
    return ProductGroup.objects.filter(OneOf(F("group_id"), group_ids))


class ProductQuerySet(NamedEntityQuerySet["Product"]):
    def visible_to(self, viewer: Viewer) -> Self:
        """The products a person (or a group preview) may see: their groups, then the products.

        Administrators see every product, published or not. Everyone else
        sees the published products shared with one of their groups.
        """
        if is_administrator(viewer):
            return self
        return self.shared_with(viewer).filter(state=Product.State.PUBLISHED)

    def listed_for(self, viewer: Viewer) -> Self:
        """Published, listed products the viewer may NOT see: they are shown
        only their name and description, with Request access.

        What a viewer sees stays decided by visible_to alone; this is its
        complement among the listed products. Administrators see everything,
        so nothing is merely listed for them.
        """
        if is_administrator(viewer):
            return self.none()
        seen = Product.objects.visible_to(viewer).values("pk")
        return self.filter(state=Product.State.PUBLISHED, listed=True).exclude(pk__in=seen)

    def in_catalogue_for(self, viewer: Viewer) -> Self:
        """What the catalogue shows, in its order: visible_to(viewer), then the
        products listed_for(viewer), flagged listed_only; the groups read once."""
        order = ("listed_only", "display_name_key", "pk")
        if is_administrator(viewer):
            return self.annotate(listed_only=Value(False)).order_by(*order)
        visible = Q(pk__in=Product.objects.visible_to(viewer).values("pk"))
        listed = Q(state=Product.State.PUBLISHED, listed=True)
        # One CASE both flags and filters, so the query holds the viewer's
        # group ids once rather than twice.
        return (
            self.annotate(
                listed_only=Case(
                    When(visible, then=Value(False)),
                    When(listed, then=Value(True)),
                    default=None,
                    output_field=BooleanField(),
                )
            )
            .filter(listed_only__isnull=False)
            .order_by(*order)
        )

    def shared_with(self, viewer: Viewer) -> Self:
        """Products linked to one of the viewer's groups, published or not.

        The groups are the derived system groups and stored memberships (see
        Group.objects.for_user); administrators are shared everything.
        Subscriptions follow this, since unpublishing leaves them alone.
        """
        if is_administrator(viewer):
            return self
        # The viewer's groups are read first (one indexed query) and put in
        # the query as a literal list: with them as a subquery (an OR of a
        # name and memberships, which scanned every group), PostgreSQL
        # walked every published product and probed the viewer's groups for
        # each (6,385 loops for a developer in 200 groups). With the list,
        # a product page probes one product's links, and the catalogue
        # hashes the viewer's links once (EXPLAIN on both databases).
        linked = links_of_groups(Group.objects.ids_for_user(viewer)).values("product_id")
        return self.filter(pk__in=linked)

    def with_granting_links(self, viewer: Viewer, *, granters: bool = False) -> Self:
        """Prefetch, as `granting_links`, the links through which the viewer sees each product.

        granters: also when each group was given the product, and by whom
        (the console's explanation of someone's access).
        """
        links = links_of_groups(Group.objects.ids_for_user(viewer)).select_related("group")
        # Only what explains a row: the group's name, and its directory ID
        # if it has one (Group.from_db reads type).
        fields = ["product", "group__display_name", "group__external_id", "group__type"]
        if granters:
            links = links.select_related("added_by")
            fields += ["added_at", "added_by__email"]
        return self.prefetch_related(
            Prefetch(
                "links",
                queryset=links.only(*fields).order_by("group__display_name_key"),
                to_attr="granting_links",
            )
        )

    def with_group_count(self) -> Self:
        """Annotate group_count, a subquery evaluated for the shown rows only."""
        return self.annotate(group_count=related_count(ProductGroup.objects, "product"))


class Product(NamedEntity):
    """A bundle of APIs that developers see through their groups and subscribe to."""

    class State(models.TextChoices):
        NOT_PUBLISHED = "notPublished", "Not published"
        PUBLISHED = "published", "Published"

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
        validators=[MinValueValidator(1, "The limit is at least 1, or blank for no limit.")],
        help_text="How many subscriptions one developer may hold at once. Blank means no limit.",
    )
    listed = models.BooleanField(
        "listed in the catalogue",
        default=False,
        help_text="People who can't see the product still see its name and description "
        "in the catalogue, with Request access. Only published products are listed.",
    )
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
            *entity_constraints("products_product", "product"),
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
        ]

    def get_absolute_url(self) -> str:
        return reverse("products:detail", args=[self.name])

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class ProductGroup(Link):
    """A group's access to a product: its members see the product."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="links")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="product_links")

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


class AccessRequest(Request):
    """A developer's request to see a listed product, and its outcome.

    Approving puts the person in a custom group that sees the product (the
    administrator picks which), so access keeps flowing through groups only.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests"
    )
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="access_requests")
    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The group the person was added to when the request was approved.",
    )

    objects = RequestQuerySet["AccessRequest"].as_manager()

    class Meta(Request.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["user", "product"],
                condition=Q(state="submitted"),
                name="products_access_request_one_waiting",
                violation_error_message="You already asked for access to this product; "
                "your request is waiting for an administrator.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=Request.STATES),
                name="products_access_request_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "created_at"], name="products_access_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.user} asks to see {self.product}"

    @property
    def subject(self) -> Product:
        """What is asked for, as the developer's list of requests names it."""
        return self.product
