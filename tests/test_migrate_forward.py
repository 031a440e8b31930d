"""A database made by the code before subscriptions had their own app migrates
forward with every row kept, and back again."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from groups.models import Group, Membership
from management_api.models import AccessToken
from portal.models import User
from products.models import Product, ProductGroup
from subscriptions.models import Subscription, SubscriptionSettings

# The latest migration of each app before the move.
BEFORE = [
    ("portal", "0004_add_user_api_id"),
    ("groups", "0002_create_system_groups"),
    ("products", "0002_add_subscriptions"),
    ("api", "0001_initial"),
    ("subscriptions", None),
]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    applied = [(app, name) for app, name in targets if name is not None]
    return executor.loader.project_state(applied).apps


def latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.fixture
def old_database(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(latest())


def fill(apps):
    """Rows as the old code wrote them, through the historical models."""
    user = apps.get_model("portal", "User")
    group = apps.get_model("groups", "Group")
    membership = apps.get_model("groups", "Membership")
    product = apps.get_model("products", "Product")
    product_group = apps.get_model("products", "ProductGroup")
    subscription = apps.get_model("products", "Subscription")
    settings = apps.get_model("portal", "PortalSettings")
    token = apps.get_model("api", "AccessToken")
    content_type = apps.get_model("contenttypes", "ContentType")
    permission = apps.get_model("auth", "Permission")

    alice = user.objects.create(
        email="alice@example.com", first_name="Alice", api_id="alice", version=3
    )
    partners = group.objects.create(
        name="partners", display_name="Partners", display_name_key="partners", version=2
    )
    membership.objects.create(group=partners, user=alice)
    logistics = product.objects.create(
        name="logistics",
        display_name="Logistics",
        display_name_key="logistics",
        state="published",
        subscriptions_limit=2,
        version=4,
    )
    product_group.objects.create(product=logistics, group=partners)
    subscription.objects.create(
        sid="alice-shipping",
        owner=alice,
        product=logistics,
        display_name="Shipping",
        state="suspended",
        suspended_for_access=True,
        state_comment="Access removed",
        primary_secret="p" * 48,
        secondary_secret="s" * 48,
        version=5,
    )
    settings.objects.create(pk=1, notification_email="ops@example.com", on_access_loss="keep")
    token.objects.create(
        user=alice,
        name="CI",
        prefix="ptk_abc",
        token_hash="h" * 64,
        expires_at="2030-01-01T00:00:00Z",
    )
    # A permission given on the old model, as support staff might hold one.
    moved_type, _ = content_type.objects.get_or_create(app_label="products", model="subscription")
    view, _ = permission.objects.get_or_create(
        content_type=moved_type,
        codename="view_subscription",
        defaults={"name": "Can view subscription"},
    )
    settings_type, _ = content_type.objects.get_or_create(
        app_label="portal", model="portalsettings"
    )
    change, _ = permission.objects.get_or_create(
        content_type=settings_type,
        codename="change_portalsettings",
        defaults={"name": "Can change portal settings"},
    )
    alice.user_permissions.add(view, change)


def test_an_old_database_migrates_forward_with_every_row_kept(old_database):
    fill(old_database)
    migrate(latest())

    alice = User.objects.get(email="alice@example.com")
    assert (alice.api_id, alice.version) == ("alice", 3)
    partners = Group.objects.get(name="partners")
    assert (partners.display_name, partners.version) == ("Partners", 2)
    assert Membership.objects.filter(group=partners, user=alice).exists()
    logistics = Product.objects.get(name="logistics")
    assert (logistics.state, logistics.subscriptions_limit, logistics.version) == (
        "published",
        2,
        4,
    )
    assert ProductGroup.objects.filter(product=logistics, group=partners).exists()
    shipping = Subscription.objects.get(sid="alice-shipping")
    assert (shipping.owner, shipping.product, shipping.display_name) == (
        alice,
        logistics,
        "Shipping",
    )
    assert (shipping.state, shipping.suspended_for_access, shipping.version) == (
        "suspended",
        True,
        5,
    )
    assert (shipping.primary_secret, shipping.secondary_secret) == ("p" * 48, "s" * 48)
    # Subscriptions made before APIs had their own stay scoped to their product.
    assert (shipping.scope, shipping.api) == (logistics, None)
    settings = SubscriptionSettings.load()
    assert (settings.notification_email, settings.on_access_loss) == ("ops@example.com", "keep")
    assert AccessToken.objects.get(name="CI").user == alice
    # The permission followed its model to the new app.
    moved = ContentType.objects.get_for_model(Subscription)
    assert (moved.app_label, moved.model) == ("subscriptions", "subscription")
    assert not ContentType.objects.filter(app_label="products", model="subscription").exists()
    assert alice.user_permissions.filter(content_type=moved, codename="view_subscription").exists()
    assert Permission.objects.filter(codename="view_subscription").count() == 1
    assert alice.has_perm("subscriptions.change_subscriptionsettings")
    assert not Permission.objects.filter(codename__endswith="_portalsettings").exists()
    # The moved models still work through their services.
    assert Group.objects.filter(name__in=["administrators", "developers", "guests"]).count() == 3


def test_the_move_can_be_undone(old_database):
    fill(old_database)
    migrate(latest())
    apps = migrate(BEFORE)
    subscription = apps.get_model("products", "Subscription")
    assert subscription.objects.get(sid="alice-shipping").display_name == "Shipping"
    settings = apps.get_model("portal", "PortalSettings")
    assert settings.objects.get(pk=1).on_access_loss == "keep"
    content_type = apps.get_model("contenttypes", "ContentType")
    assert content_type.objects.filter(app_label="products", model="subscription").exists()
    permission = apps.get_model("auth", "Permission")
    assert permission.objects.filter(
        codename="change_portalsettings", content_type__app_label="portal"
    ).exists()
