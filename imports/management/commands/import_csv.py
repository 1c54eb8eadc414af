"""Import speeches from a folder of audio files and a CSV, exactly as the API's two steps do."""

import sys
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import DomainError
from core.http.context import command_context
from imports.services import import_directory, read_csv_upload
from jobs.models import Job


class Command(BaseCommand):
    help = ("Create speeches from CSV or XLSX rows (audio_filename,text,level,type,tags) whose audio files are in a "
            "folder; rows with an id (as exported) update that speech. "
            "All or nothing: any invalid row is reported and nothing is written.")

    def add_arguments(self, parser):
        parser.add_argument("--audio-dir", required=True, type=Path, help="Folder holding the audio files.")
        parser.add_argument("--csv", required=True, type=Path, help="The CSV file.")
        parser.add_argument("--dry-run", action="store_true", help="Check everything and report; write nothing.")
        parser.add_argument("--user", default="", help="Email of the staff member the import is recorded for.")
        parser.add_argument("--async", dest="as_job", action="store_true",
                            help="Upload the files here, then let a worker create the speeches (a job); "
                                 "prints the job to follow.")

    def handle(self, *args, audio_dir: Path, csv: Path, dry_run: bool, user: str, as_job: bool, **options):
        if not audio_dir.is_dir():
            raise CommandError(f"{audio_dir} is not a folder.")
        if not csv.is_file():
            raise CommandError(f"{csv} is not a file.")
        actor = self._staff_user(user) if user else None
        bars: list[tqdm] = []

        def progress(label: str, total: int):
            bar = tqdm(total=total, desc=label, unit="file", file=sys.stderr, disable=options["verbosity"] < 1)
            bars.append(bar)
            return bar.update

        try:
            with command_context("import_csv", actor=actor):
                with csv.open("rb") as handle:
                    csv_data = read_csv_upload(handle)
                result = import_directory(actor=actor, audio_dir=audio_dir, csv_data=csv_data,
                                          csv_name=csv.name, dry_run=dry_run, progress=progress,
                                          as_job=as_job and not dry_run)
        except DomainError as exc:
            for item in exc.errors if isinstance(exc.errors, list) else []:
                where = f"row {item['row']}" if "row" in item else item.get("filename", "")
                self.stderr.write(f"  {where}: {item['error']}")
            raise CommandError(f"Nothing was imported. {exc.detail}") from exc
        finally:
            for bar in bars:
                bar.close()

        if isinstance(result, Job):
            self.stdout.write(self.style.SUCCESS(
                f"Queued import job {result.id} for {result.total} row(s); follow it in the admin "
                f"(Background jobs) or at /api/v1/admin/import/jobs/{result.id}."))
            return
        plan = result.plan
        tags = f" and {len(plan.new_tags)} new tag(s) ({', '.join(plan.new_tags)})" if plan.new_tags else ""
        # Updates are spelt out only when there are any: a file of new rows reads as it always did.
        edits = (f"; {result.update_count} updated, {result.unchanged_count} unchanged"
                 if result.update_count or result.unchanged_count else "")
        if dry_run:
            self.stdout.write(f"Dry run: all {result.success_count} rows are valid; the import would create "
                              f"{result.create_count} speech(es){tags}{edits}. Nothing was written.")
        else:
            self.stdout.write(self.style.SUCCESS(
                f"Imported {result.create_count} speech(es){tags}{edits} (upload session {result.session_id})."))

    def _staff_user(self, email: str):
        user = get_user_model().objects.filter(email__iexact=email).first()
        if user is None or not user.is_staff:
            raise CommandError(f"No staff user with the email {email}.")
        return user
