from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any, Self

import idna
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from groups import system
from portal import counts, sight
from portal.entities import (
    Link,
    NamedEntity,
    NamedEntityQuerySet,
    Request,
    RequestQuerySet,
    entity_constraints,
    related_count,
)
from portal.models import User


class SystemGroupError(ValidationError):
    """Raised when something tries to change one of the three system groups."""


def system_group_error(group: Group, field: str | None = None) -> SystemGroupError:
    """The one refusal for every change to a system group, whatever path it takes."""
    message = (
        f"{group.display_name} is a system group: Portico manages its name, description "
        "and members, so it can't be edited, deleted or given members."
    )
    return SystemGroupError({field: message} if field else message, code="system_group")


@dataclass(frozen=True)
class GroupMember:
    """A member of one group and nothing else: the console's "View as" a group.

    Visibility accepts it wherever it accepts a person; it stands for the
    group's members without being any one of them.
    """

    group: Group

    @property
    def is_authenticated(self) -> bool:
        return self.group.name != system.GUESTS

    @property
    def is_active(self) -> bool:
        return self.is_authenticated

    @property
    def is_superuser(self) -> bool:
        return self.group.name == system.ADMINISTRATORS


# Whom visibility is worked out for: a visitor (signed in or not), or a
# group's stand-in for View as.
type Viewer = User | AnonymousUser | GroupMember


DIRECTORY_KEY_LENGTH = 200
AZURE_GROUP_REFERENCE = re.compile(r"^aad://[^/]+/groups/(?P<id>[^/]+)/?$", re.IGNORECASE)


def directory_key(reference: str) -> str:
    """How a directory group is matched: its id or name, trimmed and case-folded.

    Azure's form, aad://<tenant>/groups/<id>, matches the bare <id> that
    Entra ID puts in a groups claim, whatever the tenant: so one
    configuration works against a test and a production tenant when the
    groups are named by name, or by the same ids.
    """
    reference = reference.strip()
    found = AZURE_GROUP_REFERENCE.match(reference)
    if found:
        reference = found["id"]
    key = reference.casefold()
    # A long reference is kept as its digest, so that the index stays small.
    if len(key) > DIRECTORY_KEY_LENGTH:
        key = "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    return key


class GroupQuerySet(NamedEntityQuerySet["Group"]):
    searched_fields = ("external_id",)

    def custom(self) -> Self:
        """Groups whose members are stored: custom and external ones."""
        return self.exclude(type=Group.Type.SYSTEM)

    def hand_picked(self) -> Self:
        """Groups people are added to by hand: custom ones (an external
        group's members come from the directory)."""
        return self.filter(type=Group.Type.CUSTOM)

    def for_user(self, viewer: Viewer) -> Self:
        """The groups someone is in: the derived system groups and stored ones.

        Stored memberships count only for accounts that can sign in. A
        GroupMember is in its group and the system groups that implies.
        """
        derived = system.derived_group_ids(viewer)
        if derived == [system.GUESTS]:
            return self.filter(name=system.GUESTS)
        if isinstance(viewer, GroupMember):
            return self.filter(Q(name__in=derived) | Q(pk=viewer.group.pk))
        if not isinstance(viewer, User):
            return self.filter(name__in=derived)
        stored = Membership.objects.filter(user=viewer).values("group_id")
        return self.filter(Q(name__in=derived) | (~Q(type=Group.Type.SYSTEM) & Q(pk__in=stored)))

    def ids_for_user(self, viewer: Viewer) -> list[int]:
        """The pks of for_user(viewer), read now in one query that indexes answer.

        for_user's OR of a name and a membership subquery makes PostgreSQL
        scan every group; the union below reads the system groups by name
        and the stored memberships by user. Kept for the rest of a request
        only, until something in it changes sight (portal.sight.remember).
        """
        derived = system.derived_group_ids(viewer)
        # Within a request the first read serves the others (the product
        # page asks four times); a change of sight forgets it (portal.sight).
        if isinstance(viewer, User):
            key: tuple[Any, ...] = ("user", viewer.pk, *derived)
        elif isinstance(viewer, GroupMember):
            key = ("group", viewer.group.pk, *derived)
        else:
            key = ("visitor", *derived)
        return list(sight.remember(key, lambda: tuple(self._read_ids_for_user(viewer, derived))))

    def _read_ids_for_user(self, viewer: Viewer, derived: list[str]) -> list[int]:
        named = Group.objects.filter(name__in=derived).order_by().values_list("pk", flat=True)
        if derived == [system.GUESTS] or not isinstance(viewer, User | GroupMember):
            return list(named)
        if isinstance(viewer, GroupMember):
            return list({*named, viewer.group.pk})
        # The system groups by their names (an index) rather than their
        # type, which joined every group to the memberships.
        system_groups = Group.objects.filter(name__in=system.SYSTEM_GROUPS).values("pk")
        stored = (
            Membership.objects.filter(user=viewer)
            .exclude(group__in=system_groups)
            .order_by()
            .values_list("group_id", flat=True)
        )
        return list(named.union(stored, all=True).order_by())

    def for_directory(self, references: Any) -> Self:
        """The external groups these directory references (ids or names) name."""
        keys = {directory_key(str(reference)) for reference in references}
        keys.discard("")
        return self.filter(type=Group.Type.EXTERNAL, directory_key__in=keys)

    def with_member_count(self) -> Self:
        """Annotate member_count, the stored members, one subquery per shown row."""
        return self.annotate(member_count=related_count(Membership.objects, "group"))

    def delete(self) -> tuple[int, dict[str, int]]:
        system_group = self.filter(type=Group.Type.SYSTEM).first()
        if system_group is not None:
            raise system_group_error(system_group)
        return super().delete()


