from __future__ import annotations

import secrets
import unicodedata
from typing import ClassVar, Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apis.models import Api
from portal.entities import VersionedModel
from products.models import Product


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


# Characters that draw nothing though Unicode files them as letters, marks or
# symbols (fillers, a blank braille pattern, joiners, variation selectors).
BLANK_CHARACTERS = frozenset(
    "\u034f\u115f\u1160\u17b4\u17b5\u2800\u3164\uffa0"
    + "".join(chr(c) for c in range(0x180B, 0x1810))
    + "".join(chr(c) for c in range(0xFE00, 0xFE10))
    + "".join(chr(c) for c in range(0xE0100, 0xE01F0))
)


def _hidden(character: str) -> bool:
    return unicodedata.category(character)[0] == "C" or character in BLANK_CHARACTERS


def validate_subscription_id_shown(value: str) -> None:
    """Refuse IDs that can't be opened or that don't read as they are.

    "." and ".." are path steps, not names: a browser or proxy resolves them
    before the request arrives. Invisible and direction-changing characters
    (Unicode's control, format and unassigned ones, such as U+202E, which
    shows the rest reversed) would make an ID look like another.
    """
    if value.strip(".") == "":
        raise ValidationError(
            "An ID can't be only dots: “.” and “..” have a meaning in addresses.",
            code="invalid_subscription_id",
        )
    hidden = sorted({f"U+{ord(c):04X}" for c in value if _hidden(c)})
    if hidden:
        raise ValidationError(
            "An ID can't contain invisible or direction-changing characters "
            f"({', '.join(hidden)}).",
            code="invalid_subscription_id",
        )


class SubscriptionQuerySet(models.QuerySet["Subscription"]):
    def holding(self) -> Self:
        """Subscriptions that count towards a developer's limit."""
        return self.filter(state__in=Subscription.HOLDING_STATES)

    def search(self, query: str) -> Self:
        """Subscriptions whose name, developer, product or API contains every word."""
        result = self
        for word in query.split()[:5]:
            result = result.filter(
                Q(display_name__icontains=word)
                | Q(sid__icontains=word)
                | Q(owner__email__icontains=word)
                | Q(owner__first_name__icontains=word)
                | Q(owner__last_name__icontains=word)
                | Q(product__display_name__icontains=word)
                | Q(api__display_name__icontains=word)
            )
        return result


