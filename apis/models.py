"""APIs, their operations, and the products that contain them.

An API is visible to whoever sees a product that contains it: the rule is
`ApiQuerySet.visible_to`, built on the products' own, in one query.
An operation or a tag can further be restricted to some groups.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Self

from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse

from groups.models import Group, Viewer
from portal.entities import (
    Link,
    NamedEntity,
    NamedEntityQuerySet,
    entity_constraints,
    related_count,
)
from portal.models import is_administrator
from products.models import Product

PROTOCOLS = ("http", "https", "ws", "wss")
PATH_VALIDATOR = RegexValidator(
    r"^(?!.*(^|/)\.{1,2}(/|$))[A-Za-z0-9._~!$&'()*+,;=:@%-]+(/[A-Za-z0-9._~!$&'()*+,;=:@%-]+)*$|^$",
    "Use letters, digits and - . _ ~, with / between segments (not . or ..), and no "
    "leading or trailing /.",
    code="invalid_path",
)


def validate_protocols(value: str) -> None:
    chosen = [part for part in value.split(",") if part]
    unknown = sorted(set(chosen) - set(PROTOCOLS))
    if unknown:
        raise ValidationError(
            f"Unknown protocol {', '.join(unknown)}; choose from {', '.join(PROTOCOLS)}.",
            code="invalid_protocol",
        )
    if not chosen:
        raise ValidationError("Choose at least one protocol.", code="required")


class ApiQuerySet(NamedEntityQuerySet["Api"]):
    def visible_to(self, viewer: Viewer) -> Self:
        """The APIs someone may see: those in a product they see. One query.

        Administrators see every API, in a product or not.
        """
        if is_administrator(viewer):
            return self
        contained = ProductApi.objects.filter(
            product__in=Product.objects.visible_to(viewer).values("pk")
        ).values("api_id")
        return self.filter(pk__in=contained)

    def in_product(self, product: Product) -> Self:
        return self.filter(pk__in=ProductApi.objects.filter(product=product).values("api_id"))

    def in_seen_product(self, product: Product) -> Self:
        """visible_to(viewer).in_product(product), for a product just read
        through Product.objects.visible_to(viewer).

        By visible_to's rule every API in a product someone sees is one they
        see, so the products they see are not asked again.
        """
        return self.in_product(product)

    def tagged(self, tag: str) -> Self:
        """APIs with an operation carrying this tag."""
        return self.filter(
            pk__in=Operation.objects.filter(tags__contains=Operation.tag_token(tag)).values(
                "api_id"
            )
        )

    def with_operation_count(self) -> Self:
        return self.annotate(operation_count=related_count(Operation.objects, "api"))

    def with_product_count(self) -> Self:
        return self.annotate(product_count=related_count(ProductApi.objects, "api"))


class Api(NamedEntity):
    """An API: a set of operations behind one URL suffix, described by an OpenAPI document."""

    class Format(models.TextChoices):
        OPENAPI = "openapi", "OpenAPI (YAML)"
        OPENAPI_JSON = "openapi+json", "OpenAPI (JSON)"
        SWAGGER_JSON = "swagger-json", "Swagger 2.0 (JSON)"

    description = models.TextField(
        blank=True,
        max_length=10000,
        validators=[MaxLengthValidator(10000)],
        help_text="Markdown. Up to 10,000 characters.",
    )
    path = models.CharField(
        "URL suffix",
        max_length=400,
        validators=[PATH_VALIDATOR],
        help_text="Appended to the gateway's address: https://<gateway>/<suffix>/…",
    )
    service_url = models.URLField(
        "web service URL",
        max_length=2000,
        blank=True,
        help_text="Where the gateway forwards calls; developers don't see it.",
    )
    protocols = models.CharField(max_length=20, default="https", validators=[validate_protocols])
    api_version = models.CharField("version", max_length=100, blank=True)
    api_revision = models.CharField("revision", max_length=100, default="1")
    subscription_required = models.BooleanField(
        "requires subscription",
        default=True,
        help_text="Calls need a subscription key in the Ocp-Apim-Subscription-Key header.",
    )
    document = models.JSONField(default=dict, blank=True, editable=False)
    document_version = models.CharField(max_length=20, blank=True, editable=False)
    document_format = models.CharField(
        max_length=20, choices=Format, default=Format.OPENAPI, editable=False
    )
    products = models.ManyToManyField(
        Product, through="ProductApi", through_fields=("api", "product"), related_name="apis"
    )

    objects = ApiQuerySet.as_manager()

    class Meta:
        verbose_name = "API"
        ordering = ["display_name_key"]
        constraints = [
            *entity_constraints("apis_api", "API"),
            models.UniqueConstraint(
                Lower("path"),
                "api_version",
                name="apis_api_path_version_unique",
                violation_error_message="Another API already uses this URL suffix and version.",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("apis:detail", args=[self.name])

    @property
    def protocol_list(self) -> list[str]:
        return [part for part in self.protocols.split(",") if part]

    def clean_fields(self, exclude: Any = None) -> None:
        # "/ship/v1/" and "ship/v1" are one suffix; protocols are kept in one order.
        self.path = (self.path or "").strip().strip("/")
        chosen = [part.strip().lower() for part in (self.protocols or "").split(",")]
        self.protocols = ",".join(
            [p for p in PROTOCOLS if p in chosen] + sorted(set(chosen) - set(PROTOCOLS) - {""})
        )
        super().clean_fields(exclude=exclude)


class Operation(models.Model):
    """One operation of an API, as its document describes it; replaced on re-import."""

    api = models.ForeignKey(Api, on_delete=models.CASCADE, related_name="operations")
    name = models.CharField("ID", max_length=100)
    method = models.CharField(max_length=10)
    url_template = models.CharField("URL template", max_length=1000)
    display_name = models.CharField("name", max_length=300)
    description = models.TextField(blank=True)
    # Tags as "\ntag one\ntag two\n", so one LIKE finds an API by tag.
    tags = models.TextField(blank=True, default="")
    fingerprint = models.CharField(max_length=64)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["api", "position"]
        constraints = [
            models.UniqueConstraint("api", Lower("name"), name="apis_operation_name_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.url_template}"

    @staticmethod
    def tag_token(tag: str) -> str:
        return f"\n{tag}\n"

    @staticmethod
    def join_tags(tags: Iterable[str]) -> str:
        tags = [tag.replace("\n", " ") for tag in tags]
        return "\n" + "\n".join(tags) + "\n" if tags else ""

    @property
    def tag_list(self) -> list[str]:
        return [tag for tag in self.tags.split("\n") if tag]


class ProductApi(Link):
    """An API inside a product: whoever sees the product sees the API."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="api_links")
    api = models.ForeignKey(Api, on_delete=models.CASCADE, related_name="product_links")

    class Meta:
        ordering = ["api__display_name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "api"],
                name="apis_productapi_unique",
                violation_error_message="This API is already in the product.",
            ),
        ]
        indexes = [models.Index(fields=["api", "product"], name="apis_link_api")]

    def __str__(self) -> str:
        return f"{self.api} in {self.product}"


