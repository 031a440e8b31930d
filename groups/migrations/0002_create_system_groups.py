from __future__ import annotations

from django.db import migrations

from groups.system import ensure_system_groups


def create_system_groups(apps, schema_editor):
    ensure_system_groups(apps.get_model("groups", "Group"), schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [
        ("groups", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_system_groups, migrations.RunPython.noop),
    ]
