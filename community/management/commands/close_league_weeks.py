from django.core.management.base import BaseCommand

from community.services import close_finished_weeks
from core.http.context import command_context


class Command(BaseCommand):
    help = "Close every league week that has ended: final ranks, promotions and demotions. Safe to run again."

    def handle(self, *args, **options):
        with command_context("close_league_weeks"):
            totals = close_finished_weeks()
        self.stdout.write(f"Closed {totals['leagues']} leagues: {totals['learners']} learners, "
                          f"{totals['promoted']} promoted, {totals['demoted']} demoted.")
