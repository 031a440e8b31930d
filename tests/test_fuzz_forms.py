"""Every form of the console and the developer portal, filled with hostile input.

The forms are read from the pages: each test opens the page that shows its
form, finds the form by the URL it posts to, and fills the fields the HTML
offers (text, hidden, checkboxes, radios, selects) with valid values or
hostile ones (tests/fuzz.py). A crawl of every page reachable from the
console and the portal proves that FORMS names every form there is.

For each submission: no server error; a refusal changes no row of any table;
an accepted submission stores the text as the form cleans it, and every page
that then shows it (the one redirected to, and the row's own page) escapes it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.db.models import Model
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from apis.models import Api, Restriction
from audit.models import RetentionSettings
from content import services as content_services
from content.models import Branding, Page
from groups import invitations
from groups import services as group_services
from groups.invitations import hash_token
from groups.models import Group, GroupRequest, GroupRule, Invitation
from management_api.models import AccessToken
from management_api.services import issue_token
from portal import preview
from portal.models import SignUpSettings, User
from portal.services import set_password_url
from portal.signup import confirmation_url
from products import services as product_services
from products.models import AccessRequest, Product
from reviews import services as review_services
from scim import services as scim_services
from scim.models import ScimToken
from sso.models import IdentityProviderSettings
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings
from tests.conftest import TEST_PASSWORD, openapi_text
from tests.fuzz import (
    Sweep,
    as_received,
    changed_tables,
    form_encoded,
    fuzz_settings,
    hostile_text,
    one_of_each,
    raw_markup,
    rolled_back,
    snapshot,
)

SIGNUP_PASSWORD = "a-rather-unusual-passphrase-42"


# --- Forms as a page shows them --------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # the input's type, "textarea" or "select"
    value: str = ""
    options: list[str] = field(default_factory=list)
    maxlength: int | None = None
    checked: bool = False


@dataclass
class Form:
    method: str
    action: str
    fields: dict[str, Field] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """The forms of a page and their fields; the links, to crawl on."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._text: Field | None = None
        self._select: Field | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {name: value or "" for name, value in attrs}
        if tag == "a" and attr.get("href"):
            self.links.append(attr["href"])
        elif tag == "form":
            self._form = Form(method=attr.get("method", "get").lower(), action=attr.get("action"))
            self.forms.append(self._form)
        elif tag == "option" and self._select is not None:
            self._select.options.append(attr.get("value", ""))
            if "selected" in attr:
                self._select.value = attr.get("value", "")
        elif self._form is None or not attr.get("name"):
            return
        elif tag == "input":
            self._input(attr)
        elif tag == "textarea":
            self._text = self._add(attr, "textarea")
        elif tag == "select":
            self._select = self._add(attr, "select")
        elif tag == "button" and attr.get("type", "submit").lower() == "submit":
            self._button(attr)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea" and self._text is not None:
            # A browser drops the newline that starts a textarea's content.
            self._text.value = self._text.value.removeprefix("\n")
            self._text = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.value += data

    def _input(self, attr: dict[str, str]) -> None:
        kind = attr.get("type", "text").lower()
        if kind in ("submit", "button", "reset", "image", "file"):
            return
        assert self._form is not None
        existing = self._form.fields.get(attr["name"])
        if kind in ("radio", "checkbox") and existing is not None:
            existing.options.append(attr.get("value", "on"))
            return
        added = self._add(attr, kind)
        added.value = attr.get("value", "")
        added.checked = "checked" in attr
        if kind in ("radio", "checkbox"):
            added.options.append(attr.get("value", "on"))

    def _button(self, attr: dict[str, str]) -> None:
        """A named submit button: a person sends one of its values by pressing it."""
        assert self._form is not None
        existing = self._form.fields.get(attr["name"]) or self._add(attr, "button")
        existing.options.append(attr.get("value", ""))

    def _add(self, attr: dict[str, str], kind: str) -> Field:
        assert self._form is not None
        maxlength = attr.get("maxlength", "")
        added = Field(
            name=attr["name"], kind=kind, maxlength=int(maxlength) if maxlength.isdigit() else None
        )
        self._form.fields[added.name] = added
        return added


def parse(page: str) -> _FormParser:
    parser = _FormParser()
    parser.feed(page)
    return parser


def url_name(path: str) -> str | None:
    """The namespaced URL name a path resolves to; None outside Portico's URLs."""
    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.view_name


def posted_to(form: Form, page_path: str) -> str:
    """The path a form posts to: its action, or the page it is on."""
    return urlsplit(form.action).path if form.action else page_path


# --- The world every form is filled in -------------------------------------------

# The secret of the world's invitation link (the emailed one is random).
INVITATION_TOKEN = "fuzz-invitation-link-secret"


