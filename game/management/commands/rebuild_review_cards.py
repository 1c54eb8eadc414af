from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from core.http.context import command_context
from game.services.review import REBUILD_LEARNERS_PER_BATCH, rebuild_review_cards


class Command(BaseCommand):
    help = ("Recompute learners' spaced-review cards from their stored results (e.g. after changing "
            f"REVIEW_DESIRED_RETENTION), {REBUILD_LEARNERS_PER_BATCH} learners per transaction. Safe to re-run.")

    def add_arguments(self, parser):
        parser.add_argument("--email", help="Only this learner (default: everyone).")

    def handle(self, *args, email: str | None = None, **options):
        with command_context("rebuild_review_cards"):
            if email is None:
                written = rebuild_review_cards()
            else:
                user = get_user_model().objects.filter(email__iexact=email).first()
                if user is None:
                    raise CommandError(f"No user with email {email}.")
                written = rebuild_review_cards(user=user)
        self.stdout.write(f"Wrote {written} review card(s).")
