"""Who may open each page of the console, generated from the URL resolver.

Every URL pattern in the console's namespaces (console, groups, products,
subscriptions) must have a row in EXPECTED, and every row a pattern. For each
route the table says how to build its arguments, which methods it answers,
what an administrator's GET gives, and the POST body that makes a change.
Everyone else is refused the same way on every route: people the site
doesn't know as signed in (visitors, blocked and pending accounts) are sent
to sign in; signed-in non-administrators get 403, or 405 for a method the
route doesn't answer. A refused request changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from apis.models import Api, ProductApi, Restriction
from audit.models import RetentionSettings
from content import branding as content_branding
from content import services as content_services
from content.models import Branding, Page, PageGroup, PageVersion
from groups import invitations
from groups import services as group_services
from groups.models import Group, GroupRequest, GroupRule, Invitation, Membership
from management_api.models import AccessToken
from management_api.services import issue_token
from portal import mail, preview
from portal.models import Job, SignUpSettings, User
from products.models import AccessRequest, Product, ProductGroup
from reviews import services as review_services
from reviews.models import Review, ReviewItem
from scim import services as scim_services
from scim.models import ScimToken
from sso.models import IdentityProviderSettings
from subscriptions import services as subscription_services
from subscriptions.models import Subscription, SubscriptionSettings
from tests.conftest import openapi_text, signs_in

CONSOLE_NAMESPACES = {
    "console",
    "groups",
    "products",
    "apis",
    "subscriptions",
    "content",
    "audit",
    "reviews",
}
GET = frozenset({"GET"})
POST = frozenset({"POST"})
GET_POST = GET | POST
NEW_PASSWORD = "a-rather-unusual-passphrase-42"


@dataclass(frozen=True)
class Route:
    """What the access tests need to know about one console route."""

    # The reverse() arguments, from the world the tests build.
    args: Callable[[Any], list[Any]] = lambda world: []
    # The methods it answers; the other one gets 405.
    methods: frozenset[str] = GET
    # What an administrator's GET gives: 200, or the URL it redirects to.
    admin_get: int | Callable[[Any], str] = 200
    # A POST body that changes something when an administrator sends it.
    data: Callable[[Any], dict[str, Any]] = lambda world: {}
    # Run by the administrator's client first, for a POST that needs a state to change.
    before: Callable[[Client], None] | None = field(default=None)
    # Whether an administrator's POST writes; a preview (re-import) only shows.
    writes: bool = True


def _send_nothing() -> None:
    """An email job's function, for a job the tests mark failed."""


def _pause_member() -> None:
    """Fail to sign in as the member until their sign-in is paused."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        signs_in("dev@example.com", "not the password")


def _user_form(world: Any) -> dict[str, Any]:
    return {
        "email": "forged@example.com",
        "first_name": "Forged",
        "last_name": "Account",
        "password": NEW_PASSWORD,
        "note": "",
    }


def _product_form(world: Any) -> dict[str, Any]:
    return {
        "display_name": "Forged",
        "name": "forged",
        "description": "",
        "terms": "",
        "subscription_required": "on",
        "subscriptions_limit": "",
        "state": Product.State.NOT_PUBLISHED,
    }


def _product_settings(world: Any) -> dict[str, Any]:
    product = world.product
    return {
        "display_name": "Forged",
        "description": product.description,
        "terms": product.terms,
        "subscription_required": "on",
        "subscriptions_limit": "",
        "listed": "on",
        "version": product.version,
    }


def _api_import(world: Any) -> dict[str, Any]:
    return {
        "document_text": openapi_text("Forged"),
        "display_name": "",
        "name": "",
        "path": "forged",
        "service_url": "",
        "protocols": ["https"],
    }


def _api_settings(world: Any) -> dict[str, Any]:
    api = world.api
    return {
        "display_name": "Forged",
        "description": api.description,
        "path": api.path,
        "service_url": api.service_url,
        "protocols": api.protocol_list,
        "api_version": api.api_version,
        "api_revision": api.api_revision,
        "subscription_required": "on",
        "version": api.version,
    }


def _api_reimport(world: Any) -> dict[str, Any]:
    changed = [("get", "/shipments", "listShipments", ["Shipments"])]
    return {"document_text": openapi_text("Shipments", changed), "version": world.api.version}


def _page_form(world: Any) -> dict[str, Any]:
    return {
        "title": "Forged",
        "slug": "forged",
        "visibility": "everyone",
        "menu": "none",
        "order": 0,
        "body": "Forged",
    }


def _page_settings(world: Any) -> dict[str, Any]:
    return _page_form(world) | {"slug": world.page.slug, "version": world.page.version}


def _start_preview(client: Client) -> None:
    """A "View as" in progress in this client's session."""
    session = client.session
    session[preview.SESSION_KEY] = {"kind": "group", "key": "partners"}
    session.save()