@pytest.fixture
def world(
    administrator,
    member,
    outsider,
    blocked_user,
    partners,
    beta,
    product,
    make_product,
    make_api,
    make_user,
):
    """One of everything a form can name: the member is in Partners and subscribed."""
    signed_up = make_user(state="pending", email_confirmed_at=timezone.now())
    unconfirmed = make_user(state="pending")
    ledger = make_product("Ledger", approval_required=True)
    terms = make_product("Terms", terms="Be **kind**.")
    draft = make_product("Draft", state=Product.State.NOT_PUBLISHED)
    waiting = subscription_services.subscribe(
        developer=member, product=ledger, display_name="Please"
    )
    active = subscription_services.subscribe(developer=member, product=product, display_name="App")
    token, _ = issue_token(user=administrator, name="Deploy", days=1)
    scim_token, _ = scim_services.issue_token(created_by=administrator, name="Okta", days=1)
    SubscriptionSettings.load()
    SignUpSettings.load()
    api = shipments = make_api("Shipments", products=[product, terms])
    make_api("Loose")
    restriction = Restriction.objects.create(
        api=api, kind=Restriction.Kind.TAG, target="Admin", group=partners
    )
    invitation = invitations.invite(
        email="invited@partner.example", groups=[partners], invited_by=administrator
    )
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=hash_token(INVITATION_TOKEN))
    rule = group_services.add_rule(group=partners, value="example.com", created_by=administrator)
    beta = group_services.update_group(group=beta, expected_version=beta.version, requestable=True)
    join_request = group_services.request_to_join(user=outsider, group=beta, reason="Let me in")
    carriers = group_services.create_group(name="carriers", display_name="Carriers")
    carriers = group_services.update_group(
        group=carriers, expected_version=carriers.version, requestable=True
    )
    own_request = group_services.request_to_join(user=member, group=carriers, reason="Me too")
    showcase = make_product("Showcase", listed=True, groups=[])
    gallery = make_product("Gallery", listed=True, groups=[])
    own_access = product_services.request_access(user=member, product=gallery, reason="Look")
    # Ticking "landing page" on a form moves the flag off the page that had it
    # (two rows): the world starts without the Welcome page the migration makes.
    Page.objects.filter(slug="welcome").delete()
    news = content_services.create_page(
        title="Partner news", slug="partner-news", visibility="groups", groups=[partners]
    )
    # A second version, so that the first can be restored.
    news = content_services.update_page(page=news, expected_version=None, body="Changed")
    welcome = content_services.create_page(title="Hello", slug="hello", state="published")
    review = review_services.start_group_review(group=partners, started_by=administrator)
    return SimpleNamespace(
        review=review,
        news=news,
        welcome=welcome,
        showcase=showcase,
        own_access=own_access,
        join_request=join_request,
        own_request=own_request,
        rule=rule,
        signed_up=signed_up,
        unconfirmed=unconfirmed,
        api=api,
        invitation=invitation,
        restriction=restriction,
        administrator=administrator,
        member=member,
        outsider=outsider,
        blocked_user=blocked_user,
        partners=partners,
        beta=beta,
        product=product,
        ledger=ledger,
        terms=terms,
        shipments=shipments,
        draft=draft,
        waiting=waiting,
        active=active,
        token=token,
        scim_token=scim_token,
    )


def sign_in(client: Any, world: Any, who: str) -> None:
    """Sign the client in as a world's person; "previewing" is an administrator in View as."""
    client.logout()
    if who == "anonymous":
        return
    client.force_login(world.administrator if who == "previewing" else getattr(world, who))
    if who == "previewing":
        session = client.session
        session[preview.SESSION_KEY] = {"kind": "group", "key": world.partners.name}
        session.save()


# --- What each form is, and where what it stores shows -------------------------


def cleaned(text: str) -> str:
    """Text as a Django form field cleans it: decoded, then stripped."""
    return as_received(text).strip()


def email_as_stored(text: str) -> str:
    """An address as accounts keep it: cleaned, with its domain in lower case."""
    local, at, domain = cleaned(text).rpartition("@")
    return f"{local}{at}{domain.lower()}".strip()


def reason_as_stored(text: str) -> str:
    """A state change's reason: cut at 1,000 characters, then stripped."""
    return as_received(text)[:1000].strip()


@dataclass(frozen=True)
class FormCase:
    """One form: where it is shown, who fills it in, and what an accepted one stores."""

    page: Callable[[Any], str]
    # A world attribute naming the person, "anonymous", or "previewing".
    who: str = "administrator"
    # Values that make an ordinary submission of the form go through, where
    # the page's own (and "Fuzz", fuzz@example.com, ticked boxes) don't.
    typical: Callable[[Any], dict[str, list[str]]] = lambda world: {}
    # What an accepted submission answers; anything else is a refusal.
    accepted: int = 302
    # The model of the one row an accepted submission adds or changes, and
    # where each text field goes: form field -> column.
    model: type[Model] | None = None
    stores: Mapping[str, str] = field(default_factory=dict)
    # How a field is stored when not as the form cleans it.
    normalise: Mapping[str, Callable[[str], str]] = field(default_factory=dict)
    # The page that shows the stored row, and the columns it shows as they are.
    shows: Callable[[Any], str] | None = None
    shown: tuple[str, ...] = ()