class Group(NamedEntity):
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

    type = models.CharField(max_length=10, choices=Type, default=Type.CUSTOM)
    built_in = models.BooleanField(default=False, editable=False)
    external_id = models.CharField(
        "external ID",
        max_length=2000,
        blank=True,
        help_text="For external groups, the directory's group reference.",
    )
    # external_id as a directory's claims and provisioning name it (see
    # directory_key): kept so that matching a sign-in's groups is one indexed query.
    directory_key = models.CharField(max_length=200, blank=True, db_index=True, editable=False)
    requestable = models.BooleanField(
        "developers can ask to join",
        default=False,
        help_text="Listed on the developer portal's Groups page with a Request to join button.",
    )
    request_hint = models.CharField(
        "who should ask",
        max_length=1000,
        blank=True,
        help_text="Shown to developers next to the group, e.g. “Employees of our partner "
        "companies”. Up to 1,000 characters.",
    )
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
            *entity_constraints("groups_group", "group"),
            models.CheckConstraint(
                condition=models.Q(type__in=["system", "custom", "external"]),
                name="groups_group_type_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(type="system", built_in=True)
                | (~models.Q(type="system") & models.Q(built_in=False)),
                name="groups_group_built_in_iff_system",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.directory_key = directory_key(self.external_id) if self.external_id else ""
        fields = kwargs.get("update_fields")
        if fields is not None and "external_id" in fields:
            kwargs["update_fields"] = {*fields, "directory_key"}
        # The protection lives here so that the console, the Django admin
        # and the API all inherit it. System groups are created only by the
        # data migration and the post_migrate repair, with bulk_create on
        # the historical model, which never calls save().
        if self.is_system or self._loaded_type == self.Type.SYSTEM:
            raise system_group_error(self)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.name])

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        if self.is_system:
            raise system_group_error(self)
        return super().delete(*args, **kwargs)

    def clean(self) -> None:
        super().clean()
        if self.type == self.Type.SYSTEM and self._loaded_type is None:
            raise ValidationError(
                {
                    "type": "Only the three built-in groups are system groups; "
                    "choose Custom or External."
                }
            )
        if self.type == self.Type.EXTERNAL and not self.external_id:
            raise ValidationError(
                {
                    "external_id": "Enter the directory group's id or name: an external group "
                    "needs one."
                }
            )
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


def members_of(group: Group) -> models.QuerySet[User]:
    """The people in a group: derived for system groups, stored for the others.

    Guests are anonymous visitors, never an account, so the group has none.
    """
    if group.name == system.ADMINISTRATORS:
        return User.objects.administrators()
    if group.name == system.DEVELOPERS:
        return User.objects.active()
    if group.is_system:
        return User.objects.none()
    return User.objects.filter(memberships__group=group)


def member_count(group: Group) -> int:
    """len(members_of(group)), with Developers (every active account) from the shared cache."""
    if group.name == system.DEVELOPERS:
        # Every account that can sign in: counted once, then kept until an
        # account's state changes (portal.counts).
        return counts.active_people()
    return members_of(group).count()