EXPECTED: dict[str, Route] = {
    # Overview, Settings and API tokens
    "console:home": Route(),
    "console:settings": Route(
        methods=GET_POST,
        data=lambda world: {"notification_email": "ops@example.com", "on_access_loss": "keep"},
    ),
    "console:tokens": Route(methods=GET_POST, data=lambda world: {"name": "Forged", "days": 30}),
    "console:activity_retention": Route(methods=GET_POST, data=lambda world: {"keep_days": "30"}),
    "console:signup_settings": Route(
        methods=GET_POST,
        data=lambda world: {
            "approval": "on",
            "refused_domains": "spam.example",
            "version": SignUpSettings.load().version,
        },
    ),
    "content:branding": Route(
        methods=GET_POST,
        data=lambda world: {
            "portal_name": "Forged",
            "accent_colour": "#0b5394",
            "version": content_branding.load().version,
        },
    ),
    "console:identity_provider": Route(
        methods=GET_POST,
        data=lambda world: {
            "display_name": "Forged",
            "issuer": "https://forged.example",
            "client_id": "forged",
            "scopes": "openid email",
            "groups_claim": "groups",
            "version": next(
                iter(IdentityProviderSettings.objects.values_list("version", flat=True)), 1
            ),
        },
    ),
    "console:approvals": Route(
        methods=GET_POST,
        data=lambda world: {"items": [f"group:{world.join_request.pk}"], "action": "approve"},
    ),
    "console:token_revoke": Route(args=lambda world: [world.token.pk], methods=GET_POST),
    "console:scim_tokens": Route(
        methods=GET_POST, data=lambda world: {"name": "Forged", "days": 30}
    ),
    "console:scim_token_revoke": Route(args=lambda world: [world.scim_token.pk], methods=GET_POST),
    # Jobs
    "console:jobs": Route(),
    "console:job": Route(args=lambda world: [world.failed_job.pk]),
    "console:job_retry": Route(args=lambda world: [world.failed_job.pk], methods=POST),
    # Users
    "console:users": Route(),
    "console:user_create": Route(methods=GET_POST, data=_user_form),
    "console:user_detail": Route(args=lambda world: [world.member.pk]),
    "console:user_as_of": Route(args=lambda world: [world.member.pk]),
    "console:invite": Route(
        methods=GET_POST,
        data=lambda world: {"email": "invited@example.com", "groups": [world.partners.pk]},
    ),
    "console:invitations": Route(),
    "console:invitation_resend": Route(args=lambda world: [world.invitation.pk], methods=POST),
    "console:invitation_revoke": Route(args=lambda world: [world.invitation.pk], methods=GET_POST),
    "console:user_add_groups": Route(
        args=lambda world: [world.member.pk],
        methods=GET_POST,
        data=lambda world: {"pick": [world.beta.name]},
    ),
    "console:user_block": Route(args=lambda world: [world.member.pk], methods=GET_POST),
    "console:user_unblock": Route(args=lambda world: [world.blocked_user.pk], methods=POST),
    "console:user_approve": Route(args=lambda world: [world.signed_up.pk], methods=POST),
    "console:user_delete": Route(args=lambda world: [world.member.pk], methods=GET_POST),
    "console:user_lift_signin_pause": Route(
        args=lambda world: [world.member.pk], methods=POST, before=lambda _: _pause_member()
    ),
    # View as
    "console:view_as": Route(
        methods=POST, data=lambda world: {"kind": "group", "key": world.partners.name}
    ),
    "console:view_as_stop": Route(methods=POST, before=_start_preview),
    # Groups
    "groups:list": Route(),
    "groups:create": Route(
        methods=GET_POST,
        data=lambda world: {"display_name": "Forged", "name": "forged", "description": ""},
    ),
    "groups:create_external": Route(
        methods=GET_POST,
        data=lambda world: {
            "display_name": "Forged",
            "name": "forged",
            "external_id": "aad://contoso.example/groups/forged",
            "description": "",
        },
    ),
    "groups:detail": Route(args=lambda world: [world.partners.name]),
    "groups:update": Route(
        args=lambda world: [world.partners.name],
        methods=GET_POST,
        data=lambda world: {
            "display_name": "Forged",
            "description": "Forged",
            "version": world.partners.version,
        },
    ),
    "groups:delete": Route(args=lambda world: [world.partners.name], methods=GET_POST),
    "groups:members": Route(args=lambda world: [world.partners.name]),
    "groups:requests": Route(args=lambda world: [world.partners.name]),
    "groups:request_approve": Route(
        args=lambda world: [world.partners.name, world.join_request.pk], methods=GET_POST
    ),
    "groups:request_reject": Route(
        args=lambda world: [world.partners.name, world.join_request.pk],
        methods=GET_POST,
        data=lambda world: {"comment": "Forged"},
    ),
    "groups:add_members": Route(
        args=lambda world: [world.partners.name],
        methods=GET_POST,
        data=lambda world: {"pick": [world.outsider.pk]},
    ),
    "groups:remove_member": Route(
        args=lambda world: [world.partners.name, world.member.pk], methods=GET_POST
    ),
    "groups:rules": Route(args=lambda world: [world.partners.name]),
    "groups:add_rule": Route(
        args=lambda world: [world.partners.name],
        methods=GET_POST,
        data=lambda world: {"value": "forged.example"},
    ),
    "groups:delete_rule": Route(
        args=lambda world: [world.partners.name, world.rule.pk], methods=GET_POST
    ),
    "groups:apply_rule": Route(
        args=lambda world: [world.partners.name, world.rule.pk], methods=GET_POST
    ),
    # Products
    "products:list": Route(),
    "products:create": Route(methods=GET_POST, data=_product_form),
    "products:detail": Route(args=lambda world: [world.product.name]),
    "products:update": Route(
        args=lambda world: [world.product.name], methods=GET_POST, data=_product_settings
    ),
    "products:publish": Route(args=lambda world: [world.draft.name], methods=POST),
    "products:unpublish": Route(args=lambda world: [world.product.name], methods=POST),
    "products:delete": Route(args=lambda world: [world.product.name], methods=GET_POST),
    "products:access": Route(args=lambda world: [world.product.name]),
    "products:as_of": Route(args=lambda world: [world.product.name]),
    "audit:activity": Route(),
    "audit:export": Route(),
    "products:add_groups": Route(
        args=lambda world: [world.product.name],
        methods=GET_POST,
        data=lambda world: {"pick": [world.others.name]},
    ),
    "products:remove_group": Route(
        args=lambda world: [world.product.name, world.partners.name], methods=GET_POST
    ),
    # APIs
    "apis:list": Route(),
    "apis:create": Route(methods=GET_POST, data=_api_import),
    "apis:detail": Route(args=lambda world: [world.api.name]),
    "apis:update": Route(args=lambda world: [world.api.name], methods=GET_POST, data=_api_settings),
    "apis:delete": Route(args=lambda world: [world.api.name], methods=GET_POST),
    # A POST previews the new document; Confirm (reimport_confirm) replaces it.
    "apis:reimport": Route(
        args=lambda world: [world.api.name],
        methods=GET_POST,
        data=_api_reimport,
        writes=False,
    ),
    "apis:reimport_confirm": Route(
        args=lambda world: [world.api.name], methods=POST, data=_api_reimport
    ),
    "apis:products": Route(args=lambda world: [world.api.name]),
    "apis:as_of": Route(args=lambda world: [world.api.name]),
    "apis:add_to_products": Route(
        args=lambda world: [world.api.name],
        methods=GET_POST,
        data=lambda world: {"pick": [world.draft.name]},
    ),
    "apis:remove_from_product": Route(
        args=lambda world: [world.api.name, world.product.name], methods=GET_POST
    ),
    "apis:restrict_operation": Route(
        args=lambda world: [world.api.name, "listShipments"],
        methods=GET_POST,
        data=lambda world: {"pick": [world.beta.name]},
    ),
    "apis:restrict_tag": Route(
        args=lambda world: [world.api.name, "Admin"],
        methods=GET_POST,
        data=lambda world: {"pick": [world.beta.name]},
    ),
    "apis:unrestrict": Route(
        args=lambda world: [world.api.name, world.restriction.pk], methods=GET_POST
    ),
    "apis:product_apis": Route(args=lambda world: [world.product.name]),
    "apis:product_add_apis": Route(
        args=lambda world: [world.product.name],
        methods=GET_POST,
        data=lambda world: {"pick": [world.loose_api.name]},
    ),
    "apis:product_remove_api": Route(
        args=lambda world: [world.product.name, world.api.name], methods=GET_POST
    ),
    # Pages
    "content:list": Route(),
    "content:create": Route(methods=GET_POST, data=_page_form),
    "content:detail": Route(args=lambda world: [world.page.slug]),
    "content:update": Route(
        args=lambda world: [world.page.slug], methods=GET_POST, data=_page_settings
    ),
    "content:publish": Route(args=lambda world: [world.page.slug], methods=POST),
    "content:unpublish": Route(args=lambda world: [world.published_page.slug], methods=POST),
    "content:delete": Route(args=lambda world: [world.page.slug], methods=GET_POST),
    "content:access": Route(args=lambda world: [world.page.slug]),
    "content:add_groups": Route(
        args=lambda world: [world.page.slug],
        methods=GET_POST,
        data=lambda world: {"pick": [world.beta.name]},
    ),
    "content:remove_group": Route(
        args=lambda world: [world.page.slug, world.partners.name], methods=GET_POST
    ),
    "content:versions": Route(args=lambda world: [world.page.slug]),
    "content:version": Route(args=lambda world: [world.page.slug, 1]),
    "content:restore": Route(args=lambda world: [world.page.slug, 1], methods=GET_POST),
    # Subscriptions
    "subscriptions:list": Route(),
    "subscriptions:grant": Route(
        methods=GET_POST,
        data=lambda world: {
            "developer": world.outsider.email,
            "scope": f"products/{world.product.name}",
            "display_name": "Forged",
            "state": "active",
        },
    ),
    "subscriptions:grant_developers": Route(),
    "subscriptions:detail": Route(args=lambda world: [world.waiting.sid]),
    # GET asks first only for actions that need it; approving doesn't.
    "subscriptions:change_state": Route(
        args=lambda world: [world.waiting.sid, "approve"],
        methods=GET_POST,
        admin_get=lambda world: world.waiting.get_absolute_url(),
    ),
    "reviews:list": Route(),
    "reviews:start": Route(),
    "reviews:start_group": Route(
        args=lambda world: [world.beta.name],
        methods=GET_POST,
    ),
    "reviews:start_product": Route(args=lambda world: [world.product.name], methods=GET_POST),
    "reviews:detail": Route(args=lambda world: [world.review.pk]),
    "reviews:decide": Route(
        args=lambda world: [world.review.pk],
        methods=POST,
        data=lambda world: {"remove": world.review.items.get().pk},
    ),
    "reviews:close": Route(
        args=lambda world: [world.review.pk],
        methods=GET_POST,
        data=lambda world: {"keep_undecided": "on"},
    ),
    "reviews:export": Route(args=lambda world: [world.review.pk]),
}

