"""Fill the database with a small, believable demo data set; safe to run again."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from apis import documents as api_documents
from apis import services as api_services
from apis.models import Api
from content import services as content_services
from content.models import Page
from groups import services as group_services
from groups.models import Group
from portal import services as people
from portal.models import User
from products import services as product_services
from products.models import Product
from subscriptions import services as subscription_services
from subscriptions.models import Subscription

ADMIN_EMAIL = "admin@example.com"

SUPPORT_PERMISSIONS = [
    ("portal", "view_user"),
    ("portal", "change_user"),
    ("groups", "view_group"),
]

# email, first name, last name, state, is_staff, note
DEMO_PEOPLE = [
    ("alice@example.com", "Alice", "Moreau", "active", False, "Partner: Contoso Logistics."),
    ("bob@example.com", "Bob", "Okafor", "active", False, ""),
    ("chen@example.com", "Chen", "Wei", "active", False, "Partner: Fabrikam Retail."),
    ("dana@example.com", "Dana", "Kowalski", "active", False, ""),
    ("erik@example.com", "Erik", "Lindqvist", "blocked", False, "Blocked after key abuse."),
    ("farah@example.com", "Farah", "Haddad", "pending", False, "Signed up, not confirmed."),
    ("support@example.com", "Sam", "Support", "active", True, "Support desk."),
]


# ID, name, description, members
DEMO_GROUPS = [
    (
        "partners",
        "Partners",
        "Developers at partner companies under contract; they see the partner APIs.",
        ["alice@example.com", "chen@example.com"],
    ),
    (
        "beta-testers",
        "Beta testers",
        "Developers trying products before they are announced.",
        ["bob@example.com", "dana@example.com", "erik@example.com"],
    ),
    (
        "internal",
        "Internal teams",
        "Our own engineering teams.",
        ["dana@example.com"],
    ),
]


# ID, name, description, terms, state, subscription, approval, limit, groups
DEMO_PRODUCTS = [
    (
        "starter",
        "Starter",
        "Try the **core APIs** for free: 5 calls a minute, up to 100 a week.",
        "Fair use only. No production traffic.",
        "published",
        True,
        False,
        1,
        ["guests", "developers"],
    ),
    (
        "unlimited",
        "Unlimited",
        "Every core API without quotas. An administrator approves each subscription.",
        "By subscribing you accept the *Unlimited* service agreement.",
        "published",
        True,
        True,
        1,
        ["developers"],
    ),
    (
        "weather-open-data",
        "Weather open data",
        "Public forecasts and observations. Open: no key needed.",
        "",
        "published",
        False,
        False,
        None,
        ["guests", "developers"],
    ),
    (
        "partner-logistics",
        "Partner logistics",
        "Shipment tracking and pickups, for partners under contract.",
        "Partner agreement, section 4, applies.",
        "published",
        True,
        False,
        3,
        ["partners"],
    ),
    (
        "insights-beta",
        "Insights (beta)",
        "Usage analytics before launch. Expect changes.",
        "",
        "published",
        True,
        False,
        None,
        ["beta-testers"],
    ),
    (
        "internal-tools",
        "Internal tools",
        "Admin APIs for our own teams; not published yet.",
        "",
        "notPublished",
        True,
        False,
        None,
        ["internal"],
    ),
]


# The APIs' documents, written for the demo, under apis/demo/.
DEMO_API_DIR = Path(api_documents.__file__).resolve().parent / "demo"

# ID, document, URL suffix, requires a subscription, products, {tag: groups allowed}
DEMO_APIS = [
    ("geocoding", "geocoding.yaml", "geo/v2", True, ["starter", "unlimited"], {}),
    ("routing", "routing.json", "routing/v1", True, ["starter", "unlimited"], {}),
    ("forecasts", "forecasts.json", "weather/v3", False, ["weather-open-data"], {}),
    (
        "shipments",
        "shipments.yaml",
        "logistics/shipments/v1",
        True,
        ["partner-logistics"],
        {"Admin": ["internal"]},
    ),
    ("usage-analytics", "usage-analytics.json", "insights/v0", True, ["insights-beta"], {}),
]


# developer, product, subscription name
DEMO_SUBSCRIPTIONS = [
    ("alice@example.com", "starter", "Alice's route planner"),
    ("chen@example.com", "partner-logistics", "Fabrikam warehouse sync"),
    ("bob@example.com", "unlimited", "Bob's production app"),
]


# address, title, menu, order, visibility, groups, Markdown body
DEMO_PAGES = [
    (
        "getting-started",
        "Getting started",
        "top",
        10,
        "everyone",
        [],
        "Three steps from here to your first call:\n\n"
        "1. **Create an account** and sign in.\n"
        "2. **Pick a product** in [Products](/products/) and subscribe to it.\n"
        "3. **Send your key** in the `Ocp-Apim-Subscription-Key` header of every "
        "request.\n\n"
        "Your keys are on your profile.",
    ),
    (
        "partner-onboarding",
        "Partner onboarding",
        "top",
        20,
        "groups",
        ["partners"],
        "Welcome, partners. Your contract gives you the **Partner logistics** "
        "product.\n\n"
        "- Subscribe to it from its page; up to three subscriptions each.\n"
        "- Use the sandbox until your integration passes review.\n"
        "- Questions go to your partner manager.",
    ),
    (
        "terms-of-use",
        "Terms of use",
        "footer",
        10,
        "everyone",
        [],
        "By using these APIs you agree to call them fairly, keep your keys secret, "
        "and follow each product's own terms.",
    ),
]


def demo_password(explicit: str | None) -> str:
    """The password every demo account gets, generated once and kept in var/."""
    if explicit:
        return explicit
    if from_env := os.environ.get("PORTICO_DEMO_PASSWORD"):
        return from_env
    path = settings.VAR_DIR / "demo-password"
    if not path.exists():
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(12))
        path.chmod(0o600)
    return path.read_text().strip()


class Command(BaseCommand):
    help = "Create the demo administrator and a few demo accounts (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help="Password for new demo accounts (default: generated once, kept in var/).",
        )

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password(options["password"])
        created = []
        # Through the services, as anyone's account would be: the activity
        # record starts with the demo's own history.
        if not User.objects.filter(email__iexact=ADMIN_EMAIL).exists():
            admin = people.create_user(
                email=ADMIN_EMAIL, first_name="Ada", last_name="Admin", password=password
            )
            people.update_user(user=admin, actor=None, is_superuser=True, is_staff=True)
            created.append(ADMIN_EMAIL)
        for email, first, last, state, is_staff, note in DEMO_PEOPLE:
            if User.objects.filter(email__iexact=email).exists():
                continue
            user = people.create_user(
                email=email,
                first_name=first,
                last_name=last,
                password=password,
                note=note,
                state=state,
            )
            if is_staff:
                people.update_user(user=user, actor=None, is_staff=True)
                people.set_permissions(
                    user=user,
                    permissions=[
                        Permission.objects.get(content_type__app_label=app_label, codename=codename)
                        for app_label, codename in SUPPORT_PERMISSIONS
                    ],
                )
            created.append(email)
        admin = User.objects.get(email__iexact=ADMIN_EMAIL)
        for name, display_name, description, emails in DEMO_GROUPS:
            group = Group.objects.filter(name=name).first()
            if group is None:
                group = group_services.create_group(
                    name=name, display_name=display_name, description=description
                )
                created.append(f"group {display_name}")
            group_services.add_members(
                group=group,
                users=User.objects.filter(email__in=emails),
                added_by=admin,
            )
        for slug, title, menu, order, visibility, group_names, body in DEMO_PAGES:
            if Page.objects.filter(slug=slug).exists():
                continue
            content_services.create_page(
                slug=slug,
                title=title,
                body=body,
                menu=menu,
                order=order,
                visibility=visibility,
                state=Page.State.PUBLISHED,
                groups=Group.objects.filter(name__in=group_names),
                created_by=admin,
            )
            created.append(f"page {title}")
        for (
            name,
            display_name,
            description,
            terms,
            state,
            subscription_required,
            approval_required,
            limit,
            group_names,
        ) in DEMO_PRODUCTS:
            if Product.objects.filter(name=name).exists():
                continue
            product_services.create_product(
                name=name,
                display_name=display_name,
                description=description,
                terms=terms,
                state=state,
                subscription_required=subscription_required,
                approval_required=approval_required,
                subscriptions_limit=limit,
                groups=Group.objects.filter(name__in=group_names),
                added_by=admin,
            )
            created.append(f"product {display_name}")
        for name, filename, path, subscription_required, products, restrictions in DEMO_APIS:
            if Api.objects.filter(name=name).exists():
                continue
            api = api_services.create_api(
                document=api_documents.read((DEMO_API_DIR / filename).read_text()),
                name=name,
                path=path,
                subscription_required=subscription_required,
            )
            for product in Product.objects.filter(name__in=products):
                api_services.add_apis(product=product, apis=[api], added_by=admin)
            for tag, group_names in restrictions.items():
                api_services.restrict(
                    api=api,
                    kind="tag",
                    target=tag,
                    groups=Group.objects.filter(name__in=group_names),
                    added_by=admin,
                )
            created.append(f"API {api.display_name}")
        for email, product_name, display_name in DEMO_SUBSCRIPTIONS:
            developer = User.objects.get(email=email)
            product = Product.objects.get(name=product_name)
            if Subscription.objects.filter(owner=developer, product=product).exists():
                continue
            subscription_services.subscribe(
                developer=developer,
                product=product,
                display_name=display_name,
                accepted_terms=True,
            )
            created.append(f"subscription {display_name}")
        if created:
            self.stdout.write(f"Created demo data: {', '.join(created)}")
        else:
            self.stdout.write("Demo data already present; nothing to add.")
        self.stdout.write(
            self.style.SUCCESS(f"Demo sign-in: {ADMIN_EMAIL} / {password}")
            + "\nDevelopers alice@example.com, bob@example.com, chen@example.com and "
            "dana@example.com, and support@example.com (support staff), use the same password."
        )
