"""Back up the database DATABASE_URL names into one file, while Portico serves."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from portal import backup


def file_size(path: Path) -> str:
    size = path.stat().st_size
    if size < 1_000_000:
        return f"{size / 1000:.0f} kB"
    return f"{size / 1_000_000:.1f} MB"


class Command(BaseCommand):
    help = (
        "Back up the database into FILE while Portico keeps serving: SQLite's online "
        "backup API, or pg_dump --format=custom for PostgreSQL. Restore it with "
        "manage.py restore FILE."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The backup to write; it must not exist.")

    def handle(self, *args: Any, **options: Any) -> None:
        target: Path = options["file"]
        started = time.monotonic()
        try:
            summary = backup.backup(connection=connection, target=target)
        except backup.BackupError as error:
            raise CommandError(str(error)) from None
        if options["verbosity"] < 1:
            return
        self.stdout.write(
            f"Backed up {backup.describe(connection)} to {target} in "
            f"{time.monotonic() - started:.2f} s: {len(summary.tables)} tables, "
            f"{summary.rows:,} rows, {file_size(target)}."
        )
        if options["verbosity"] > 1:
            self.stdout.write("\n".join(backup.table_lines(summary.tables)))
        self.stdout.write(self.style.SUCCESS(f"Checks: {summary.checks}."))