# Who the console turns away, the account each stands for, and whether the
# site knows them as signed in (else they are sent to sign in).
REFUSED = {
    "anonymous": (None, False),
    "developer": ("outsider", True),
    "support_staff": ("support_staff", True),
    "blocked": ("blocked_user", False),
    "pending": ("pending_user", False),
    "member": ("member", True),
}


def _walk(patterns: list[Any], namespace: str) -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            if inner:
                inner = f"{namespace}:{inner}" if namespace else inner
            yield from _walk(pattern.url_patterns, inner or namespace)
        elif isinstance(pattern, URLPattern) and pattern.name and namespace:
            yield f"{namespace}:{pattern.name}"


def console_routes() -> set[str]:
    """Every named URL pattern of the console, as "namespace:name"."""
    return {
        name
        for name in _walk(get_resolver().url_patterns, "")
        if name.split(":")[0] in CONSOLE_NAMESPACES
    }


@pytest.fixture
def world(
    administrator,
    member,
    outsider,
    support_staff,
    blocked_user,
    pending_user,
    partners,
    beta,
    others,
    product,
    make_product,
    make_api,
    make_user,
):
    """One of everything a console route can name, and everyone it refuses."""
    SignUpSettings.load()
    partners = group_services.update_group(
        group=partners, expected_version=partners.version, requestable=True
    )
    join_request = group_services.request_to_join(user=outsider, group=partners, reason="Let me in")
    signed_up = make_user(
        email="waiting@example.com", state="pending", email_confirmed_at=timezone.now()
    )
    ledger = make_product("Ledger", approval_required=True)
    draft = make_product("Draft", state=Product.State.NOT_PUBLISHED)
    waiting = subscription_services.subscribe(
        developer=member, product=ledger, display_name="Please"
    )
    token, _ = issue_token(user=administrator, name="Admin's", days=1)
    scim_token, _ = scim_services.issue_token(created_by=administrator, name="Entra ID", days=1)
    api = make_api("Shipments", products=[product])
    restriction = Restriction.objects.create(
        api=api, kind=Restriction.Kind.TAG, target="Admin", group=partners
    )
    invitation = invitations.invite(
        email="guest@partner.example", groups=[partners], invited_by=administrator
    )
    rule = group_services.add_rule(group=partners, value="example.com", created_by=administrator)
    content_branding.load()  # The one branding row, before any snapshot.
    page = content_services.create_page(
        title="Partner news", slug="partner-news", visibility="groups", groups=[partners]
    )
    # Version 1 is the text Restore puts back.
    page = content_services.update_page(page=page, expected_version=None, body="Changed")
    published_page = content_services.create_page(title="Hello", slug="hello", state="published")
    review = review_services.start_group_review(group=partners, started_by=administrator)
    failed_job = mail.send_later(_send_nothing)
    Job.objects.filter(pk=failed_job.pk).update(state=Job.State.FAILED, error="Boom")
    return SimpleNamespace(
        review=review,
        page=page,
        published_page=published_page,
        failed_job=failed_job,
        rule=rule,
        signed_up=signed_up,
        join_request=join_request,
        api=api,
        invitation=invitation,
        loose_api=make_api("Loose"),
        restriction=restriction,
        administrator=administrator,
        member=member,
        outsider=outsider,
        blocked_user=blocked_user,
        partners=partners,
        beta=beta,
        others=others,
        product=product,
        draft=draft,
        waiting=waiting,
        token=token,
        scim_token=scim_token,
    )


