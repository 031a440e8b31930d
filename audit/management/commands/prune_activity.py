"""Remove activity records older than the retention setting, and record that it did."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from audit import context
from audit import services as audit_services
from audit.models import Record, RetentionSettings

COMMAND = context.Actor(
    kind=Record.ActorKind.SYSTEM, via=Record.Via.COMMAND, label="manage.py prune_activity"
)


class Command(BaseCommand):
    help = (
        "Remove activity records older than Settings › Activity retention allows (nothing when "
        "records are kept forever); each pruning is itself recorded. Run it daily, e.g. from cron."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        keep_days = RetentionSettings.current().keep_days
        if keep_days is None:
            self.stdout.write(
                "Activity records are kept forever: nothing removed. Set a number of days "
                "in the console's Settings › Activity retention to prune older ones."
            )
            return
        # Run from a scheduler or call_command alike, the pruning names this command.
        with context.acting(COMMAND):
            removed = audit_services.prune()
        self.stdout.write(
            f"Removed {removed:,} activity record{'' if removed == 1 else 's'} older than "
            f"{keep_days:,} day{'' if keep_days == 1 else 's'}."
        )