def groups_of(person: User) -> GroupQuerySet:
    """The groups an account is in, as the management API lists them.

    Unlike Group.objects.for_user, a blocked account keeps its stored
    memberships, and is never listed in Guests, which has no accounts.
    """
    derived = [name for name in system.derived_group_ids(person) if name != system.GUESTS]
    stored = Membership.objects.filter(user=person).values("group_id")
    return Group.objects.filter(
        Q(name__in=derived) | (~Q(type=Group.Type.SYSTEM) & Q(pk__in=stored))
    )


def groups_of_many(people: list[User]) -> dict[int, list[Group]]:
    """groups_of for many accounts in two queries, whatever their number: each
    person's groups by id, ordered by name."""
    if not people:
        return {}
    system_groups = {group.name: group for group in Group.objects.filter(type=Group.Type.SYSTEM)}
    found: dict[int, list[Group]] = {
        person.pk: [
            system_groups[name]
            for name in system.derived_group_ids(person)
            if name != system.GUESTS and name in system_groups
        ]
        for person in people
    }
    stored = (
        Membership.objects.filter(user__in=[person.pk for person in people])
        .exclude(group__type=Group.Type.SYSTEM)
        .select_related("group")
    )
    for membership in stored:
        found[membership.user_id].append(membership.group)
    for groups in found.values():
        groups.sort(key=lambda group: group.name)
    return found


DOMAIN_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def clean_domain(value: str) -> str:
    """An email domain as rules keep it: lower-cased, without '@'; ValidationError if not one.

    Internationalised domains are allowed (checked through their ASCII form).
    """
    domain = value.strip().lower().removeprefix("@").rstrip(".")
    if not domain:
        raise ValidationError("Enter a domain, such as partner.example.", code="required")
    if len(domain) > 253:
        raise ValidationError("A domain has at most 253 characters.", code="max_length")
    if "@" in domain:
        raise ValidationError(
            "Enter only the domain, the part after '@', such as partner.example.", code="invalid"
        )
    try:
        ascii_form = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        ascii_form = ""
    labels = ascii_form.split(".")
    if len(labels) < 2 or len(ascii_form) > 253 or not all(DOMAIN_LABEL.match(x) for x in labels):
        raise ValidationError(
            "Enter a domain: letters, digits, hyphens and dots, such as partner.example.",
            code="invalid",
        )
    return domain


CLAIM_NAME = re.compile(r"[A-Za-z0-9_.:/-]{1,100}")


class GroupRuleQuerySet(models.QuerySet["GroupRule"]):
    def matching(self, person: User) -> GroupRuleQuerySet:
        """The email-domain rules that would put this account in their group."""
        domain = person.email.rpartition("@")[2].strip().lower()
        return self.filter(kind=GroupRule.Kind.EMAIL_DOMAIN, value=domain)

    def matching_claims(self, claims: dict[str, Any]) -> list[GroupRule]:
        """The claim rules a sign-in's ID token claims satisfy (read in Python: few rules)."""
        found: list[GroupRule] = []
        for rule in self.filter(kind=GroupRule.Kind.CLAIM).select_related("group"):
            given = claims.get(rule.claim)
            values = given if isinstance(given, list) else [given]
            wanted = rule.value.casefold()
            if any(
                isinstance(value, str) and value.strip().casefold() == wanted for value in values
            ):
                found.append(rule)
        return found