FORMS: dict[str, FormCase] = {
    # Console: Settings and API tokens
    "console:settings": FormCase(
        page=lambda world: reverse("console:settings"),
        model=SubscriptionSettings,
        stores={"notification_email": "notification_email", "on_access_loss": "on_access_loss"},
        shows=lambda row: reverse("console:settings"),
        shown=("notification_email",),
    ),
    "console:activity_retention": FormCase(
        page=lambda world: reverse("console:activity_retention"),
        typical=lambda world: {"keep_days": ["30"]},
        model=RetentionSettings,
    ),
    "console:tokens": FormCase(
        page=lambda world: reverse("console:tokens"),
        model=AccessToken,
        stores={"name": "name"},
        shows=lambda row: reverse("console:tokens"),
        shown=("name",),
    ),
    "console:signup_settings": FormCase(
        page=lambda world: reverse("console:signup_settings"),
        typical=lambda world: {"allowed_domains": [""], "refused_domains": ["spam.example"]},
        model=SignUpSettings,
        stores={"terms": "terms"},
        shows=lambda row: reverse("console:signup_settings"),
        shown=("terms",),
    ),
    "content:branding": FormCase(
        page=lambda world: reverse("content:branding"),
        typical=lambda world: {"accent_colour": ["#1f4e79"]},
        model=Branding,
        stores={"portal_name": "portal_name"},
        shows=lambda row: reverse("portal:landing"),
        shown=("portal_name",),
    ),
    "console:identity_provider": FormCase(
        page=lambda world: reverse("console:identity_provider"),
        typical=lambda world: {
            "issuer": ["https://login.example.com/tenant"],
            "scopes": ["openid email profile"],
            "allowed_domains": [""],
        },
        model=IdentityProviderSettings,
        stores={"display_name": "display_name", "client_id": "client_id"},
        shows=lambda row: reverse("console:identity_provider"),
        shown=("display_name", "client_id"),
    ),
    "console:token_revoke": FormCase(
        page=lambda world: reverse("console:token_revoke", args=[world.token.pk])
    ),
    "console:scim_tokens": FormCase(
        page=lambda world: reverse("console:scim_tokens"),
        model=ScimToken,
        stores={"name": "name"},
        shows=lambda row: reverse("console:scim_tokens"),
        shown=("name",),
    ),
    "console:scim_token_revoke": FormCase(
        page=lambda world: reverse("console:scim_token_revoke", args=[world.scim_token.pk])
    ),
    # Console: Users
    "console:user_create": FormCase(
        page=lambda world: reverse("console:user_create"),
        typical=lambda world: {"must_set_password": []},
        model=User,
        stores={
            "email": "email",
            "first_name": "first_name",
            "last_name": "last_name",
            "note": "note",
        },
        normalise={"email": email_as_stored},
        shows=lambda row: reverse("console:user_detail", args=[row.pk]),
        shown=("email", "first_name", "last_name", "note"),
    ),
    "console:user_add_groups": FormCase(
        page=lambda world: reverse("console:user_add_groups", args=[world.member.pk])
    ),
    "console:invite": FormCase(
        page=lambda world: reverse("console:invite"),
        model=Invitation,
        stores={"email": "email", "first_name": "first_name", "last_name": "last_name"},
        normalise={"email": email_as_stored},
        shows=lambda row: reverse("console:invitations"),
        shown=("email", "first_name", "last_name"),
    ),
    "console:invitation_resend": FormCase(page=lambda world: reverse("console:invitations")),
    "console:invitation_revoke": FormCase(
        page=lambda world: reverse("console:invitation_revoke", args=[world.invitation.pk])
    ),
    "console:user_block": FormCase(
        page=lambda world: reverse("console:user_block", args=[world.member.pk])
    ),
    "console:user_unblock": FormCase(
        page=lambda world: reverse("console:user_detail", args=[world.blocked_user.pk])
    ),
    "console:user_approve": FormCase(
        page=lambda world: reverse("console:user_detail", args=[world.signed_up.pk])
    ),
    "console:user_delete": FormCase(
        page=lambda world: reverse("console:user_delete", args=[world.member.pk])
    ),
    "console:view_as": FormCase(
        page=lambda world: reverse("console:user_detail", args=[world.member.pk])
    ),
    "console:view_as_stop": FormCase(
        page=lambda world: reverse("portal:products"), who="previewing"
    ),
    # Console: Groups
    "groups:create": FormCase(
        page=lambda world: reverse("groups:create"),
        model=Group,
        stores={"display_name": "display_name", "description": "description"},
        shows=lambda row: reverse("groups:detail", args=[row.name]),
        shown=("display_name", "description"),
    ),
    "groups:create_external": FormCase(
        page=lambda world: reverse("groups:create_external"),
        model=Group,
        stores={
            "display_name": "display_name",
            "description": "description",
            "external_id": "external_id",
        },
        shows=lambda row: reverse("groups:detail", args=[row.name]),
        shown=("display_name", "description", "external_id"),
    ),
    "groups:update": FormCase(
        page=lambda world: reverse("groups:update", args=[world.partners.name]),
        model=Group,
        stores={
            "display_name": "display_name",
            "description": "description",
            "request_hint": "request_hint",
        },
        shows=lambda row: reverse("groups:detail", args=[row.name]),
        shown=("display_name", "description", "request_hint"),
    ),
    "groups:delete": FormCase(
        page=lambda world: reverse("groups:delete", args=[world.partners.name])
    ),
    "groups:add_members": FormCase(
        page=lambda world: reverse("groups:add_members", args=[world.partners.name])
    ),
    "groups:request_approve": FormCase(
        page=lambda world: reverse(
            "groups:request_approve", args=[world.beta.name, world.join_request.pk]
        )
    ),
    "groups:request_reject": FormCase(
        page=lambda world: reverse(
            "groups:request_reject", args=[world.beta.name, world.join_request.pk]
        ),
        model=GroupRequest,
        stores={"comment": "decision_reason"},
    ),
    "groups:remove_member": FormCase(
        page=lambda world: reverse(
            "groups:remove_member", args=[world.partners.name, world.member.pk]
        )
    ),
    "groups:add_rule": FormCase(
        page=lambda world: reverse("groups:add_rule", args=[world.partners.name]),
        typical=lambda world: {"value": ["fuzz.example"]},
        model=GroupRule,
        stores={"value": "value"},
        normalise={"value": lambda text: text.strip().lower().removeprefix("@").rstrip(".")},
        shows=lambda row: reverse("groups:rules", args=[row.group.name]),
        shown=("value",),
    ),
    "groups:delete_rule": FormCase(
        page=lambda world: reverse("groups:delete_rule", args=[world.partners.name, world.rule.pk])
    ),
    "groups:apply_rule": FormCase(
        page=lambda world: reverse("groups:apply_rule", args=[world.partners.name, world.rule.pk])
    ),
    # Console: Products
    "products:create": FormCase(
        page=lambda world: reverse("products:create"),
        model=Product,
        stores={"display_name": "display_name", "description": "description", "terms": "terms"},
        shows=lambda row: reverse("products:detail", args=[row.name]),
        shown=("display_name",),
    ),
    "products:update": FormCase(
        page=lambda world: reverse("products:update", args=[world.product.name]),
        model=Product,
        stores={"display_name": "display_name", "description": "description", "terms": "terms"},
        shows=lambda row: reverse("products:detail", args=[row.name]),
        shown=("display_name",),
    ),
    "products:publish": FormCase(
        page=lambda world: reverse("products:detail", args=[world.draft.name])
    ),
    "products:unpublish": FormCase(
        page=lambda world: reverse("products:detail", args=[world.product.name])
    ),
    "products:delete": FormCase(
        page=lambda world: reverse("products:delete", args=[world.product.name])
    ),
    "products:add_groups": FormCase(
        page=lambda world: reverse("products:add_groups", args=[world.product.name])
    ),
    "products:remove_group": FormCase(
        page=lambda world: reverse(
            "products:remove_group", args=[world.product.name, world.partners.name]
        )
    ),
    # Console: Subscriptions › + Add subscription, for a developer who can't see the product
    "subscriptions:grant": FormCase(
        page=lambda world: reverse("subscriptions:grant"),
        typical=lambda world: {
            "developer": [world.outsider.email],
            "scope": [f"products/{world.product.name}"],
        },
        model=Subscription,
        stores={"display_name": "display_name"},
        shows=lambda row: reverse("subscriptions:detail", args=[row.sid]),
        shown=("display_name",),
    ),
    # Console: APIs. The document is a valid one unless the sweep puts hostile
    # text in it; a name left blank is the document's title.
    "apis:create": FormCase(
        page=lambda world: reverse("apis:create"),
        typical=lambda world: {"document_text": [openapi_text("Fuzzed")], "service_url": [""]},
        model=Api,
        stores={"display_name": "display_name", "path": "path"},
        normalise={
            "display_name": lambda text: cleaned(text) or "Fuzzed",
            "path": lambda text: cleaned(text).strip("/"),
        },
        shows=lambda row: reverse("apis:detail", args=[row.name]),
        shown=("display_name", "path"),
    ),
    "apis:update": FormCase(
        page=lambda world: reverse("apis:update", args=[world.api.name]),
        typical=lambda world: {"service_url": [""]},
        model=Api,
        stores={"display_name": "display_name", "description": "description"},
        shows=lambda row: reverse("apis:detail", args=[row.name]),
        shown=("display_name",),
    ),
    "apis:delete": FormCase(page=lambda world: reverse("apis:delete", args=[world.api.name])),
    # Re-import shows a preview: nothing is written until it is confirmed.
    "apis:reimport": FormCase(
        page=lambda world: reverse("apis:reimport", args=[world.api.name]),
        typical=lambda world: {"document_text": [openapi_text("Shipments")]},
        accepted=200,
    ),
    "apis:add_to_products": FormCase(
        page=lambda world: reverse("apis:add_to_products", args=[world.api.name])
    ),
    "apis:remove_from_product": FormCase(
        page=lambda world: reverse(
            "apis:remove_from_product", args=[world.api.name, world.product.name]
        )
    ),
    "apis:restrict_operation": FormCase(
        page=lambda world: reverse(
            "apis:restrict_operation", args=[world.api.name, "listShipments"]
        )
    ),
    "apis:restrict_tag": FormCase(
        page=lambda world: reverse("apis:restrict_tag", args=[world.api.name, "Shipments"])
    ),
    "apis:unrestrict": FormCase(
        page=lambda world: reverse("apis:unrestrict", args=[world.api.name, world.restriction.pk])
    ),
    "apis:product_add_apis": FormCase(
        page=lambda world: reverse("apis:product_add_apis", args=[world.product.name])
    ),
    "apis:product_remove_api": FormCase(
        page=lambda world: reverse(
            "apis:product_remove_api", args=[world.product.name, world.api.name]
        )
    ),
    # Console: Pages
    "content:create": FormCase(
        page=lambda world: reverse("content:create"),
        typical=lambda world: {"slug": ["fuzz-page"]},
        model=Page,
        stores={"title": "title", "body": "body"},
        shows=lambda row: reverse("content:detail", args=[row.slug]),
        shown=("title",),
    ),
    "content:update": FormCase(
        page=lambda world: reverse("content:update", args=[world.news.slug]),
        model=Page,
        stores={"title": "title", "body": "body"},
        shows=lambda row: reverse("content:detail", args=[row.slug]),
        shown=("title",),
    ),
    "content:publish": FormCase(
        page=lambda world: reverse("content:detail", args=[world.news.slug])
    ),
    "content:unpublish": FormCase(
        page=lambda world: reverse("content:detail", args=[world.welcome.slug])
    ),
    "content:delete": FormCase(
        page=lambda world: reverse("content:delete", args=[world.news.slug])
    ),
    "content:add_groups": FormCase(
        page=lambda world: reverse("content:add_groups", args=[world.news.slug])
    ),
    "content:remove_group": FormCase(
        page=lambda world: reverse(
            "content:remove_group", args=[world.news.slug, world.partners.name]
        )
    ),
    "content:restore": FormCase(
        page=lambda world: reverse("content:restore", args=[world.news.slug, 1])
    ),
    # Console: Reviews
    "reviews:start_group": FormCase(
        page=lambda world: reverse("reviews:start_group", args=[world.beta.name])
    ),
    "reviews:start_product": FormCase(
        page=lambda world: reverse("reviews:start_product", args=[world.ledger.name])
    ),
    "reviews:decide": FormCase(
        page=lambda world: reverse("reviews:detail", args=[world.review.pk]),
        typical=lambda world: {"decision": ["remove"]},
    ),
    "reviews:close": FormCase(
        page=lambda world: reverse("reviews:close", args=[world.review.pk]),
        typical=lambda world: {"keep_undecided": ["on"]},
    ),
    # Console: Subscriptions (rejecting asks for a reason the developer is sent)
    "subscriptions:change_state": FormCase(
        page=lambda world: reverse(
            "subscriptions:change_state", args=[world.waiting.sid, "reject"]
        ),
        model=Subscription,
        stores={"comment": "state_comment"},
        normalise={"comment": reason_as_stored},
        shows=lambda row: reverse("subscriptions:detail", args=[row.sid]),
        shown=("state_comment",),
    ),
    # Developer portal
    "portal:login": FormCase(
        page=lambda world: reverse("portal:login"),
        who="anonymous",
        typical=lambda world: {"username": [world.member.email]},
    ),
    # Signing out shows a page that says so.
    "portal:logout": FormCase(
        page=lambda world: reverse("portal:profile"), who="member", accepted=200
    ),
    "portal:password_reset": FormCase(
        page=lambda world: reverse("portal:password_reset"),
        who="anonymous",
        typical=lambda world: {"email": [world.member.email]},
    ),
    "portal:signup": FormCase(
        page=lambda world: reverse("portal:signup"),
        who="anonymous",
        typical=lambda world: {
            "email": ["fuzz-new@example.com"],
            "password": [SIGNUP_PASSWORD],
            "password_again": [SIGNUP_PASSWORD],
        },
    ),
    "portal:signup_confirm": FormCase(
        page=lambda world: urlsplit(confirmation_url(user=world.unconfirmed)).path,
        who="anonymous",
        accepted=200,
    ),
    "portal:password_reset_confirm": FormCase(
        page=lambda world: urlsplit(set_password_url(world.member)).path, who="anonymous"
    ),
    "portal:invitation": FormCase(
        page=lambda world: reverse("portal:invitation", args=[INVITATION_TOKEN]),
        who="anonymous",
        model=User,
        stores={"first_name": "first_name", "last_name": "last_name"},
    ),
    "portal:subscribe": FormCase(
        page=lambda world: reverse("portal:product", args=[world.terms.name]),
        who="member",
        model=Subscription,
        stores={"display_name": "display_name"},
        shows=lambda row: reverse("portal:profile"),
        shown=("display_name",),
    ),
    "portal:subscribe_api": FormCase(
        page=lambda world: reverse("portal:subscribe_api", args=[world.shipments.name]),
        who="member",
        model=Subscription,
        stores={"display_name": "display_name"},
        shows=lambda row: reverse("portal:profile"),
        shown=("display_name",),
    ),
    "portal:rename_subscription": FormCase(
        page=lambda world: reverse("portal:rename_subscription", args=[world.active.sid]),
        who="member",
        model=Subscription,
        stores={"display_name": "display_name"},
        shows=lambda row: reverse("portal:profile"),
        shown=("display_name",),
    ),
    "console:approvals": FormCase(
        page=lambda world: reverse("console:approvals"),
        # Ticking the request to join and pressing Reject selected, with a reason.
        typical=lambda world: {
            "items": [f"group:{world.join_request.pk}"],
            "only": [],
            "action": ["reject"],
        },
        # A row's own Approve button decides a sign-up or a subscription
        # instead: which row changes isn't one model's (tests/portal/test_approvals.py).
    ),
    "portal:request_group": FormCase(
        page=lambda world: reverse("portal:request_group", args=[world.beta.name]),
        who="member",
        model=GroupRequest,
        stores={"reason": "reason"},
    ),
    "portal:withdraw_group_request": FormCase(
        page=lambda world: reverse("portal:profile"), who="member"
    ),
    "portal:request_access": FormCase(
        page=lambda world: reverse("portal:product", args=[world.showcase.name]),
        who="member",
        model=AccessRequest,
        stores={"reason": "reason"},
    ),
    "portal:withdraw_access_request": FormCase(
        page=lambda world: reverse("portal:profile"), who="member"
    ),
    "portal:cancel_subscription": FormCase(
        page=lambda world: reverse("portal:cancel_subscription", args=[world.active.sid]),
        who="member",
    ),
    "portal:close_account": FormCase(
        page=lambda world: reverse("portal:close_account"), who="member"
    ),
    "portal:regenerate_key": FormCase(
        page=lambda world: reverse("portal:regenerate_key", args=[world.active.sid, "primary"]),
        who="member",
    ),
}


