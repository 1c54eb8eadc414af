from django.core.management.base import BaseCommand, CommandError

from community.services import rebuild_league_rankings
from core import rankings
from core.cache import CacheUnavailable


class Command(BaseCommand):
    help = "Write this week's league tables to Redis afresh from the database (they also rebuild when missing)."

    def handle(self, *args, **options):
        if not rankings.enabled():
            raise CommandError("The shared cache is not Redis (REDIS_URL is unset): league tables are read from "
                               "the database, there is nothing to rebuild.")
        try:
            written = rebuild_league_rankings()
        except CacheUnavailable as error:
            raise CommandError("Redis is unavailable.") from error
        self.stdout.write(f"Rebuilt {written} league tables.")
