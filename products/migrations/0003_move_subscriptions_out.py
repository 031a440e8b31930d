# Subscriptions move to their own app, keeping their table and rows: here the
# model leaves the products app's state only. Products take their ID and name
# fields from portal.entities.NamedEntity, and the limit's floor of 1, which a
# constraint already kept, becomes a validator too; a group's access gets its
# time as memberships do. No SQL on PostgreSQL; on SQLite, Django rebuilds the
# access table for the new default, rows and all.

import django.core.validators
import django.utils.timezone
from django.db import migrations, models

import portal.entities


class Migration(migrations.Migration):
    dependencies = [
        ("products", "0002_add_subscriptions"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Subscription")],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="product",
            name="display_name_key",
            field=models.CharField(editable=False, max_length=1200, unique=True),
        ),
        migrations.AlterField(
            model_name="product",
            name="name",
            field=models.CharField(
                help_text="Letters, digits, -, _ and . only. It can't be changed later.",
                max_length=256,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^(?!\\.+$)[A-Za-z0-9._-]+$",
                        "Use only letters, digits, hyphens (-), underscores (_) and dots (.).",
                        code="invalid_id",
                    ),
                    portal.entities.validate_id_not_reserved,
                ],
                verbose_name="ID",
            ),
        ),
        migrations.AlterField(
            model_name="product",
            name="subscriptions_limit",
            field=models.PositiveIntegerField(
                blank=True,
                help_text="How many subscriptions one developer may hold at once. "
                "Blank means no limit.",
                null=True,
                validators=[
                    django.core.validators.MinValueValidator(
                        1, "The limit is at least 1, or blank for no limit."
                    )
                ],
                verbose_name="subscriptions per developer",
            ),
        ),
        migrations.AlterField(
            model_name="productgroup",
            name="added_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
    ]
