from __future__ import annotations

import secrets
import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connections, models
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone

from portal import user_search
from portal.entities import ENTITY_ID_VALIDATOR, VersionedModel


def is_administrator(viewer: Any) -> bool:
    """Whether this visitor is an administrator: an active, signed-in superuser."""
    return bool(viewer.is_authenticated and viewer.is_active and viewer.is_superuser)


class UserQuerySet(models.QuerySet["User"]):
    def active(self) -> UserQuerySet:
        """Accounts that can sign in."""
        return self.filter(state=User.State.ACTIVE)

    def administrators(self) -> UserQuerySet:
        """Accounts that can sign in and have the console."""
        return self.active().filter(is_superuser=True)

    def search(self, query: str) -> UserQuerySet:
        """People whose email, first or last name contain every word of the query.

        Case is ignored as LIKE ignores it. On SQLite, the trigram index
        (portal/user_search.py) first finds the few accounts holding the
        words long enough for it, so that neither the page nor its count
        reads every account; the LIKE filters still decide what matches.
        """
        words = query.split()[:5]
        result = self
        indexed = [word for word in words if len(word) >= user_search.MIN_WORD]
        if indexed and connections[self.db].vendor == "sqlite":
            found = user_search.few_matching_ids(connections[self.db], indexed)
            if found is not None:
                result = result.filter(pk__in=found)
        for word in words:
            result = result.filter(
                models.Q(email__icontains=word)
                | models.Q(first_name__icontains=word)
                | models.Q(last_name__icontains=word)
            )
        return result


class UserManager(BaseUserManager.from_queryset(UserQuerySet)):  # type: ignore[misc]
    use_in_migrations = True

    def get_by_natural_key(self, username: str | None) -> User:
        """Sign-in looks the email up case-insensitively."""
        # Lower(email) = lower(value) is what the unique index covers; iexact
        # would compile to UPPER(...) LIKE and scan the table on PostgreSQL.
        return self.get(Exact(Lower("email"), (username or "").strip().lower()))

    def _create(
        self, email: str, password: str | None, password_hash: str | None = None, **fields: Any
    ) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).strip(), **fields)
        if password_hash:
            user.password = password_hash
        elif password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields["is_staff"] = True
        fields["is_superuser"] = True
        return self._create(email, password, **fields)


def new_api_id() -> str:
    return secrets.token_hex(8)


class User(AbstractBaseUser, PermissionsMixin, VersionedModel):
    """A person who signs in with an email address.

    Roles: an administrator is a superuser and has the console; support
    staff are `is_staff` users who are not superusers and get the Django
    admin only; everyone else signed in is a developer.
    """

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        BLOCKED = "blocked", "Blocked"
        PENDING = "pending", "Pending"

    email = models.EmailField("email address", max_length=254, unique=True)
    # Azure's userId: how the management API names this person.
    api_id = models.CharField(
        "user ID",
        max_length=80,
        unique=True,
        default=new_api_id,
        validators=[ENTITY_ID_VALIDATOR],
        editable=False,
    )
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=10, choices=State, default=State.ACTIVE)
    note = models.TextField(
        blank=True,
        help_text="Never shown to the person. Administrators read it, and so do support "
        "staff who may view users in the Django admin.",
    )
    registration_date = models.DateTimeField(default=timezone.now)
    # When the person followed the link that sign-up emailed; None for
    # accounts made otherwise. Confirmed but pending: waiting for approval.
    email_confirmed_at = models.DateTimeField("email confirmed", null=True, blank=True)
    # Made by the sign-up page rather than by an administrator: a pending
    # account that signed up waits for its owner (the emailed link) or for an
    # approval, one an administrator made pending waits for the administrators.
    signed_up = models.BooleanField(default=False, editable=False)
    is_staff = models.BooleanField(
        "support staff",
        default=False,
        help_text="Can sign in to the Django admin, with the permissions given below.",
    )

    objects = UserManager()

    # A sign-in is not a change to the account.
    unversioned_fields = frozenset({"last_login"})

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["first_name", "last_name"]

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="portal_user_email_ci",
                violation_error_message="A user with this email address already exists.",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["active", "blocked", "pending"]),
                name="portal_user_state_valid",
            ),
        ]
        indexes = [
            # Counting who can sign in (Developers) and the administrators, as a
            # product's "who can see this" does, reads this index, not the table.
            models.Index(fields=["state", "is_superuser"], name="portal_user_state_superuser"),
        ]

    def __str__(self) -> str:
        return self.email

    def get_absolute_url(self) -> str:
        return reverse("console:user_detail", args=[self.pk])

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        """Only active accounts may sign in; Django's backends read this."""
        return self.state == self.State.ACTIVE

    @property
    def role(self) -> str:
        if self.is_superuser:
            return "Administrator"
        if self.is_staff:
            return "Support staff"
        return "Developer"

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.email

    @property
    def waiting_for_approval(self) -> bool:
        """Signed up and confirmed the email, and an administrator has yet to approve."""
        return self.state == self.State.PENDING and self.email_confirmed_at is not None


