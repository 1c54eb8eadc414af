"""Every write of the rewards: a saved session's XP, streak and achievements; goals; freezes; rebuilds.

`record_session` is called by the game app inside its save transaction, with plain facts (rewards
never imports the game). It locks the learner's LearnerStats row first, so concurrent saves of one
learner are serialized and each achievement is awarded once.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

import audit
from core.cache import bump_generation, learner_generation_name
from rewards import rules, selectors
from rewards.exceptions import InvalidDailyGoal, InvalidFreezeCount, InvalidSessionFacts, LearnerNotFound
from rewards.inputs import AwardedAchievement, SessionFacts, SessionRewards
from rewards.models import (
    Achievement,
    AchievementAward,
    FreezeGrantReason,
    LearnerStats,
    RewardedSession,
    StreakFreezeGrant,
    StreakFreezeUse,
    XpEvent,
    XpReason,
)

if TYPE_CHECKING:
    from accounts.models import User


def _check_facts(facts: SessionFacts) -> None:
    errors = {}
    if facts.sentences < 0:
        errors["sentences"] = ["Must be 0 or more."]
    if not 0 <= facts.correct <= max(facts.sentences, 0):
        errors["correct"] = ["Must be between 0 and sentences."]
    if not 0 <= facts.high_scores <= max(facts.sentences, 0):
        errors["high_scores"] = ["Must be between 0 and sentences."]
    if facts.level not in rules.CEFR_LEVELS:
        errors["level"] = [f"Must be one of {', '.join(rules.CEFR_LEVELS)}."]
    if timezone.is_naive(facts.completed_at):
        errors["completed_at"] = ["Must carry a time zone."]
    if errors:
        raise InvalidSessionFacts(errors=errors)


def _locked_stats(user: User) -> LearnerStats:
    # One query when the row exists; a concurrent first save waits on the other's insert, then on its lock.
    stats, _ = LearnerStats.objects.select_for_update().get_or_create(user=user)
    return stats


def _count_session(stats: LearnerStats, facts: SessionFacts) -> None:
    stats.sessions += 1
    stats.sentences += facts.sentences
    stats.high_score_sentences += facts.high_scores
    if facts.high_scores:
        by_level = dict(stats.high_scores_by_level or {})
        by_level[facts.level] = by_level.get(facts.level, 0) + facts.high_scores
        stats.high_scores_by_level = by_level
    stats.lessons_completed += int(facts.lesson_completed)
    stats.courses_completed += int(facts.course_completed)


def _newly_earned(stats: LearnerStats, candidates: list[Achievement]) -> list[Achievement]:
    """The candidates whose thresholds the stats now reach; their XP is added to the stats, which may
    cross a total_xp threshold in turn (hence the loop, over the list already loaded)."""
    earned: list[Achievement] = []
    pending = candidates
    while pending:
        counters = stats.counters
        reached = [achievement for achievement in pending if rules.achievement_value(
            kind=achievement.kind, level=achievement.level, counters=counters) >= achievement.threshold]
        if not reached:
            break
        earned += reached
        stats.total_xp += sum(achievement.xp_reward for achievement in reached)
        pending = [achievement for achievement in pending if achievement not in reached]
    return earned


def record_session(*, user: User, facts: SessionFacts) -> SessionRewards:
    """Pay a saved session's XP, step the streak, award what it earned; a session already counted gets its
    first answer again and nothing is written. Queries are constant, however long the history or catalogue."""
    _check_facts(facts)  # before the transaction: refused facts leave the caller's transaction usable
    return _record_session(user, facts)


@transaction.atomic(savepoint=False)  # part of the game's save transaction: no savepoint round trips
def _record_session(user: User, facts: SessionFacts) -> SessionRewards:
    stats = _locked_stats(user)
    now = timezone.now()
    zone = selectors.user_zone(user)
    day, today = selectors.local_day(facts.completed_at, zone), selectors.local_day(now, zone)
    replay, day_xp_before = selectors.replay_and_xp_on_day(user=user, session_id=facts.session_id, day=day)
    if replay is not None:
        return SessionRewards.from_dict(replay)

    total_before = stats.total_xp

    _count_session(stats, facts)
    step = rules.streak_step(day=day, last_active_day=stats.last_active_day, current=stats.current_streak,
                             freezes=stats.streak_freezes, freeze_every_days=settings.REWARDS_FREEZE_EVERY_DAYS,
                             max_freezes=settings.REWARDS_MAX_FREEZES)
    stats.current_streak, stats.streak_freezes, stats.last_active_day = step.current, step.freezes, step.last_active_day
    stats.longest_streak = max(stats.longest_streak, stats.current_streak)

    amounts = rules.session_xp(sentences=facts.sentences, correct=facts.correct, high_scores=facts.high_scores,
                               lesson_completed=facts.lesson_completed, course_completed=facts.course_completed)
    stats.total_xp += sum(amounts.values())
    kinds = rules.kinds_changed_by(lesson_completed=facts.lesson_completed, course_completed=facts.course_completed,
                                   high_scores=facts.high_scores)
    candidates = list(Achievement.objects.filter(is_active=True, kind__in=kinds).exclude(awards__user=user)
                      .order_by("position", "code"))
    earned = _newly_earned(stats, candidates)

    events = [XpEvent(user=user, amount=amount, reason=reason, session_id=facts.session_id, local_day=day)
              for reason, amount in amounts.items()]
    events += [XpEvent(user=user, amount=achievement.xp_reward, reason=XpReason.ACHIEVEMENT,
                       session_id=facts.session_id, achievement=achievement, local_day=day)
               for achievement in earned if achievement.xp_reward > 0]
    if events:
        XpEvent.objects.bulk_create(events)
    if earned:
        AchievementAward.objects.bulk_create([
            AchievementAward(user=user, achievement=achievement, awarded_at=now, session_id=facts.session_id)
            for achievement in earned])
    if step.covered_days:
        StreakFreezeUse.objects.bulk_create([StreakFreezeUse(user=user, day=covered) for covered in step.covered_days])
    if step.freezes_earned:
        StreakFreezeGrant.objects.create(user=user, count=step.freezes_earned, reason=FreezeGrantReason.EARNED)

    xp_awarded = stats.total_xp - total_before
    day_xp = day_xp_before + xp_awarded
    rewards = SessionRewards(
        xp_awarded=xp_awarded, xp_total=stats.total_xp, level=rules.level_for(stats.total_xp)[0],
        level_up=rules.level_for(stats.total_xp)[0] > rules.level_for(total_before)[0],
        # A session saved late (another day) leaves today's figure as it was.
        today_xp=day_xp if day == today else selectors.xp_on_day(user=user, day=today),
        daily_goal=stats.daily_xp_goal, daily_goal_reached=day_xp_before < stats.daily_xp_goal <= day_xp,
        streak_days=stats.current_streak, freezes_used=len(step.covered_days), freezes_left=stats.streak_freezes,
        achievements=tuple(AwardedAchievement(code=a.code, name=a.name, description=a.description,
                                              icon_url=a.icon_url, xp_reward=a.xp_reward, awarded_at=now)
                           for a in earned),
    )
    RewardedSession.objects.create(
        user=user, session_id=facts.session_id, completed_at=facts.completed_at, local_day=day, level=facts.level,
        sentences=facts.sentences, correct=facts.correct, high_scores=facts.high_scores,
        lesson_completed=facts.lesson_completed, course_completed=facts.course_completed, rewards=rewards.as_dict())
    stats.save()
    return rewards


def set_daily_goal(*, user: User, daily_xp_goal: int) -> int:
    if isinstance(daily_xp_goal, bool) or not isinstance(daily_xp_goal, int) or not (
            rules.DAILY_GOAL_MIN <= daily_xp_goal <= rules.DAILY_GOAL_MAX):
        raise InvalidDailyGoal(errors={"daily_xp_goal": [
            f"Must be a whole number from {rules.DAILY_GOAL_MIN} to {rules.DAILY_GOAL_MAX}."]})
    LearnerStats.objects.update_or_create(user=user, defaults={"daily_xp_goal": daily_xp_goal})
    bump_generation(learner_generation_name(user.pk))
    return daily_xp_goal


def grant_streak_freezes(*, actor: User | None, user: User, count: int) -> int:
    """Give the learner up to `count` freezes, never beyond REWARDS_MAX_FREEZES held; returns how many were given."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise InvalidFreezeCount(errors={"count": ["Must be 1 or more."]})
    with transaction.atomic():
        stats = _locked_stats(user)
        granted = min(count, max(settings.REWARDS_MAX_FREEZES - stats.streak_freezes, 0))
        if granted:
            before = stats.streak_freezes
            stats.streak_freezes += granted
            stats.save(update_fields=["streak_freezes", "updated_at"])
            StreakFreezeGrant.objects.create(user=user, count=granted, reason=FreezeGrantReason.GRANTED, actor=actor)
            bump_generation(learner_generation_name(user.pk))
            audit.record("rewards.streak_freezes_granted", user,
                         {"requested": count, "granted": granted, "streak_freezes": [before, stats.streak_freezes]},
                         actor=actor)
    return granted