def snapshot(client: Client) -> tuple[Any, ...]:
    """Everything a console request could change, in a comparable form."""
    previewing = None
    if settings.SESSION_COOKIE_NAME in client.cookies:
        previewing = client.session.get(preview.SESSION_KEY)
    return (
        sorted(
            User.objects.values_list(
                "email", "state", "password", "is_superuser", "is_staff", "version"
            )
        ),
        sorted(Group.objects.values_list("name", "display_name", "description", "version")),
        sorted(Membership.objects.values_list("group__name", "user__email")),
        sorted(GroupRule.objects.values_list("group__name", "value")),
        sorted(GroupRequest.objects.values_list("pk", "state", "decision_reason")),
        sorted(
            Product.objects.values_list(
                "name",
                "display_name",
                "description",
                "terms",
                "state",
                "subscription_required",
                "approval_required",
                "subscriptions_limit",
                "listed",
                "version",
            )
        ),
        sorted(AccessRequest.objects.values_list("pk", "state", "group_id")),
        sorted(Page.objects.values_list("slug", "title", "body", "state", "version")),
        sorted(PageGroup.objects.values_list("page__slug", "group__name")),
        sorted(PageVersion.objects.values_list("page__slug", "number")),
        sorted(ProductGroup.objects.values_list("product__name", "group__name")),
        sorted(
            Api.objects.values_list(
                "name", "display_name", "description", "path", "protocols", "version"
            )
        ),
        sorted(ProductApi.objects.values_list("product__name", "api__name")),
        sorted(Restriction.objects.values_list("api__name", "kind", "target", "group__name")),
        sorted(
            Subscription.objects.values_list(
                "sid", "state", "display_name", "primary_secret", "secondary_secret", "version"
            )
        ),
        sorted(SubscriptionSettings.objects.values_list("notification_email", "on_access_loss")),
        sorted(SignUpSettings.objects.values_list("version")),
        sorted(IdentityProviderSettings.objects.values_list("version")),
        sorted(Branding.objects.values_list("portal_name", "accent_colour", "version")),
        sorted(AccessToken.objects.values_list("name", "user__email", "revoked_at")),
        sorted(ScimToken.objects.values_list("name", "revoked_at")),
        sorted(Invitation.objects.values_list("email", "token_hash", "expires_at", "revoked_at")),
        sorted(AccessAttempt.objects.values_list("username", "failures_since_start")),
        sorted(Job.objects.values_list("title", "state", "attempts")),
        sorted(Review.objects.values_list("kind", "subject_id", "state")),
        sorted(ReviewItem.objects.values_list("review_id", "target_id", "decision", "outcome")),
        sorted(RetentionSettings.objects.values_list("keep_days")),
        previewing,
    )