# --- Filling a form in -------------------------------------------------------------

# Fields a person types into; the sweep puts each kind of hostile text in each.
TYPED = frozenset({"text", "textarea", "email", "password", "search", "url", "tel", "hidden"})
PLAIN = st.text(
    st.characters(categories=["L", "N"], max_codepoint=0x24F), min_size=1, max_size=20
).map(lambda text: f"Fuzz {text}")
EMAILS = st.one_of(
    st.emails(),
    st.builds(lambda local: f"{local}@Example.COM", PLAIN.map(lambda text: text.replace(" ", "."))),
)
# Fields no form shows, which a forged post might add.
FORGED = ("is_superuser", "is_staff", "state", "owner", "sid", "type", "version", "name")


def is_email(spec: Field) -> bool:
    return spec.kind == "email" or spec.name in ("email", "username", "notification_email")


def typical(spec: Field, given: Mapping[str, list[str]]) -> list[str]:
    """What an ordinary submission sends for a field: the form as the page fills it
    in, typed text where it is empty, every box ticked."""
    if spec.name in given:
        return given[spec.name]
    if spec.kind == "checkbox":
        return spec.options
    if spec.kind in ("radio", "select", "button"):
        return [spec.value or next((option for option in spec.options if option), "")]
    if spec.kind == "password":
        return [TEST_PASSWORD]
    if spec.value or spec.kind in ("hidden", "number"):
        return [spec.value]
    return ["fuzz@example.com" if is_email(spec) else "Fuzz"]


