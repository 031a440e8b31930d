# The settings row moves to the subscriptions app (SubscriptionSettings),
# keeping its table and row: here it leaves the portal's state only. User IDs
# take the shared entity ID validator (no SQL).

import django.core.validators
from django.db import migrations, models

import portal.models


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0004_add_user_api_id"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="PortalSettings")],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="user",
            name="api_id",
            field=models.CharField(
                default=portal.models.new_api_id,
                editable=False,
                max_length=80,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^(?!\\.+$)[A-Za-z0-9._-]+$",
                        "Use only letters, digits, hyphens (-), underscores (_) and dots (.).",
                        code="invalid_id",
                    )
                ],
                verbose_name="user ID",
            ),
        ),
    ]
