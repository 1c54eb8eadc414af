from django.conf import settings
from django.core.management.base import BaseCommand

from game.services import purge_expired_submissions


class Command(BaseCommand):
    help = "Delete Idempotency-Key records of session saves older than GAME_IDEMPOTENCY_KEY_TTL_HOURS."

    def handle(self, *args, **options):
        deleted = purge_expired_submissions()
        self.stdout.write(f"Deleted {deleted} idempotency record(s) older than "
                          f"{settings.GAME_IDEMPOTENCY_KEY_TTL_HOURS} hours.")
