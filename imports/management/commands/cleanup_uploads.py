"""Remove upload sessions older than their expiry, and the audio still stored for them."""

from django.core.management.base import BaseCommand

from imports.services import cleanup_expired_sessions


class Command(BaseCommand):
    help = "Delete expired upload sessions and their stored audio uploads (run it e.g. hourly)."

    def handle(self, *args, **options):
        sessions, stored_objects = cleanup_expired_sessions()
        self.stdout.write(f"Removed {sessions} expired upload session(s) and {stored_objects} stored object(s).")