class GroupRule(models.Model):
    """Put accounts in a custom group automatically: those whose email is at a domain.

    A rule is applied when an account becomes active, and on request to the
    active accounts that exist already. Subdomains don't match: a rule for
    partner.example doesn't take people at eu.partner.example.
    """

    class Kind(models.TextChoices):
        EMAIL_DOMAIN = "email_domain", "Email domain"
        CLAIM = "claim", "Identity provider claim"

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="rules")
    kind = models.CharField(max_length=20, choices=Kind, default=Kind.EMAIL_DOMAIN)
    value = models.CharField(max_length=253)
    # For a claim rule: the ID token claim's name, such as "department" or "groups".
    claim = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = GroupRuleQuerySet.as_manager()

    class Meta:
        ordering = ["kind", "value", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "kind", "claim", "value"],
                name="groups_grouprule_one_each",
                violation_error_message="The group has this rule already.",
            ),
            models.CheckConstraint(
                condition=models.Q(kind="email_domain", claim="")
                | (models.Q(kind="claim") & ~models.Q(claim="")),
                name="groups_grouprule_kind_and_claim",
            ),
        ]

    def __str__(self) -> str:
        return self.description

    @property
    def description(self) -> str:
        if self.kind == self.Kind.CLAIM:
            return f"identity provider claim {self.claim} is {self.value}"
        return f"email domain {self.value}"

    @property
    def is_claim(self) -> bool:
        return self.kind == self.Kind.CLAIM

    def clean(self) -> None:
        if self.group_id is not None and self.group.is_system:
            raise system_group_error(self.group, field="group")
        if self.group_id is not None and self.group.type == Group.Type.EXTERNAL:
            raise ValidationError(
                {"group": "An external group's members come from the directory: it has no rules."}
            )
        if self.kind == self.Kind.CLAIM:
            self.claim, self.value = self.claim.strip(), self.value.strip()
            errors = {}
            if not CLAIM_NAME.fullmatch(self.claim):
                errors["claim"] = (
                    "Enter the claim's name as the ID token has it, such as department or "
                    "groups: letters, digits and _ - . : / only, up to 100 characters."
                )
            if not self.value:
                errors["value"] = "Enter the value the claim must have."
            elif any(ord(character) < 32 for character in self.value):
                errors["value"] = "The value can't contain control characters."
            if errors:
                raise ValidationError(errors)
        if self.kind == self.Kind.EMAIL_DOMAIN:
            try:
                self.value = clean_domain(self.value)
            except ValidationError as error:
                raise ValidationError({"value": error.messages}) from None


class Membership(Link):
    """A person stored as a member of a custom or external group."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    # Set when a rule added the person rather than someone (added_by).
    added_by_rule = models.ForeignKey(
        GroupRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="memberships"
    )

    class Sync(models.TextChoices):
        SIGN_IN = "sign-in", "sign-in"
        PROVISIONING = "provisioning", "provisioning"

    # For an external group's members: how the directory last said so, and when.
    synced_via = models.CharField(max_length=12, choices=Sync, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

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
            raise system_group_error(self.group, field="group")


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        """Invitations neither accepted nor revoked: expired ones too, which Resend revives."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)

    def search(self, query: str) -> InvitationQuerySet:
        """Invitations whose email or names contain every word of the query."""
        result = self
        for word in query.split()[:5]:
            result = result.filter(
                Q(email__icontains=word)
                | Q(first_name__icontains=word)
                | Q(last_name__icontains=word)
            )
        return result


class Invitation(models.Model):
    """A link, emailed once, with which a person makes an account and joins groups.

    Only a hash of the link's secret is kept: the database alone can't open it.
    """

    email = models.EmailField("email address", max_length=254)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    groups = models.ManyToManyField(Group, related_name="invitations", blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="groups_invitation_open_email_ci",
                violation_error_message="An invitation to this email address is pending.",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.email


class GroupRequest(Request):
    """A developer's request to join a requestable custom group, and its outcome."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_requests"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="requests")

    objects = RequestQuerySet["GroupRequest"].as_manager()

    class Meta(Request.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["user", "group"],
                condition=Q(state="submitted"),
                name="groups_request_one_waiting",
                violation_error_message="You already asked to join this group; "
                "your request is waiting for an administrator.",
            ),
            models.CheckConstraint(
                condition=Q(state__in=Request.STATES),
                name="groups_request_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["group", "state", "created_at"], name="groups_request_waiting"),
        ]

    def __str__(self) -> str:
        return f"{self.user} asks to join {self.group}"

    @property
    def subject(self) -> Group:
        """What is asked for, as the developer's list of requests names it."""
        return self.group


def sight_keys(users: list[User]) -> dict[int, tuple[Any, ...]]:
    """For each user, a key equal for two users whom Group.objects.for_user gives the same groups.

    What for_user reads: the derived system groups (from the account alone)
    and, for accounts that can sign in, stored memberships. So a rule that
    works out sight for thousands of people at once (the subscriptions'
    access rule) asks once per key. One query.
    """
    derived = {user.pk: tuple(system.derived_group_ids(user)) for user in users}
    stored: dict[int, set[int]] = {}
    signing_in = [pk for pk, groups in derived.items() if groups != (system.GUESTS,)]
    for user_id, group_id in Membership.objects.filter(user_id__in=signing_in).values_list(
        "user_id", "group_id"
    ):
        stored.setdefault(user_id, set()).add(group_id)
    return {
        pk: (groups, frozenset(stored.get(pk, ())) if groups != (system.GUESTS,) else frozenset())
        for pk, groups in derived.items()
    }
