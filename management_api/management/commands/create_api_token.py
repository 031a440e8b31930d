"""Print a new personal access token for the management API, for scripted setups."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from management_api import services
from portal.models import User, is_administrator


class Command(BaseCommand):
    help = "Create a management API token for an administrator and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", required=True, help="The administrator's email.")
        parser.add_argument("--name", default="Command line", help="What the token is for.")
        parser.add_argument("--days", type=int, default=30, help="Days until it expires.")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"]).first()
        if user is None or not is_administrator(user):
            raise CommandError(f"{options['email']} is not an active administrator.")
        if not 1 <= options["days"] <= 366:
            raise CommandError("--days must be between 1 and 366.")
        token, clear = services.issue_token(user=user, name=options["name"], days=options["days"])
        self.stderr.write(
            f"Token “{token.name}” expires {token.expires_at:%Y-%m-%d}. It is shown once:"
        )
        self.stdout.write(clear)
