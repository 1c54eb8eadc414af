from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.http.context import command_context
from game.services.aggregates import rebuild_all_learner_aggregates, rebuild_learner_aggregates
from game.services.tag_stats import rebuild_tag_stats


class Command(BaseCommand):
    help = ("Recount learners' progress totals, per-sentence and per-tag counts from their stored sessions (run "
            "once after upgrading to the version that added them, or after changing GAME_REVIEW_HALF_LIFE_DAYS). "
            "Safe to re-run.")

    def add_arguments(self, parser):
        parser.add_argument("--email", help="Only this learner (default: everyone who has played).")

    def handle(self, *args, email: str | None = None, **options):
        with command_context("rebuild_learner_aggregates"):
            if email is None:
                count = rebuild_all_learner_aggregates()
            else:
                user = get_user_model().objects.filter(email__iexact=email).first()
                if user is None:
                    raise CommandError(f"No user with email {email}.")
                rebuild_tag_stats(user=user)
                rebuild_learner_aggregates(user=user)
                count = 1
        self.stdout.write(f"Recounted the totals of {count} learner(s).")
