"""The rewards' client-visible failures, each with its own machine code."""

from django.utils.translation import gettext_lazy as _

from core.exceptions import InvalidInput, NotFound


class InvalidDailyGoal(InvalidInput):
    code = "invalid_daily_goal"
    detail = _("The daily XP goal is out of range.")


class InvalidSessionFacts(InvalidInput):
    code = "invalid_session_facts"
    detail = _("The session's facts do not add up.")


class InvalidFreezeCount(InvalidInput):
    code = "invalid_freeze_count"
    detail = _("Grant at least one streak freeze.")


class LearnerNotFound(NotFound):
    code = "learner_not_found"
    detail = _("No such learner.")
