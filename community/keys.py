"""Where the community keeps its copies in Redis, and the league numbers from settings (read per call, so a
test's settings override applies)."""

from zoneinfo import ZoneInfo

from django.conf import settings

from community import rules


def league_ranking(league_id: object) -> str:
    return f"community:league:{league_id}"


def public_profile(user_id: object) -> str:
    return f"community:profile:{user_id}"


def ladder() -> rules.Ladder:
    return rules.Ladder(size=settings.LEAGUE_SIZE, promote=settings.LEAGUE_PROMOTE, demote=settings.LEAGUE_DEMOTE)


def zone() -> ZoneInfo:
    return ZoneInfo(settings.LEAGUE_TIME_ZONE)


def ranking_ttl() -> int:
    return settings.LEAGUE_RANKING_TTL_SECONDS
