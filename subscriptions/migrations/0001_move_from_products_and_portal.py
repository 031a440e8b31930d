# Subscriptions and their settings were made by the products and portal apps;
# their tables and rows stay as they are, and this app takes over the models.
# Content types move too, so permissions given on them are kept.

import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import subscriptions.models

MOVED = [
    # (old app, old model, new model)
    ("products", "subscription", "subscription"),
    ("portal", "portalsettings", "subscriptionsettings"),
]


def _move(apps, schema_editor, moves):
    """Point content types, and the permissions named after their model, elsewhere."""
    alias = schema_editor.connection.alias
    content_types = apps.get_model("contenttypes", "ContentType").objects.db_manager(alias)
    permissions = apps.get_model("auth", "Permission").objects.db_manager(alias)
    for (old_app, old_model), (new_app, new_model) in moves:
        moved = content_types.filter(app_label=old_app, model=old_model).first()
        if moved is None:
            continue
        moved.app_label, moved.model = new_app, new_model
        moved.save(update_fields=["app_label", "model"])
        if old_model != new_model:
            for permission in permissions.filter(content_type=moved):
                action = permission.codename.removesuffix(f"_{old_model}")
                permission.codename = f"{action}_{new_model}"
                permission.save(update_fields=["codename"])


def move_content_types(apps, schema_editor):
    _move(apps, schema_editor, [((a, m), ("subscriptions", n)) for a, m, n in MOVED])


def restore_content_types(apps, schema_editor):
    _move(apps, schema_editor, [(("subscriptions", n), (a, m)) for a, m, n in MOVED])


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("portal", "0005_move_settings_to_subscriptions"),
        ("products", "0003_move_subscriptions_out"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SubscriptionSettings",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "notification_email",
                            models.EmailField(
                                blank=True,
                                help_text="Gets “new subscription waiting for approval”. "
                                "Blank: every administrator.",
                                max_length=254,
                                verbose_name="administrators' notification address",
                            ),
                        ),
                        (
                            "on_access_loss",
                            models.CharField(
                                choices=[
                                    (
                                        "suspend",
                                        "Suspend the subscription until access comes back",
                                    ),
                                    ("keep", "Keep the subscription working (as Azure does)"),
                                ],
                                default="suspend",
                                max_length=10,
                                verbose_name="when a developer can no longer see a product "
                                "they subscribed to",
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                    ],
                    options={
                        "verbose_name": "subscription settings",
                        "verbose_name_plural": "subscription settings",
                        "db_table": "portal_portalsettings",
                    },
                ),
                migrations.CreateModel(
                    name="Subscription",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("version", models.PositiveIntegerField(default=1, editable=False)),
                        (
                            "sid",
                            models.CharField(
                                default=subscriptions.models.new_subscription_id,
                                max_length=256,
                                unique=True,
                                validators=[
                                    django.core.validators.RegexValidator(
                                        "^[^*#&+:<>?/\\s]+$",
                                        "An ID can't contain spaces, slashes or any of "
                                        "* # & + : < > ?",
                                        code="invalid_subscription_id",
                                    )
                                ],
                                verbose_name="ID",
                            ),
                        ),
                        ("display_name", models.CharField(max_length=100, verbose_name="name")),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("submitted", "Waiting for approval"),
                                    ("active", "Active"),
                                    ("suspended", "Suspended"),
                                    ("rejected", "Rejected"),
                                    ("cancelled", "Cancelled"),
                                    ("expired", "Expired"),
                                ],
                                default="submitted",
                                max_length=10,
                            ),
                        ),
                        (
                            "primary_secret",
                            models.CharField(
                                default=subscriptions.models.new_subscription_key,
                                editable=False,
                                max_length=256,
                                unique=True,
                                verbose_name="primary key",
                            ),
                        ),
                        (
                            "secondary_secret",
                            models.CharField(
                                default=subscriptions.models.new_subscription_key,
                                editable=False,
                                max_length=256,
                                unique=True,
                                verbose_name="secondary key",
                            ),
                        ),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("activated_at", models.DateTimeField(blank=True, null=True)),
                        ("expires_at", models.DateTimeField(blank=True, null=True)),
                        ("ended_at", models.DateTimeField(blank=True, null=True)),
                        ("state_comment", models.TextField(blank=True, max_length=1000)),
                        (
                            "suspended_for_access",
                            models.BooleanField(default=False, editable=False),
                        ),
                        (
                            "owner",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="subscriptions",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "product",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="subscriptions",
                                to="products.product",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "products_subscription",
                        "ordering": ["-created_at", "-pk"],
                        "indexes": [
                            models.Index(
                                fields=["owner", "product", "state"], name="products_sub_owner"
                            ),
                            models.Index(
                                fields=["state", "-created_at"], name="products_sub_state"
                            ),
                        ],
                        "constraints": [
                            models.CheckConstraint(
                                condition=models.Q(
                                    (
                                        "state__in",
                                        [
                                            "submitted",
                                            "active",
                                            "suspended",
                                            "rejected",
                                            "cancelled",
                                            "expired",
                                        ],
                                    )
                                ),
                                name="products_subscription_state_valid",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("display_name", ""), _negated=True),
                                name="products_subscription_name_not_empty",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(
                                    ("suspended_for_access", False),
                                    ("state", "suspended"),
                                    _connector="OR",
                                ),
                                name="products_subscription_access_flag_only_when_suspended",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, restore_content_types),
    ]