def typed(spec: Field) -> st.SearchStrategy[str]:
    """Something valid a person might type or pick instead."""
    if spec.kind in ("radio", "select", "checkbox", "button") and spec.options:
        return st.sampled_from(spec.options)
    if spec.kind == "number":
        return st.integers(-2, 400).map(str)
    if is_email(spec):
        return EMAILS
    return PLAIN


def filled(spec: Field, given: list[str]) -> st.SearchStrategy[list[str]]:
    """The values a field is posted with: as usual, something else, hostile text,
    several values, or none (left out)."""
    hostile = hostile_text(limit=spec.maxlength or 300)
    one = st.one_of(typed(spec), hostile)
    return st.one_of(
        st.just(given),
        one.map(lambda value: [value]),
        hostile.map(lambda value: [value]),
        st.lists(one, min_size=2, max_size=3),
        st.just([]),
    )


def fill(data: Any, opened: Any) -> list[tuple[str, str]]:
    """A random submission: each field drawn, and perhaps a field the form doesn't have."""
    posted = []
    for spec in opened.form.fields.values():
        given = typical(spec, opened.typical)
        posted += [(spec.name, value) for value in data.draw(filled(spec, given), label=spec.name)]
    for name in data.draw(st.lists(st.sampled_from(FORGED), max_size=2), label="forged"):
        posted.append((name, data.draw(hostile_text(), label=name)))
    return posted


