"""Remove upload sessions older than their expiry, and the audio still stored for them (uploads, and the
copies of an import that was killed before it finished)."""

from django.core.management.base import BaseCommand

from imports.services import cleanup_expired_sessions


class Command(BaseCommand):
    help = ("Delete expired upload sessions, their stored audio uploads and the copies an interrupted import of "
            "them left (run it e.g. hourly).")

    def handle(self, *args, **options):
        sessions, stored_objects = cleanup_expired_sessions()
        self.stdout.write(f"Removed {sessions} expired upload session(s) and {stored_objects} stored object(s).")
