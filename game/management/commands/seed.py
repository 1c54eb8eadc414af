from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.seeding import LEARNER_EMAILS, distinct_demo_texts, seed
from game.seeding import seed_learning_loop


class Command(BaseCommand):
    help = ("Load demo content and accounts: 26 tags, speeches across every level and type with real spoken "
            "audio, three learners and one staff account; a demo course, the achievements catalogue, a few "
            "practice sessions of the learners and a league of demo mates. Safe to run again: only what is "
            "missing is created.")

    def add_arguments(self, parser):
        parser.add_argument(
            "--speeches", type=int, default=1000,
            help=f"how many demo speeches should exist (default 1000; texts repeat beyond {distinct_demo_texts():,}, "
                 "e.g. for benchmarks)",
        )

    def handle(self, *args, speeches: int, **options):
        if speeches < 0:
            raise CommandError("--speeches must be zero or more.")
        if not settings.SEED_STAFF_PASSWORD or not settings.SEED_LEARNER_PASSWORD:
            raise CommandError("Set SEED_STAFF_PASSWORD and SEED_LEARNER_PASSWORD (defaults exist only with DEBUG=1).")
        report = seed(speeches=speeches, progress=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(
            f"Seed: {report.tags_created} tags, {report.speeches_created:,} speeches "
            f"({report.audio_uploaded:,} audio files stored), {report.users_created} accounts created; "
            f"{report.speeches_total:,} speeches in total."))
        loop = seed_learning_loop()
        self.stdout.write(
            f"Learning loop: {loop.courses_created} course ({loop.lessons_created} lessons), "
            f"{loop.achievements_created} achievements, {loop.sessions_played} practice sessions played, "
            f"{loop.league_mates_created} league mates.")
        self.stdout.write(f"  Staff (Django Admin /admin/ and /api/v1/admin/): "
                          f"{settings.SEED_STAFF_EMAIL} / {settings.SEED_STAFF_PASSWORD}")
        self.stdout.write(f"  Learners: {', '.join(LEARNER_EMAILS)} / {settings.SEED_LEARNER_PASSWORD}")