class Subscription(VersionedModel):
    """A developer's subscription to a product or to one API, with the two keys that call it.

    Its scope is exactly one of `product` (every API in the product, as
    Azure's /products/{id}) and `api` (that API alone, Azure's /apis/{id}).
    """

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
        validators=[SUBSCRIPTION_ID_VALIDATOR, validate_subscription_id_shown],
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        null=True,
        blank=True,
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="subscriptions", null=True, blank=True
    )
    api = models.ForeignKey(
        Api,
        on_delete=models.PROTECT,
        related_name="subscriptions",
        null=True,
        blank=True,
        verbose_name="API",
    )
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
    # Azure's allowTracing: whether calls made with this key may ask for a
    # trace. Kept and shown for clients that send it; no gateway reads it yet.
    allow_tracing = models.BooleanField(default=False)
    # True only while suspended by the "access removed" rule, so that regained
    # access reactivates these and never one an administrator suspended.
    suspended_for_access = models.BooleanField(default=False, editable=False)
    # Made by an administrator for the developer (the console's + Add subscription,
    # or the management API), rather than asked for by the developer.
    granted = models.BooleanField(default=False, editable=False)
    # Who granted it; empty once that account is deleted (granted stays true).
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        related_name="+",
        null=True,
        blank=True,
        editable=False,
    )
    # True while a grant stands on the administrator's word alone: the owner
    # could not see the product when it was granted, and has not seen it
    # since. The access-removed rule leaves such a subscription alone; once
    # the owner can see the product, this turns false for good and the rule
    # treats the subscription like any other.
    beyond_sight = models.BooleanField(default=False, editable=False)
    # The one-time value the portal's Subscribe form carried: the same form
    # sent again (a reload, a double click, a retry after a lost answer)
    # finds this subscription instead of making a second one.
    submission = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        # The table, its constraints and indexes were made when subscriptions
        # lived in the products app; they keep their names.
        db_table = "products_subscription"
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
        constraints += [
            models.CheckConstraint(
                condition=Q(beyond_sight=False) | Q(granted=True),
                name="subscription_beyond_sight_only_when_granted",
            ),
            models.UniqueConstraint(
                fields=["owner", "submission"],
                condition=~Q(submission=""),
                name="subscription_one_per_submission",
            ),
            models.CheckConstraint(
                condition=Q(product__isnull=False, api__isnull=True)
                | Q(product__isnull=True, api__isnull=False),
                name="subscription_one_scope",
                violation_error_message="A subscription is to a product or to one API.",
            ),
        ]
        indexes = [
            models.Index(fields=["owner", "product", "state"], name="products_sub_owner"),
            models.Index(fields=["state", "-created_at"], name="products_sub_state"),
            models.Index(fields=["owner", "api", "state"], name="subscription_owner_api"),
        ]

    def __str__(self) -> str:
        # Never the keys: this string ends up in logs and the admin.
        return f"{self.display_name} ({self.sid})"

    def __repr__(self) -> str:
        return f"<Subscription {self.sid} {self.state}>"

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

    @property
    def is_held(self) -> bool:
        """Not ended: submitted, active or suspended (cancelled, rejected and expired are)."""
        return self.state in self.HOLDING_STATES

    @property
    def scope(self) -> Product | Api:
        """What the keys call: the product, or the one API."""
        return self.product if self.product is not None else self.api  # type: ignore[return-value]

    @property
    def scope_label(self) -> str:
        """The scope as people read it: "Logistics", or "API: Shipments"."""
        if self.product is not None:
            return self.product.display_name
        return f"API: {self.api.display_name}" if self.api is not None else ""

    @property
    def scope_in_words(self) -> str:
        """The scope in a sentence: "Logistics", or "the Shipments API"."""
        if self.product is not None:
            return self.product.display_name
        return f"the {self.api.display_name} API" if self.api is not None else ""


class SubscriptionSettings(models.Model):
    """The console's settings for subscriptions; there is one row."""

    class AccessLoss(models.TextChoices):
        SUSPEND = "suspend", "Suspend the subscription until access comes back"
        KEEP = "keep", "Keep the subscription working (as Azure does)"

    notification_email = models.EmailField(
        "administrators' notification address",
        blank=True,
        help_text="Gets the approvals inbox’s emails: new sign-ups, requests and subscriptions "
        "waiting for approval. Blank: every administrator.",
    )
    on_access_loss = models.CharField(
        "when a developer can no longer see a product they subscribed to",
        max_length=10,
        choices=AccessLoss,
        default=AccessLoss.SUSPEND,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # Made as the portal's settings before subscriptions had an app.
        db_table = "portal_portalsettings"
        verbose_name = verbose_name_plural = "subscription settings"

    def __str__(self) -> str:
        return "Subscription settings"

    @classmethod
    def load(cls) -> SubscriptionSettings:
        """The settings row; the defaults, unsaved, until an administrator first saves them.

        Reading never writes: a page that shows the settings (a GET) changes nothing.
        """
        return cls.objects.filter(pk=1).first() or cls(pk=1)


class PendingAccessCheck(models.Model):
    """What an access-rule job still has to look at, written with the change of sight.

    The key check refuses a key that the rule is about to suspend even before
    the job reaches its subscription: a marker matching the subscription
    (its owner, its product, its API, or everyone) makes the check decide
    sight itself, through the rule's own code. The job deletes its markers
    when it is done. Plain ids, not foreign keys: a marker outlives nothing
    and needs no cascade.
    """

    # The job's params carry the same ticket; the job deletes its markers by it.
    ticket = models.UUIDField(db_index=True)
    owner_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    product_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    api_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    everyone = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Pending access check {self.ticket}"
