"""Reads of the rewards: the home screen's summary, the XP ledger, the catalogue with the learner's progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import IntegerField, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.timezones import user_zone
from rewards import rules
from rewards.models import Achievement, AchievementAward, LearnerStats, RewardedSession, XpEvent, XpReason

if TYPE_CHECKING:
    from accounts.models import User



def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def stats_of(*, user: User) -> LearnerStats:
    """The learner's stats; an unsaved row of defaults for a learner who has none yet (reads write nothing)."""
    stats = LearnerStats.objects.filter(user=user).first()
    return stats if stats is not None else LearnerStats(user=user, daily_xp_goal=settings.REWARDS_DAILY_XP_GOAL)


def xp_on_day(*, user: User, day: date) -> int:
    """XP earned on one local day (uses the (user, local_day) index: never grows with history)."""
    return XpEvent.objects.filter(user=user, local_day=day).aggregate(total=Sum("amount"))["total"] or 0


def replay_and_xp_on_day(*, user: User, session_id: Any, day: date) -> tuple[dict | None, int]:
    """What record_session answered for `session_id` (None when it has not counted it) and xp_on_day, in one
    query; reads the learner's stats row, so only once it exists (the save has locked it)."""
    replay = RewardedSession.objects.filter(user=OuterRef("user"), session_id=session_id).values("rewards")[:1]
    day_xp = (XpEvent.objects.filter(user=OuterRef("user"), local_day=day).order_by().values("user")
              .annotate(total=Sum("amount")).values("total"))
    row = (LearnerStats.objects.filter(user=user)
           .annotate(replay=Subquery(replay), day_xp=Coalesce(Subquery(day_xp), 0, output_field=IntegerField()))
           .values_list("replay", "day_xp").first())
    return row if row is not None else (None, 0)


def award_as_dict(award: AchievementAward) -> dict[str, Any]:
    achievement = award.achievement
    return {"code": achievement.code, "name": achievement.name, "description": achievement.description,
            "icon_url": achievement.icon_url, "xp_reward": achievement.xp_reward, "awarded_at": award.awarded_at}


def learner_summary(*, user: User, now: datetime | None = None) -> dict[str, Any]:
    """XP (total, today, goal), level, the streak as of today and the awards not yet seen, in 3 queries."""
    now = now or timezone.now()
    today = local_day(now, user_zone(user))
    stats = stats_of(user=user)
    today_xp = xp_on_day(user=user, day=today)
    level, into_level, for_next = rules.level_for(stats.total_xp)
    streak = rules.streak_as_of(today=today, last_active_day=stats.last_active_day, current=stats.current_streak,
                                freezes=stats.streak_freezes)
    unseen = AchievementAward.objects.filter(user=user, seen_at__isnull=True).select_related("achievement")
    return {
        "xp": {"total": stats.total_xp, "today": today_xp, "daily_goal": stats.daily_xp_goal,
               "goal_reached": today_xp >= stats.daily_xp_goal},
        "level": {"level": level, "xp_into_level": into_level, "xp_for_next_level": for_next},
        "streak": {"current_days": streak.days, "longest_days": stats.longest_streak,
                   "freezes": stats.streak_freezes, "protected": streak.protected},
        "new_achievements": [award_as_dict(award) for award in unseen.order_by("awarded_at", "id")],
    }


def xp_breakdown(*, user: User) -> dict[str, int]:
    """Total XP per reason, every reason present (0 when none)."""
    sums = dict(XpEvent.objects.filter(user=user).order_by().values_list("reason").annotate(total=Sum("amount")))
    return {reason: int(sums.get(reason) or 0) for reason in XpReason.values}


def xp_events(*, user: User) -> QuerySet[XpEvent]:
    """The learner's ledger, newest first."""
    return XpEvent.objects.filter(user=user).select_related("achievement").order_by("-created_at", "-id")


def achievements_for(*, user: User) -> list[dict[str, Any]]:
    """The active catalogue in position order with the learner's progress; achievements the learner earned
    and editors deactivated since are still listed (as earned)."""
    stats = stats_of(user=user)
    awarded = dict(AchievementAward.objects.filter(user=user).values_list("achievement_id", "awarded_at"))
    catalogue = Achievement.objects.filter(Q(is_active=True) | Q(id__in=list(awarded))).order_by("position", "code")
    counters = stats.counters
    rows = []
    for achievement in catalogue:
        value = rules.achievement_value(kind=achievement.kind, level=achievement.level, counters=counters)
        awarded_at = awarded.get(achievement.id)
        rows.append({
            "code": achievement.code, "name": achievement.name, "description": achievement.description,
            "icon_url": achievement.icon_url, "kind": achievement.kind, "threshold": achievement.threshold,
            "level": achievement.level or None, "xp_reward": achievement.xp_reward,
            "earned": awarded_at is not None, "awarded_at": awarded_at,
            # Capped at the threshold so that progress / threshold is the share done.
            "progress": achievement.threshold if awarded_at is not None else min(value, achievement.threshold),
        })
    return rows


def learners_with_rewards() -> QuerySet[User]:
    """Every learner who has stats or XP."""
    users = get_user_model().objects.filter(Q(reward_stats__isnull=False) | Q(xp_events__isnull=False))
    return users.distinct().order_by("pk")


def learner_by_email(*, email: str) -> User | None:
    return get_user_model().objects.filter(email__iexact=email).first()
