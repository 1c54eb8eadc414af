"""The running totals kept by every save equal a recount from the stored results, whatever the order of saves.

Random learners save random sessions through the API (late-saved old sessions among them); then the totals
as the saves left them are compared with `rebuild_learner_aggregates`'s recount, with direct counts of the
result rows, and with what the progress and review endpoints answer before and after the recount.
"""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db.models import Count, Q

from game.models import (
    GameResult,
    LearnerPracticeDay,
    LearnerProgress,
    LearnerSpeechStats,
    LearnerTagStats,
    LearnerWeekScore,
)
from game.services.aggregates import rebuild_learner_aggregates
from game.services.tag_stats import rebuild_tag_stats
from tests.accounts.factories import UserFactory
from tests.community.helpers import client_of
from tests.content.factories import SpeechFactory, TagFactory
from tests.game.payloads import session_body

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=ZoneInfo("UTC"))


def snapshot(user) -> dict:
    progress = LearnerProgress.objects.filter(user=user).values().first()
    progress.pop("updated_at")
    return {
        "progress": progress,
        "speeches": sorted((row.speech_id, row.attempts, row.missed, row.scored, round(row.score_sum, 6),
                            round(row.miss_rate, 9), row.need, row.last_seen)
                           for row in LearnerSpeechStats.objects.filter(user=user)),
        "weeks": sorted(LearnerWeekScore.objects.filter(user=user).values_list("week_start", "scored", "score_sum")),
        "days": sorted(LearnerPracticeDay.objects.filter(user=user).values_list("day", flat=True)),
        "tags": sorted(LearnerTagStats.objects.filter(user=user).values_list("tag_id", "sentences", "correct")),
    }


def approx_equal(live: dict, recount: dict) -> None:
    assert live["progress"] == recount["progress"]
    assert live["days"] == recount["days"] and live["tags"] == recount["tags"]
    assert [row[:6] + row[7:] for row in live["speeches"]] == [row[:6] + row[7:] for row in recount["speeches"]]
    for (_, *_, need, _), (_, *_, other, _) in zip(live["speeches"], recount["speeches"], strict=True):
        assert need == pytest.approx(other, rel=1e-9, abs=1e-12)
    assert [(w, n) for w, n, _ in live["weeks"]] == [(w, n) for w, n, _ in recount["weeks"]]
    for (*_, total), (*_, other) in zip(live["weeks"], recount["weeks"], strict=True):
        assert total == pytest.approx(other)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_totals_of_random_saves_equal_a_recount(seed):
    rng = random.Random(seed)
    tags = TagFactory.create_batch(3)
    speeches = [SpeechFactory(level=rng.choice(["A1", "A2", "B1"]), tags=rng.sample(tags, rng.randint(0, 2)))
                for _ in range(15)]
    learner = UserFactory(timezone=rng.choice(["UTC", "Asia/Tokyo", "America/New_York"]))
    with time_machine.travel(NOW, tick=False):
        client = client_of(learner)
        for _ in range(14):
            chosen = rng.sample(speeches, rng.randint(1, 6))
            responses = [rng.choice(["correct", "correct", "incorrect", "skipped"]) for _ in chosen]
            scores = [None if response == "skipped" or rng.random() < 0.2 else round(rng.uniform(20, 99), 1)
                      for response in responses]
            # Sessions of the last 30 days in random order: many are saved after later ones (late saves).
            completed_at = NOW - timedelta(days=rng.randint(0, 30), minutes=rng.randint(1, 600))
            body = session_body(chosen, responses, mode="listen_and_repeat", scores=scores,
                                completed_at=completed_at)
            assert client.post("/api/v1/game/sessions", body, format="json").status_code == 201
        progress_before = client.get("/api/v1/users/me/progress").json()
        review_before = client.post("/api/v1/game/speeches/review", {"limit": 10}, format="json").json()
        live = snapshot(learner)

        rebuild_tag_stats(user=learner)
        rebuild_learner_aggregates(user=learner)
        approx_equal(live, snapshot(learner))
        assert client.get("/api/v1/users/me/progress").json() == progress_before
        assert client.post("/api/v1/game/speeches/review", {"limit": 10}, format="json").json() == review_before

    # And both equal what the result rows say directly.
    results = GameResult.objects.filter(session__user=learner)
    direct = results.aggregate(sentences=Count("id"), correct=Count("id", filter=Q(user_response="correct")),
                               distinct=Count("speech", distinct=True))
    assert (progress_before["sentences_practised"], progress_before["overall"]["correct"],
            progress_before["distinct_sentences"]) == (direct["sentences"], direct["correct"], direct["distinct"])
    by_level = {row["speech__level"]: row["n"] for row in results.values("speech__level").annotate(n=Count("id"))}
    assert {row["level"]: row["sentences"] for row in progress_before["by_level"]} == by_level
