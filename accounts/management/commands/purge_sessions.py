from datetime import timedelta

from django.core.management.base import BaseCommand

from accounts import services


class Command(BaseCommand):
    help = "Delete device sessions that ended long ago and refresh tokens that have expired (run daily)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30,
                            help="Keep ended sessions this many days for the sessions history (default 30).")

    def handle(self, *args, days: int, **options):
        counts = services.purge_ended_sessions(older_than=timedelta(days=days))
        self.stdout.write(f"Deleted {counts['sessions']} ended session(s) and {counts['tokens']} expired token(s).")
