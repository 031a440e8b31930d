# Groups take their ID and name fields from portal.entities.NamedEntity: the
# same columns, with the shared validator and uniqueness message. No SQL.

import django.core.validators
from django.db import migrations, models

import portal.entities


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0002_create_system_groups"),
    ]

    operations = [
        migrations.AlterField(
            model_name="group",
            name="display_name_key",
            field=models.CharField(editable=False, max_length=1200, unique=True),
        ),
        migrations.AlterField(
            model_name="group",
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
    ]