def url_of(name: str, world: Any) -> str:
    return reverse(name, args=EXPECTED[name].args(world))


def send(client: Client, method: str, url: str, data: dict[str, Any]) -> Any:
    return client.get(url) if method == "GET" else client.post(url, data)


def test_console_routes_are_exactly_the_table():
    routes = console_routes()
    assert routes - set(EXPECTED) == set(), "console routes missing from EXPECTED"
    assert set(EXPECTED) - routes == set(), "EXPECTED names routes that no longer exist"


@pytest.mark.parametrize("who", list(REFUSED))
@pytest.mark.parametrize("name", list(EXPECTED))
def test_console_route_refuses_everyone_but_administrators(client, request, world, name, who):
    route = EXPECTED[name]
    fixture, signed_in = REFUSED[who]
    if fixture is not None:
        client.force_login(request.getfixturevalue(fixture))
    url = url_of(name, world)
    before = snapshot(client)
    for method in ("GET", "POST"):
        response = send(client, method, url, route.data(world))
        if not signed_in:
            assert response.status_code == 302, method
            # The address as a query value: "+" (in the grant's path) is %2B there.
            next_url = urlencode({"next": url}, safe="/")
            assert response["Location"] == f"{reverse('portal:login')}?{next_url}", method
        else:
            assert response.status_code == (403 if method in route.methods else 405), method
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "name", [name for name, route in EXPECTED.items() if "GET" in route.methods]
)
def test_console_route_get_by_an_administrator(client, world, name):
    route = EXPECTED[name]
    client.force_login(world.administrator)
    before = snapshot(client)
    response = client.get(url_of(name, world))
    if route.admin_get == 200:
        assert response.status_code == 200
    else:
        assert response.status_code == 302
        assert response["Location"] == route.admin_get(world)
    # Pages that ask before a change (delete, remove, block) change nothing until asked.
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "name", [name for name, route in EXPECTED.items() if "POST" in route.methods and route.writes]
)
def test_console_route_post_by_an_administrator_takes_effect(client, world, name):
    # The same bodies the refused requests send: proof that they would have
    # changed something had they been let through.
    route = EXPECTED[name]
    client.force_login(world.administrator)
    if route.before is not None:
        route.before(client)
    before = snapshot(client)
    assert client.post(url_of(name, world), route.data(world)).status_code == 302
    assert snapshot(client) != before


