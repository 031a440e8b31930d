"""The trigram index of people's emails and names on SQLite (portal/user_search.py).

PostgreSQL has had trigram GIN indexes since 0002; nothing to do there.
"""

from __future__ import annotations

from django.db import migrations

from portal import user_search


def install(apps, schema_editor):
    user_search.install(schema_editor.connection)


def uninstall(apps, schema_editor):
    user_search.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0012_job_task_id"),
    ]

    operations = [
        migrations.RunPython(install, uninstall),
    ]