class SignUpSettings(VersionedModel):
    """Who may create an account on the developer portal; there is one row."""

    enabled = models.BooleanField(
        "let visitors sign up",
        default=True,
        help_text="Off: the sign-up page is gone and nobody can create an account but you.",
    )
    approval = models.BooleanField(
        "approve sign-ups",
        default=False,
        help_text="On: a confirmed account waits until an administrator approves it.",
    )
    allowed_domains = models.TextField(
        "allowed email domains",
        blank=True,
        help_text="One a line, e.g. partner.example. Blank: every domain not refused.",
    )
    refused_domains = models.TextField(
        "refused email domains", blank=True, help_text="One a line. Sign-up refuses them."
    )
    terms = models.TextField(
        "terms of use",
        blank=True,
        help_text="Markdown, shown on the sign-up page; people must accept them. "
        "Blank: no terms to accept.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "sign-up settings"

    def __str__(self) -> str:
        return "Sign-up settings"

    @classmethod
    def load(cls) -> SignUpSettings:
        """The settings row, created with the defaults the first time."""
        current, _ = cls.objects.get_or_create(pk=1)
        return current

    def domain_refusal(self, email: str) -> str:
        """Why an address may not sign up, or "" when it may."""
        domain = email.rpartition("@")[2].strip().lower()
        if domain in domain_lines(self.refused_domains):
            return "Accounts with this email domain can't be created here."
        allowed = domain_lines(self.allowed_domains)
        if allowed and domain not in allowed:
            return "Only addresses at these domains can sign up: " + ", ".join(sorted(allowed))
        return ""


def domain_lines(text: str) -> set[str]:
    """The domains a settings field lists, one a line, lower-cased, '@' dropped."""
    return {line.strip().lstrip("@").lower() for line in text.splitlines() if line.strip()}


class ApprovalNotice(models.Model):
    """When the administrators last got the approvals inbox's email; there is one row.

    The row is locked while an email is decided on, so two processes never
    both send one for the same items.
    """

    last_sent_at = models.DateTimeField(null=True, blank=True)
    # Set when items arrived too soon after the last email: the next one is due then.
    due_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return "Approvals email"


class JobQuerySet(models.QuerySet["Job"]):
    def in_flight(self) -> JobQuerySet:
        return self.filter(state__in=(Job.State.QUEUED, Job.State.RUNNING))

    def failed(self) -> JobQuerySet:
        return self.filter(state=Job.State.FAILED)


class Job(models.Model):
    """One piece of background work and what it did (portal/jobs.py runs it).

    The row is written in the same transaction as the change that asks for
    the work, so neither exists without the other. The task queue carries
    only the row's id; whichever worker runs it claims the row for a lease,
    records its progress as it goes, and a job whose worker died is handed to
    another once the lease runs out.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Done"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(null=True, blank=True)
    # What the job did, in a sentence for the console; its last error, if any.
    summary = models.TextField(blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    # Not before this time (a retry's backoff, or a deferred email).
    run_after = models.DateTimeField(null=True, blank=True)
    # Until when the worker running it holds it; past that, another may take it.
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=100, blank=True)
    # When the id was last handed to the task queue, and the queue's id for that task.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    # Enqueued once the change commits (emails), not in the change's transaction.
    after_commit = models.BooleanField(default=False)
    started_by = models.ForeignKey(
        "portal.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cause = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="effects"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-created_at"]
        indexes: ClassVar = [
            models.Index(fields=["state", "created_at"], name="portal_job_state_created"),
            models.Index(fields=["kind", "state"], name="portal_job_kind_state"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("console:job", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)

    @property
    def percent(self) -> int | None:
        if not self.total:
            return 100 if self.state == self.State.SUCCEEDED else None
        return min(100, self.done * 100 // self.total)


class WorkerBeat(models.Model):
    """A worker process, and when it last said it was alive (its sweeper writes this)."""

    worker = models.CharField(max_length=100, primary_key=True)
    seen_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.worker