@pytest.mark.parametrize(
    "name",
    [name for name, route in EXPECTED.items() if "POST" in route.methods and not route.writes],
)
def test_console_route_post_that_only_shows_changes_nothing(client, world, name):
    route = EXPECTED[name]
    client.force_login(world.administrator)
    before = snapshot(client)
    assert client.post(url_of(name, world), route.data(world)).status_code == 200
    assert snapshot(client) == before


@pytest.mark.parametrize(
    "name", [name for name, route in EXPECTED.items() if "POST" in route.methods]
)
def test_console_route_post_without_a_csrf_token_changes_nothing(world, name):
    # A page on another site that makes an administrator's browser post.
    forging = Client(enforce_csrf_checks=True)
    forging.force_login(world.administrator)
    route = EXPECTED[name]
    if route.before is not None:
        route.before(forging)
    before = snapshot(forging)
    assert forging.post(url_of(name, world), route.data(world)).status_code == 403
    assert snapshot(forging) == before


@pytest.mark.parametrize(
    ("name", "method"),
    [
        (name, method)
        for name, route in EXPECTED.items()
        for method in ("GET", "POST")
        if method not in route.methods
    ],
)
def test_console_route_refuses_a_method_it_does_not_answer(client, world, name, method):
    route = EXPECTED[name]
    client.force_login(world.administrator)
    if route.before is not None:
        route.before(client)
    before = snapshot(client)
    url = url_of(name, world)
    response = send(client, method, url, route.data(world))
    assert response.status_code == 405
    assert snapshot(client) == before
