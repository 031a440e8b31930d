"""Restore a backup made by `manage.py backup` into the database DATABASE_URL names."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from portal import backup


class Command(BaseCommand):
    help = (
        "Restore FILE, made by manage.py backup, into the database. It must be empty "
        "unless --force is given; stop Portico first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup to restore.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace everything in a database that is not empty.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path = options["file"]
        started = time.monotonic()
        try:
            summary = backup.restore(connection=connection, source=source, force=options["force"])
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] < 1:
            return
        replaced = ""
        if summary.replaced:
            replaced = (
                f" It replaced {len(summary.replaced)} tables holding "
                f"{sum(summary.replaced.values()):,} rows."
            )
        self.stdout.write(
            f"Restored {source} into {backup.describe(connection)} in "
            f"{time.monotonic() - started:.2f} s: {len(summary.tables)} tables, "
            f"{summary.rows:,} rows.{replaced}"
        )
        if options["verbosity"] > 1:
            self.stdout.write("\n".join(backup.table_lines(summary.tables)))
        self.stdout.write(self.style.SUCCESS(f"Checks: {summary.checks}."))
        self.stdout.write(
            "If the backup comes from an older Portico, run manage.py migrate before starting it."
        )