def usual(opened: Any, **replaced: str) -> list[tuple[str, str]]:
    """The ordinary submission, with some fields' values replaced."""
    posted = []
    for spec in opened.form.fields.values():
        values = [replaced[spec.name]] if spec.name in replaced else typical(spec, opened.typical)
        posted += [(spec.name, value) for value in values]
    return posted


def last(posted: list[tuple[str, str]], name: str) -> str:
    """The value Django's QueryDict.get gives for a field: the last one, or ""."""
    values = [value for key, value in posted if key == name]
    return values[-1] if values else ""


# --- Opening a form, and checking what a submission did -----------------------------


@pytest.fixture
def opened(request, client, world):
    """The form a test is given by name, as its page shows it to the person who uses it."""
    action = request.param
    case = FORMS[action]
    sign_in(client, world, case.who)
    response = client.get(case.page(world), follow=True)
    assert response.status_code == 200, action
    page_path = response.wsgi_request.path
    forms = [
        form
        for form in parse(response.content.decode()).forms
        if form.method == "post" and url_name(posted_to(form, page_path)) == action
    ]
    assert forms, f"no form posting to {action} on {page_path}"
    form = max(forms, key=lambda found: len(found.fields))
    form.fields.pop("csrfmiddlewaretoken", None)
    return SimpleNamespace(
        action=action,
        case=case,
        form=form,
        target=posted_to(form, page_path),
        typical=case.typical(world),
    )


