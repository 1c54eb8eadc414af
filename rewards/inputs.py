"""What the game app hands the rewards when a session is saved, and what it gets back."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class SessionFacts:
    session_id: UUID
    completed_at: datetime
    level: str               # CEFR level of the session
    sentences: int
    correct: int
    high_scores: int         # results with pronunciation_score >= 80
    lesson_completed: bool = False   # this session completed a lesson for the first time
    course_completed: bool = False


@dataclass(frozen=True)
class AwardedAchievement:
    code: str
    name: str
    description: str
    icon_url: str
    xp_reward: int
    awarded_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "awarded_at": self.awarded_at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AwardedAchievement:
        return cls(**{**data, "awarded_at": datetime.fromisoformat(data["awarded_at"])})


@dataclass(frozen=True)
class SessionRewards:
    xp_awarded: int          # everything this session earned, achievements' XP included
    xp_total: int
    level: int
    level_up: bool
    today_xp: int
    daily_goal: int
    daily_goal_reached: bool   # reached by this session
    streak_days: int
    freezes_used: int
    freezes_left: int
    achievements: tuple[AwardedAchievement, ...] = ()   # newly awarded

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (times as ISO 8601 strings)."""
        return {**{name: getattr(self, name) for name in self.__dataclass_fields__ if name != "achievements"},
                "achievements": [achievement.as_dict() for achievement in self.achievements]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SessionRewards:
        return cls(**{**data, "achievements": tuple(AwardedAchievement.from_dict(item)
                                                   for item in data["achievements"])})
