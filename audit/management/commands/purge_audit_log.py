"""Delete audit log rows older than the retention period (run e.g. daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.services import purge_audit_log
from core.http.context import command_context


class Command(BaseCommand):
    help = "Delete audit log rows older than AUDIT_RETENTION_DAYS (0: keep them forever), in batches."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, default=None, metavar="DAYS",
                            help="Use this retention instead of AUDIT_RETENTION_DAYS (0: delete nothing).")

    def handle(self, *args, older_than_days: int | None, **options):
        if older_than_days is not None and older_than_days < 0:
            raise CommandError("--older-than-days must be zero or more.")
        days = settings.AUDIT_RETENTION_DAYS if older_than_days is None else older_than_days
        if not days:
            self.stdout.write("Audit log retention is off (0 days): nothing deleted.")
            return
        with command_context("purge_audit_log"):
            deleted = purge_audit_log(older_than_days=days)
        self.stdout.write(self.style.SUCCESS(f"Deleted {deleted} audit log row(s) older than {days} day(s)."))
