"""The table of the "shared" cache without Redis (settings.CACHES, PORTICO_SHARED_CACHE_TABLE).

Made here rather than by `createcachetable`, so every path that runs migrate
has it, whatever CACHES says when it runs.
"""

from __future__ import annotations

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "portico_shared_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("portal", "0010_jobs")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
