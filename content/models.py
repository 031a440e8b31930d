"""The developer portal's own content: pages written in Markdown, each shown to
everyone, to signed-in developers or to chosen groups, and the portal's branding.

Which pages someone sees is decided by PageQuerySet.visible_to alone, for
every page, menu, search and preview.
"""

from __future__ import annotations

from typing import Self

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from content.colours import validate_accent, validate_portal_name
from groups.models import Group, Viewer
from portal.entities import Link, VersionedModel, related_count
from portal.models import is_administrator
from products.models import OneOf

# How many earlier versions of a page are kept for Restore.
KEPT_VERSIONS = 10
BODY_LENGTH = 100_000
# Addresses the console's own paths take (/console/pages/new/).
RESERVED_SLUGS = frozenset({"new"})
SLUG_VALIDATOR = RegexValidator(
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
    "Use lowercase letters, digits and single hyphens between them, like getting-started.",
    code="invalid_slug",
)


def counts_as_signed_in(viewer: Viewer) -> bool:
    """Whether pages for signed-in developers are meant for this viewer.

    Blocked and pending accounts (seen through View as) can't sign in, so
    they see what guests see, as they do for products.
    """
    return bool(viewer.is_authenticated and viewer.is_active)


class PageQuerySet(models.QuerySet["Page"]):
    def visible_to(self, viewer: Viewer) -> Self:
        """The pages a person (or a group preview) may open.

        Administrators may open every page, drafts included. Everyone else
        sees published pages meant for everyone, for signed-in developers
        when they are signed in, or for one of their groups.
        """
        if is_administrator(viewer):
            return self
        audience = Q(visibility=Page.Visibility.EVERYONE)
        if counts_as_signed_in(viewer):
            audience |= Q(visibility=Page.Visibility.SIGNED_IN)
        shared = PageGroup.objects.filter(
            OneOf(models.F("group_id"), Group.objects.ids_for_user(viewer))
        )
        audience |= Q(visibility=Page.Visibility.GROUPS, pk__in=shared.values("page_id"))
        return self.filter(audience, state=Page.State.PUBLISHED)

    def for_console(self, query: str) -> Self:
        """The console's list: pages whose title, address or body holds every word of the
        query, with how many groups each is shown to and the title's sort key."""
        matched = self
        for word in query.split():
            matched = matched.filter(
                Q(title__icontains=word) | Q(slug__icontains=word) | Q(body__icontains=word)
            )
        return matched.annotate(
            group_count=related_count(PageGroup.objects, "page"), title_key=Lower("title")
        )

    def search(self, query: str) -> Self:
        """Pages whose title or body holds every word of the query, whatever their case."""
        matched = self
        for word in query.split():
            matched = matched.filter(Q(title__icontains=word) | Q(body__icontains=word))
        return matched


class Page(VersionedModel):
    """A page of the developer portal, written in Markdown."""

    class Visibility(models.TextChoices):
        EVERYONE = "everyone", "Everyone, guests included"
        SIGNED_IN = "signedIn", "Signed-in developers"
        GROUPS = "groups", "Chosen groups"

    class Menu(models.TextChoices):
        NONE = "none", "No menu"
        TOP = "top", "Top menu"
        FOOTER = "footer", "Footer"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"

    title = models.CharField(max_length=200)
    slug = models.CharField(
        "address",
        max_length=100,
        unique=True,
        validators=[SLUG_VALIDATOR],
        help_text="The page's address: /pages/<address>/. Lowercase letters, digits and hyphens.",
    )
    body = models.TextField(
        blank=True,
        max_length=BODY_LENGTH,
        validators=[MaxLengthValidator(BODY_LENGTH)],
        help_text="Markdown. Up to 100,000 characters.",
    )
    order = models.IntegerField(default=0, help_text="Lower numbers come first in a menu.")
    menu = models.CharField(max_length=8, choices=Menu, default=Menu.NONE)
    visibility = models.CharField(
        "who can see it", max_length=10, choices=Visibility, default=Visibility.EVERYONE
    )
    state = models.CharField(max_length=10, choices=State, default=State.DRAFT)
    is_landing = models.BooleanField(
        "landing page",
        default=False,
        help_text="Shown at the portal's front page. Only one page can be the landing page.",
    )
    groups = models.ManyToManyField(
        Group,
        through="PageGroup",
        through_fields=("page", "group"),
        related_name="pages",
        blank=True,
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )

    objects = PageQuerySet.as_manager()

    class Meta:
        ordering = ["order", Lower("title"), "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_landing"],
                condition=Q(is_landing=True),
                name="content_page_one_landing",
                violation_error_message="Another page is already the landing page.",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=["everyone", "signedIn", "groups"]),
                name="content_page_visibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(menu__in=["none", "top", "footer"]),
                name="content_page_menu_valid",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["draft", "published"]),
                name="content_page_state_valid",
            ),
        ]
        indexes = [models.Index(fields=["menu", "state", "order"], name="content_page_menu")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # The console's + Add page is at /console/pages/new/, beside each page's own.
        if self.slug in RESERVED_SLUGS:
            raise ValidationError(
                {"slug": f"“{self.slug}” is reserved; choose another address."}, code="reserved"
            )

    def get_absolute_url(self) -> str:
        return reverse("portal:page", args=[self.slug])

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED


class PageGroup(Link):
    """A group whose members see a page meant for chosen groups."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="links")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="page_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["page", "group"],
                name="content_pagegroup_unique",
                violation_error_message="This group already sees the page.",
            ),
        ]
        indexes = [models.Index(fields=["group", "page"], name="content_link_group")]

    def __str__(self) -> str:
        return f"{self.group} sees {self.page}"


class PageVersion(models.Model):
    """A page's title and body as they were after one save, for Restore."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    saved_at = models.DateTimeField(default=timezone.now)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="content_pageversion_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.page} version {self.number}"


DEFAULT_ACCENT = "#1f4e79"
DEFAULT_PORTAL_NAME = "Portico"


class Branding(VersionedModel):
    """The portal's name, logo and accent colour: one row, pk 1.

    The logo is kept in the database, not on a node's disk, so every node
    serves the same one. Every change goes through content.branding.
    """

    portal_name = models.CharField(
        max_length=60, default=DEFAULT_PORTAL_NAME, validators=[validate_portal_name]
    )
    accent_colour = models.CharField(
        max_length=7,
        default=DEFAULT_ACCENT,
        validators=[validate_accent],
        help_text="The top bar's and buttons' background, and the links' colour, all "
        "with white text on or around it: it must reach 4.5:1 against white.",
    )
    logo = models.BinaryField(null=True, blank=True, editable=False)
    logo_type = models.CharField(max_length=40, blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name_plural = "branding"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="content_branding_one_row"),
        ]

    def __str__(self) -> str:
        return self.portal_name