def assert_escaped(client: Any, path: str, texts: Mapping[str, str] = {}) -> None:
    """The page escapes what it shows, and shows these texts as they are."""
    response = client.get(path)
    assert response.status_code < 500, path
    if response.status_code != 200:
        return
    page = response.content.decode()
    assert raw_markup(page) == [], f"unescaped markup on {path}"
    for column, text in texts.items():
        assert escape(text) in page, f"{column} is not shown as stored on {path}"


def changed_row(model: type[Model], before: dict, after: dict) -> Model:
    """The one row of a table that a submission added or changed."""
    label = model._meta.label
    old = set(before[label])
    new = [row for row in after[label] if row not in old]
    assert len(new) == 1, f"{len(new)} rows of {label} changed"
    return model._default_manager.get(pk=new[0][0])


def submit(client: Any, opened: Any, posted: list[tuple[str, str]]) -> int:
    """Post the form; no server error, and a refusal writes nothing; what is accepted
    is stored as sent (as the form cleans it) and shown escaped. Returns the status."""
    case = opened.case
    before = snapshot()
    response = client.post(
        opened.target, form_encoded(posted), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code < 500
    after = snapshot()
    if response.status_code != case.accepted:
        # Refused: the form again, or a page that says why, and nothing written.
        assert changed_tables(before, after) == []
        assert raw_markup(response.content.decode()) == []
        return response.status_code
    if response.status_code == 302:
        assert_escaped(client, response["Location"])
    else:
        assert raw_markup(response.content.decode()) == []
    if case.model is None or before == after:
        return response.status_code
    row = changed_row(case.model, before, after)
    stored = {column: getattr(row, column) for column in case.stores.values()}
    for name, column in case.stores.items():
        assert stored[column] == case.normalise.get(name, cleaned)(last(posted, name)), name
    if case.shows is not None:
        assert_escaped(client, case.shows(row), {c: stored[c] for c in case.shown})
    return response.status_code


# --- The tests ----------------------------------------------------------------------


@pytest.mark.parametrize("opened", sorted(FORMS), indirect=True)
def test_form_takes_or_refuses_each_kind_of_hostile_text(client, opened):
    """Each typed field in turn holds one text of each kind; the rest is as usual."""
    with rolled_back(client):
        # As usual, the form goes through: what refuses the rest is their text.
        assert submit(client, opened, usual(opened)) == opened.case.accepted
    sweep = Sweep()
    for spec in opened.form.fields.values():
        if spec.kind not in TYPED:
            continue
        hostile = one_of_each(spec.maxlength or 300, password="password" in spec.name)
        for kind, text in hostile.items():
            with sweep.case(f"{spec.name} held {kind}: {text[:40]!r}"), rolled_back(client):
                submit(client, opened, usual(opened, **{spec.name: text}))
    sweep.done()


@pytest.mark.parametrize("opened", sorted(FORMS), indirect=True)
@fuzz_settings
@given(data=st.data())
def test_form_survives_hostile_input(client, opened, data):
    with rolled_back(client):
        submit(client, opened, fill(data, opened))


# --- Every form there is -------------------------------------------------------------------

# Where a crawl starts, for each kind of visitor; it follows every link from there.
CRAWL = {
    "administrator": lambda world: [reverse("console:home"), reverse("portal:landing")],
    "previewing": lambda world: [reverse("portal:products")],
    "member": lambda world: [
        reverse("portal:landing"),
        reverse("portal:profile"),
        reverse("portal:api", args=[world.shipments.name]),
    ],
    "anonymous": lambda world: [
        reverse("portal:landing"),
        reverse("portal:login"),
        urlsplit(set_password_url(world.member)).path,
        reverse("portal:invitation", args=[INVITATION_TOKEN]),
        urlsplit(confirmation_url(user=world.unconfirmed)).path,
    ],
}
# Paths the crawl doesn't follow: other apps, files, and signing out.
NOT_CRAWLED = ("/admin/", "/api/", "/static/", "/gateway/", "/signout/")
MAX_PAGES = 400


def crawl(client: Any, starts: list[str]) -> tuple[set[str], set[str]]:
    """The URL names that forms on reachable pages post to, and the pages with a GET form."""
    queue, seen = list(starts), set()
    posts, searches = set(), set()
    while queue and len(seen) < MAX_PAGES:
        path = urlsplit(queue.pop()).path
        if path in seen or not path.startswith("/") or path.startswith(NOT_CRAWLED):
            continue
        seen.add(path)
        response = client.get(path, follow=True)
        if response.status_code != 200 or "html" not in response["Content-Type"]:
            continue
        page_path = response.wsgi_request.path
        found = parse(response.content.decode())
        for form in found.forms:
            name = url_name(posted_to(form, page_path))
            (posts if form.method == "post" else searches).add(name)
        queue.extend(found.links)
    assert len(seen) < MAX_PAGES, "the crawl stopped before it saw every page"
    return posts, searches


def test_forms_are_every_form_the_pages_show(client, world):
    posts, searches = set(), set()
    for who, starts in CRAWL.items():
        sign_in(client, world, who)
        found_posts, found_searches = crawl(client, starts(world))
        posts |= found_posts
        searches |= found_searches
    assert posts - set(FORMS) == set(), "forms the pages show that FORMS doesn't fuzz"
    assert set(FORMS) - posts == set(), "FORMS names forms no page shows"
    assert searches - set(SEARCHES) == set(), "search forms that SEARCHES doesn't fuzz"
    assert set(SEARCHES) - searches == set(), "SEARCHES names pages with no search form"


# --- Search forms ---------------------------------------------------------------------------

# The pages with a search form (searching, filtering, sorting), and who uses each.
SEARCHES: dict[str, tuple[Callable[[Any], str], str]] = {
    "console:users": (lambda world: reverse("console:users"), "administrator"),
    "console:user_add_groups": (
        lambda world: reverse("console:user_add_groups", args=[world.member.pk]),
        "administrator",
    ),
    "console:invitations": (lambda world: reverse("console:invitations"), "administrator"),
    "console:approvals": (lambda world: reverse("console:approvals"), "administrator"),
    "console:jobs": (lambda world: reverse("console:jobs"), "administrator"),
    "groups:list": (lambda world: reverse("groups:list"), "administrator"),
    "groups:members": (
        lambda world: reverse("groups:members", args=[world.partners.name]),
        "administrator",
    ),
    "groups:add_members": (
        lambda world: reverse("groups:add_members", args=[world.partners.name]),
        "administrator",
    ),
    "products:list": (lambda world: reverse("products:list"), "administrator"),
    "products:add_groups": (
        lambda world: reverse("products:add_groups", args=[world.product.name]),
        "administrator",
    ),
    "subscriptions:list": (lambda world: reverse("subscriptions:list"), "administrator"),
    "content:list": (lambda world: reverse("content:list"), "administrator"),
    "content:add_groups": (
        lambda world: reverse("content:add_groups", args=[world.news.slug]),
        "administrator",
    ),
    "apis:list": (lambda world: reverse("apis:list"), "administrator"),
    "audit:activity": (lambda world: reverse("audit:activity"), "administrator"),
    "products:as_of": (
        lambda world: reverse("products:as_of", args=[world.product.name]),
        "administrator",
    ),
    "apis:as_of": (lambda world: reverse("apis:as_of", args=[world.api.name]), "administrator"),
    "console:user_as_of": (
        lambda world: reverse("console:user_as_of", args=[world.member.pk]),
        "administrator",
    ),
    "reviews:list": (lambda world: reverse("reviews:list"), "administrator"),
    "reviews:start": (lambda world: reverse("reviews:start"), "administrator"),
    "reviews:detail": (
        lambda world: reverse("reviews:detail", args=[world.review.pk]),
        "administrator",
    ),
    "apis:add_to_products": (
        lambda world: reverse("apis:add_to_products", args=[world.api.name]),
        "administrator",
    ),
    "apis:restrict_operation": (
        lambda world: reverse("apis:restrict_operation", args=[world.api.name, "listShipments"]),
        "administrator",
    ),
    "apis:restrict_tag": (
        lambda world: reverse("apis:restrict_tag", args=[world.api.name, "Shipments"]),
        "administrator",
    ),
    "apis:product_add_apis": (
        lambda world: reverse("apis:product_add_apis", args=[world.product.name]),
        "administrator",
    ),
    "portal:products": (lambda world: reverse("portal:products"), "member"),
    "portal:apis": (lambda world: reverse("portal:apis"), "member"),
    # The top bar's box, on every portal page.
    "portal:search": (lambda world: reverse("portal:search"), "member"),
}
# Paging, which every list takes beside its form's fields.
PAGING = Field(name="page", kind="number")


@pytest.fixture
def searched(request, client, world):
    """A page's search form, as the person who uses it sees it."""
    page, who = SEARCHES[request.param]
    sign_in(client, world, who)
    response = client.get(page(world))
    forms = [form for form in parse(response.content.decode()).forms if form.method == "get"]
    assert forms, f"no search form on {request.param}"
    return SimpleNamespace(
        path=page(world),
        form=Form(method="get", action="", fields={**forms[0].fields, "page": PAGING}),
        typical={},
    )


@pytest.mark.parametrize("searched", sorted(SEARCHES), indirect=True)
@fuzz_settings
@given(data=st.data())
def test_search_survives_hostile_input(client, searched, data):
    with rolled_back(client):
        query = form_encoded(fill(data, searched)).decode()
        before = snapshot()
        response = client.get(f"{searched.path}?{query}")
        assert response.status_code == 200
        assert snapshot() == before
        assert raw_markup(response.content.decode()) == []
