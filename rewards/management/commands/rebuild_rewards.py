from django.core.management.base import BaseCommand, CommandError

from core.exceptions import DomainError
from core.http.context import command_context
from rewards import services


class Command(BaseCommand):
    help = ("Recompute learners' reward stats (XP total, counters, streaks, freezes) from the ledger and the "
            "rewarded sessions. Safe to re-run.")

    def add_arguments(self, parser):
        parser.add_argument("--email", help="Only this learner (default: every learner with rewards).")

    def handle(self, *args, email: str | None = None, **options):
        with command_context("rebuild_rewards"):
            try:
                count = services.rebuild_all_stats(email=email)
            except DomainError as exc:
                raise CommandError(f"No user with email {email}.") from exc
        self.stdout.write(f"Rebuilt the reward stats of {count} learner(s).")
