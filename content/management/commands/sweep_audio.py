"""Delete stored audio in content's folders that no speech points at (run e.g. daily)."""

from django.core.management.base import BaseCommand, CommandError

from content.services import sweep_unreferenced_audio
from core.exceptions import DomainError
from core.http.context import command_context


class Command(BaseCommand):
    help = ("Delete stored audio objects under audio/{level}/ and audio/demo/ that no speech (archived ones "
            "included) points at and that are older than the minimum age. Upload sessions' files are left to "
            "cleanup_uploads.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be deleted; delete nothing.")
        parser.add_argument(
            "--min-age", type=int, default=None, metavar="SECONDS",
            help="Keep objects younger than this (default AUDIO_SWEEP_MIN_AGE_SECONDS); an import copies its "
                 "audio before its speeches are committed.")

    def handle(self, *args, dry_run: bool, min_age: int | None, **options):
        if min_age is not None and min_age < 0:
            raise CommandError("--min-age must be zero or more.")
        try:
            with command_context("sweep_audio"):
                result = sweep_unreferenced_audio(min_age_seconds=min_age, dry_run=dry_run)
        except DomainError as exc:
            raise CommandError(f"The sweep stopped: {exc.detail}") from exc
        kept = (f"kept {result.referenced} referenced and {result.too_recent} younger than "
                f"{result.min_age_seconds} s; {result.scanned} scanned")
        if dry_run:
            self.stdout.write(f"Dry run: {result.deleted} unreferenced object(s) would be deleted; {kept}. "
                              "Nothing was deleted.")
        else:
            self.stdout.write(self.style.SUCCESS(f"Deleted {result.deleted} unreferenced object(s); {kept}."))
        if result.failed:
            self.stderr.write(f"{result.failed} object(s) could not be deleted; the next sweep tries again.")
