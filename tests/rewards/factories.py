import uuid
from datetime import datetime

import factory
from django.utils import timezone

from rewards.inputs import SessionFacts
from rewards.models import Achievement, AchievementKind


class AchievementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Achievement

    code = factory.Sequence(lambda n: f"achievement-{n}")
    name = factory.Sequence(lambda n: f"Achievement {n}")
    description = "Earned by practising."
    kind = AchievementKind.SESSIONS
    threshold = 1
    level = ""
    xp_reward = 0
    is_active = True
    position = factory.Sequence(lambda n: n)


def facts(*, completed_at: datetime | None = None, **overrides) -> SessionFacts:
    """A session of 5 sentences, all correct, none scored 80+, completed now (whatever time it is)."""
    values = {"session_id": uuid.uuid4(), "completed_at": completed_at or timezone.now(), "level": "A1",
              "sentences": 5, "correct": 5, "high_scores": 0, **overrides}
    return SessionFacts(**values)
