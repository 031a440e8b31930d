from __future__ import annotations

import secrets

import django.core.validators
from django.db import migrations, models

import portal.models


def backfill(apps, schema_editor):
    user_model = apps.get_model("portal", "User")
    for user in user_model.objects.filter(api_id__isnull=True).only("pk"):
        user.api_id = secrets.token_hex(8)
        user.save(update_fields=["api_id"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0003_add_portal_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="api_id",
            field=models.CharField(max_length=80, null=True, verbose_name="user ID"),
        ),
        migrations.AddField(
            model_name="user",
            name="version",
            field=models.PositiveIntegerField(default=1, editable=False),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
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
                        "^[A-Za-z0-9._-]+$",
                        "Use only letters, digits, hyphens (-), underscores (_) and dots (.).",
                        code="invalid_user_id",
                    )
                ],
                verbose_name="user ID",
            ),
        ),
    ]