class Restriction(Link):
    """Part of an API shown only to some groups: one operation, or every operation with a tag.

    An operation with restrictions (its own or its tags') is shown only to
    members of one of the named groups, and to administrators.
    """

    class Kind(models.TextChoices):
        OPERATION = "operation", "Operation"
        TAG = "tag", "Tag"

    api = models.ForeignKey(Api, on_delete=models.CASCADE, related_name="restrictions")
    kind = models.CharField(max_length=10, choices=Kind)
    # The operation's ID, or the tag's name.
    target = models.CharField(max_length=300)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="api_restrictions")

    class Meta:
        ordering = ["kind", "target", "group__display_name_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["api", "kind", "target", "group"],
                name="apis_restriction_unique",
                violation_error_message="This group is already allowed here.",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["operation", "tag"]), name="apis_restriction_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.target} for {self.group}"


def hidden_operations(api: Api, viewer: Viewer) -> set[str]:
    """IDs (lower-cased) of the API's operations this viewer may not see. Two queries at most.

    An operation is hidden when it, or one of its tags, is restricted and the
    viewer is in none of the groups it is restricted to.
    """
    if is_administrator(viewer):
        return set()
    rules: dict[tuple[str, str], set[int]] = {}
    for kind, target, group_id in Restriction.objects.filter(api=api).values_list(
        "kind", "target", "group_id"
    ):
        rules.setdefault((kind, target.lower() if kind == "operation" else target), set()).add(
            group_id
        )
    if not rules:
        return set()
    mine = set(Group.objects.ids_for_user(viewer))
    hidden = set()
    for operation in api.operations.all():
        key = operation.name.lower()
        needed = [rules.get(("operation", key))] + [
            rules.get(("tag", tag)) for tag in operation.tag_list
        ]
        if any(groups is not None and not groups & mine for groups in needed):
            hidden.add(key)
    return hidden


def restricted_keys(api: Api) -> dict[str, Any]:
    """Restrictions by kind and target, for showing them: {("tag", "Admin"): [groups]}."""
    found: dict[Any, list[Group]] = {}
    for rule in Restriction.objects.filter(api=api).select_related("group"):
        found.setdefault((rule.kind, rule.target), []).append(rule.group)
    return found