def mark_achievements_seen(*, user: User) -> int:
    """The home screen's "new" list empties; returns how many awards were new."""
    bump_generation(learner_generation_name(user.pk))
    return AchievementAward.objects.filter(user=user, seen_at__isnull=True).update(seen_at=timezone.now())


def rebuild_stats(*, user: User) -> LearnerStats:
    """Recompute the learner's stats from the rows: total_xp from the ledger; the session counters from the
    rewarded sessions' facts; streaks from their distinct local days and the freeze uses; freezes held from
    the grants less the uses. Only daily_xp_goal (a choice, not an aggregate) is kept as it is.

    One difference from the incremental count: a session saved late for a day inside a gap joins the
    streak here, while `record_session` leaves a streak unchanged by an earlier day.
    """
    with transaction.atomic():
        stats = _locked_stats(user)
        sessions = RewardedSession.objects.filter(user=user)
        totals = sessions.aggregate(
            sessions=Count("id"), sentences=Sum("sentences"), high_scores=Sum("high_scores"),
            lessons=Count("id", filter=Q(lesson_completed=True)), courses=Count("id", filter=Q(course_completed=True)))
        by_level = {level: total for level, total in sessions.order_by().values_list("level").annotate(
            total=Sum("high_scores")) if total}
        active_days: set[date] = set(sessions.values_list("local_day", flat=True).distinct())
        covered_days: set[date] = set(StreakFreezeUse.objects.filter(user=user).values_list("day", flat=True))
        streak = rules.streak_from_days(active_days=active_days, covered_days=covered_days)
        granted = StreakFreezeGrant.objects.filter(user=user).aggregate(total=Sum("count"))["total"] or 0

        stats.total_xp = XpEvent.objects.filter(user=user).aggregate(total=Sum("amount"))["total"] or 0
        stats.sessions = totals["sessions"]
        stats.sentences = totals["sentences"] or 0
        stats.high_score_sentences = totals["high_scores"] or 0
        stats.high_scores_by_level = by_level
        stats.lessons_completed = totals["lessons"]
        stats.courses_completed = totals["courses"]
        stats.current_streak, stats.longest_streak = streak.current, streak.longest
        stats.last_active_day = streak.last_active_day
        stats.streak_freezes = min(max(granted - len(covered_days), 0), settings.REWARDS_MAX_FREEZES)
        stats.save()
        bump_generation(learner_generation_name(user.pk))
    return stats


def rebuild_all_stats(*, email: str | None = None) -> int:
    """rebuild_stats for one learner (by email) or every learner with rewards; returns how many."""
    if email is not None:
        user = selectors.learner_by_email(email=email)
        if user is None:
            raise LearnerNotFound(errors={"email": [f"No user with email {email}."]})
        rebuild_stats(user=user)
        return 1
    count = 0
    for user in selectors.learners_with_rewards().iterator():
        rebuild_stats(user=user)
        count += 1
    return count
